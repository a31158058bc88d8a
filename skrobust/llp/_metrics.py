"""Bag-level losses: model selection without instance labels."""

import numpy as np
from sklearn import config_context
from sklearn.metrics import make_scorer
from sklearn.utils.validation import column_or_1d

from ._bags import check_bags

_EPS = 1e-12


def _bag_means(y, proba_positive, bags):
    if bags is None:
        # rows that share a proportion form one bag: a union of bags of
        # equal proportion has that proportion
        bags = column_or_1d(y)
    proportions, index, sizes = check_bags(y, bags)
    proba_positive = np.asarray(proba_positive, dtype=float)
    if proba_positive.ndim == 2:
        proba_positive = proba_positive[:, -1]
    if proba_positive.shape != (index.shape[0],):
        raise ValueError(
            f"predictions must have one value per row ({index.shape[0]}), got "
            f"shape {proba_positive.shape}."
        )
    outside = ~((proba_positive >= 0.0) & (proba_positive <= 1.0))
    if outside.any():
        raise ValueError(
            f"predictions must be probabilities in [0, 1]; got {outside.sum()} "
            f"outside, such as {proba_positive[np.argmax(outside)]!r}."
        )
    predicted = np.bincount(index, weights=proba_positive) / sizes
    return proportions, predicted, sizes


def bag_log_loss(y, proba, *, bags=None):
    """Cross-entropy between each bag's proportion and its mean predicted
    probability, averaged over rows (a bag counts by its size).

    Lower is better; it needs no instance label, so it selects models in
    learning from label proportions (DLLP trains on it).

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Each row's bag proportion.
    proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the positive class (the last column).
    bags : array-like of shape (n_samples,), default=None
        Bag id of each row. None: the rows that share a proportion are
        pooled into one bag (exact, as the union of bags of equal proportion
        has that proportion; coarser than the bags themselves).

    Returns
    -------
    loss : float
        The mean over bags, weighted by bag size.

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


def bag_absolute_error(y, proba, *, bags=None):
    """Mean absolute gap between bag proportions and mean predicted
    probabilities, averaged over rows.

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Each row's bag proportion.
    proba : array-like of shape (n_samples,) or (n_samples, 2)
        Predicted probability of the positive class (the last column).
    bags : array-like of shape (n_samples,), default=None
        Bag id of each row. None: the rows that share a proportion are
        pooled into one bag.

    Returns
    -------
    error : float
        The mean over bags, weighted by bag size.

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
        Requests ``bags`` through metadata routing: with
        ``sklearn.set_config(enable_metadata_routing=True)`` and
        ``params={"bags": bags}``, each test fold is scored on its bags.
        Without routing (or without ``bags``), the rows of a test fold that
        share a proportion are pooled into one bag. It can be made at any
        time, routing enabled or not.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import GroupKFold, cross_val_score
    >>> from skrobust.llp import DLLPClassifier, make_bag_scorer, make_bags
    >>> X, y = make_classification(600, 5, random_state=0)
    >>> bags, proportions = make_bags(y, 16, random_state=0)
    >>> scores = cross_val_score(
    ...     DLLPClassifier(), X, proportions, groups=bags, cv=GroupKFold(3),
    ...     scoring=make_bag_scorer(), params={"bags": bags},
    ... )
    >>> bool(scores.max() < 0)  # a negated loss
    True
    """
    functions = {"log_loss": bag_log_loss, "absolute_error": bag_absolute_error}
    if metric not in functions:
        raise ValueError(f"metric must be one of {sorted(functions)}, got {metric!r}.")
    scorer = make_scorer(
        functions[metric], greater_is_better=False, response_method="predict_proba"
    )
    # requesting metadata needs routing switched on, only while requesting
    with config_context(enable_metadata_routing=True):
        return scorer.set_score_request(bags=True)


class BagScoreMixin:
    """``score``: the negated bag log loss, the LLP estimators' own measure
    (cross-validation without ``scoring=`` then needs no instance label)."""

    def score(self, X, y, bags=None):
        """Negated bag log loss of the predicted probabilities (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Each row's bag proportion, or class labels (each row then a bag
            of its own: the score is the negated log loss).
        bags : array-like of shape (n_samples,), default=None
            Bag id of each row. None, with proportions: the rows that share
            a proportion are pooled into one bag (exact: a union of bags of
            equal proportion has that proportion).

        Returns
        -------
        score : float
            ``-bag_log_loss(y, predict_proba(X), bags=bags)``.
        """
        y = column_or_1d(y)
        if bags is None and np.isin(y, self.classes_).all():
            # class labels: each row is a bag of its own, of share 0 or 1
            y = (y == self.classes_[-1]).astype(float)
            bags = np.arange(y.shape[0])
        return -bag_log_loss(y, self.predict_proba(X), bags=bags)
