"""ConformalMultiLabelClassifier: label-powerset conformal regions (LP-ICP)."""

import itertools
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    MultiOutputMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._kernels.label_powerset import (
    fill_regions,
    label_certainty,
    label_set_scores,
    region_sizes,
)
from ..utils._meta import WrappedEstimatorMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._threads import map_row_blocks
from ._quantile import conformal_threshold

_MAX_REGION_SIZE = 2**62


class ConformalMultiLabelClassifier(
    WrappedEstimatorMixin,
    MultiOutputMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Multi-label prediction regions: label-sets that hold the true one.

    Label-powerset inductive conformal prediction (LP-ICP): every label-set
    ``Y`` in ``{0, 1}^L`` is a candidate, scored against the model's
    per-label positive probabilities ``o(x)`` by ``||Y - o(x)||_p``. The
    region of a row is every label-set whose score is at most the conformal
    threshold of the calibration scores, so it holds the whole true
    label-set with probability at least ``1 - alpha``. Regions are
    enumerated exactly by a Hamming-budget search, never by scoring all
    ``2^L`` sets, so tens of labels are fine.

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    estimator : classifier, default=None
        A multi-label classifier with ``predict_proba``:
        ``OneVsRestClassifier`` (an ``(n, L)`` array), ``MultiOutputClassifier``
        or a multi-output forest (a list of ``L`` arrays of shape ``(n, 2)``),
        or a ``Pipeline`` ending in one; for a 1-D binary ``y``, any binary
        classifier. None means
        ``OneVsRestClassifier(LogisticRegression(max_iter=1000))``. It is
        cloned and fitted unless ``method="prefit"``.
    alpha : float in (0, 1), default=0.1
        Target miscoverage of the whole label-set.
    norm : {1, 2}, default=2
        The ``p`` of the non-conformity score ``||Y - o(x)||_p``. 2 is the
        Euclidean norm of the seed paper; see Notes.
    method : {"split", "prefit"}, default="split"
        "split" fits a clone of ``estimator`` on part of the data and
        calibrates on the rest; "prefit" takes ``estimator`` as fitted and
        calibrates on all of ``fit``'s data.
    calibration_size : float in (0, 1) or int, default=0.25
        Share (or number) of the samples held out for calibration by
        ``method="split"``.
    guarantee : {"marginal", "pac"}, default="marginal"
        "marginal": coverage at least ``1 - alpha`` on average over
        calibration and test draws. "pac": miscoverage at most ``alpha``
        with probability at least ``1 - delta`` over the calibration draw.
    delta : float in (0, 1), default=0.1
        Failure probability of ``guarantee="pac"``.
    n_poisoned : int, default=0
        Number of calibration label-sets an adversary may have changed; the
        guarantee holds for the clean labels whatever the changes.
    max_region_size : int, default=100_000
        Most label-sets :meth:`predict_set` writes out for one row (at most
        ``2**62``); larger regions raise a ValueError rather than fill the
        memory. :meth:`region_sizes` counts up to it.
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model (``estimator`` itself for "prefit").
    classes_ : ndarray
        ``arange(n_labels_)`` (the columns of ``Y``) for a 2-D ``Y``; the two
        classes for a 1-D binary ``y``, the second being the positive one.
    n_labels_ : int
        Number of labels ``L``.
    calibration_scores_ : ndarray of shape (n_calibration,)
        Scores of the calibration rows at their true label-sets, ascending.
        Scores are ``||Y - o(x)||_p ** p``, which orders label-sets as the
        norm does.
    threshold_ : float
        The conformal threshold on those scores: a label-set is in a row's
        region when its score is at most this.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    label_set_coverage : Share of rows whose region holds the true label-set.
    ConformalClassifier : Prediction sets for single-label classification.

    Notes
    -----
    With ``Yhat_l = 1{o_l >= 0.5}`` the score's ``p``-th power is
    ``a_min + sum of d_l over the labels where Y differs from Yhat``, with
    ``a_min = sum_l min(o_l, 1 - o_l)^p`` and the flip cost
    ``d_l = max(o_l, 1 - o_l)^p - min(o_l, 1 - o_l)^p >= 0``. A label-set is
    in the region when its flipped costs fit in the budget
    ``threshold - a_min`` (none does when the budget is negative: the
    region is empty). A depth-first search over the labels in ascending
    cost, cutting a branch at the first cost that does not fit, lists
    exactly the region in ``O(L)`` per label-set. Calibration and test
    scores are computed by the same arithmetic, so ties at the threshold
    are kept as the conformal p-value ``(#{calibration scores >= s} + 1) /
    (n + 1) > alpha`` keeps them.

    For ``p`` 1 and 2 the flip cost is the same, ``|2 o_l - 1|``; the norms
    differ only in ``a_min``, the score of the best label-set, which for
    ``p = 2`` grows with the squares of the per-label doubts
    ``min(o_l, 1 - o_l)`` rather than with their sum. Many slightly doubtful
    labels then weigh less against a few very doubtful ones, which suits
    tens of labels most of which are confidently absent: on 40 such labels
    (the synthetic data of the tests, ``alpha=0.1``, 3000 test rows) the
    regions held 28 label-sets on average for ``p = 2`` and 689 for
    ``p = 1``, both covering 90%. ``p = 1`` is the sum of absolute
    differences of Papadopoulos (2014).

    A 1-D binary ``y`` is one label (the second class positive) and
    :meth:`predict` returns class labels; a 1-D ``y`` with more classes is
    rejected (pass an indicator matrix instead).

    References
    ----------
    .. [1] L. Maltoudoglou, A. Paisios, L. Lenc, J. Martínek, P. Král,
       H. Papadopoulos, "Well-calibrated confidence measures for multi-label
       text classification with a large number of labels", Pattern
       Recognition 122, 2022.
    .. [2] H. Papadopoulos, "A cross-conformal predictor for multi-label
       classification", AIAI Workshops 2014.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from skrobust.conformal import (
    ...     ConformalMultiLabelClassifier, label_set_coverage)
    >>> X, Y = make_multilabel_classification(
    ...     n_samples=1500, n_classes=8, random_state=0)
    >>> clf = ConformalMultiLabelClassifier(alpha=0.1, random_state=0)
    >>> clf = clf.fit(X[:1000], Y[:1000])
    >>> regions = clf.predict_set(X[1000:])
    >>> bool(label_set_coverage(Y[1000:], regions) > 0.85)
    True
    >>> regions[0].shape[1], bool((clf.region_sizes(X[1000:]) < 2**8).all())
    (8, True)
    """

    _parameter_constraints: dict = {
        # predict_proba is checked in fit, with the reason it is needed
        "estimator": [HasMethods(["fit"]), None],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "norm": [Options(Integral, {1, 2})],
        "method": [StrOptions({"split", "prefit"})],
        "calibration_size": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "guarantee": [StrOptions({"marginal", "pac"})],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "n_poisoned": [Interval(Integral, 0, None, closed="left")],
        "max_region_size": [Interval(Integral, 1, _MAX_REGION_SIZE, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=0.1,
        norm=2,
        method="split",
        calibration_size=0.25,
        guarantee="marginal",
        delta=0.1,
        n_poisoned=0,
        max_region_size=100_000,
        random_state=None,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.norm = norm
        self.method = method
        self.calibration_size = calibration_size
        self.guarantee = guarantee
        self.delta = delta
        self.n_poisoned = n_poisoned
        self.max_region_size = max_region_size
        self.random_state = random_state

    # the wrapped estimator validates its own parameters when it is fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, Y):
        """Fit the model (unless prefit) and compute the threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training and calibration data, as ``estimator`` takes it.
        Y : array-like of shape (n_samples, n_labels) or (n_samples,)
            0/1 label indicator matrix, or a 1-D binary ``y`` (one label).

        Returns
        -------
        self : ConformalMultiLabelClassifier
            The fitted estimator.
        """
        alpha = self._check_params()
        base = self._base()
        if not hasattr(base, "predict_proba"):
            raise TypeError(
                f"{type(base).__name__} has no predict_proba; LP-ICP scores "
                "label-sets by per-label probabilities."
            )
        X, Y = validate_data(
            self,
            X,
            Y,
            multi_output=True,
            accept_sparse=["csr", "csc"],
            ensure_all_finite=False,
            dtype=None,
        )
        target, Y = self._encode_fit_targets(Y)
        if self.method == "prefit":
            check_is_fitted(
                base,
                msg=(
                    "method='prefit' needs a fitted estimator, but this "
                    "%(name)s is not fitted; fit it first or use method='split'."
                ),
            )
            self.estimator_ = base
            X_cal, Y_cal = X, Y
            what = "the calibration set"
        else:
            X_fit, X_cal, target_fit, _, _, Y_cal = train_test_split(
                X,
                target,
                Y,
                test_size=self.calibration_size,
                random_state=self.random_state,
            )
            self.estimator_ = clone(base).fit(X_fit, target_fit)
            what = f"the calibration split (calibration_size={self.calibration_size!r})"
        scores = self._scores(self._label_proba(X_cal), Y_cal)
        self.threshold_ = float(
            conformal_threshold(
                scores,
                alpha,
                guarantee=self.guarantee,
                delta=self.delta,
                n_poisoned=self.n_poisoned,
                what=what,
            )
        )
        self.calibration_scores_ = np.sort(scores)
        return self

    def predict(self, X):
        """The best label-set of each row: label ``l`` where ``o_l >= 0.5``.

        It has the smallest score, so it is in every non-empty region.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        Y_pred : ndarray of shape (n_samples, n_labels) or (n_samples,)
            0/1 indicator matrix; class labels when fitted on a 1-D ``y``.
        """
        best = self._label_proba(self._check_fitted_input(X)) >= 0.5
        if self._targets_2d:
            return best.astype(np.int64)
        return self.classes_[best[:, 0].astype(np.intp)]

    def predict_set(self, X):
        """The prediction region of each row: its label-sets, best first.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        regions : list of ndarray of bool of shape (n_sets_i, n_labels)
            One array per row, a label-set per line, by ascending score (the
            :meth:`predict` label-set first). A row whose region is empty
            gets shape ``(0, n_labels)``.

        Raises
        ------
        ValueError
            If a region holds more than ``max_region_size`` label-sets.
        """
        proba = self._label_proba(self._check_fitted_input(X))
        sizes = self._region_sizes(proba)
        too_large = np.flatnonzero(sizes > self.max_region_size)
        if too_large.size:
            raise ValueError(
                f"the regions of {too_large.size} rows (rows "
                f"{too_large[:5].tolist()}) hold more than max_region_size="
                f"{self.max_region_size} label-sets of the 2**{self.n_labels_} "
                "possible. Raise alpha or max_region_size, or summarise the "
                "regions with region_sizes and label_certainty."
            )
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        sets = np.empty((offsets[-1], self.n_labels_), dtype=bool)
        fill_regions(proba, int(self.norm), self.threshold_, offsets, sets)
        return [sets[a:b] for a, b in itertools.pairwise(offsets)]

    def region_sizes(self, X):
        """Number of label-sets in each row's region, without listing them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        sizes : ndarray of int64 of shape (n_samples,)
            Exact up to ``max_region_size``; a larger region counts as
            ``max_region_size + 1`` (the count stops there, so the call stays
            cheap at any ``alpha``).
        """
        return self._region_sizes(self._label_proba(self._check_fitted_input(X)))

    def label_certainty(self, X):
        """Which labels the region settles: per row and label, 1 or 0 when
        every label-set of the region has that value, -1 otherwise.

        Costs ``O(L log L)`` per row whatever the region's size.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        certainty : ndarray of int8 of shape (n_samples, n_labels)
            1: the label is in every label-set of the region; 0: in none;
            -1: in some but not all, or the region is empty.
        """
        proba = self._label_proba(self._check_fitted_input(X))
        certainty = np.empty(proba.shape, dtype=np.int8)
        map_row_blocks(
            label_certainty, (proba,), (int(self.norm), self.threshold_), certainty
        )
        return certainty

    def pvalues(self, X, Y):
        """Conformal p-value of one label-set per row.

        ``(#{calibration scores >= s} + 1) / (n_calibration + 1)`` with ``s``
        the label-set's score. Under the marginal guarantee the region is
        the label-sets with a p-value above ``alpha``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        Y : array-like of shape (n_samples, n_labels) or (n_samples,)
            A 0/1 label-set per row (class labels if fitted on a 1-D ``y``).

        Returns
        -------
        pvalues : ndarray of shape (n_samples,)
            Conformal p-value of each row's label-set.
        """
        proba = self._label_proba(self._check_fitted_input(X))
        Y = self._encode_label_sets(Y, proba.shape[0])
        scores = self._scores(proba, Y)
        n = self.calibration_scores_.shape[0]
        below = np.searchsorted(self.calibration_scores_, scores, side="left")
        return (n - below + 1) / (n + 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        return tags

    def _check_params(self):
        """``alpha`` as a float; each parameter is checked by
        ``_parameter_constraints``."""
        return float(self.alpha)

    def _encode_fit_targets(self, Y):
        """Return ``(target for the model, boolean (n, L) label-sets)``; set
        ``classes_``, ``n_labels_`` and whether ``Y`` was 2-D."""
        if sp.issparse(Y):
            Y = Y.toarray()
        check_classification_targets(Y)
        self._targets_2d = Y.ndim == 2
        if not self._targets_2d:
            classes = np.unique(Y)
            if classes.shape[0] != 2:
                if classes.shape[0] == 1:
                    problem = f"y holds 1 class ({classes[0]!r})"
                else:
                    problem = (
                        f"y is a {type_of_target(Y)} target with "
                        f"{classes.shape[0]} classes"
                    )
                raise ValueError(
                    "Only binary classification is supported for a 1-D y (one "
                    f"label, the second class positive); {problem}. For "
                    "multi-label data pass Y as an (n_samples, n_labels) 0/1 "
                    "indicator matrix."
                )
            self.classes_ = classes
            self.n_labels_ = 1
            return Y, (Y == classes[1])[:, None]
        Y = _check_indicator(Y, "Y")
        self.classes_ = np.arange(Y.shape[1])
        self.n_labels_ = Y.shape[1]
        return Y.astype(np.int64), Y

    def _encode_label_sets(self, Y, n_samples):
        """The boolean (n_samples, n_labels) label-sets given to :meth:`pvalues`."""
        if self._targets_2d:
            Y = _check_indicator(Y, "Y")
        else:
            Y = np.asarray(Y)
            if Y.ndim != 1:
                raise ValueError(
                    f"y must be 1-D class labels (fitted on a 1-D y); got shape "
                    f"{Y.shape}."
                )
            unknown = np.setdiff1d(Y, self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y holds labels not seen in fit: {unknown[:5].tolist()}."
                )
            Y = (Y == self.classes_[1])[:, None]
        if Y.shape != (n_samples, self.n_labels_):
            raise ValueError(
                f"Y has shape {Y.shape}; expected ({n_samples}, {self.n_labels_}), "
                "one label-set per row of X."
            )
        return Y

    def _scores(self, proba, Y):
        scores = np.empty(proba.shape[0])
        map_row_blocks(label_set_scores, (proba, Y), (int(self.norm),), scores)
        return scores

    def _region_sizes(self, proba):
        sizes = np.empty(proba.shape[0], dtype=np.int64)
        limit = int(self.max_region_size)
        map_row_blocks(
            region_sizes, (proba,), (int(self.norm), self.threshold_, limit), sizes
        )
        return sizes

    def _label_proba(self, X):
        """Per-label positive probabilities, float64 C-contiguous (n, L)."""
        proba = self.estimator_.predict_proba(X)
        L = self.n_labels_
        positive = self.classes_[1] if not self._targets_2d else 1
        name = type(self.estimator_).__name__
        if isinstance(proba, list):
            if len(proba) != L:
                raise ValueError(
                    f"{name}.predict_proba returned {len(proba)} arrays for {L} labels."
                )
            proba = np.column_stack(
                [
                    _positive_column(p, classes, positive)
                    for p, classes in zip(proba, self.estimator_.classes_, strict=True)
                ]
            )
        elif L == 1:
            proba = _positive_column(proba, self.estimator_.classes_, positive)[:, None]
        proba = np.ascontiguousarray(proba, dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] != L:
            raise ValueError(
                f"{name}.predict_proba returned shape {proba.shape}; expected "
                f"(n_samples, {L}) per-label probabilities or a list of {L} "
                "(n_samples, 2) arrays."
            )
        if not np.all((proba >= 0) & (proba <= 1)):
            raise ValueError(
                f"{name}.predict_proba returned values outside [0, 1] or NaN."
            )
        return proba

    def _default_estimator(self):
        return OneVsRestClassifier(LogisticRegression(max_iter=1000))


def _check_indicator(Y, name):
    """``Y`` as a C-contiguous boolean (n, L) array; a ValueError if it is
    not 2-D with 0/1 entries."""
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] == 0:
        raise ValueError(
            f"{name} must be a 0/1 indicator matrix of shape (n_samples, n_labels); "
            f"got shape {Y.shape}."
        )
    values = np.unique(Y)
    if not np.all(np.isin(values, [0, 1])):
        raise ValueError(
            f"{name} must be a 0/1 indicator matrix; it holds {values[:5].tolist()}."
        )
    return np.ascontiguousarray(Y, dtype=bool)


def _positive_column(proba, classes, positive):
    """The column of ``proba`` for class ``positive``; zeros if the model
    never saw it."""
    match = np.flatnonzero(np.asarray(classes) == positive)
    if match.size == 0:
        return np.zeros(proba.shape[0])
    return np.asarray(proba)[:, match[0]]


def label_set_coverage(Y_true, regions):
    """Share of rows whose prediction region holds the true label-set.

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_labels)
        True 0/1 label-sets (a 1-D array is one label).
    regions : sequence of array-like of shape (n_sets_i, n_labels)
        The regions, as :meth:`ConformalMultiLabelClassifier.predict_set`
        returns them.

    Returns
    -------
    coverage : float
        Share of rows whose region holds the true label-set.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.conformal import label_set_coverage
    >>> Y_true = np.array([[1, 0], [0, 0]])
    >>> regions = [np.array([[1, 0], [1, 1]]), np.array([[1, 0]])]
    >>> label_set_coverage(Y_true, regions)
    0.5
    """
    Y_true = np.asarray(Y_true)
    if Y_true.ndim == 1:
        Y_true = Y_true[:, None]
    Y_true = _check_indicator(Y_true, "Y_true")
    n, L = Y_true.shape
    if n == 0:
        raise ValueError("Y_true is empty.")
    if len(regions) != n:
        raise ValueError(f"Y_true has {n} rows but there are {len(regions)} regions.")
    regions = [np.asarray(region, dtype=bool) for region in regions]
    for region in regions:
        if region.ndim != 2 or region.shape[1] != L:
            raise ValueError(
                f"each region must have shape (n_sets, {L}); got {region.shape}."
            )
    rows = np.repeat(np.arange(n), [region.shape[0] for region in regions])
    found = np.all(np.concatenate(regions) == Y_true[rows], axis=1)
    return float(np.unique(rows[found]).shape[0] / n)
