"""Corrupt labels reproducibly: symmetric, pair-flip, any transition matrix, or
instance-dependent noise concentrated near a decision boundary."""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d

# how far from 1 a row of a given transition matrix may sum (float rounding)
ROW_SUM_TOLERANCE = 1e-8


def _check_rate(rate):
    if not isinstance(rate, numbers.Real) or isinstance(rate, bool):
        raise TypeError(f"rate must be a real number, got {rate!r}.")
    if not 0 <= rate < 1:  # also rejects NaN
        raise ValueError(f"rate must lie in [0, 1), got {rate!r}.")
    return float(rate)


def _check_n_classes(n_classes):
    if not isinstance(n_classes, numbers.Integral) or isinstance(n_classes, bool):
        raise TypeError(f"n_classes must be an integer, got {n_classes!r}.")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes!r}.")
    return int(n_classes)


def _check_labels(y, classes):
    """Return ``(y, classes, index)`` with ``classes[index] == y``."""
    y = column_or_1d(y, warn=True)
    if y.shape[0] == 0:
        raise ValueError("y must not be empty, got 0 samples.")
    if classes is None:
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y must hold at least 2 classes, got {classes}.")
    else:
        classes = column_or_1d(classes)
        if len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 classes, got {classes}.")
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"classes must not repeat a class, got {classes}.")
    order = np.argsort(classes, kind="stable")
    position = np.minimum(np.searchsorted(classes[order], y), len(classes) - 1)
    known = classes[order][position] == y
    if not np.all(known):
        raise ValueError(
            f"y holds labels that are not in classes: {np.unique(y[~known])[:5]}."
        )
    return y, classes, order[position]


def _check_transition_matrix(transition_matrix, n_classes, name="transition_matrix"):
    """The one check of a transition matrix in the package: shape, finite
    non-negative entries, rows summing to 1 within ``ROW_SUM_TOLERANCE``."""
    T = np.asarray(transition_matrix, dtype=float)
    if T.shape != (n_classes, n_classes):
        raise ValueError(
            f"{name} must have shape ({n_classes}, {n_classes}), one row "
            f"and column per class, got {T.shape}."
        )
    if not np.all(np.isfinite(T)):
        raise ValueError(f"{name} contains NaN or infinity: {T.tolist()}.")
    if np.any(T < 0):
        raise ValueError(f"{name} must be non-negative, got {T.tolist()}.")
    row_sums = T.sum(axis=1)
    if np.any(np.abs(row_sums - 1.0) > ROW_SUM_TOLERANCE):
        raise ValueError(
            f"{name} rows must sum to 1, got row sums {row_sums.tolist()}."
        )
    return T


def _noisy_dtype(y, classes):
    # a wider string dtype keeps class names longer than every label in y
    return np.promote_types(y.dtype, classes.dtype) if y.dtype.kind == "U" else y.dtype


def _flip(y, classes, index, T, random_state):
    """Draw ``noisy = j`` with probability ``T[index, j]``, by inverse CDF."""
    cumulative = np.cumsum(T, axis=1)
    # dividing by the last column makes it exactly 1, so a uniform draw in
    # [0, 1) always lands in a column of positive probability
    cumulative /= cumulative[:, -1:]
    draw = check_random_state(random_state).random_sample(len(y))
    noisy_index = (draw[:, None] >= cumulative[index]).sum(axis=1)
    y_noisy = classes[noisy_index].astype(_noisy_dtype(y, classes), copy=False)
    return y_noisy, y_noisy != y


def symmetric_transition_matrix(n_classes, rate):
    """Transition matrix of symmetric noise: keep with 1 - rate, else move uniformly.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 2.
    rate : float in [0, 1)
        Probability that a label is replaced by another class.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``: ``1 - rate`` on the diagonal and
        ``rate / (n_classes - 1)`` elsewhere.

    See Also
    --------
    symmetric_noise : Draw labels with this matrix.
    pair_transition_matrix : Every class moves to the next one.

    Examples
    --------
    >>> from skrobust.noise import symmetric_transition_matrix
    >>> symmetric_transition_matrix(3, 0.3)
    array([[0.7 , 0.15, 0.15],
           [0.15, 0.7 , 0.15],
           [0.15, 0.15, 0.7 ]])
    """
    n_classes = _check_n_classes(n_classes)
    rate = _check_rate(rate)
    T = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(T, 1.0 - rate)
    return T


