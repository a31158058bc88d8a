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


def bag_count_log_likelihood(q, counts, index, sizes, *, spread=0.0, gradient=False):
    """Log-likelihood of each bag's count under row probabilities ``q``.

    ``spread`` is the standard deviation of a bag's true proportion around
    the model's mean (the model's own error, shared by a bag's rows, which
    independent rows cannot express): it adds ``(spread * n_B)^2`` to the
    count's variance.

    Returns the per-bag log-likelihoods (n_bags,) and, with ``gradient``,
    also their sum's derivatives in each ``q_i`` and in ``log(spread)``.
    """
    mean = np.bincount(index, weights=q, minlength=sizes.shape[0])
    extra = (spread * sizes) ** 2
    variance = (
        _MIN_VARIANCE
        + extra
        + np.bincount(index, weights=q * (1.0 - q), minlength=sizes.shape[0])
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
    d_q = d_mean[index] + d_variance[index] * (1.0 - 2.0 * q)
    return log_p, d_q, 2.0 * float(d_variance @ extra)


def fit_count_calibration(scores, counts, index, sizes):
    """``(a, b, spread)`` with ``a >= 0`` maximising the bags' count
    likelihood under ``q = sigmoid(a * scores + b)``.

    The scores are standardised first, so that the search starts at the
    same place for every model; the returned pair applies to the raw
    scores. ``a = 0`` (the overall rate for every row) is the fit of scores
    that say nothing about the counts. ``spread`` (the standard deviation
    of a bag's proportion around the model's mean, from 1e-4 to 1) absorbs
    the model's error on large bags, where a bias of a few points in a
    bag's mean is many standard deviations of a count of independent rows.
    """
    centre = float(np.mean(scores))
    scale = float(np.std(scores))
    scale = scale if scale > 0 and np.isfinite(scale) else 1.0
    z = (scores - centre) / scale
    rate = np.clip(counts.sum() / sizes.sum(), 1e-6, 1 - 1e-6)

    def objective(params):
        a, b, log_spread = params
        q = expit(a * z + b)
        log_p, d_q, d_log_spread = bag_count_log_likelihood(
            q, counts, index, sizes, spread=np.exp(log_spread), gradient=True
        )
        d_logit = d_q * q * (1.0 - q)
        return -log_p.sum(), -np.array([d_logit @ z, d_logit.sum(), d_log_spread])

    best = None
    for slope in (0.0, 1.0, 4.0):
        result = minimize(
            objective,
            [slope, np.log(rate / (1 - rate)), np.log(0.01)],
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 50.0), (-50.0, 50.0), (np.log(1e-4), 0.0)],
        )
        if best is None or result.fun < best.fun:
            best = result
    a, b, log_spread = best.x
    return a / scale, b - a * centre / scale, float(np.exp(log_spread))
