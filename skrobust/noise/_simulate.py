"""Corrupt labels reproducibly: symmetric, pair-flip, any transition matrix,
or instance-dependent noise concentrated near a decision boundary."""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, column_or_1d


def _check_rate(rate, upper=1.0):
    if not isinstance(rate, numbers.Real) or isinstance(rate, bool):
        raise TypeError(f"rate must be a real number, got {rate!r}.")
    if not 0 <= rate < upper:
        raise ValueError(f"rate must lie in [0, {upper:g}), got {rate!r}.")
    return float(rate)


def _check_labels(y, classes):
    y = column_or_1d(np.asarray(y), warn=True)
    if y.shape[0] == 0:
        raise ValueError("y is empty.")
    classes = np.unique(y) if classes is None else np.asarray(classes)
    if len(classes) < 2:
        raise ValueError(f"noise needs at least 2 classes, got {len(classes)}.")
    unknown = np.setdiff1d(y, classes)
    if unknown.size:
        raise ValueError(f"y holds labels that are not in classes: {unknown[:5]}.")
    return y, classes


def symmetric_transition_matrix(n_classes, rate):
    """Transition matrix of symmetric noise: keep w.p. 1 - rate, else move uniformly.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 2.
    rate : float in [0, 1)
        Probability that a label is replaced by another class.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``.

    Examples
    --------
    >>> from skrobust.noise import symmetric_transition_matrix
    >>> symmetric_transition_matrix(3, 0.3)
    array([[0.7 , 0.15, 0.15],
           [0.15, 0.7 , 0.15],
           [0.15, 0.15, 0.7 ]])
    """
    rate = _check_rate(rate)
    T = np.full((n_classes, n_classes), rate / (n_classes - 1))
    np.fill_diagonal(T, 1.0 - rate)
    return T


def pair_transition_matrix(n_classes, rate):
    """Transition matrix of pair-flip noise: class k moves to k + 1 (mod K).

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 2.
    rate : float in [0, 1)
        Probability that a label moves to the next class.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``.

    Examples
    --------
    >>> from skrobust.noise import pair_transition_matrix
    >>> pair_transition_matrix(3, 0.2)
    array([[0.8, 0.2, 0. ],
           [0. , 0.8, 0.2],
           [0.2, 0. , 0.8]])
    """
    rate = _check_rate(rate)
    T = (1.0 - rate) * np.eye(n_classes)
    T[np.arange(n_classes), (np.arange(n_classes) + 1) % n_classes] += rate
    return T


def flip_labels(y, transition_matrix, *, classes=None, random_state=None):
    """Replace each label of class i by class j with probability ``T[i, j]``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels, of any type (numbers, strings).
    transition_matrix : array-like of shape (n_classes, n_classes)
        Row-stochastic matrix ``T[i, j] = P(noisy = j | true = i)``, in the
        order of ``classes``.
    classes : array-like of shape (n_classes,), default=None
        The classes in matrix order; the sorted unique labels of ``y`` if None.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels, of the dtype of ``y``.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    See Also
    --------
    symmetric_noise, pair_noise, instance_noise

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import flip_labels
    >>> y = np.array(["cat"] * 5 + ["dog"] * 5)
    >>> y_noisy, flipped = flip_labels(y, [[1.0, 0.0], [0.4, 0.6]], random_state=0)
    >>> bool(flipped[:5].any()), int(flipped.sum()) <= 5
    (False, True)
    """
    y, classes = _check_labels(y, classes)
    T = check_array(transition_matrix, ensure_2d=True, dtype=float)
    if T.shape != (len(classes), len(classes)):
        raise ValueError(
            f"transition_matrix must have shape ({len(classes)}, {len(classes)}) "
            f"for the classes {classes[:5]}, got {T.shape}."
        )
    if np.any(T < 0) or not np.allclose(T.sum(axis=1), 1.0, atol=1e-8):
        raise ValueError(
            "transition_matrix must be non-negative with rows that sum to 1."
        )
    rng = check_random_state(random_state)
    true_index = (
        np.searchsorted(classes, y) if _is_sorted(classes) else _index_of(classes, y)
    )
    cumulative = np.cumsum(T, axis=1)
    cumulative[:, -1] = 1.0  # guard against rounding in the last bin
    draw = rng.random_sample(len(y))
    noisy_index = (draw[:, None] >= cumulative[true_index]).sum(axis=1)
    y_noisy = classes[noisy_index].astype(y.dtype, copy=False)
    return y_noisy, y_noisy != y


