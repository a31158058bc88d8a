"""Linear baselines for learning from label proportions: DLLP, EasyLLP, InvCal.

Both are logistic models ``p(x) = sigmoid(w.x + b)`` with an L2 penalty,
fitted by L-BFGS, and differ in the loss they put on the bags:

- DLLP (Ardehaly & Culotta 2017): cross-entropy between the bag proportion
  and the bag's mean predicted probability (smooth, not convex).
- EasyLLP (Busa-Fekete et al. 2023): each row gets the soft label
  ``a_i = n_B (alpha_B - p) + p`` (``p`` the overall positive share), an
  unbiased estimate of its label for random bags; the loss is the logistic
  loss on it, ``softplus(z) - a z`` (convex).

Without ``bags`` every row is its own bag and ``y`` holds class labels: both
are then logistic regression (the same optimum as scikit-learn's at equal
``C``), which is what makes them ordinary classifiers to scikit-learn.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_feature_scale
from ._bags import binary_classes, check_bags
from ._metrics import BagScoreMixin


class LogOddsMixin:
    """``predict_proba`` and ``predict`` of a binary classifier whose
    ``decision_function`` is the log-odds of its positive class."""

    def predict_proba(self, X):
        """Probabilities of ``classes_`` (negative, positive).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_`` (negative, positive).
        """
        positive = expit(self.decision_function(X))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X):
        """The more probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]


class _BagLinearModel(
    LogOddsMixin, BagScoreMixin, ClassifierMixin, PickleVersionMixin, BaseEstimator
):
    """Shared fit/predict of the linear LLP baselines; subclasses fit
    ``coef_`` and ``intercept_`` in ``_fit_linear``."""

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
    }

    def __init__(self, C=1.0, *, fit_intercept=True):
        self.C = C
        self.fit_intercept = fit_intercept

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, bags=None):
        """Fit on bag proportions (with ``bags``) or on instance labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            With ``bags``: each row's bag proportion, in [0, 1]. Without:
            binary class labels (every row its own bag).
        bags : array-like of shape (n_samples,), default=None
            Bag id of each row.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if bags is None:
            X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
            check_feature_scale(X, self)
            self.classes_ = binary_classes(y)
            proportions = (y == self.classes_[1]).astype(float)
            index = np.arange(y.shape[0])
            sizes = np.ones(y.shape[0])
        else:
            X = validate_data(self, X, accept_sparse="csr", dtype=np.float64)
            check_feature_scale(X, self)
            y = column_or_1d(y)
            if X.shape[0] != y.shape[0]:
                raise ValueError(
                    f"X has {X.shape[0]} rows but y has {y.shape[0]}: they must match."
                )
            bag_share, index, sizes = check_bags(y, bags)
            proportions = bag_share
            self.classes_ = np.array([0, 1])
        self._fit_linear(X, proportions, index, sizes)
        return self

    def decision_function(self, X):
        """Log-odds of the positive class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Log-odds of the positive class.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return X @ self.coef_[0] + self.intercept_[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False
        return tags


class _BagLogisticModel(_BagLinearModel):
    """A logistic model fitted by L-BFGS; subclasses give the bag loss and
    its gradient in the scores."""

    _parameter_constraints: dict = {
        **_BagLinearModel._parameter_constraints,
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, C=1.0, *, fit_intercept=True, tol=1e-6, max_iter=1000):
        super().__init__(C, fit_intercept=fit_intercept)
        self.tol = tol
        self.max_iter = max_iter

    def _fit_linear(self, X, proportions, index, sizes):
        d = X.shape[1]
        target = self._target(proportions, index, sizes)

        def objective(params):
            w, b = params[:d], (params[d] if self.fit_intercept else 0.0)
            z = X @ w + b
            loss, grad_z = self._loss(z, target)
            gradient = np.empty_like(params)
            gradient[:d] = self.C * (X.T @ grad_z) + w
            if self.fit_intercept:
                gradient[d] = self.C * grad_z.sum()
            return self.C * loss + 0.5 * w @ w, gradient

        start = np.zeros(d + int(self.fit_intercept))
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            # the relative-decrease test must not stop before the gradient one
            options={
                "maxiter": self.max_iter,
                "gtol": self.tol,
                "ftol": 1e-3 * self.tol,
            },
        )
        if not result.success and result.nit >= self.max_iter:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} "
                "iterations; increase max_iter or scale the features.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.coef_ = result.x[:d][None, :]
        self.intercept_ = np.array([result.x[d] if self.fit_intercept else 0.0])
        self.n_iter_ = np.array([result.nit])


