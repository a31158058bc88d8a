"""Class-conditional noise rates: estimation and the Liu-Tao importance weights.

Binary class-conditional noise (CCN) flips a true negative to positive with
probability ``rho_neg`` and a true positive to negative with ``rho_pos``. With
the clean posterior ``eta(x) = P(y=+1 | x)`` the noisy posterior is::

    eta_noisy(x) = rho_neg + (1 - rho_neg - rho_pos) * eta(x)

so it lives in ``[rho_neg, 1 - rho_pos]``. Both functions here model ``eta``
as a sigmoid of an out-of-sample score, ``eta = sigmoid(a * s + b)``, and fit
``(a, b)`` (and, when estimating, the rates) by maximum likelihood on the noisy
labels: Platt scaling that knows about label noise.
"""

import numbers

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from ..utils._validation import check_binary_scores, check_sample_weight

MAX_RATE = 0.49
# 95% quantiles of the chi-square distribution with 1 and 2 degrees of freedom
CHI2_95 = {1: 3.841, 2: 5.991}


def _fit_noisy_sigmoid(s, y_pos, weight, rates=(np.nan, np.nan), start=(0.01, 0.01)):
    """Fit the sigmoid ``(a, b)`` and the free rates by weighted maximum likelihood.

    ``s`` is standardised, ``y_pos`` boolean; ``rates`` is ``(rho_neg,
    rho_pos)`` with NaN for a rate to fit (started at its entry of
    ``start``). Returns ``(a, b)``, both rates, and the negative
    log-likelihood reached.
    """
    rates = np.asarray(rates, dtype=float)
    free = np.isnan(rates)

    def with_rates(params):
        full = rates.copy()
        full[free] = params[2:]
        return full

    def nll(params):
        rho_neg, rho_pos = with_rates(params)
        p = rho_neg + (1.0 - rho_neg - rho_pos) * expit(params[0] * s + params[1])
        p = np.clip(p, 1e-12, 1.0 - 1e-12)
        return -weight @ np.where(y_pos, np.log(p), np.log1p(-p))

    # start from plain Platt scaling on the standardised score
    prior = np.clip(weight @ y_pos / weight.sum(), 1e-3, 1 - 1e-3)
    x0 = [1.0, np.log(prior / (1 - prior))]
    x0 += list(np.clip(np.asarray(start, dtype=float)[free], 0.0, MAX_RATE))
    bounds = [(None, None)] * 2 + [(0.0, MAX_RATE)] * int(free.sum())
    # a tight tolerance is cheap with at most four parameters, and makes the
    # fit independent of how the samples are ordered or repeated
    options = {"ftol": 1e-15, "gtol": 1e-10}
    result = minimize(nll, x0, method="L-BFGS-B", bounds=bounds, options=options)
    return result.x[:2], with_rates(result.x), result.fun


def _standardise(scores, weight):
    mean = weight @ scores / weight.sum()
    scale = np.sqrt(weight @ (scores - mean) ** 2 / weight.sum())
    return (scores - mean) / (scale if scale > 0 else 1.0)


def _anchor_shares(scores, y_pos, weight, quantile):
    """Weighted share of positives in the lowest and of negatives in the highest
    ``quantile`` of the score mass (at least 10 samples' worth); a sample on
    the boundary counts in part, so integer weights act as repetitions."""
    total = weight.sum()
    mass = max(quantile * total, min(10.0 * total / len(weight), total / 2))
    shares = []
    for order, wanted in (
        (np.argsort(scores, kind="stable"), y_pos),
        (np.argsort(-scores, kind="stable"), ~y_pos),
    ):
        w = weight[order]
        before = np.cumsum(w) - w
        part = np.clip(mass - before, 0.0, w)
        shares.append(part @ wanted[order] / mass)
    return np.clip(shares, 0.0, MAX_RATE)