def pair_transition_matrix(n_classes, rate):
    """Transition matrix of pair-flip noise: class k moves to k + 1 (mod K).

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 2.
    rate : float in [0, 1)
        Probability that a label moves to the next class.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``: ``1 - rate`` on the diagonal and
        ``rate`` at ``(k, (k + 1) % n_classes)``. With two classes both swap.

    See Also
    --------
    pair_noise : Draw labels with this matrix.
    symmetric_transition_matrix : Labels move uniformly to the other classes.

    Examples
    --------
    >>> from skrobust.noise import pair_transition_matrix
    >>> pair_transition_matrix(3, 0.2)
    array([[0.8, 0.2, 0. ],
           [0. , 0.8, 0.2],
           [0.2, 0. , 0.8]])
    """
    n_classes = _check_n_classes(n_classes)
    rate = _check_rate(rate)
    k = np.arange(n_classes)
    T = (1.0 - rate) * np.eye(n_classes)
    T[k, (k + 1) % n_classes] += rate
    return T


def flip_labels(y, transition_matrix, *, classes=None, random_state=None):
    """Replace each label of class i by class j with probability ``T[i, j]``.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels, of any type (numbers, strings); a pandas Series works.
    transition_matrix : array-like of shape (n_classes, n_classes)
        Row-stochastic matrix ``T[i, j] = P(noisy = j | true = i)``, with rows
        and columns in the order of ``classes``.
    classes : array-like of shape (n_classes,), default=None
        The classes in matrix order, which may include classes absent from
        ``y``; the sorted unique labels of ``y`` if None.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; the same seed gives the same labels.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels, of the dtype of ``y`` (a string dtype is widened
        to fit longer names in ``classes``). ``y`` itself is left unchanged.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    See Also
    --------
    symmetric_noise : Flip to a uniformly drawn other class.
    pair_noise : Flip class k to class k + 1.
    instance_noise : Flip more often near a decision boundary.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import flip_labels
    >>> y = np.array(["cat"] * 4 + ["dog"] * 4)
    >>> T = [[1.0, 0.0], [0.5, 0.5]]  # cats stay, dogs become cats half the time
    >>> y_noisy, flipped = flip_labels(y, T, random_state=0)
    >>> print(y_noisy)
    ['cat' 'cat' 'cat' 'cat' 'cat' 'dog' 'cat' 'dog']
    >>> print(flipped)
    [False False False False  True False  True False]
    """
    y, classes, index = _check_labels(y, classes)
    T = _check_transition_matrix(transition_matrix, len(classes))
    return _flip(y, classes, index, T, random_state)


def symmetric_noise(y, rate, *, classes=None, random_state=None):
    """Flip each label with probability ``rate`` to a uniformly drawn other class.

    The flip rate is exactly ``rate``, and a flipped label never stays in its
    class. This differs from "resample the label uniformly among all K
    classes" with probability ``rate``, whose effective flip rate is
    ``rate * (K - 1) / K``.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels, of any type; a pandas Series works.
    rate : float in [0, 1)
        Probability that a label is flipped.
    classes : array-like of shape (n_classes,), default=None
        All classes, to also flip into classes absent from ``y``; the unique
        labels of ``y`` if None.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; the same seed gives the same labels.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels, of the dtype of ``y``.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    See Also
    --------
    symmetric_transition_matrix : The matrix this noise draws from.
    flip_labels : Noise from any transition matrix.
    pair_noise : Flip class k to class k + 1 instead.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import symmetric_noise
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> y_noisy, flipped = symmetric_noise(y, 0.2, random_state=0)
    >>> round(float(flipped.mean()), 2)
    0.2
    >>> bool(np.all(y_noisy[flipped] != y[flipped]))
    True
    """
    rate = _check_rate(rate)
    y, classes, index = _check_labels(y, classes)
    T = symmetric_transition_matrix(len(classes), rate)
    return _flip(y, classes, index, T, random_state)


