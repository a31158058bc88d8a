"""CertifiedLabelSpreadingClassifier: labels spread over a fixed graph of
the rows, with the exact number of label flips each prediction withstands."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_feature_scale, encode_classes
from ._base import CertifiedFlipsMixin, in_blocks
from ._partition import certify_votes


class CertifiedLabelSpreadingClassifier(
    CertifiedFlipsMixin, ClassifierMixin, PickleVersionMixin, BaseEstimator
):
    """Label spreading on a graph of the training rows, with a certificate
    against flipped labels.

    The graph (rbf affinities, or each row's ``n_neighbors`` nearest
    neighbours, symmetrised) depends on the features alone. With ``S`` its
    symmetrically normalised affinity matrix, the spread class scores of the
    training rows are ``F = (1 - alpha) (I - alpha S)^-1 Y`` (``Y`` the
    one-hot labels, the closed form of Zhou et al.'s iteration), and a new
    row scores ``w(x)' F`` with ``w(x)`` its affinities to the training rows,
    as scikit-learn's ``LabelSpreading`` extends to new rows. Each class
    score is a weighted vote of the training labels, ``sum_i b_i(x) [y_i =
    k]`` with ``b(x) = (1 - alpha) (I - alpha S)^-1 w(x) >= 0``, so
    :meth:`~CertifiedLabelSpreadingClassifier.certified_flips` is exact: a flip
    of row ``i`` moves at most ``2 b_i(x)`` of the winner's lead to a rival.
    The prediction is the class of the largest score, ties to the lower index.

    Read more in the :ref:`User Guide <certified>`.

    Parameters
    ----------
    kernel : {"knn", "rbf"}, default="knn"
        The graph.
    n_neighbors : int, default=7
        Neighbours of the "knn" graph.
    gamma : float, default=20
        Coefficient of the "rbf" affinity ``exp(-gamma |x - x'|^2)``.
    alpha : float in (0, 1), default=0.2
        How far labels spread (0: each row keeps its own).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    X_fit_ : ndarray of shape (n_samples, n_features)
        The training rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    CertifiedKNeighborsClassifier : The plain neighbour vote.
    sklearn.semi_supervised.LabelSpreading : The iterative, semi-supervised
        original.

    References
    ----------
    .. [1] D. Zhou, O. Bousquet, T. N. Lal, J. Weston, B. Schoelkopf,
       "Learning with Local and Global Consistency", NIPS 2004.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.certified import CertifiedLabelSpreadingClassifier
    >>> X, y = make_moons(400, noise=0.15, random_state=0)
    >>> clf = CertifiedLabelSpreadingClassifier().fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> bool(clf.certified_flips(X[:5]).min() >= 1)
    True
    """

    _parameter_constraints: dict = {
        "kernel": [StrOptions({"knn", "rbf"})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, kernel="knn", *, n_neighbors=7, gamma=20, alpha=0.2):
        self.kernel = kernel
        self.n_neighbors = n_neighbors
        self.gamma = gamma
        self.alpha = alpha

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Build the graph and its spreading operator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels, possibly flipped by an adversary.

        Returns
        -------
        self : CertifiedLabelSpreadingClassifier
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_feature_scale(X, self)
        self.classes_, self._y_fit = encode_classes(y, type(self).__name__)
        if self.kernel == "knn" and self.n_neighbors >= X.shape[0]:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} needs more than {X.shape[0]} rows."
            )
        self.X_fit_ = X
        # the neighbour search is built once, so that predicting fits nothing
        self._search = NearestNeighbors().fit(X) if self.kernel == "knn" else None
        affinity = self._affinity(X, training=True)
        affinity = (affinity + affinity.T) / 2  # symmetric graph
        degree = np.sqrt(np.maximum(affinity.sum(axis=1), 1e-300))
        normalised = affinity / degree[:, None] / degree[None, :]
        n = X.shape[0]
        # (1 - alpha) (I - alpha S)^-1, symmetric as S is
        self._spread = (1 - self.alpha) * np.linalg.inv(
            np.eye(n) - self.alpha * normalised
        )
        return self

    def predict(self, X):
        """The class of the largest spread score, ties to the lower index.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X):
        """Spread class scores of ``X``, normalised to sum to 1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Scores of ``classes_`` in order.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = in_blocks(lambda rows: self._scores(self._label_weights(rows)), X)
        return scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-300)

    def _certify(self, X):
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return in_blocks(self._certify_block, X)

    def _certify_block(self, X):
        weights = self._label_weights(X)
        voters = np.broadcast_to(self._y_fit, weights.shape)
        flips = certify_votes(voters, len(self.classes_), np.zeros(1, int), weights)
        # below the training rows of the predicted class: flipping them all
        # leaves no such class to predict
        counts = np.bincount(self._y_fit, minlength=len(self.classes_))
        winner = np.argmax(self._scores(weights), axis=1)
        return np.minimum(flips, counts[winner] - 1)

    def _label_weights(self, X):
        """``b(x)`` of the rows of ``X``: (n_rows, n_train)."""
        return self._affinity(X) @ self._spread

    def _scores(self, weights):
        K = len(self.classes_)
        return np.stack(
            [weights[:, self._y_fit == k].sum(axis=1) for k in range(K)], axis=1
        )

    def _affinity(self, X, training=False):
        """Affinities of the rows of ``X`` to the training rows."""
        if self.kernel == "rbf":
            affinity = rbf_kernel(X, self.X_fit_, gamma=self.gamma)
            if training:
                np.fill_diagonal(affinity, 0.0)
            return affinity
        k = self.n_neighbors + int(training)  # a training row finds itself
        _, indices = self._search.kneighbors(X, n_neighbors=k)
        if training:
            indices = indices[:, 1:]
        affinity = np.zeros((X.shape[0], self.X_fit_.shape[0]))
        np.put_along_axis(affinity, indices, 1.0, axis=1)
        return affinity