def estimate_noise_rates(
    y, scores, *, method="likelihood", quantile=0.05, sample_weight=None
):
    """Estimate binary class-conditional flip rates from out-of-sample scores.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy binary labels. The larger of the two sorted class values is the
        positive class.
    scores : array-like of shape (n_samples,)
        Out-of-sample scores for the positive class (a decision function or a
        probability), for instance from
        :func:`sklearn.model_selection.cross_val_predict`. In-sample scores of
        a model that fits the noise give rates near 0.
    method : {"likelihood", "anchor"}, default="likelihood"
        ``"anchor"``: the share of positive labels among the ``quantile``
        lowest-scored samples estimates ``rho_neg``, and the share of
        negative labels among the highest-scored estimates ``rho_pos``
        (anchor points; Menon et al. 2015, Liu & Tao 2016). ``"likelihood"``:
        fit the noisy sigmoid model of the module docstring with the two
        rates as free parameters (Bootkrajang & Kaban 2012, on a
        one-dimensional score), started from the anchor estimate. It uses
        every sample rather than the extremes only. Weak scores leave the
        rates poorly identified (a steep sigmoid with large rates and a flat
        one with small rates fit the labels alike), so the fitted rates are
        kept only if they raise the log-likelihood significantly over the
        anchor rates (likelihood-ratio test, 5% level); otherwise the anchor
        estimate is returned. An anchor share at the 0.49 cap means that
        class's extremes are not pure: that rate is then fitted with the
        other held at its anchor (the reference of a 1-degree-of-freedom
        test), or both are fitted if both shares are capped. It errs less
        than the anchors when the scores rank well (figures in the user
        guide, :ref:`label_noise`).
    quantile : float in (0, 0.5), default=0.05
        Share of samples at each end of the score range taken as anchor
        points; at least 10 samples are used.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; an integer weight counts as that many copies.

    Returns
    -------
    rates : ndarray of shape (2,)
        ``(rho_neg, rho_pos)``: P(noisy = positive | true = negative) and
        P(noisy = negative | true = positive), each in [0, 0.49].

    See Also
    --------
    clean_label_posterior : Which labels are likely wrong, given the rates.

    References
    ----------
    A. Menon, B. van Rooyen, C. S. Ong, R. Williamson, "Learning from
    Corrupted Binary Labels via Class-Probability Estimation", ICML 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import estimate_noise_rates
    >>> rng = np.random.default_rng(0)
    >>> score = rng.normal(size=20000)
    >>> y = (score + 0.3 * rng.normal(size=20000) > 0).astype(int)
    >>> flip = rng.random(20000) < np.where(y == 1, 0.3, 0.1)
    >>> y_noisy = np.where(flip, 1 - y, y)
    >>> estimate_noise_rates(y_noisy, score).round(2)
    array([0.1, 0.3])
    """
    y_pos, scores = check_binary_scores(y, scores)
    weight = check_sample_weight(sample_weight, len(scores))
    if method not in ("anchor", "likelihood"):
        raise ValueError(f"method must be 'anchor' or 'likelihood', got {method!r}.")
    if (
        not isinstance(quantile, numbers.Real)
        or isinstance(quantile, bool)
        or not 0 < quantile < 0.5
    ):
        raise ValueError(f"quantile must be a number in (0, 0.5), got {quantile!r}.")
    anchor = _anchor_shares(scores, y_pos, weight, quantile)
    if method == "anchor":
        return anchor
    s = _standardise(scores, weight)
    _, fitted, fitted_nll = _fit_noisy_sigmoid(s, y_pos, weight, start=anchor)
    # an anchor share at the cap says that class's extremes are not pure: its
    # rate is fitted, the other class keeps its anchor rate
    capped = anchor >= MAX_RATE
    if capped.all():
        return fitted
    _, reference, reference_nll = _fit_noisy_sigmoid(
        s, y_pos, weight, rates=np.where(capped, np.nan, anchor), start=anchor
    )
    # weak scores let steep sigmoids with large rates and flat ones with small
    # rates explain the labels alike: move off the anchors only when the
    # likelihood-ratio test says the labels ask for it
    statistic = 2.0 * (reference_nll - fitted_nll)
    return fitted if statistic >= CHI2_95[int((~capped).sum())] else reference


def _posteriors(y, scores, noise_rates, sample_weight):
    """Return ``(y_pos, P(y = y_i | x_i), P(noisy = y_i | x_i), rates)``."""
    y_pos, scores = check_binary_scores(y, scores)
    rates = check_rate_pair(noise_rates, max_rate=1.0)
    weight = check_sample_weight(sample_weight, len(scores))
    s = _standardise(scores, weight)
    (a, b), _, _ = _fit_noisy_sigmoid(s, y_pos, weight, rates)
    eta = expit(a * s + b)
    rho_neg, rho_pos = rates
    clean = np.where(y_pos, eta, 1.0 - eta)
    noisy = np.where(y_pos, rho_neg, rho_pos) + (1.0 - rho_neg - rho_pos) * clean
    return y_pos, clean, noisy, rates


