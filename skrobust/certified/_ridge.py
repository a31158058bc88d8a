"""CertifiedRidgeClassifier: a ridge classifier, whose scores are linear in
the training labels, with the exact number of label flips each prediction
withstands."""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from sklearn.base import _fit_context
from sklearn.linear_model import RidgeClassifier
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_feature_scale, check_sample_weight, encode_classes
from ._base import CertifiedFlipsMixin, in_blocks


class CertifiedRidgeClassifier(
    CertifiedFlipsMixin, PickleVersionMixin, RidgeClassifier
):
    """scikit-learn's :class:`~sklearn.linear_model.RidgeClassifier` with
    :meth:`~CertifiedRidgeClassifier.certified_flips`.

    The ridge classifier regresses targets of +1 and -1 (one column per
    class beyond two) and its scores are linear in them: ``s(x) = sum_i
    a_i(x) t_i`` with ``a(x) = X_c (X_c' X_c + alpha I)^-1 (x - mean) + 1/n``
    (``X_c`` the centred training rows; ``alpha`` does not look at the
    labels). Flipping row ``i``'s label changes the scores by a multiple of
    ``a_i(x)``, and the changes add up, so the certificate is exact: sort
    the rows by how much their flip closes the winner's lead (``2 |a_i|``
    for two classes; for more, ``4 a_i`` from the winner to the rival,
    ``2 |a_i|`` from a third class) and count how many the lead absorbs,
    minimised over the rival classes. Everything else is
    :class:`~sklearn.linear_model.RidgeClassifier`; the certificate needs
    dense training data, ``fit_intercept=True`` or ``False``, no
    ``sample_weight``, ``class_weight`` or ``positive``.

    Read more in the :ref:`User Guide <certified>`.

    Parameters
    ----------
    alpha : float, default=1.0
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    fit_intercept : bool, default=True
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    copy_X : bool, default=True
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    max_iter : int, default=None
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    tol : float, default=1e-4
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    class_weight : dict or "balanced", default=None
        As in :class:`~sklearn.linear_model.RidgeClassifier` (no certificate
        then).
    solver : str, default="auto"
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    positive : bool, default=False
        As in :class:`~sklearn.linear_model.RidgeClassifier` (no certificate
        then).
    random_state : int, RandomState instance or None, default=None
        As in :class:`~sklearn.linear_model.RidgeClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    intercept_ : float or ndarray of shape (n_targets,)
        As in :class:`~sklearn.linear_model.RidgeClassifier`.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    CertifiedKNeighborsClassifier : The same exact certificate for kNN.
    PartitionAggregationClassifier : Certificates for any base model.

    References
    ----------
    .. [1] E. Rosenfeld, E. Winston, P. Ravikumar, J. Z. Kolter, "Certified
       Robustness to Label-Flipping Attacks via Randomized Smoothing", ICML
       2020 (ridge scores as linear functions of the labels).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.certified import CertifiedRidgeClassifier
    >>> X, y = make_classification(500, 4, random_state=0)
    >>> clf = CertifiedRidgeClassifier().fit(X, y)
    >>> bool(clf.certified_flips(X[:5]).min() >= 0)
    True
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the ridge classifier and keep what the certificate needs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels, possibly flipped by an adversary.
        sample_weight : array-like of shape (n_samples,), default=None
            As in :class:`~sklearn.linear_model.RidgeClassifier` (no
            certificate then).

        Returns
        -------
        self : CertifiedRidgeClassifier
            The fitted estimator.
        """
        checked = check_array(X, accept_sparse="csr", dtype=np.float64)
        check_feature_scale(checked, self)
        labels = np.asarray(y)
        if labels.ndim == 1:  # (label sets are RidgeClassifier's to check)
            encode_classes(labels, type(self).__name__)
        if sample_weight is not None:
            check_sample_weight(sample_weight, checked.shape[0])
        super().fit(X, y, sample_weight=sample_weight)
        dense = validate_data(self, X, accept_sparse=True, reset=False)
        self._certifiable = not (
            sp.issparse(dense)
            or sample_weight is not None
            or self.class_weight is not None
            or self.positive
        )
        if self._certifiable:
            train = np.asarray(dense, dtype=np.float64)
            mean = (
                train.mean(axis=0) if self.fit_intercept else np.zeros(train.shape[1])
            )
            centred = train - mean
            gram = centred.T @ centred + self.alpha * np.eye(train.shape[1])
            # what a(x) needs, factored once
            self._smoother = (mean, centred, cho_factor(gram))
            self._y_fit = np.searchsorted(self.classes_, np.asarray(y))
        return self

    def _certify(self, X):
        if not self._certifiable:
            raise ValueError(
                "certified_flips needs the model fitted on dense data without "
                "sample_weight, class_weight or positive=True: its scores are "
                "then linear in the labels."
            )
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return in_blocks(self._certify_block, X)

    def _label_weights(self, X):
        """``a(x)`` of the rows of ``X``: (n_train, n_rows)."""
        mean, centred, factor = self._smoother
        weights = centred @ cho_solve(factor, (X - mean).T)
        return weights + 1.0 / centred.shape[0] if self.fit_intercept else weights

    def _certify_block(self, X):
        # the scores of predict itself, so that the certified class is its
        return certify_smoother(
            self._label_weights(X), self.decision_function(X), self._y_fit
        )


def certify_smoother(weights, scores, labels):
    """Exact certificates of a classifier whose scores are linear in +1/-1
    targets: ``scores = weights.T @ targets`` (one column for two classes,
    class 1 when positive; one per class otherwise, argmax with ties to the
    lower index). ``weights`` is ``(n_train, n_rows)``, ``labels`` the
    training class indices. A certificate stays below the training rows of
    the predicted class: flipping them all leaves no such class to predict."""
    counts = np.bincount(labels, minlength=2 if scores.ndim == 1 else scores.shape[1])
    if scores.ndim == 1:  # class 1 iff s > 0; a flip moves s by -2 a_i t_i
        signed = np.where(labels == 1, 1.0, -1.0)[:, None] * weights
        winner_is_1 = scores > 0
        closing = np.where(winner_is_1, 2 * signed, -2 * signed).clip(min=0)
        flips = _absorbed(closing.T, np.abs(scores), strict=winner_is_1)
        return np.minimum(flips, counts[winner_is_1.astype(int)] - 1)
    winner = np.argmax(scores, axis=1)
    rows = np.arange(scores.shape[0])
    best = np.full(scores.shape[0], np.iinfo(np.int64).max)
    for c in range(scores.shape[1]):
        rival = winner != c
        from_winner = labels[:, None] == winner[None, :]
        from_rival = labels[:, None] == c
        closing = np.where(
            from_winner,
            (4 * weights).clip(min=0),
            np.where(from_rival, (-4 * weights).clip(min=0), 2 * np.abs(weights)),
        )
        lead = scores[rows, winner] - scores[:, c]
        flips = _absorbed(closing.T, lead, strict=winner > c)
        best = np.where(rival, np.minimum(best, flips), best)
    return np.minimum(best, counts[winner] - 1)


def _absorbed(closing, lead, strict):
    """How many of the largest ``closing`` of each row its ``lead`` absorbs:
    the lead must stay positive (``strict``) or non-negative."""
    taken = np.cumsum(-np.sort(-closing, axis=1), axis=1)
    kept = np.where(strict[:, None], taken < lead[:, None], taken <= lead[:, None])
    return kept.sum(axis=1)
