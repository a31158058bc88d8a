"""Out-of-sample class probabilities of any classifier, by cross-fitting."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets

from ..utils._folds import fit_folds, stratified_folds
from ..utils._proba import class_probabilities
from ..utils._validation import check_option


def cross_val_proba(
    estimator,
    X,
    y,
    *,
    cv=5,
    method="auto",
    sample_weight=None,
    n_jobs=None,
    random_state=None,
):
    """Class probabilities of every sample from a model that did not see it.

    Splits the samples into stratified, shuffled folds, fits a clone of
    ``estimator`` on all folds but one and scores the held-out fold, in
    parallel over folds (joblib). Confident learning needs such
    out-of-sample probabilities: in-sample ones overfit the noisy labels.

    Read more in the :ref:`User Guide <label_issues>`.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier; it is cloned, never fitted in place.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Labels, possibly noisy.
    cv : int or cross-validation splitter, default=5
        Number of stratified folds (shuffled with ``random_state``), or a
        splitter.
    method : {"auto", "predict_proba", "decision_function"}, default="auto"
        How the held-out fold is scored. "decision_function" turns the
        scores into probabilities (a softmax; for two classes the logistic
        function of the score, as ``LogisticRegression``'s):
        they keep the ranking, not a calibration. "auto" takes
        ``predict_proba`` when the estimator has it.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to the estimator's ``fit``.
    n_jobs : int, default=None
        Folds fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds when ``cv`` is an int.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Out-of-sample probabilities, columns in the order of ``np.unique(y)``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrobust.cleaning import cross_val_proba
    >>> X, y = load_iris(return_X_y=True)
    >>> proba = cross_val_proba(LogisticRegression(), X, y, random_state=0)
    >>> proba.shape
    (150, 3)
    """
    if not is_classifier(estimator):
        raise TypeError(f"estimator must be a classifier, got {estimator!r}.")
    check_option(method, "method", {"auto", "predict_proba", "decision_function"})
    y = np.asarray(y)
    check_classification_targets(y)
    n_classes = len(np.unique(y))
    if n_classes < 2:
        raise ValueError("cross_val_proba needs labels of at least 2 classes.")
    if method == "auto":
        method = (
            "predict_proba"
            if hasattr(estimator, "predict_proba")
            else ("decision_function")
        )
    folds = list(stratified_folds(cv, y, random_state).split(X, y))
    tested = np.concatenate([test for _, test in folds])
    if np.sort(tested).tolist() != list(range(len(y))):
        raise ValueError("cv must put every sample in exactly one test fold.")
    params = None if sample_weight is None else {"sample_weight": sample_weight}
    models = fit_folds(estimator, X, y, folds, fit_params=params, n_jobs=n_jobs)
    classes = np.unique(y)
    proba = np.empty((len(y), len(classes)))
    for (_, test), model in zip(folds, models, strict=True):
        proba[test] = class_probabilities(
            model, _safe_indexing(X, test), classes, method
        )
    return proba
