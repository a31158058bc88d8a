"""The folds and fold models of every cross-fitting in the package."""

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples


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


def fit_folds(estimator, X, y, folds, *, fit_params=None, n_jobs=None):
    """A clone of ``estimator`` fitted on the training rows of each fold.

    Parameters
    ----------
    estimator : estimator
        Cloned, never fitted in place.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    folds : list of (train, test) index arrays
    fit_params : dict, default=None
        Passed to every ``fit``; a value with one entry per sample is
        indexed with the fold's training rows.
    n_jobs : int, default=None
        Folds fitted in parallel by joblib (None: one at a time).

    Returns
    -------
    models : list of estimators
        One fitted clone per fold, in the order of ``folds``.
    """
    params = fit_params or {}
    n_samples = len(y)
    return Parallel(n_jobs=n_jobs)(
        delayed(_fit_one)(
            clone(estimator),
            _safe_indexing(X, train),
            y[train],
            subset_fit_params(params, train, n_samples),
        )
        for train, _ in folds
    )


def _fit_one(estimator, X, y, params):
    return estimator.fit(X, y, **params)


def subset_fit_params(params, indices, n_samples):
    """Index the per-sample fit parameters (those of length ``n_samples``)."""
    return {
        key: _safe_indexing(value, indices)
        if hasattr(value, "__len__") and _num_samples(value) == n_samples
        else value
        for key, value in params.items()
    }
