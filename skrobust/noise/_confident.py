"""Confident learning: the confident joint and the noise it implies.

Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 2021. Each class gets a threshold, the mean predicted
probability of that class over the samples labelled with it; a sample whose
probability of some class reaches that class's threshold is counted as
truly of that class. The counts of (given label, counted class), scaled to
the label counts, estimate the joint distribution of noisy and true labels.
Counting and calibration follow cleanlab 2.9 step for step (including its
rounding), so the two agree on the same probabilities.
"""

import numpy as np
from sklearn.utils.validation import check_array, column_or_1d

from ._row_passes import confident_guess, row_checks

PROBA_TOLERANCE = 1e-4  # how far a row of pred_probs may sum from 1


def check_labels_and_proba(y, pred_probs):
    """Validate labels against the columns of ``pred_probs``.

    ``y`` holds integer class indices ``0..K-1`` (``K = pred_probs.shape[1]``);
    every class must have a sample. Returns ``(y as int64, pred_probs as
    C-contiguous float64)``.
    """
    pred_probs = check_array(
        pred_probs, dtype=np.float64, order="C", ensure_all_finite=True,
        input_name="pred_probs",
    )  # fmt: skip
    y = column_or_1d(y, warn=True)
    if y.shape[0] != pred_probs.shape[0]:
        raise ValueError(
            f"y and pred_probs have different lengths: {y.shape[0]} and "
            f"{pred_probs.shape[0]}."
        )
    n_classes = pred_probs.shape[1]
    if n_classes < 2:
        raise ValueError(f"pred_probs needs at least 2 class columns; got {n_classes}.")
    if not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
            raise ValueError(
                "y must hold class indices 0..K-1 matching the columns of pred_probs; "
                f"got values of dtype {y.dtype}. Encode labels with np.unique(y, "
                "return_inverse=True) or sklearn's LabelEncoder."
            )
    y = y.astype(np.int64)
    outside = (y < 0) | (y >= n_classes)
    if outside.any():
        raise ValueError(
            f"y holds labels outside the {n_classes} classes of pred_probs (0.."
            f"{n_classes - 1}): {np.unique(y[outside])[:5].tolist()}."
        )
    counts = np.bincount(y, minlength=n_classes)
    if np.any(counts == 0):
        raise ValueError(
            "every class of pred_probs needs labelled samples; class(es) "
            f"{np.flatnonzero(counts == 0)[:5].tolist()} have none."
        )
    low, high, gap = row_checks(pred_probs)
    if low < 0 or high > 1 + 1e-6:
        raise ValueError(
            f"pred_probs must lie in [0, 1]; got values from {low:g} to {high:g}."
        )
    if gap > PROBA_TOLERANCE:
        raise ValueError(
            f"each row of pred_probs must sum to 1; one is off by {gap:.3g}. Pass "
            "probabilities (predict_proba), not decision scores."
        )
    return y, pred_probs


