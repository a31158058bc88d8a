"""The likelihood of bag counts under per-row probabilities, and a logistic
calibration of scores that maximises it.

A bag's positive count under independent rows of probabilities ``q_i`` is
Poisson-binomial; here it is approximated by a normal of the same mean and
variance with a continuity correction,
``P(C = k) ~ Phi((k + 1/2 - mu) / s) - Phi((k - 1/2 - mu) / s)``, which also
takes counts ``k = n_B alpha_B`` that are not whole numbers. Unlike the bag
cross-entropy of DLLP, which sees only the mean, the count likelihood also
rewards sharp probabilities that put the positives where they are: a model
that knows every label has ``s = 0`` and likelihood 1.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_ndtr

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
# a floor on a bag's count variance: the continuity interval stays resolved
_MIN_VARIANCE = 1e-3


def _log_interval(upper, lower):
    """``log(Phi(upper) - Phi(lower))`` for ``upper > lower``, accurate in
    both tails (the upper one through ``Phi(-x) = 1 - Phi(x)``)."""
    flip = lower > 0
    high = np.where(flip, -lower, upper)
    low = np.where(flip, -upper, lower)
    log_high = log_ndtr(high)
    return log_high + np.log1p(-np.exp(np.minimum(log_ndtr(low) - log_high, 0.0)))


def bag_count_log_likelihood(q, counts, index, sizes, *, gradient=False):
    """Log-likelihood of each bag's count under row probabilities ``q``.

    Returns the per-bag log-likelihoods (n_bags,) and, with ``gradient``,
    also their sum's derivative in each ``q_i``.
    """
    mean = np.bincount(index, weights=q, minlength=sizes.shape[0])
    variance = _MIN_VARIANCE + np.bincount(
        index, weights=q * (1.0 - q), minlength=sizes.shape[0]
    )
    sd = np.sqrt(variance)
    upper = (counts + 0.5 - mean) / sd
    lower = (counts - 0.5 - mean) / sd
    log_p = _log_interval(upper, lower)
    if not gradient:
        return log_p
    # d log_p / d upper and d lower, as densities over the interval's mass
    d_upper = np.exp(-0.5 * upper**2 - _LOG_SQRT_2PI - log_p)
    d_lower = -np.exp(-0.5 * lower**2 - _LOG_SQRT_2PI - log_p)
    d_mean = -(d_upper + d_lower) / sd
    d_variance = -(d_upper * upper + d_lower * lower) / (2.0 * variance)
    return log_p, d_mean[index] + d_variance[index] * (1.0 - 2.0 * q)


def fit_count_calibration(scores, counts, index, sizes):
    """``(a, b)`` with ``a >= 0`` maximising the bags' count likelihood under
    ``q = sigmoid(a * scores + b)``.

    The scores are standardised first, so that the search starts at the
    same place for every model; the returned pair applies to the raw
    scores. ``a = 0`` (the overall rate for every row) is the fit of scores
    that say nothing about the counts.
    """
    centre = float(np.mean(scores))
    scale = float(np.std(scores))
    scale = scale if scale > 0 and np.isfinite(scale) else 1.0
    z = (scores - centre) / scale
    rate = np.clip(counts.sum() / sizes.sum(), 1e-6, 1 - 1e-6)

    def objective(params):
        a, b = params
        q = expit(a * z + b)
        log_p, d_q = bag_count_log_likelihood(q, counts, index, sizes, gradient=True)
        d_logit = d_q * q * (1.0 - q)
        return -log_p.sum(), -np.array([d_logit @ z, d_logit.sum()])

    best = None
    for slope in (0.0, 1.0, 4.0):
        result = minimize(
            objective,
            [slope, np.log(rate / (1 - rate))],
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 50.0), (-50.0, 50.0)],
        )
        if best is None or result.fun < best.fun:
            best = result
    a, b = best.x
    return a / scale, b - a * centre / scale