class DLLPClassifier(_BagLogisticModel):
    """Logistic model trained on bag proportions by DLLP's bag cross-entropy.

    Minimises ``0.5 ||w||^2 + C sum_B n_B BCE(alpha_B, mean_{i in B} p_i)``:
    each bag's mean predicted probability is pulled toward its proportion.
    The strongest simple baseline at small bag sizes; not convex.

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    C : float, default=1.0
        Inverse penalty strength, as in ``LogisticRegression``.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    tol : float, default=1e-6
        L-BFGS gradient tolerance.
    max_iter : int, default=1000
        Most L-BFGS iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]`` when fitted on bags, the labels otherwise.
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    EasyLLPClassifier : The convex soft-label baseline.
    LLPClassifier : Chooses among the LLP methods on held-out bags.
    skrobust.llp.make_bags : Bags from labelled data, for experiments.

    References
    ----------
    .. [1] Ardehaly, Culotta, "Co-training for demographic classification
       using deep learning from label proportions", ICDM Workshops 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.llp import DLLPClassifier, make_bags
    >>> X, y = make_classification(2000, 5, random_state=0)
    >>> bags, proportions = make_bags(y, 16, random_state=0)
    >>> clf = DLLPClassifier().fit(X, proportions, bags=bags)
    >>> # instance labels, never seen in fit
    >>> bool((clf.predict(X) == y).mean() > 0.8)
    True
    """

    @staticmethod
    def _target(proportions, index, sizes):
        return proportions, index, sizes

    @staticmethod
    def _loss(z, target):
        proportions, index, sizes = target
        p = expit(z)
        mean = np.clip(np.bincount(index, weights=p) / sizes, 1e-12, 1 - 1e-12)
        bce = -(proportions * np.log(mean) + (1 - proportions) * np.log1p(-mean))
        slope = (mean - proportions) / (mean * (1 - mean))
        return float(sizes @ bce), slope[index] * p * (1 - p)


class EasyLLPClassifier(_BagLogisticModel):
    """Logistic regression on EasyLLP's debiased soft labels.

    Row ``i`` of bag ``B`` gets the label ``a_i = n_B (alpha_B - p) + p``,
    ``p`` the overall positive share: for random bags its expectation is the
    row's true label, so the logistic loss on it is an unbiased estimate of
    the instance loss. The objective stays convex. The soft labels can fall
    outside [0, 1] (their variance grows with the bag size).

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    C : float, default=1.0
        Inverse penalty strength, as in ``LogisticRegression``.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    tol : float, default=1e-6
        L-BFGS gradient tolerance.
    max_iter : int, default=1000
        Most L-BFGS iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]`` when fitted on bags, the labels otherwise.
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    DLLPClassifier : The bag cross-entropy baseline.
    LLPClassifier : Chooses among the LLP methods on held-out bags.

    References
    ----------
    .. [1] Busa-Fekete, Choi, Dick, Gentile, Munoz Medina, "Easy learning from
       label proportions", NeurIPS 2023.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.llp import EasyLLPClassifier, make_bags
    >>> X, y = make_classification(2000, 5, random_state=0)
    >>> bags, proportions = make_bags(y, 16, random_state=0)
    >>> clf = EasyLLPClassifier().fit(X, proportions, bags=bags)
    >>> bool((clf.predict(X) == y).mean() > 0.8)
    True
    """

    @staticmethod
    def _target(proportions, index, sizes):
        prior = float(sizes @ proportions / sizes.sum())
        return sizes[index] * (proportions[index] - prior) + prior

    @staticmethod
    def _loss(z, soft_labels):
        loss = float(np.sum(-log_expit(-z) - soft_labels * z))  # softplus(z) - a z
        return loss, expit(z) - soft_labels


class InvCalClassifier(_BagLinearModel):
    """Inverse calibration: a linear model of the bags' log-odds on their mean features.

    Each bag becomes one regression sample: its mean feature vector, with
    target the empirical log-odds of its proportion,
    ``log((k_B + 1/2) / (n_B - k_B + 1/2))`` with ``k_B`` its positives, and
    weight its size; a ridge fit
    gives ``w``, and a row's probability is ``sigmoid(w.x + b)``. Fast (one
    linear solve on the bag means) and exact when the log-odds are linear
    and bags are homogeneous; weak for large random bags, whose means and
    proportions barely vary.

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    C : float, default=1.0
        Inverse ridge penalty (the ridge weight is ``1 / C``).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[0, 1]`` when fitted on bags, the labels otherwise.
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    n_iter_ : ndarray of shape (1,)
        Always 1.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    DLLPClassifier : The bag cross-entropy baseline.
    LLPClassifier : Chooses among the LLP methods on held-out bags.

    References
    ----------
    .. [1] Rueping, "SVM classifier estimation from group probabilities",
       ICML 2010.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.llp import InvCalClassifier, make_bags
    >>> X, y = make_classification(2000, 5, random_state=0)
    >>> bags, proportions = make_bags(y, 16, random_state=0)
    >>> clf = InvCalClassifier().fit(X, proportions, bags=bags)
    >>> bool((clf.predict(X) == y).mean() > 0.8)
    True
    """

    def _fit_linear(self, X, proportions, index, sizes):
        n_bags = sizes.shape[0]
        members = sp.csr_matrix(
            (1.0 / sizes[index], (index, np.arange(index.shape[0]))),
            shape=(n_bags, index.shape[0]),
        )
        means = members @ X
        means = means.toarray() if sp.issparse(means) else np.asarray(means)
        # empirical log-odds (Haldane-Anscombe): finite for 0 and 1 proportions
        positives = proportions * sizes
        target = np.log(positives + 0.5) - np.log(sizes - positives + 0.5)
        weight = sizes / sizes.sum()
        ridge = Ridge(alpha=1.0 / self.C, fit_intercept=self.fit_intercept)
        ridge.fit(means, target, sample_weight=weight * n_bags)
        self.coef_ = np.atleast_2d(ridge.coef_)
        self.intercept_ = np.array([ridge.intercept_ if self.fit_intercept else 0.0])
        self.n_iter_ = np.array([1])