def _thresholds(y, pred_probs, weights):
    n_classes = pred_probs.shape[1]
    own = pred_probs[np.arange(len(y)), y]
    sums = np.bincount(y, weights=own * weights, minlength=n_classes)
    mass = np.bincount(y, weights=weights, minlength=n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        thresholds = np.where(mass > 0, sums / mass, 2.0)
    return np.maximum(thresholds, 2e-6)


def confident_joint(y, pred_probs, *, calibrate=True, sample_weight=None):
    """Counts of samples by given label (rows) and confidently true class (columns).

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given labels, as class indices ``0..K-1``.
    pred_probs : array-like of shape (n_samples, K)
        Out-of-sample predicted probabilities (see
        :func:`skrobust.cleaning.cross_val_proba`).
    calibrate : bool, default=True
        Scale each row to its label count and the total to the number of
        samples (rounding to integers that keep those totals), which makes
        the matrix an estimate of the joint counts of noisy and true labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights instead of unit counts; the matrix is then left unrounded.

    Returns
    -------
    joint : ndarray of shape (K, K)
        ``joint[i, j]``: samples labelled i that are confidently of class j.
        Integers without ``sample_weight``.

    References
    ----------
    C. Northcutt, L. Jiang, I. Chuang, "Confident Learning: Estimating
    Uncertainty in Dataset Labels", JAIR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import confident_joint
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> pred_probs = np.array(
    ...     [[.9, .1], [.8, .2], [.2, .8], [.1, .9], [.3, .7], [.8, .2]])
    >>> confident_joint(y, pred_probs)
    array([[2, 1],
           [1, 2]])
    """
    y, pred_probs = check_labels_and_proba(y, pred_probs)
    weighted = sample_weight is not None
    weights = np.ones(len(y)) if not weighted else np.asarray(sample_weight, float)
    return _joint(y, pred_probs, weights, calibrate, weighted)[0]


def _joint(y, pred_probs, weights, calibrate, weighted):
    """``(joint, guess)``: the confident joint and each sample's counted class."""
    n_classes = pred_probs.shape[1]
    guess = confident_guess(pred_probs, _thresholds(y, pred_probs, weights))
    counted = guess >= 0
    cells = y[counted] * n_classes + guess[counted]
    joint = np.bincount(cells, weights=weights[counted], minlength=n_classes**2)
    joint = joint.reshape(n_classes, n_classes)
    if not weighted:
        joint = np.rint(joint).astype(np.int64)
    np.fill_diagonal(joint, np.maximum(joint.diagonal(), 1 if not weighted else 0))
    if calibrate:
        label_mass = np.bincount(y, weights=weights, minlength=n_classes)
        joint = _calibrate(joint, label_mass, round_counts=not weighted)
    return joint, guess


def _calibrate(joint, label_mass, round_counts):
    """Rows to the label masses, total to their sum; rounded as cleanlab does."""
    rows = np.maximum(joint.sum(axis=1), 1e-100)
    scaled = joint / rows[:, None] * label_mass[:, None]
    # cleanlab's joint is column-major: sum in that order for the same last bit
    total = np.sum(np.ascontiguousarray(scaled.T))
    scaled = scaled / max(total, 1e-100) * label_mass.sum()
    if not round_counts:
        return scaled
    return np.array([round_preserving_sum(row) for row in scaled], dtype=np.int64)


def round_preserving_sum(values):
    """Round to integers whose sum is the rounded sum of ``values``.

    Entries with the largest rounding residual go up (or the smallest go
    down) by one until the sum matches; ties fall as numpy's default argsort
    orders them, as in cleanlab.
    """
    rounded = np.round(values)
    target = np.round(values.sum())
    current = np.round(rounded.sum())
    while abs(current - target) > 1e-6:
        step = -1 if target < current else 1
        count = min(int(abs(np.round(target - current))), len(values))
        order = np.argsort(values - rounded)
        if step == 1:
            order = order[::-1]
        rounded[order[:count]] += step
        current = np.round(rounded.sum())
    return rounded.astype(np.int64)


def estimate_transition_matrix(y, pred_probs, *, sample_weight=None):
    """Noise transition matrix and true-class prior from out-of-sample probabilities.

    From the calibrated :func:`confident_joint` ``C``:
    ``T[t, g] = C[g, t] / sum_g C[g, t]`` is the probability that a sample of
    true class t carries label g, and the prior of true class t is its
    label frequency times ``sum_g C[g, t] / sum_t C[t, g]`` (cleanlab's
    ``"cnt"`` estimate, clipped at 1e-6 and normalised). Off-diagonal rates
    are capped at 0.9999 and rows renormalised, as in cleanlab's
    ``estimate_latent``; ``T`` is the transpose of cleanlab's noise matrix.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given labels, as class indices ``0..K-1``.
    pred_probs : array-like of shape (n_samples, K)
        Out-of-sample predicted probabilities.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights instead of unit counts.

    Returns
    -------
    transition : ndarray of shape (K, K)
        ``transition[t, g] = P(label g | true class t)``; rows sum to 1.
    prior : ndarray of shape (K,)
        Estimated ``P(true class t)``.

    See Also
    --------
    skrobust.noise.flip_labels : Draw labels from a transition matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import estimate_transition_matrix
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> pred_probs = np.array(
    ...     [[.9, .1], [.8, .2], [.2, .8], [.1, .9], [.3, .7], [.8, .2]])
    >>> transition, prior = estimate_transition_matrix(y, pred_probs)
    >>> transition
    array([[0.66666667, 0.33333333],
           [0.33333333, 0.66666667]])
    """
    y, pred_probs = check_labels_and_proba(y, pred_probs)
    weighted = sample_weight is not None
    weights = np.ones(len(y)) if not weighted else np.asarray(sample_weight, float)
    joint, _ = _joint(y, pred_probs, weights, True, weighted)
    return transition_and_prior(joint, np.bincount(y, weights, len(joint)))


def transition_and_prior(joint, label_mass):
    """``(T, prior)`` from a calibrated confident joint (rows: given labels)."""
    joint = joint.astype(float)
    true_mass = np.maximum(joint.sum(axis=0), 1e-100)
    label_total = np.maximum(joint.sum(axis=1), 1e-100)
    noisy_prior = label_mass / label_mass.sum()
    prior = true_mass / label_total * noisy_prior
    prior = np.clip(prior, 1e-6, 1.0)
    prior = prior / max(prior.sum(), 1e-100)
    transition = joint / true_mass  # column t: P(label | true t)
    diagonal = transition.diagonal().copy()
    transition = np.clip(transition, 0.0, 0.9999)
    np.fill_diagonal(transition, diagonal)
    transition /= np.maximum(transition.sum(axis=0), 1e-100)
    return transition.T, prior
