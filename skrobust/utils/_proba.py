"""Class probabilities from decision scores: one formula for the package."""

import numpy as np
from scipy.special import expit
from sklearn.utils.extmath import softmax


def scores_to_proba(scores):
    """Probabilities of the classes from decision scores.

    One column of scores (a binary ``decision_function``) is taken as the
    log-odds of the second class: ``(1 - sigmoid(s), sigmoid(s))``, which
    is ``LogisticRegression``'s ``predict_proba`` from its
    ``decision_function``. Several columns go through a softmax, which is
    the multinomial ``LogisticRegression``'s. For other models the result
    keeps the ranking of the scores, not a calibration.

    Parameters
    ----------
    scores : array-like of shape (n_samples,) or (n_samples, n_classes)
        Decision scores.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Rows sum to 1; two columns for one-dimensional scores.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        positive = expit(scores)
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, copy=True)


def class_probabilities(model, X, classes, method="auto"):
    """Probabilities of ``classes`` (in that order) from a fitted classifier.

    ``method`` "predict_proba" or "decision_function" (through
    :func:`scores_to_proba`); "auto" takes ``predict_proba`` when the model
    has it. A class the model never saw gets probability 0.
    """
    if method == "auto":
        method = (
            "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
        )
    if method == "predict_proba":
        proba = np.asarray(model.predict_proba(X), dtype=float)
    else:
        proba = scores_to_proba(model.decision_function(X))
    model_classes = np.asarray(model.classes_)
    if model_classes.shape[0] == classes.shape[0] and np.all(model_classes == classes):
        return np.ascontiguousarray(proba)
    out = np.zeros((proba.shape[0], classes.shape[0]))
    out[:, np.searchsorted(classes, model_classes)] = proba
    return out