def importance_weights(y, scores, noise_rates, *, sample_weight=None):
    """Liu-Tao importance weights that turn a noisy-label loss into a clean one.

    Each sample gets ``beta_i = P(y = y_i | x_i) / P(noisy = y_i | x_i)``: the
    expectation of ``beta * loss`` under the noisy distribution equals the
    expected loss under the clean one (Liu & Tao, 2016). Samples whose label
    the score contradicts get weights near 0; the others near
    ``1 / (1 - rho)``. The posteriors come from a sigmoid of the score fitted
    by maximum likelihood under the given noise rates.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy binary labels; the larger class value is the positive class.
    scores : array-like of shape (n_samples,)
        Out-of-sample scores for the positive class.
    noise_rates : array-like of shape (2,)
        ``(rho_neg, rho_pos)`` as returned by :func:`estimate_noise_rates`;
        each in [0, 1) with a sum below 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the fit of the posterior.

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        Non-negative weights; multiply them into ``sample_weight``.

    See Also
    --------
    clean_label_posterior : The chance that each given label is the true one.

    References
    ----------
    T. Liu and D. Tao, "Classification with Noisy Labels by Importance
    Reweighting", IEEE TPAMI 38(3), 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import importance_weights
    >>> y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    >>> scores = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 2.5, -2.5])
    >>> w = importance_weights(y, scores, (0.2, 0.2))
    >>> bool(w[6] < 0.5 < w[0]) and bool(w[7] < 0.5 < w[5])
    True
    """
    _, clean, noisy, _ = _posteriors(y, scores, noise_rates, sample_weight)
    return clean / noisy


def clean_label_posterior(y, scores, noise_rates, *, sample_weight=None):
    """Probability that each given (noisy) label is the true label.

    By Bayes' rule under class-conditional noise,
    ``P(y = y_i | x_i, noisy = y_i) = (1 - rho_{y_i}) P(y = y_i | x_i) /
    P(noisy = y_i | x_i)``, with ``rho_{y_i}`` the rate at which class
    ``y_i`` is flipped away. The clean and noisy posteriors come from a
    sigmoid of the score fitted by maximum likelihood under the noise rates.
    A loss that weighs each sample's label by this posterior and the opposite
    label by its complement is, in expectation, the loss on the clean labels
    (the E-step of Bootkrajang & Kaban's label-noise-robust logistic
    regression).

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Noisy binary labels; the larger class value is the positive class.
    scores : array-like of shape (n_samples,)
        Out-of-sample scores for the positive class.
    noise_rates : array-like of shape (2,)
        ``(rho_neg, rho_pos)`` as returned by :func:`estimate_noise_rates`;
        each in [0, 1) with a sum below 1.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples in the fit of the posterior.

    Returns
    -------
    posterior : ndarray of shape (n_samples,)
        Values in [0, 1]; low values flag likely label errors.

    See Also
    --------
    importance_weights : Liu-Tao weights from the same posteriors.

    References
    ----------
    J. Bootkrajang and A. Kaban, "Label-noise robust logistic regression and
    its applications", ECML PKDD 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import clean_label_posterior
    >>> y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    >>> scores = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 2.5, -2.5])
    >>> p = clean_label_posterior(y, scores, (0.2, 0.2))
    >>> bool(p[6] < 0.5 < p[0]) and bool(p[7] < 0.5 < p[5])
    True
    """
    y_pos, clean, noisy, (rho_neg, rho_pos) = _posteriors(
        y, scores, noise_rates, sample_weight
    )
    keep = np.where(y_pos, 1.0 - rho_pos, 1.0 - rho_neg)
    return np.clip(keep * clean / noisy, 0.0, 1.0)


def check_rate_pair(noise_rates, max_rate=0.5):
    """Validate a ``(rho_neg, rho_pos)`` pair; return it as a float array.

    Each rate must lie in ``[0, max_rate)`` and their sum below 1 (beyond it
    the labels carry no information about the classes).
    """
    rates = np.asarray(noise_rates, dtype=float) if _is_numeric(noise_rates) else None
    if rates is None or rates.shape != (2,):
        raise ValueError(
            "noise rates must be a pair (rho_neg, rho_pos) of numbers, got "
            f"{noise_rates!r}."
        )
    if not np.all(np.isfinite(rates)) or np.any(rates < 0) or np.any(rates >= max_rate):
        raise ValueError(
            f"noise rates must lie in [0, {max_rate:g}), got {rates.tolist()}."
        )
    if rates.sum() >= 1:
        raise ValueError(f"noise rates must sum to less than 1, got {rates.tolist()}.")
    return rates


def _is_numeric(value):
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True
