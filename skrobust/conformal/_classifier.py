"""ConformalClassifier: prediction sets around any classifier, as an estimator."""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils import (
    _safe_indexing,
    assert_all_finite,
    check_random_state,
    deprecated,
    indexable,
)
from sklearn.utils._metadata_requests import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _num_samples,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ..noise import fit_symmetric_rate, symmetric_transition_matrix
from ..noise._correction import check_noise_rates
from ..utils._folds import fit_folds, stratified_folds, subset_fit_params
from ..utils._meta import WrappedEstimatorMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._proba import class_probabilities
from ._calibration import calibrate, pvalues_from_counts
from ._quantile import check_alpha, conformal_rank, warn_if_too_few
from ._scores import SCORES, ScoreFunction

# the one-sided level of the lower bound on the flip rate of noise_rates="auto"
_ESTIMATE_CONFIDENCE = 0.95

_RAPS_LAMBDAS = (0.001, 0.01, 0.1, 0.2, 0.5)
_RAPS_TUNING_SHARE = 0.2


class ConformalClassifier(
    WrappedEstimatorMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Prediction sets with guaranteed coverage around any classifier.

    Wraps a classifier that has ``predict_proba`` or ``decision_function``
    and returns, for each sample, the set of classes that contains the true
    one with probability at least ``1 - alpha``. It is a scikit-learn
    estimator: it clones, pickles, sits in a ``Pipeline`` or
    ``cross_val_score``, and ``GridSearchCV`` can tune the wrapped model's
    parameters (``estimator__C``).

    Beyond split conformal prediction it keeps the guarantee when the
    calibration labels are noisy (``noise_rates``), when an adversary
    flipped up to ``n_poisoned`` of them, per class or per category
    (``mondrian``), and with a training-conditional PAC guarantee.

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    estimator : classifier, default=None
        The model; ``LogisticRegression()`` if None. It is cloned and fitted
        unless ``method="prefit"``.
    alpha : float or list of float in (0, 1), default=0.1
        Target miscoverage. A list gives one set per level.
    conformity_score : {"lac", "aps", "raps", "top_k"}, default="lac"
        Non-conformity score: LAC (``1 - p_y``, smallest sets on average),
        APS (cumulative probability mass, adaptive set sizes), RAPS (APS
        with a penalty on low-ranked classes) or top-k (rank of the label).
    method : {"split", "prefit", "cross"}, default="split"
        "split" fits the model on part of the data and calibrates on the
        rest (``calibration_size``); "prefit" takes ``estimator`` as fitted
        and calibrates on all of ``fit``'s data; "cross" is cross-conformal
        prediction (CV+, Romano et al. 2020): ``cv`` models, each sample's
        score from the model that did not see it, valid at ``1 - 2 alpha``
        in theory and close to ``1 - alpha`` in practice.
    calibration_size : float or int, default=0.25
        Share (or number) of the samples held out for calibration by
        ``method="split"``; stratified by class.
    cv : int or cross-validation splitter, default=5
        Folds of ``method="cross"`` (stratified and shuffled if an int).
    mondrian : None, "class" or callable, default=None
        Coverage per group: "class" makes it hold for each true class; a
        callable maps ``X`` to one category per row and makes it hold
        within each category (each needs enough calibration samples).
    noise_rates : None, "auto", float, (rho_neg, rho_pos) or array of shape \
(K, K), default=None
        Noise of the calibration labels, as the SVMs' ``noise_rates`` says
        it: None, clean labels; a float, a symmetric flip rate; a pair
        (two classes), the rates at which ``classes_[0]`` and
        ``classes_[1]`` are flipped; a matrix ``T[i, j]``, the probability
        that a sample of true class ``i`` is labelled ``j`` (rows and
        columns in the order of ``classes_``); "auto" takes the symmetric
        flip rate of the calibration labels under the model's
        probabilities, at its one-sided 95% lower confidence bound
        (:func:`skrobust.noise.fit_symmetric_rate`; see Notes for what it
        assumes). The thresholds then aim at the coverage of the *true*
        labels (NACP; see Notes).
    guarantee : {"marginal", "pac"}, default="marginal"
        "marginal": coverage at least ``1 - alpha`` on average over
        calibration and test draws. "pac": miscoverage at most ``alpha``
        with probability at least ``1 - delta`` over the calibration draw.
    delta : float in (0, 1), default=0.1
        Failure probability of ``guarantee="pac"``.
    n_poisoned : int, default=0
        Number of calibration labels an adversary may have flipped; the
        guarantee holds for the clean labels whatever the flips.
    randomized : {"calibration", True, False}, default="calibration"
        For "aps" and "raps", where the scores are randomised with a
        uniform draw per row (seeded by ``random_state``). "calibration"
        (MAPIE's default): the calibration scores are, the sets are not;
        a set keeps the classes up to and including the one whose mass
        crosses the threshold: deterministic, never empty, coverage a little
        above ``1 - alpha``. True: the prediction scores too; coverage
        exact, sets depend on the draw (a row's set can change with its
        position in the batch) and can be empty. False: nothing is drawn;
        with over-confident models the threshold sits near 1 and the sets
        are large.
    include_last_label : bool, default=True
        For "aps" and "raps" with ``randomized`` not True: also keep the
        class whose mass crosses the threshold (MAPIE's default). False is
        only valid with ``randomized=False``.
    raps_lambda : float or "auto", default="auto"
        RAPS penalty weight; "auto" picks from (0.001, 0.01, 0.1, 0.2, 0.5)
        the one with the smallest mean set size on 20% of the calibration
        samples, which are then not used for the threshold.
    raps_k : int or "auto", default="auto"
        RAPS rank from which the penalty starts; "auto" takes the
        ``1 - alpha`` quantile of the true-label ranks on the same 20%.
    n_jobs : int, default=None
        Folds of ``method="cross"`` fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split, the folds and the randomised scores.
    noise_matrix : default="deprecated"
        Renamed ``noise_rates`` in 0.1 (``"estimate"`` is now ``"auto"``);
        still accepted, with a ``FutureWarning``, until 0.3.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model ("split" and "prefit").
    estimators_ : list of classifiers
        The fold models ("cross").
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    thresholds_ : ndarray of shape (n_groups, n_classes, n_alphas)
        Score thresholds: class ``j`` is in the set of a row of group ``g``
        when its score is at most ``thresholds_[g, j, a]``. One group unless
        ``mondrian`` is a callable ("cross" keeps none: its sets come from
        p-values).
    categories_ : ndarray
        The categories of a callable ``mondrian``, in group order.
    transition_matrix_ : ndarray of shape (n_classes, n_classes) or None
        The calibration-label transition matrix used (the SVMs' name).
    raps_lambda_, raps_k_ : float, int
        The RAPS parameters used.
    alpha_ : float or ndarray of shape (n_alphas,)
        The level(s) the sets were calibrated for, as ``alpha`` was at
        ``fit``: ``predict_set`` uses them, whatever ``alpha`` says now.
    n_calibration_ : int
        Number of samples the thresholds were computed from.
    n_features_in_ : int
        Number of features seen during fit (when ``X`` has a shape).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, if ``X`` has string column names.

    See Also
    --------
    skrobust.conformal.coverage_score : Share of rows whose set holds the label.
    skrobust.noise.fit_symmetric_rate : The "estimate" noise rate.

    Notes
    -----
    Split conformal prediction (Vovk et al. 2005) keeps class ``j`` when its
    score is at most the ``ceil((n + 1)(1 - alpha))``-th smallest of the
    ``n`` calibration scores. With noisy labels it instead estimates the
    clean-label coverage at each threshold ``q`` as ``Tr(M_q P^-1)``, where
    ``M_q[l, i]`` is the share of calibration samples labelled ``i`` whose
    class-``l`` score is at most ``q`` (Penso et al. 2025; per class, the
    label-conditional form of Sesia et al. 2024), and takes the smallest
    ``q`` at which the estimate reaches ``(1 - alpha)(n + 1) / n``; with
    ``P = I`` this is split conformal prediction exactly.

    ``noise_rates="auto"`` assumes the model's probabilities are those
    of the true classes (a model trained on clean labels and calibrated;
    one trained on the noisy labels predicts them, and the estimate then
    shrinks toward no noise: larger sets, still valid). It fits one
    symmetric rate, not a matrix: a full matrix read a logistic
    regression's own confusion between close classes as noise (4% of flips
    on clean labels of 26 classes, coverage 0.866 at alpha = 0.1), a single
    rate reads 1.0%. It then takes the rate's lower 95% bound, because
    a rate below the true one can only lower the estimated clean coverage
    of a threshold whenever the model ranks the true class above a random
    one at that threshold (NACP's condition), and so raises the threshold:
    larger sets, not smaller. Noise that is far from symmetric (pair flips)
    is then under-corrected, which errs the same way. Known structured
    noise is better passed as a matrix. Under
    ``guarantee="pac"`` the threshold is the smallest point of a fixed grid
    whose estimate, less a Hoeffding margin union-bounded over the grid,
    reaches ``1 - alpha``. An adversary who flips
    ``m`` labels moves the calibration quantile by at most ``m`` ranks, so
    the threshold takes ``m`` more. The PAC rule (Park et al. 2020) allows
    the largest number of calibration errors whose binomial tail at
    ``alpha`` is at most ``delta``.

    References
    ----------
    .. [1] Romano, Sesia, Candès, "Classification with valid and adaptive
       coverage", NeurIPS 2020.
    .. [2] Angelopoulos, Bates, Malik, Jordan, "Uncertainty sets for image
       classifiers using conformal prediction", ICLR 2021.
    .. [3] Penso, Goldberger, Fetaya, "Estimating the conformal prediction
       threshold from noisy labels", 2025.
    .. [4] Sesia, Wang, Tong, "Adaptive conformal classification with noisy
       labels", JRSS-B 2024.
    .. [5] Park, Bastani, Matni, Lee, "PAC confidence sets for deep neural
       networks via calibrated prediction", ICLR 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skrobust.conformal import ConformalClassifier, coverage_score
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = ConformalClassifier(alpha=0.1, random_state=0)
    >>> clf = clf.fit(X_train / 16, y_train)
    >>> sets = clf.predict_set(X_test / 16)
    >>> sets.shape
    (450, 10)
    >>> bool(coverage_score(y_test, sets, classes=clf.classes_) >= 0.85)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        # a list of levels is checked element by element in fit
        "alpha": [Interval(Real, 0, 1, closed="neither"), "array-like"],
        "conformity_score": [StrOptions(set(SCORES))],
        "method": [StrOptions({"split", "prefit", "cross"})],
        "calibration_size": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "cv": ["cv_object"],
        "mondrian": [None, StrOptions({"class"}), callable],
        # the range of a symmetric rate and a matrix's shape depend on the classes
        "noise_rates": [
            None,
            StrOptions({"auto"}),
            Interval(Real, 0, 1, closed="left"),
            "array-like",
        ],
        "guarantee": [StrOptions({"marginal", "pac"})],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "n_poisoned": [Interval(Integral, 0, None, closed="left")],
        "randomized": ["boolean", StrOptions({"calibration"})],
        "include_last_label": ["boolean"],
        "raps_lambda": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "raps_k": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "noise_matrix": [
            Hidden(StrOptions({"deprecated", "estimate"})),
            Hidden(Interval(Real, 0, 1, closed="left")),
            Hidden("array-like"),
            None,
        ],
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=0.1,
        conformity_score="lac",
        method="split",
        calibration_size=0.25,
        cv=5,
        mondrian=None,
        noise_rates=None,
        guarantee="marginal",
        delta=0.1,
        n_poisoned=0,
        randomized="calibration",
        include_last_label=True,
        raps_lambda="auto",
        raps_k="auto",
        n_jobs=None,
        random_state=None,
        noise_matrix="deprecated",
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.conformity_score = conformity_score
        self.method = method
        self.calibration_size = calibration_size
        self.cv = cv
        self.mondrian = mondrian
        self.noise_rates = noise_rates
        self.guarantee = guarantee
        self.delta = delta
        self.n_poisoned = n_poisoned
        self.randomized = randomized
        self.include_last_label = include_last_label
        self.raps_lambda = raps_lambda
        self.raps_k = raps_k
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.noise_matrix = noise_matrix

    # ------------------------------------------------------------ checks
    def _noise_matrix_given(self):
        return not (
            isinstance(self.noise_matrix, str) and self.noise_matrix == "deprecated"
        )

    def _noise(self):
        """``noise_rates``, or the deprecated ``noise_matrix`` when given."""
        if not self._noise_matrix_given():
            return self.noise_rates
        if isinstance(self.noise_matrix, str):  # "estimate"
            return "auto"
        return self.noise_matrix

    @deprecated(
        "noise_matrix_ was renamed transition_matrix_ in 0.1 and will be removed "
        "in 0.3."
    )
    @property
    def noise_matrix_(self):
        return self.transition_matrix_

    def _check_params(self):
        """The levels (each in (0, 1)) and the rules between parameters;
        each parameter alone is checked by ``_parameter_constraints``."""
        alphas = check_alpha(self.alpha)
        if self._noise_matrix_given():
            warnings.warn(
                "noise_matrix was renamed noise_rates in 0.1, as the SVMs name it "
                '("estimate" is now "auto"), and will be removed in 0.3.',
                FutureWarning,
                stacklevel=3,
            )
        if self.randomized == "calibration" and not self.include_last_label:
            raise ValueError(
                "randomized='calibration' needs include_last_label=True: without "
                "the crossing class the deterministic sets can miss classes the "
                "randomised calibration scores admit. Use randomized=False."
            )
        if self.method == "cross":
            if self._noise() is not None or self.guarantee == "pac" or self.n_poisoned:
                raise ValueError(
                    "method='cross' gives the CV+ guarantee for clean labels only; "
                    "use method='split' or 'prefit' with noise_rates, "
                    "guarantee='pac' or n_poisoned."
                )
            if self.conformity_score == "raps" and "auto" in (
                self.raps_lambda,
                self.raps_k,
            ):
                raise ValueError(
                    "method='cross' has no calibration share to tune RAPS on; "
                    "give raps_lambda and raps_k."
                )
        if self._noise() is not None and self.mondrian is not None and self.n_poisoned:
            if self.mondrian == "class":
                raise ValueError(
                    "n_poisoned with noise_rates and mondrian='class' is not "
                    "supported: the flips would also move the estimated class "
                    "shares. Use marginal or callable-category coverage."
                )
        return alphas

    def _default_estimator(self):
        return LogisticRegression()

    def _noise_inverse(self, labels, proba):
        K = self.classes_.shape[0]
        name = "noise_matrix" if self._noise_matrix_given() else "noise_rates"
        P = check_noise_rates(self._noise(), K, name)
        if P is None:
            return None
        if isinstance(P, str):  # "auto"
            rate = fit_symmetric_rate(labels, proba, confidence=_ESTIMATE_CONFIDENCE)
            P = symmetric_transition_matrix(K, rate)
        if np.linalg.cond(P) > 1e8:
            raise ValueError(
                "the noise_rates matrix is not invertible (condition number "
                f"{np.linalg.cond(P):.3g}): its rows must be distinguishable."
            )
        self.transition_matrix_ = P
        return np.linalg.inv(P)

    # ------------------------------------------------------------ fit
    # the wrapped estimator validates its own parameters when it is fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the model (unless prefit) and calibrate the sets.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data; anything the wrapped estimator accepts.
        y : array-like of shape (n_samples,)
            Labels (noisy ones with ``noise_rates``).
        **fit_params : dict
            Passed to the estimator's ``fit`` (through metadata routing when
            it is enabled).

        Returns
        -------
        self : ConformalClassifier
            The fitted estimator.
        """
        alphas = self._check_params()
        self.alpha_ = float(alphas[0]) if np.ndim(self.alpha) == 0 else alphas
        estimator = self._base_estimator()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        (X,) = indexable(X)  # CSR for sparse input, an array for other non-indexables
        validate_data(self, X, skip_check_array=True)
        y = column_or_1d(y, warn=True)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        check_classification_targets(y)
        n_samples = len(y)
        if n_samples == 0:
            raise ValueError(
                f"{type(self).__name__} needs calibration samples; X and y are empty."
            )
        if _num_samples(X) != n_samples:
            raise ValueError(
                f"X has {_num_samples(X)} samples but y has {n_samples}: they "
                "must match."
            )
        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params).estimator.fit
        else:
            routed = fit_params
        self.transition_matrix_ = None

        if self.method == "prefit":
            check_is_fitted(estimator, msg="method='prefit' needs a fitted estimator.")
            self.estimator_ = estimator
            self.classes_ = np.asarray(estimator.classes_)
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"the calibration labels hold classes the fitted estimator "
                    f"never saw: {unseen.tolist()}."
                )
            self._calibrate(X, y, alphas)
        elif self.method == "split":
            self.classes_ = np.unique(y)
            if self.classes_.shape[0] < 2:
                raise ValueError("y has 1 class: prediction sets need at least 2.")
            try:
                fit_idx, cal_idx = train_test_split(
                    np.arange(n_samples),
                    test_size=self.calibration_size,
                    stratify=y,
                    random_state=self.random_state,
                )
            except ValueError as exc:
                raise ValueError(
                    f"could not split {n_samples} samples into fitting and "
                    f"calibration parts stratified by class: {exc}"
                ) from exc
            self.estimator_ = clone(estimator).fit(
                _safe_indexing(X, fit_idx),
                y[fit_idx],
                **subset_fit_params(routed, fit_idx, n_samples),
            )
            self._calibrate(_safe_indexing(X, cal_idx), y[cal_idx], alphas)
        else:
            self.classes_ = np.unique(y)
            if self.classes_.shape[0] < 2:
                raise ValueError("y has 1 class: prediction sets need at least 2.")
            self._fit_cross(X, y, alphas, estimator, routed)
        return self

    def _score_function(self):
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return ScoreFunction(
            self.conformity_score,
            self.randomized,
            self.include_last_label,
            0.0 if self.raps_lambda == "auto" else float(self.raps_lambda),
            0 if self.raps_k == "auto" else int(self.raps_k),
            seed,
        )

    def _groups(self, X, *, fit):
        if not callable(self.mondrian):
            return None
        categories = np.asarray(self.mondrian(X))
        if categories.ndim != 1 or categories.shape[0] != _num_samples(X):
            raise ValueError(
                "mondrian must return one category per row of X, got an array of "
                f"shape {categories.shape} for {_num_samples(X)} rows."
            )
        if fit:
            self.categories_ = np.unique(categories)
        unknown = np.setdiff1d(categories, self.categories_)
        if unknown.size:
            raise ValueError(
                f"mondrian categories not seen at calibration: {unknown[:10].tolist()}."
            )
        return np.searchsorted(self.categories_, categories).astype(np.int64)

    def _calibrate(self, X, y, alphas):
        labels = np.searchsorted(self.classes_, y)
        proba = class_probabilities(self.estimator_, X, self.classes_)
        groups = self._groups(X, fit=True)
        score = self._score_function()
        if score.name == "raps" and "auto" in (self.raps_lambda, self.raps_k):
            tune, keep = train_test_split(
                np.arange(len(y)),
                train_size=_RAPS_TUNING_SHARE,
                random_state=self.random_state,
            )
            score = _tune_raps(
                score,
                proba[tune],
                labels[tune],
                alphas[0],
                tune_lambda=self.raps_lambda == "auto",
                tune_k=self.raps_k == "auto",
            )
            proba, labels = proba[keep], labels[keep]
            groups = None if groups is None else groups[keep]
        self.score_function_ = score
        self.raps_lambda_, self.raps_k_ = score.lam, score.k_reg
        W = self._noise_inverse(labels, proba)
        self.calibration_ = calibrate(
            score.matrix(proba, draw=0),
            labels,
            alphas,
            groups=groups,
            n_groups=1 if groups is None else self.categories_.shape[0],
            class_conditional=self.mondrian == "class",
            noise_inverse=W,
            guarantee=self.guarantee,
            delta=self.delta,
            n_poisoned=self.n_poisoned,
            class_names=self.classes_,
            score_grid=score.grid(self.classes_.shape[0]),
        )
        self.thresholds_ = self.calibration_.thresholds
        self.n_calibration_ = len(labels)

    def _fit_cross(self, X, y, alphas, estimator, routed):
        folds = list(stratified_folds(self.cv, y, self.random_state).split(X, y))
        n_samples = len(y)
        self.estimators_ = fit_folds(
            estimator, X, y, folds, fit_params=routed, n_jobs=self.n_jobs
        )
        score = self._score_function()
        self.score_function_ = score
        self.raps_lambda_, self.raps_k_ = score.lam, score.k_reg
        labels = np.searchsorted(self.classes_, y)
        groups = self._groups(X, fit=True)
        self.fold_calibrations_ = []
        for fold, ((_, test), model) in enumerate(
            zip(folds, self.estimators_, strict=True)
        ):
            proba = class_probabilities(model, _safe_indexing(X, test), self.classes_)
            fold_groups = None if groups is None else groups[test]
            self.fold_calibrations_.append(
                calibrate(
                    score.matrix(proba, draw=2 + fold),
                    labels[test],
                    np.empty(0),
                    groups=fold_groups,
                    n_groups=1 if groups is None else self.categories_.shape[0],
                    class_conditional=self.mondrian == "class",
                )
            )
        # the p-values pool all folds: the size check is on the pooled segments
        n_eff = sum(cal.n_eff for cal in self.fold_calibrations_)
        for alpha in alphas:
            for g, j in zip(*np.nonzero(n_eff == n_eff.min()), strict=True):
                warn_if_too_few(
                    conformal_rank(int(n_eff[g, j]), alpha),
                    int(n_eff[g, j]),
                    alpha,
                    what=_segment_name(self, g, j),
                )
        self.n_calibration_ = n_samples

    # ------------------------------------------------------------ predict
    def _fold_probas(self, X):
        """Class probabilities of ``X`` from each fold model (``method="cross"``)
        or from the one model, as a list."""
        check_is_fitted(self, "classes_")
        if sp.issparse(X):
            X = X.tocsr()
        if hasattr(self, "n_features_in_"):
            if getattr(X, "ndim", 2) == 1:
                raise ValueError(
                    "Expected 2D array, got 1D array instead. Reshape your data with "
                    "X.reshape(-1, 1) (one feature) or X.reshape(1, -1) (one sample)."
                )
            validate_data(self, X, skip_check_array=True, reset=False)
        models = self.estimators_ if self.method == "cross" else [self.estimator_]
        return [class_probabilities(model, X, self.classes_) for model in models]

    def _proba(self, X):
        return np.mean(self._fold_probas(X), axis=0)

    def predict_proba(self, X):
        """Class probabilities of the wrapped model (mean over the fold models
        for ``method="cross"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of ``classes_`` in order.
        """
        return self._proba(X)

    def predict(self, X):
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self._proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_pvalues(self, X):
        """Conformal p-value of every class: the largest ``alpha`` whose set
        would still contain it.

        ``predict_set`` keeps exactly the classes whose p-value exceeds
        ``alpha``. Defined for the marginal guarantee without poisoning.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        pvalues : ndarray of shape (n_samples, n_classes)
            Conformal p-value of every class.
        """
        check_is_fitted(self, "classes_")
        self._check_pvalues_defined()
        return self._pvalues(X, self._fold_probas(X))

    def _check_pvalues_defined(self):
        if self.guarantee != "marginal" or self.n_poisoned:
            raise ValueError(
                "p-values are defined for guarantee='marginal' without poisoning; "
                "this model was calibrated with "
                f"guarantee={self.guarantee!r}, n_poisoned={self.n_poisoned}."
            )

    def _pvalues(self, X, fold_probas):
        groups = self._row_groups(X)
        if self.method == "cross":
            below = np.zeros((_num_samples(X), self.classes_.shape[0]))
            n_eff = np.zeros_like(below)
            for proba, cal in zip(fold_probas, self.fold_calibrations_, strict=True):
                positions = self.score_function_.positions(
                    proba, cal.sorted_scores, cal.start, cal.stop, groups
                )
                below += positions
                n_eff += cal.n_eff[groups]
            return pvalues_from_counts(below, n_eff)
        cal = self.calibration_
        positions = self.score_function_.positions(
            fold_probas[0], cal.sorted_scores, cal.start, cal.stop, groups
        )
        return cal.pvalues(positions, groups)

    def _row_groups(self, X):
        groups = self._groups(X, fit=False)
        if groups is None:
            groups = np.zeros(_num_samples(X), dtype=np.int64)
        return groups

    def predict_set(self, X):
        """Prediction sets: which classes each sample's set contains.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        sets : ndarray of bool, shape (n_samples, n_classes[, n_alphas])
            ``sets[i, j]`` is True when class ``classes_[j]`` is in the set of
            sample ``i``; a third axis, one per level, when ``alpha`` is a list.
        """
        check_is_fitted(self, "classes_")
        return self._sets(X, self._fold_probas(X))

    def _sets(self, X, fold_probas):
        alphas = check_alpha(self.alpha_)
        if self.method == "cross":
            self._check_pvalues_defined()
            sets = self._pvalues(X, fold_probas)[:, :, None] > alphas
        else:
            groups = self._row_groups(X)
            sets = self.score_function_.sets(fold_probas[0], self.thresholds_, groups)
        return sets[:, :, 0] if np.ndim(self.alpha_) == 0 else sets

    def predict_with_sets(self, X):
        """``predict``, ``predict_proba`` and ``predict_set`` of ``X`` from one
        pass of the models (what batch scoring asks for).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            As :meth:`predict`.
        proba : ndarray of shape (n_samples, n_classes)
            As :meth:`predict_proba`.
        sets : ndarray of bool, shape (n_samples, n_classes[, n_alphas])
            As :meth:`predict_set`.
        """
        fold_probas = self._fold_probas(X)
        proba = np.mean(fold_probas, axis=0)
        prediction = self.classes_[np.argmax(proba, axis=1)]
        return prediction, proba, self._sets(X, fold_probas)

    def get_metadata_routing(self):
        """Metadata routing: ``fit`` parameters go to the estimator's ``fit``.

        Returns
        -------
        routing : MetadataRouter
            Where ``fit``'s extra parameters are sent.
        """
        return MetadataRouter(owner=self).add(
            estimator=self._base_estimator(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )


def _tune_raps(score, proba, labels, alpha, *, tune_lambda, tune_k):
    """RAPS parameters as Angelopoulos et al. pick them: ``k_reg`` the
    ``1 - alpha`` quantile of the true-label ranks, then the penalty with the
    smallest mean set size, both on data kept out of the threshold."""
    if tune_k:
        ranks = replace(score, name="top_k").at_labels(proba, labels) + 1
        k_reg = int(np.quantile(ranks, 1 - alpha, method="higher"))
        score = replace(score, k_reg=k_reg)
    if not tune_lambda:
        return score
    rows = np.zeros(len(labels), dtype=np.int64)
    best_size, best = np.inf, score
    for lam in _RAPS_LAMBDAS:
        trial = replace(score, lam=lam)
        thresholds = calibrate(trial.matrix(proba), labels, [alpha]).thresholds
        size = trial.sets(proba, thresholds, rows).sum()
        if size < best_size:
            best_size, best = size, trial
    return best


def _segment_name(model, g, j):
    if model.mondrian == "class":
        return f"class {model.classes_[j].item()!r}"
    if callable(model.mondrian):
        return f"category {model.categories_[g].item()!r}"
    return "the calibration set"
