"""CertifiedKNeighborsClassifier: k nearest neighbours, whose vote comes
with the exact number of training-label flips it withstands."""

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neighbors._base import _get_weights
from sklearn.utils import check_array

from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_feature_scale, encode_classes
from ._base import CertifiedFlipsMixin
from ._partition import certify_votes


class CertifiedKNeighborsClassifier(
    CertifiedFlipsMixin, PickleVersionMixin, KNeighborsClassifier
):
    """scikit-learn's :class:`~sklearn.neighbors.KNeighborsClassifier` with
    :meth:`~CertifiedKNeighborsClassifier.certified_flips`.

    A row's neighbours depend on the features alone, so flipping training
    labels can only change the labels of its ``n_neighbors`` voters. Each
    flipped voter closes the winner's lead over a rival class ``c`` by at most
    twice its weight (a vote moved from the winner to ``c``), or once (a
    vote moved from a third class); the certificate is how many of the
    largest closings the lead absorbs, minimised over ``c``: with uniform
    weights ``floor((v_a - v_b - [b < a]) / 2)`` while the winner has the
    votes to give, and exact (one flip more can change the prediction).
    Everything else is :class:`~sklearn.neighbors.KNeighborsClassifier`.

    Read more in the :ref:`User Guide <certified>`.

    Parameters
    ----------
    n_neighbors : int, default=5
        Voters per prediction; the largest certificate is about half of it.
    weights : {"uniform", "distance"}, callable or None, default="uniform"
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.
    algorithm : {"auto", "ball_tree", "kd_tree", "brute"}, default="auto"
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.
    leaf_size : int, default=30
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.
    p : float, default=2
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.
    metric : str or callable, default="minkowski"
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.
    metric_params : dict, default=None
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.
    n_jobs : int, default=None
        As in :class:`~sklearn.neighbors.KNeighborsClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    n_samples_fit_ : int
        Number of training rows.

    See Also
    --------
    PartitionAggregationClassifier : Certificates for any base model.

    References
    ----------
    .. [1] J. Jia, Y. Liu, X. Cao, N. Z. Gong, "Certified Robustness of
       Nearest Neighbors against Data Poisoning and Backdoor Attacks", AAAI
       2022.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.certified import CertifiedKNeighborsClassifier
    >>> X, y = make_classification(500, 4, random_state=0)
    >>> clf = CertifiedKNeighborsClassifier(n_neighbors=21).fit(X, y)
    >>> flips = clf.certified_flips(X[:5])
    >>> bool(flips.max() <= 10)  # half the voters at most
    True
    """

    def fit(self, X, y):
        """Fit the neighbours, refusing first what would give a meaningless vote.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels, possibly flipped by an adversary.

        Returns
        -------
        self : CertifiedKNeighborsClassifier
            The fitted estimator.
        """
        checked = check_array(X, accept_sparse="csr", dtype=np.float64)
        check_feature_scale(checked, self)  # squared distances must not overflow
        labels = np.asarray(y)
        if labels.ndim == 1:
            encode_classes(labels, type(self).__name__)
        return super().fit(X, y)

    def _certify(self, X):
        if self._y.ndim != 1:
            raise ValueError(
                "certified_flips needs one output; this model was fitted on "
                f"{self._y.shape[1]}."
            )
        distances, indices = self.kneighbors(X)
        weights = _get_weights(distances, self.weights)
        labels = self._y[indices]
        return certify_votes(labels, len(self.classes_), np.zeros(1, int), weights)
