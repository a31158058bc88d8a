"""PartitionAggregationClassifier: votes of models on disjoint (or shifted)
shares of the rows, certified against training-label flips."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import validate_data

from ..utils._meta import WrappedEstimatorMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._validation import encode_classes
from ._base import CertifiedFlipsMixin
from ._hash import row_hashes


class PartitionAggregationClassifier(
    CertifiedFlipsMixin,
    WrappedEstimatorMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """A vote of models trained on hashed shares of the rows, with a
    certificate against flipped training labels.

    Each training row goes to one of ``n_partitions * n_shifts`` buckets by a
    hash of its features alone, never its label, so an adversary who flips
    labels cannot move rows between buckets. There are as many learners as
    buckets; learner ``l`` is a clone of ``estimator`` fitted on the buckets
    ``(l - s_t) mod (n_partitions * n_shifts)`` for the ``n_shifts`` shifts
    ``s_t`` (the first 0, the others drawn by ``random_state``), so each row
    feeds ``n_shifts`` learners and each learner sees about ``1 /
    n_partitions`` of the rows. ``predict`` is their plurality vote, ties to
    the lower class index. With ``n_shifts=1`` this is Deep Partition
    Aggregation (DPA), with more it is Finite Aggregation (FA), whose
    certificates are at least DPA's at the same ``n_partitions``.

    :meth:`~PartitionAggregationClassifier.certified_flips` gives, per row, the
    number of training labels an adversary may flip (any rows, to any classes)
    without changing the prediction, whatever the learners then predict: for
    each rival class ``c``, corrupting a bucket can at most turn every learner
    it feeds into a vote for ``c``, which closes the gap ``n_a - n_c - [c <
    a]`` by ``sum_t (1 + [votes a] - [votes c])`` over its learners; the
    certificate is how many of the largest such closings the gap absorbs,
    minimised over ``c``. For DPA it is ``floor((n_a - n_b - [b < a]) / 2)``.

    Read more in the :ref:`User Guide <certified>`.

    Parameters
    ----------
    estimator : classifier, default=None
        The model of each learner; ``LogisticRegression(max_iter=1000)`` if
        None. A learner whose rows hold one class predicts that class, and
        one with no rows abstains.
    n_partitions : int, default=50
        The learners of DPA; more give larger certificates, each learner
        fewer rows.
    n_shifts : int, default=1
        1 for DPA; more for Finite Aggregation (``n_shifts`` times the
        fits).
    n_jobs : int, default=None
        Learners fitted and scored in parallel by joblib (None: one at a time).
    random_state : int, RandomState instance or None, default=None
        Draws FA's shifts; unused by DPA, whose partition depends on the
        features alone.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    estimators_ : list
        One entry per learner: a fitted model, the index of the class a
        learner with one class predicts, or -1 for a learner with no rows
        (it abstains).
    shifts_ : ndarray of shape (n_shifts,)
        The shifts, the first 0.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skrobust.svm.FloralSVC : Adversarial training against label poisoning.

    References
    ----------
    .. [1] A. Levine, S. Feizi, "Deep Partition Aggregation: Provable
       Defenses against General Poisoning Attacks", ICLR 2021.
    .. [2] W. Wang, A. Levine, S. Feizi, "Improved Certified Defenses
       against Data Poisoning with (Deterministic) Finite Aggregation",
       ICML 2022.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skrobust.certified import PartitionAggregationClassifier
    >>> X, y = make_classification(2000, 5, random_state=0)
    >>> clf = PartitionAggregationClassifier(n_partitions=20).fit(X, y)
    >>> bool(clf.score(X, y) > 0.8)
    True
    >>> int(clf.certified_flips(X[:1])[0]) <= 10  # at most half the learners
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_partitions": [Interval(Integral, 1, None, closed="left")],
        "n_shifts": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_partitions=50,
        n_shifts=1,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_partitions = n_partitions
        self.n_shifts = n_shifts
        self.n_jobs = n_jobs
        self.random_state = random_state

    # the wrapped estimator validates its own parameters when it is fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Hash the rows into buckets and fit one learner per bucket.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels, possibly flipped by an adversary.

        Returns
        -------
        self : PartitionAggregationClassifier
            The fitted estimator.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            ensure_all_finite="allow-nan",
            dtype=None,
        )  # fmt: skip  (NaN is the models' to judge; no model takes infinity)
        self.classes_, y_encoded = encode_classes(y, type(self).__name__)
        self._class_counts = np.bincount(y_encoded, minlength=len(self.classes_))
        n_buckets = self.n_partitions * self.n_shifts
        if n_buckets > X.shape[0]:
            raise ValueError(
                f"n_partitions * n_shifts = {n_buckets} buckets for {X.shape[0]} "
                "rows: some learners would see no row. Use fewer partitions."
            )
        self.shifts_ = _shifts(self.n_shifts, n_buckets, self.random_state)
        bucket = (row_hashes(X) % np.uint64(n_buckets)).astype(np.int64)
        base = self._base()
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_learner)(base, X, y, y_encoded, rows)
            for rows in _learner_rows(bucket, self.shifts_, n_buckets)
        )
        return self

    def predict(self, X):
        """The plurality vote of the learners, ties to the lower class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        votes = self._votes(self._learner_predictions(X))
        return self.classes_[np.argmax(votes, axis=1)]

    def _certify(self, X):
        predictions = self._learner_predictions(X)
        flips = certify_votes(predictions, len(self.classes_), self.shifts_)
        # flipping every training row of the predicted class leaves no such
        # class to predict
        winner = np.argmax(self._votes(predictions), axis=1)
        return np.minimum(flips, self._class_counts[winner] - 1)

    def _votes(self, predictions):
        K = len(self.classes_)
        return np.stack([(predictions == k).sum(axis=1) for k in range(K)], axis=1)

    def _learner_predictions(self, X):
        """``(n_samples, n_learners)`` class indices."""
        X = self._check_fitted_input(X)
        columns = Parallel(n_jobs=self.n_jobs)(
            delayed(_predict_learner)(model, X, self.classes_)
            for model in self.estimators_
        )
        return np.column_stack(columns)

    def _default_estimator(self):
        return LogisticRegression(max_iter=1000)


def certify_votes(predictions, n_classes, shifts, weights=None):
    """The certificate of each row from the class indices its voters give.

    ``predictions`` is ``(n_rows, n_voters)``; voter ``l`` is fed by the
    buckets ``(l - s) mod n_voters`` for ``s`` in ``shifts``, so bucket
    ``h`` feeds the voters ``(h + s) mod n_voters`` (one shift 0: each
    bucket is one voter, as in DPA and kNN). ``weights`` (same shape, default
    1) weigh the votes. For each rival class ``c`` a corrupted bucket can
    turn every voter it feeds into a vote for ``c``, closing the winner's lead
    by ``w (1 + [votes winner] - [votes c])`` per voter; the certificate is
    how many of the largest closings the lead absorbs (a tie still goes to
    the lower class index), minimised over ``c``.
    """
    n_rows, n_voters = predictions.shape
    weights = np.ones(predictions.shape) if weights is None else weights
    votes = np.stack(
        [np.where(predictions == k, weights, 0).sum(axis=1) for k in range(n_classes)],
        axis=1,
    )
    winner = np.argmax(votes, axis=1)
    is_winner = predictions == winner[:, None]
    fed = (np.arange(n_voters)[:, None] + np.asarray(shifts)[None, :]) % n_voters
    best = np.full(n_rows, np.iinfo(np.int64).max)
    rows = np.arange(n_rows)
    for c in range(n_classes):
        rival = winner != c
        if not rival.any():
            continue
        lead = votes[rows, winner] - votes[:, c]
        per_voter = weights * (1 + is_winner - (predictions == c))
        closing = -np.sort(-per_voter[:, fed].sum(axis=2), axis=1)
        taken = np.cumsum(closing, axis=1)
        # the winner keeps the row while its lead stays positive, or zero
        # with the tie going its way (it is the lower class index)
        kept = np.where(
            (winner < c)[:, None], taken <= lead[:, None], taken < lead[:, None]
        )
        best = np.where(rival, np.minimum(best, kept.sum(axis=1)), best)
    return best


def _shifts(n_shifts, n_buckets, random_state):
    """0, then ``n_shifts - 1`` distinct other shifts in [1, n_buckets)."""
    if n_shifts == 1:
        return np.zeros(1, dtype=np.int64)
    rng = check_random_state(random_state)
    others = rng.choice(np.arange(1, n_buckets), size=n_shifts - 1, replace=False)
    return np.concatenate([[0], np.sort(others)]).astype(np.int64)


def _learner_rows(bucket, shifts, n_buckets):
    """The rows of each learner: those whose bucket feeds it."""
    for learner in range(n_buckets):
        feeding = (learner - shifts) % n_buckets
        yield np.flatnonzero(np.isin(bucket, feeding))


def _fit_learner(base, X, y, y_encoded, rows):
    """A fitted clone, the class index a one-class share votes, or -1 (an
    abstention) for a share with no rows."""
    present = np.unique(y_encoded[rows])
    if present.shape[0] < 2:
        return int(present[0]) if present.shape[0] else -1
    return clone(base).fit(_safe_indexing(X, rows), y[rows])


def _predict_learner(model, X, classes):
    n_samples = X.shape[0]
    if isinstance(model, int):
        return np.full(n_samples, model, dtype=np.int64)
    return np.searchsorted(classes, model.predict(X)).astype(np.int64)
