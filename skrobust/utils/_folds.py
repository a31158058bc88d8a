"""The folds of every cross-fitting in the package."""

import numbers

import numpy as np
from sklearn.model_selection import StratifiedKFold, check_cv


def stratified_folds(cv, y, random_state, *, cap_by_class=False):
    """The splitter for ``cv``: an integer gives shuffled stratified folds
    seeded by ``random_state`` (fewer, with ``cap_by_class``, when a class
    has fewer samples); anything else goes through
    :func:`sklearn.model_selection.check_cv`.

    Parameters
    ----------
    cv : int, cross-validation generator or iterable
        As the estimators' ``cv`` parameter.
    y : array-like of shape (n_samples,)
        Class labels (the stratification).
    random_state : int, RandomState instance or None
        Seeds the shuffle of an integer ``cv``.
    cap_by_class : bool, default=False
        Use at most as many folds as the smallest class has samples.

    Returns
    -------
    splitter : cross-validator
    """
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        n_splits = int(cv)
        if cap_by_class:
            _, counts = np.unique(y, return_counts=True)
            n_splits = min(n_splits, int(counts.min()))
        return StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return check_cv(cv, y, classifier=True)
