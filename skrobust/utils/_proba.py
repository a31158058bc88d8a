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
