"""Which order statistic of the calibration scores is the conformal threshold.

Split conformal prediction keeps a label when its non-conformity score is at
most the ``k``-th smallest of the ``n`` calibration scores. The rank ``k``
sets the guarantee:

- marginal (Vovk et al.): ``k = ceil((n + 1)(1 - alpha))`` gives
  ``P(Y in C(X)) >= 1 - alpha`` on average over calibration and test draws;
- PAC (Park et al. 2020; Khakhar et al. 2023): ``k = n - k*`` with ``k*`` the
  largest error count whose binomial tail ``P(Binom(n, alpha) <= k*)`` is at
  most ``delta``; then the miscoverage given the calibration set is at most
  ``alpha`` with probability at least ``1 - delta``;
- poisoned labels: an adversary who changes ``m`` calibration scores moves
  every order statistic by at most ``m`` ranks (among the ``r + m`` smallest
  poisoned scores at least ``r`` are untouched, so the ``(r + m)``-th
  smallest poisoned score is at least the ``r``-th smallest clean one).
  Taking rank ``k + m`` keeps either guarantee for the clean labels.
"""

import math
import numbers
import warnings

import numpy as np
from scipy.stats import binom

from ..exceptions import CalibrationSizeWarning


def check_alpha(alpha):
    """Return ``alpha`` as a sorted-as-given 1-D float array, each in (0, 1).

    A scalar gives a one-element array; the caller remembers which it was.
    """
    values = np.atleast_1d(np.asarray(alpha, dtype=object))
    if values.ndim != 1 or values.shape[0] == 0:
        raise ValueError(
            f"alpha must be a number or a 1-D list of numbers, got {alpha!r}."
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"alpha must be a real number in (0, 1), got {value!r}.")
        if not 0.0 < value < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {value!r}.")
    return values.astype(float)


def conformal_rank(n, alpha, *, guarantee="marginal", delta=0.1, n_poisoned=0):
    """The 1-based rank of the calibration score that is the threshold.

    The result may exceed ``n``: the calibration set is then too small for
    the request (see :func:`warn_if_too_few`).
    """
    if guarantee == "marginal":
        # round() first: (n + 1) * (1 - alpha) is often an integer spoilt by
        # one ulp, and ceil would then ask for one rank too many
        rank = math.ceil(round((n + 1) * (1.0 - alpha), 9))
    else:
        cdf = binom.cdf(np.arange(n + 1), n, alpha)
        allowed_errors = int(np.searchsorted(cdf, delta, side="right")) - 1
        rank = n - allowed_errors if allowed_errors >= 0 else n + 1
    return rank + int(n_poisoned)


def minimum_calibration_size(alpha, *, guarantee="marginal", delta=0.1, n_poisoned=0):
    """The smallest calibration set for which :func:`conformal_rank` <= n."""
    n = 1
    while (
        conformal_rank(
            n, alpha, guarantee=guarantee, delta=delta, n_poisoned=n_poisoned
        )
        > n
    ):
        n *= 2
    low, high = n // 2, n
    while high - low > 1:
        mid = (low + high) // 2
        if (
            conformal_rank(
                mid, alpha, guarantee=guarantee, delta=delta, n_poisoned=n_poisoned
            )
            > mid
        ):
            low = mid
        else:
            high = mid
    return high


def warn_if_too_few(rank, n, alpha, *, what="the calibration set", **guarantee):
    """Warn that the sets hold every class when the threshold's ``rank``
    exceeds the ``n`` calibration scores; return whether it does."""
    if rank <= n:
        return False
    needed = minimum_calibration_size(alpha, **guarantee)
    setting = f"alpha={alpha:g}"
    if guarantee.get("n_poisoned"):
        setting += f" with n_poisoned={guarantee['n_poisoned']}"
    warnings.warn(
        f"{what} has {n} samples; {setting} needs at least {needed} for a "
        "finite threshold, so the prediction sets hold every class (every "
        "conformal p-value is at least 1/(n + 1)). Use more calibration data "
        "or a larger alpha.",
        CalibrationSizeWarning,
        stacklevel=2,
    )
    return True


def conformal_threshold(
    scores,
    alpha,
    *,
    guarantee="marginal",
    delta=0.1,
    n_poisoned=0,
    what="the calibration set",
):
    """The conformal threshold on non-conformity scores: keep labels scoring <= it.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Non-conformity scores of the calibration samples at their labels.
    alpha : float in (0, 1)
        Target miscoverage.
    guarantee : {"marginal", "pac"}, default="marginal"
        The marginal guarantee, or miscoverage at most ``alpha`` with
        probability ``1 - delta`` over the calibration draw.
    delta : float in (0, 1), default=0.1
        Used by ``guarantee="pac"``.
    n_poisoned : int, default=0
        Number of calibration labels an adversary may have changed.
    what : str
        Names the calibration set in error messages.

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.conformal._quantile import conformal_threshold
    >>> float(conformal_threshold(np.arange(1, 20) / 20, 0.1))
    0.9
    """
    scores = np.asarray(scores, dtype=float)
    n = scores.shape[0]
    rank = conformal_rank(
        n, alpha, guarantee=guarantee, delta=delta, n_poisoned=n_poisoned
    )
    too_few = warn_if_too_few(
        rank,
        n,
        alpha,
        what=what,
        guarantee=guarantee,
        delta=delta,
        n_poisoned=n_poisoned,
    )
    return np.inf if too_few else np.partition(scores, rank - 1)[rank - 1]
