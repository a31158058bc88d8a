"""CertifiedKernelRidgeClassifier: kernel ridge regression on +1/-1 class
targets, with the exact number of label flips each prediction withstands."""

from numbers import Real

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_feature_scale, encode_classes
from ._base import CertifiedFlipsMixin, in_blocks
from ._ridge import certify_smoother


class CertifiedKernelRidgeClassifier(
    CertifiedFlipsMixin, ClassifierMixin, PickleVersionMixin, BaseEstimator
):
    """Kernel ridge classification with a certificate against flipped labels.

    Regresses targets of +1 and -1 (one column per class beyond two) with
    kernel ridge regression, ``f(x) = k(x)' (K + alpha I)^-1 T``, and predicts
    the class of the largest score (two classes: class 1 when the score is
    positive). The scores are linear in the targets, ``f(x) = sum_i a_i(x)
    t_i`` with ``a(x) = (K + alpha I)^-1 k(x)``, and the kernel and ``alpha``
    do not look at the labels, so a flip of row ``i`` moves the scores by a
    multiple of ``a_i(x)`` and
    :meth:`~CertifiedKernelRidgeClassifier.certified_flips` is exact: the
    number of the largest closings of the winner's lead the lead absorbs,
    minimised over the rival classes. Like kNN it follows non-linear
    boundaries; unlike kNN and partition aggregation its certificate has no
    cap.

    Read more in the :ref:`User Guide <certified>`.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge penalty; larger spreads each prediction over more rows (larger
        certificates, smoother boundaries).
    kernel : str, default="rbf"
        A kernel of :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    gamma : float, default=None
        Kernel coefficient (rbf, laplacian, polynomial, sigmoid, chi2); None
        is ``1 / n_features``.
    degree : float, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1
        Constant of the polynomial and sigmoid kernels.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    dual_coef_ : ndarray of shape (n_samples,) or (n_samples, n_classes)
        ``(K + alpha I)^-1 T``.
    X_fit_ : ndarray of shape (n_samples, n_features)
        The training rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    CertifiedRidgeClassifier : The linear model with the same certificate.
    CertifiedKNeighborsClassifier : The nearest-neighbour vote.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.certified import CertifiedKernelRidgeClassifier
    >>> X, y = make_moons(400, noise=0.2, random_state=0)
    >>> clf = CertifiedKernelRidgeClassifier(gamma=2.0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> bool(clf.certified_flips(X[:5]).min() >= 0)
    True
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "kernel": [StrOptions(set(PAIRWISE_KERNEL_FUNCTIONS) - {"precomputed"})],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
    }

    def __init__(self, alpha=1.0, *, kernel="rbf", gamma=None, degree=3, coef0=1):
        self.alpha = alpha
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.coef0 = coef0

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Solve the kernel ridge system on the +1/-1 targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels, possibly flipped by an adversary.

        Returns
        -------
        self : CertifiedKernelRidgeClassifier
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_feature_scale(X, self)
        self.classes_, self._y_fit = encode_classes(y, type(self).__name__)
        K = self._kernel(X, X)
        K[np.diag_indices_from(K)] += self.alpha
        self._factor = cho_factor(K)
        self.dual_coef_ = cho_solve(self._factor, self._targets())
        self.X_fit_ = X
        return self

    def decision_function(self, X):
        """Scores: one column for two classes (positive: ``classes_[1]``),
        one per class otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The kernel ridge scores.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._kernel(X, self.X_fit_) @ self.dual_coef_

    def predict(self, X):
        """The class of the largest score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def _certify(self, X):
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return in_blocks(self._certify_block, X)

    def _certify_block(self, X):
        kx = self._kernel(X, self.X_fit_)
        weights = cho_solve(self._factor, kx.T)  # a(x), (n_train, n_rows)
        return certify_smoother(weights, kx @ self.dual_coef_, self._y_fit)

    def _targets(self):
        K = len(self.classes_)
        if K == 2:
            return np.where(self._y_fit == 1, 1.0, -1.0)
        return np.where(self._y_fit[:, None] == np.arange(K), 1.0, -1.0)

    def _kernel(self, A, B):
        params = {"gamma": self.gamma, "degree": self.degree, "coef0": self.coef0}
        polynomial = ("gamma", "degree", "coef0")
        accepted = {
            "rbf": ("gamma",), "laplacian": ("gamma",), "chi2": ("gamma",),
            "polynomial": polynomial, "poly": polynomial,
            "sigmoid": ("gamma", "coef0"),
        }.get(self.kernel, ())  # fmt: skip
        return pairwise_kernels(
            A, B, metric=self.kernel, **{k: params[k] for k in accepted}
        )
