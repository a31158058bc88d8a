"""How good prediction sets are: coverage, size, and coverage by size and class."""

import numpy as np


def _check_sets(y_true, sets, classes):
    sets = np.asarray(sets)
    if sets.ndim != 2 or sets.dtype != bool:
        raise ValueError(
            f"sets must be a boolean array of shape (n_samples, n_classes), got "
            f"dtype {sets.dtype} and shape {sets.shape}."
        )
    y_true = np.asarray(y_true)
    if y_true.ndim != 1 or y_true.shape[0] != sets.shape[0]:
        raise ValueError(
            f"y_true must have shape ({sets.shape[0]},) to match sets, got "
            f"{y_true.shape}."
        )
    classes = np.arange(sets.shape[1]) if classes is None else np.asarray(classes)
    if classes.shape != (sets.shape[1],):
        raise ValueError(
            f"classes must hold one label per column of sets ({sets.shape[1]}), "
            f"got shape {classes.shape}."
        )
    order = np.argsort(classes, kind="mergesort")
    index = np.searchsorted(classes, y_true, sorter=order)
    index = order[np.minimum(index, classes.shape[0] - 1)]
    unknown = classes[index] != y_true
    if np.any(unknown):
        raise ValueError(
            f"y_true holds labels not in classes: {np.unique(y_true[unknown])[:5]}."
        )
    return sets, sets[np.arange(sets.shape[0]), index], classes, y_true


def coverage_score(y_true, sets, *, classes=None):
    """Share of samples whose prediction set contains the true label.

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    sets : ndarray of bool, shape (n_samples, n_classes)
        Prediction sets, e.g. from :meth:`ConformalClassifier.predict_set`.
    classes : array-like of shape (n_classes,), default=None
        The label of each column; ``0..n_classes-1`` if None.

    Returns
    -------
    coverage : float
        Share of rows whose set holds the true label.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.conformal import coverage_score
    >>> sets = np.array([[True, False], [True, True], [False, True]])
    >>> coverage_score([0, 0, 0], sets)
    0.6666666666666666
    """
    return float(_check_sets(y_true, sets, classes)[1].mean())


def mean_set_size(sets):
    """Average number of classes per prediction set.

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    sets : ndarray of bool, shape (n_samples, n_classes)
        Prediction sets, e.g. from :meth:`ConformalClassifier.predict_set`.

    Returns
    -------
    size : float
        Mean number of classes per set.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.conformal import mean_set_size
    >>> mean_set_size(np.array([[True, False], [True, True]]))
    1.5
    """
    sets = np.asarray(sets)
    if sets.ndim != 2:
        raise ValueError(
            f"sets must have shape (n_samples, n_classes), got {sets.shape}."
        )
    return float(sets.sum(axis=1).mean())


def size_stratified_coverage(y_true, sets, *, classes=None):
    """Coverage among the samples of each set size.

    Marginal coverage can hide sets that are too small: good coverage of
    large sets may make up for poor coverage of singletons. Each size should
    be covered at about ``1 - alpha``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    sets : ndarray of bool, shape (n_samples, n_classes)
        Prediction sets, e.g. from :meth:`ConformalClassifier.predict_set`.
    classes : array-like of shape (n_classes,), default=None
        The label of each column; ``0..n_classes-1`` if None.

    Returns
    -------
    sizes : ndarray of int
        The set sizes that occur.
    coverage : ndarray of float
        Coverage among the sets of each size.
    counts : ndarray of int
        How many sets have each size.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.conformal import size_stratified_coverage
    >>> sets = np.array([[True, False], [True, True], [False, True]])
    >>> size_stratified_coverage([0, 0, 0], sets)
    (array([1, 2]), array([0.5, 1. ]), array([2, 1]))
    """
    sets, covered, _, _ = _check_sets(y_true, sets, classes)
    size = sets.sum(axis=1)
    sizes, inverse, counts = np.unique(size, return_inverse=True, return_counts=True)
    coverage = np.bincount(inverse, weights=covered, minlength=sizes.shape[0]) / counts
    return sizes, coverage, counts


def class_conditional_coverage(y_true, sets, *, classes=None):
    """Coverage among the samples of each true class.

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    sets : ndarray of bool, shape (n_samples, n_classes)
        Prediction sets, e.g. from :meth:`ConformalClassifier.predict_set`.
    classes : array-like of shape (n_classes,), default=None
        The label of each column; ``0..n_classes-1`` if None.

    Returns
    -------
    coverage : ndarray of shape (n_classes,)
        Coverage per class, NaN for a class without samples.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.conformal import class_conditional_coverage
    >>> sets = np.array([[True, False], [True, True], [False, True]])
    >>> class_conditional_coverage([0, 1, 0], sets)
    array([0.5, 1. ])
    """
    sets, covered, classes, y_true = _check_sets(y_true, sets, classes)
    out = np.full(classes.shape[0], np.nan)
    for j, label in enumerate(classes):
        members = y_true == label
        if members.any():
            out[j] = covered[members].mean()
    return out
