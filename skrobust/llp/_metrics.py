"""Bag-level losses: model selection without instance labels."""

import numpy as np
from sklearn.metrics import make_scorer

from ._bags import check_bags

_EPS = 1e-12


def _bag_means(y, proba_positive, bags):
    proportions, index, sizes = check_bags(y, bags)
    proba_positive = np.asarray(proba_positive, dtype=float)
    if proba_positive.ndim == 2:
        proba_positive = proba_positive[:, -1]
    if proba_positive.shape != (index.shape[0],):
        raise ValueError(
            f"predictions must have one value per row ({index.shape[0]}), got "
            f"shape {proba_positive.shape}."
        )
    predicted = np.bincount(index, weights=proba_positive) / sizes
    return proportions, predicted, sizes


def bag_log_loss(y, proba, *, bags):
    """Cross-entropy between each bag's proportion and its mean predicted
    probability, averaged over rows (a bag counts by its size).

    Lower is better; it needs no instance label, so it selects models in
    learning from label proportions (DLLP trains on it).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Each row's bag proportion.
    proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the positive class (the last column).
    bags : array-like of shape (n_samples,)
        Bag id of each row.

    Returns
    -------
    loss : float

    Examples
    --------
    >>> from skrobust.llp import bag_log_loss
    >>> bags = [0, 0, 1, 1]
    >>> y = [0.5, 0.5, 1.0, 1.0]
    >>> round(bag_log_loss(y, [0.2, 0.8, 0.9, 1.0], bags=bags), 4)
    0.3722
    """
    proportions, predicted, sizes = _bag_means(y, proba, bags)
    predicted = np.clip(predicted, _EPS, 1 - _EPS)
    losses = -(
        proportions * np.log(predicted) + (1 - proportions) * np.log(1 - predicted)
    )
    return float(np.sum(sizes * losses) / np.sum(sizes))


def bag_absolute_error(y, proba, *, bags):
    """Mean absolute gap between bag proportions and mean predicted
    probabilities, averaged over rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Each row's bag proportion.
    proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the positive class (the last column).
    bags : array-like of shape (n_samples,)
        Bag id of each row.

    Returns
    -------
    error : float

    Examples
    --------
    >>> from skrobust.llp import bag_absolute_error
    >>> y, proba = [0.5, 0.5, 1.0, 1.0], [0.2, 0.6, 0.9, 0.9]
    >>> round(bag_absolute_error(y, proba, bags=[0, 0, 1, 1]), 4)
    0.1
    """
    proportions, predicted, sizes = _bag_means(y, proba, bags)
    return float(np.sum(sizes * np.abs(proportions - predicted)) / np.sum(sizes))


def make_bag_scorer(metric="log_loss"):
    """A scorer for ``GridSearchCV`` / ``cross_val_score`` that asks for ``bags``.

    Parameters
    ----------
    metric : {"log_loss", "absolute_error"}, default="log_loss"
        :func:`bag_log_loss` or :func:`bag_absolute_error` (negated: greater
        is better, as scikit-learn's scorers).

    Returns
    -------
    scorer : callable
        Requests ``bags`` through metadata routing
        (``sklearn.set_config(enable_metadata_routing=True)``).

    Examples
    --------
    >>> import sklearn
    >>> from skrobust.llp import make_bag_scorer
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scorer = make_bag_scorer()
    >>> scorer
    make_scorer(bag_log_loss, greater_is_better=False, response_method='predict_proba')
    """
    functions = {"log_loss": bag_log_loss, "absolute_error": bag_absolute_error}
    if metric not in functions:
        raise ValueError(f"metric must be one of {sorted(functions)}, got {metric!r}.")
    scorer = make_scorer(
        functions[metric], greater_is_better=False, response_method="predict_proba"
    )
    return scorer.set_score_request(bags=True)