def _is_sorted(values):
    try:
        return bool(np.all(values[:-1] < values[1:]))
    except TypeError:
        return False


def _index_of(classes, y):
    lookup = {label: k for k, label in enumerate(classes.tolist())}
    return np.array([lookup[label] for label in y.tolist()], dtype=int)


def symmetric_noise(y, rate, *, classes=None, random_state=None):
    """Flip each label with probability ``rate`` to a uniformly drawn other class.

    The flip rate is exactly ``rate``; this differs from "resample the label
    uniformly among all K classes", whose effective flip rate is
    ``rate * (K - 1) / K``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels.
    rate : float in [0, 1)
        Probability that a label is flipped.
    classes : array-like, default=None
        All classes (to flip into classes absent from ``y``); the unique
        labels of ``y`` if None.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import symmetric_noise
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> y_noisy, flipped = symmetric_noise(y, 0.2, random_state=0)
    >>> round(float(flipped.mean()), 2)
    0.2
    """
    y, classes = _check_labels(y, classes)
    T = symmetric_transition_matrix(len(classes), rate)
    return flip_labels(y, T, classes=classes, random_state=random_state)


def pair_noise(y, rate, *, classes=None, random_state=None):
    """Move each label of class k to class k + 1 (mod K) with probability ``rate``.

    The classes are taken in sorted order (or the order of ``classes``); with
    two classes this swaps them, like symmetric noise.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        True labels.
    rate : float in [0, 1)
        Probability that a label moves to the next class.
    classes : array-like, default=None
        All classes in pairing order; the sorted unique labels of ``y`` if None.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import pair_noise
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> y_noisy, flipped = pair_noise(y, 0.3, random_state=0)
    >>> bool(np.all((y_noisy[flipped] - y[flipped]) % 3 == 1))
    True
    """
    y, classes = _check_labels(y, classes)
    T = pair_transition_matrix(len(classes), rate)
    return flip_labels(y, T, classes=classes, random_state=random_state)


def instance_noise(X, y, rate, *, estimator=None, random_state=None):
    """Flip labels more often near the decision boundary of a reference model.

    A clone of ``estimator`` is fitted on ``(X, y)``; sample i with predicted
    probability ``p_i`` of its label is flipped with probability
    ``min(1, s * (1 - p_i))``, the scale ``s`` found by bisection so that the
    mean flip probability equals ``rate``. A flipped label goes to the
    reference model's most probable other class: the mistakes a tired
    annotator makes on ambiguous samples.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features the reference model sees.
    y : array-like of shape (n_samples,)
        True labels.
    rate : float in [0, 1)
        Mean flip probability.
    estimator : classifier with predict_proba, default=None
        Reference model; ``LogisticRegression()`` if None. It is cloned, never
        changed.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        The corrupted labels.
    flipped : ndarray of shape (n_samples,), dtype=bool
        Where ``y_noisy != y``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.noise import instance_noise
    >>> X, y = make_classification(n_samples=2000, random_state=0)
    >>> y_noisy, flipped = instance_noise(X, y, 0.2, random_state=0)
    >>> round(float(flipped.mean()), 1)
    0.2
    """
    rate = _check_rate(rate)
    y, _ = _check_labels(y, None)
    X = check_array(X, accept_sparse="csr")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    model = clone(LogisticRegression() if estimator is None else estimator).fit(X, y)
    proba = model.predict_proba(X)
    own = np.searchsorted(model.classes_, y)
    doubt = 1.0 - proba[np.arange(len(y)), own]
    scale = _scale_to_mean(doubt, rate)
    rng = check_random_state(random_state)
    flip = rng.random_sample(len(y)) < np.minimum(scale * doubt, 1.0)
    proba[np.arange(len(y)), own] = -np.inf
    y_noisy = y.copy()
    y_noisy[flip] = model.classes_[proba[flip].argmax(axis=1)]
    return y_noisy, y_noisy != y


def _scale_to_mean(doubt, rate):
    """The ``s`` with ``mean(min(1, s * doubt)) == rate``, by bisection."""
    if rate == 0:
        return 0.0
    reachable = np.mean(doubt > 0)
    if rate > reachable:
        raise ValueError(
            f"rate={rate} is unreachable: the reference model is certain of "
            f"{1 - reachable:.1%} of the labels."
        )
    low, high = 0.0, 1.0
    while np.mean(np.minimum(high * doubt, 1.0)) < rate:
        high *= 2.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        if np.mean(np.minimum(mid * doubt, 1.0)) < rate:
            low = mid
        else:
            high = mid
    return high