def pair_noise(y, rate, *, classes=None, random_state=None):
    """Move each label of class k to class k + 1 (mod K) with probability ``rate``.

    Classes are paired in sorted order, or in the order of ``classes``; with
    two classes this swaps them, the same as symmetric noise.

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels, of any type; a pandas Series works.
    rate : float in [0, 1)
        Probability that a label moves to the next class.
    classes : array-like of shape (n_classes,), default=None
        All classes in pairing order; the sorted unique labels of ``y`` if None.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; the same seed gives the same labels.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels, of the dtype of ``y``.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    See Also
    --------
    pair_transition_matrix : The matrix this noise draws from.
    flip_labels : Noise from any transition matrix.
    symmetric_noise : Flip to a uniformly drawn other class instead.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import pair_noise
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> y_noisy, flipped = pair_noise(y, 0.2, random_state=0)
    >>> round(float(flipped.mean()), 2)
    0.2
    >>> bool(np.all(y_noisy[flipped] == (y[flipped] + 1) % 3))
    True
    """
    rate = _check_rate(rate)
    y, classes, index = _check_labels(y, classes)
    T = pair_transition_matrix(len(classes), rate)
    return _flip(y, classes, index, T, random_state)


def instance_noise(X, y, rate, *, estimator=None, random_state=None):
    """Flip labels more often near the decision boundary of a reference model.

    A clone of ``estimator`` is fitted on ``(X, y)``. Sample i, whose label the
    reference model predicts with probability ``p_i``, is flipped with
    probability ``min(1, s * (1 - p_i))``; the scale ``s`` is found by
    bisection so that the mean flip probability over the samples equals
    ``rate``. A flipped label goes to the reference model's most probable
    *other* class, the mistake an annotator is likely to make on an ambiguous
    sample.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Features the reference model sees.
    y : array-like of shape (n_samples,)
        True labels, of any type; a pandas Series works.
    rate : float in [0, 1)
        Mean flip probability.
    estimator : classifier with predict_proba, default=None
        Reference model; ``LogisticRegression()`` if None. It is cloned, so the
        object passed is never fitted or changed.
    random_state : int, RandomState instance or None, default=None
        Seed of the flip draws; the same seed gives the same labels if the
        reference model is deterministic.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels, of the dtype of ``y``.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    Raises
    ------
    ValueError
        If ``rate`` is unreachable: larger than the share of samples whose
        label the reference model doubts at all (``p_i < 1``).

    See Also
    --------
    symmetric_noise : Noise that ignores the features.
    flip_labels : Class-conditional noise from any transition matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrobust.noise import instance_noise
    >>> X, y = make_classification(n_samples=2000, random_state=0)
    >>> y_noisy, flipped = instance_noise(X, y, 0.2, random_state=0)
    >>> round(float(flipped.mean()), 2)
    0.2
    >>> margin = np.abs(LogisticRegression().fit(X, y).decision_function(X))
    >>> bool(margin[flipped].mean() < margin[~flipped].mean())
    True
    """
    rate = _check_rate(rate)
    y, _, _ = _check_labels(y, None)
    n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
    if n_samples != y.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples, got {n_samples} "
            f"and {y.shape[0]}."
        )
    estimator = LogisticRegression() if estimator is None else estimator
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(f"estimator must have predict_proba, got {estimator!r}.")

    model = clone(estimator).fit(X, y)
    proba = model.predict_proba(X)
    rows = np.arange(len(y))
    own = np.searchsorted(model.classes_, y)
    doubt = 1.0 - proba[rows, own]
    scale = _scale_to_mean(doubt, rate)
    draw = check_random_state(random_state).random_sample(len(y))
    flip = draw < np.minimum(scale * doubt, 1.0)
    proba[rows, own] = -np.inf
    y_noisy = y.copy()
    y_noisy[flip] = model.classes_[proba[flip].argmax(axis=1)]
    return y_noisy, y_noisy != y


def _scale_to_mean(doubt, rate, n_iter=100):
    """The ``s`` with ``mean(min(1, s * doubt)) == rate``, by bisection."""
    if rate == 0:
        return 0.0
    doubted = doubt > 0
    if rate > doubted.mean():
        raise ValueError(
            f"rate={rate!r} is unreachable: the reference model is certain of "
            f"{1 - doubted.mean():.1%} of the labels, so at most "
            f"{doubted.mean():.1%} of them can flip."
        )
    # at high every doubted sample flips for sure, so the mean is >= rate
    low, high = 0.0, 1.0 / doubt[doubted].min()
    for _ in range(n_iter):
        mid = 0.5 * (low + high)
        if np.mean(np.minimum(mid * doubt, 1.0)) < rate:
            low = mid
        else:
            high = mid
    return high
