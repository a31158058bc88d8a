"""RobustConformalClassifier: prediction sets that keep their coverage when
an adversary moves each test point within an l2 ball."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._kernels import conformal_sets
from .._kernels.smoothing import PTT_TIE
from ..utils._meta import WrappedEstimatorMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._proba import class_probabilities
from ..utils._threads import n_threads
from ._calibration import _hoeffding_margin
from ._perturbation import _BLOCK_FLOATS, max_probabilities, model_view
from ._perturbation import smoothed_scores as closed_form_smoothed_scores
from ._quantile import conformal_threshold
from ._scores import ScoreFunction

_CODES = {"lac": conformal_sets.LAC, "aps": conformal_sets.CUMULATIVE}
# standardised features have unit spread; beyond this factor either way,
# epsilon (in feature units) likely does not mean what the user thinks
_SCALE_FACTOR = 10.0


def bernstein_margin(variance, n_draws, beta):
    """The empirical-Bernstein bound (Maurer and Pontil 2009) on the
    Monte-Carlo error of a mean of ``n_draws`` scores in [0, 1] whose sample
    variance is ``variance``, at failure probability ``beta``.

    Parameters
    ----------
    variance : float or ndarray
        Sample variance of the draws' scores.
    n_draws : int
        Number of Gaussian draws.
    beta : float
        Failure probability.

    Returns
    -------
    margin : float or ndarray
        ``sqrt(2 V log(2 / beta) / N) + 7 log(2 / beta) / (3 (N - 1))``.

    Examples
    --------
    >>> from skrobust.conformal._robust import bernstein_margin
    >>> round(float(bernstein_margin(0.0, 1024, 0.001)), 4)
    0.0173
    """
    log_term = math.log(2.0 / beta)
    return np.sqrt(2.0 * variance * log_term / n_draws) + 7.0 * log_term / (
        3.0 * (n_draws - 1)
    )


class RobustConformalClassifier(
    WrappedEstimatorMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Prediction sets whose coverage holds for every input within an l2
    ball of radius ``epsilon`` around the test point.

    Split conformal sets cover the true class with probability ``1 - alpha``
    for test points drawn like the calibration points; an adversary who moves
    a test point by a small distance can push the true class out. With clean
    calibration data, these sets satisfy ``P(y in C(x')) >= 1 - alpha`` for
    every ``x'`` with ``||x' - x||_2 <= epsilon``, two ways:

    - ``method="exact"`` (VRCP-I, Jeary et al. 2024, with closed-form bounds
      and no Monte Carlo): calibrate the LAC score ``1 - p_y`` on clean
      data; at a test point, keep a class when its lowest score anywhere in
      the ball around the point is at most the threshold. The true clean
      point is in that ball, so its class is kept whenever it would have
      been. For linear models with softmax or sigmoid probabilities each
      rival's logit margin falls by at most ``epsilon ||w_k - w_y||``; for
      binary RBF-kernel SVMs each kernel term's distance lies in
      ``[d - epsilon, d + epsilon]``.
    - ``method="smoothing"`` (RSCP+, Yan et al. 2024): the score is averaged
      over ``n_draws`` Gaussian draws of the input (``sigma``); the averaged
      score through the Gaussian quantile function moves by at most
      ``epsilon / sigma`` inside the ball. The calibration quantile is taken
      at level ``(1 - alpha + 2 beta)(1 + 1/n)`` and both Monte-Carlo errors
      are bounded (Hoeffding on the threshold, empirical Bernstein or
      Hoeffding on the test scores, each failing with probability ``beta``):
      a class is kept when ``Phi^-1(S - b) - epsilon / sigma <=
      Phi^-1(tau + b_Hoeffding)``. Any model with ``predict_proba`` or
      ``decision_function``; ``ptt=True`` adds the rank-then-sigmoid score
      transform of PTT, fitted on a holdout split, which makes the sets
      smaller where the smoothed scores crowd near the threshold.

    ``"auto"`` takes the exact bound where the model has one (a linear model
    whose probabilities are the softmax or sigmoid of its decision function,
    a binary RBF SVM whose probabilities are the sigmoid of its decision,
    with the LAC score and no PTT) and smoothing elsewhere.

    Read more in the :ref:`User Guide <conformal_adversarial>`.

    Parameters
    ----------
    estimator : classifier, default=None
        The model; ``LogisticRegression()`` if None. Cloned and fitted on
        part of the data, unless wrapped in
        :class:`sklearn.frozen.FrozenEstimator` (prefit): then all of
        ``fit``'s data calibrates (less the PTT holdout).
    epsilon : float, default=0.1
        Radius of the l2 ball, in the units of the features (standardise
        them first).
    alpha : float in (0, 1), default=0.1
        Target miscoverage.
    method : {"auto", "exact", "smoothing"}, default="auto"
        How the sets are made robust (see above).
    conformity_score : {"lac", "aps"}, default="lac"
        LAC (``1 - p_y``) or APS (the probability mass above the class, plus
        a uniform draw times its own: one draw per Gaussian draw, so the
        smoothed score averages over both, as in RSCP+; without the draw,
        APS scores of confident models crowd near 1 and the robust sets
        hold every class); ``"exact"`` takes LAC only.
    calibration_size : float or int, default=0.25
        Share (or number) of the samples held out to calibrate, stratified
        by class (not used when the estimator is frozen).
    sigma : float or "auto", default="auto"
        Standard deviation of the smoothing noise; "auto" is ``2 epsilon``,
        the paper's choice.
    n_draws : int, default=1024
        Gaussian draws per sample; the margins shrink as ``1 / sqrt(n_draws)``.
    beta : float, default=0.001
        Failure probability of each Monte-Carlo bound; must be below
        ``alpha / 2``.
    bound : {"bernstein", "hoeffding"}, default="bernstein"
        Margin of the test scores: empirical Bernstein (uses each score's
        variance across the draws) or Hoeffding (the "RSCP+_Hoeff" variant).
    ptt : bool, default=False
        Apply PTT's transform (smoothing only).
    ptt_size : float or int, default=0.2
        Share (or number) of the calibration data held out to fit PTT's rank
        transform; the threshold is computed on the rest.
    ptt_temperature : float, default=400.0
        Slope ``T`` of PTT's sigmoid ``1 / (1 + exp(-T (u - b)))``; its
        centre ``b`` is ``1 - alpha`` (the code's 0.9 at ``alpha = 0.1``).
    n_jobs : int, default=None
        Threads of the closed-form smoothing kernels (None: 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the splits and the draws; the same draws serve every row, so a
        row's set does not depend on the batch it comes in.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    method_ : {"exact", "smoothing"}
        The method used.
    threshold_ : float
        The calibration threshold: of the LAC score ("exact") or of the
        smoothed score ("smoothing", before the Hoeffding margin); ``inf``
        when the calibration set is too small for the level.
    sigma_ : float or None
        The smoothing noise's standard deviation (None for "exact").
    noise_ : ndarray of shape (n_draws, n_features) or None
        The Gaussian draws (None for "exact").
    noise_uniforms_ : ndarray of shape (n_draws,) or None
        The uniform draw of each Gaussian draw in the APS score (None for
        "exact").
    ptt_scores_ : ndarray or None
        Sorted holdout scores of PTT's rank transform.
    n_calibration_ : int
        Samples the threshold was computed on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    skrobust.conformal.ConformalClassifier : Sets robust to noisy or poisoned
        calibration labels.

    Notes
    -----
    The guarantee is for perturbed test inputs with clean calibration data;
    for noisy or poisoned calibration labels use
    :class:`~skrobust.conformal.ConformalClassifier`. Sparse input is
    refused: Gaussian l2 noise on TF-IDF rows has no meaning (negative term
    weights, every zero filled).

    References
    ----------
    .. [1] Yan, Zhang, Leroy, Grimm, Wang, "Provably robust conformal
       prediction with improved efficiency", ICLR 2024.
    .. [2] Jeary, Kuipers, Hosseini, Paoletti, "Verifiably robust conformal
       prediction", NeurIPS 2024.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skrobust.conformal import RobustConformalClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = RobustConformalClassifier(epsilon=0.1, random_state=0)
    >>> clf = clf.fit(X_train, y_train)
    >>> clf.method_
    'exact'
    >>> clf.predict_set(X_test).shape
    (143, 2)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "method": [StrOptions({"auto", "exact", "smoothing"})],
        "conformity_score": [StrOptions({"lac", "aps"})],
        "calibration_size": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "sigma": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "n_draws": [Interval(Integral, 2, None, closed="left")],
        "beta": [Interval(Real, 0, 1, closed="neither")],
        "bound": [StrOptions({"bernstein", "hoeffding"})],
        "ptt": ["boolean"],
        "ptt_size": [
            Interval(RealNotInt, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "ptt_temperature": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        epsilon=0.1,
        alpha=0.1,
        method="auto",
        conformity_score="lac",
        calibration_size=0.25,
        sigma="auto",
        n_draws=1024,
        beta=0.001,
        bound="bernstein",
        ptt=False,
        ptt_size=0.2,
        ptt_temperature=400.0,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.epsilon = epsilon
        self.alpha = alpha
        self.method = method
        self.conformity_score = conformity_score
        self.calibration_size = calibration_size
        self.sigma = sigma
        self.n_draws = n_draws
        self.beta = beta
        self.bound = bound
        self.ptt = ptt
        self.ptt_size = ptt_size
        self.ptt_temperature = ptt_temperature
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _default_estimator(self):
        return LogisticRegression()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Gaussian noise is added to dense, finite, numeric rows
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.input_tags.string = False
        return tags

    def _check_params(self):
        """The rules between parameters, before any fitting; each alone is
        checked by ``_parameter_constraints``."""
        smoothing_certain = (
            self.method == "smoothing" or self.ptt or self.conformity_score != "lac"
        )
        if self.method == "exact" and smoothing_certain:
            raise ValueError(
                "method='exact' bounds the LAC score without PTT: use "
                "conformity_score='lac' and ptt=False, or method='smoothing'."
            )
        if self.method != "exact":  # "auto" may smooth
            self._check_draws()
        if smoothing_certain:
            self._sigma()

    def _check_draws(self):
        if 2 * self.beta >= self.alpha:
            raise ValueError(
                f"beta={self.beta} must be below alpha / 2 = {self.alpha / 2}: the "
                "threshold is calibrated at level 1 - alpha + 2 beta."
            )
        worst = self._hoeffding()
        floor = float(bernstein_margin(0.0, self.n_draws, self.beta))
        if max(worst, floor) >= 0.5:
            raise ValueError(
                f"n_draws={self.n_draws} is too few for beta={self.beta}: the "
                f"Monte-Carlo margins (Hoeffding {worst:.2f}, Bernstein at least "
                f"{floor:.2f}) would leave every set full; raise n_draws."
            )

    def _hoeffding(self):
        """Hoeffding's bound on the Monte-Carlo error of a mean of
        ``n_draws`` scores in [0, 1], failing with probability ``beta``."""
        return _hoeffding_margin(1.0, self.n_draws, 1, self.beta)

    def _sigma(self):
        """The smoothing noise's standard deviation, refused unless positive."""
        sigma = 2.0 * self.epsilon if self.sigma == "auto" else float(self.sigma)
        if sigma <= 0:
            raise ValueError(
                "smoothing needs sigma > 0; sigma='auto' is 2 * epsilon, and "
                "epsilon is 0. Give sigma, or use method='exact' for epsilon=0."
            )
        return sigma

    def _validate_X(self, X, *, reset, y=None):
        if sp.issparse(X):
            raise TypeError(
                "RobustConformalClassifier refuses sparse input: its guarantee is "
                "for l2 perturbations of dense features, and Gaussian noise on "
                "sparse rows such as TF-IDF (every zero filled, negative term "
                "weights) has no meaning. Use ConformalClassifier for text."
            )
        if y is None:
            return validate_data(self, X, reset=reset, dtype=np.float64)
        return validate_data(self, X, y, dtype=np.float64)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the model (unless frozen) and calibrate the sets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, dense and numeric (standardised, so that
            ``epsilon`` means the same in every feature).
        y : array-like of shape (n_samples,)
            Labels (clean).

        Returns
        -------
        self : RobustConformalClassifier
            The fitted estimator.
        """
        self._check_params()
        estimator = self._base_estimator()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        X, y = self._validate_X(X, reset=True, y=y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.shape[0] < 2:
            raise ValueError("y has 1 class: prediction sets need at least 2.")
        rng = check_random_state(self.random_state)
        rows = np.arange(len(y))
        frozen = isinstance(estimator, FrozenEstimator)
        if frozen:
            self.estimator_ = estimator
            unseen = np.setdiff1d(self.classes_, estimator.classes_)
            if unseen.size:
                raise ValueError(
                    f"the calibration labels hold classes the frozen estimator "
                    f"never saw: {unseen.tolist()}."
                )
            self.classes_ = np.asarray(estimator.classes_)
            calibration = rows
        else:
            fitting, calibration = self._split(
                rows, y, self.calibration_size, rng, "fitting and calibration"
            )
            self.estimator_ = clone(estimator).fit(X[fitting], y[fitting])
        labels = np.searchsorted(self.classes_, y)
        self._warn_if_unscaled(X[calibration])
        proba = class_probabilities(self.estimator_, X[calibration], self.classes_)
        self._view = model_view(self.estimator_, X[calibration], proba)
        self.method_ = self._resolve_method()
        self.sigma_ = self.noise_ = self.noise_uniforms_ = self.ptt_scores_ = None
        if self.method_ == "exact":
            scores = 1.0 - proba[np.arange(len(calibration)), labels[calibration]]
            self.threshold_ = float(conformal_threshold(scores, self.alpha))
            self.n_calibration_ = len(calibration)
            return self
        self.sigma_ = self._sigma()
        d = X.shape[1]
        self.noise_ = rng.standard_normal((self.n_draws, d)) * self.sigma_
        self.noise_uniforms_ = rng.uniform(size=self.n_draws)
        if self.ptt:
            calibration, holdout = self._split(
                calibration, y, self.ptt_size, rng, "calibration and PTT holdout"
            )
            score = ScoreFunction(
                self.conformity_score,
                randomized=True,
                seed=rng.randint(np.iinfo(np.int32).max),
            )
            base = score.matrix(
                class_probabilities(self.estimator_, X[holdout], self.classes_)
            )
            self.ptt_scores_ = np.sort(base[np.arange(len(holdout)), labels[holdout]])
        smoothed = self._smoothed(X[calibration])[:, 0, :]
        scores = smoothed[np.arange(len(calibration)), labels[calibration]]
        self.threshold_ = float(conformal_threshold(scores, self.alpha - 2 * self.beta))
        self.n_calibration_ = len(calibration)
        return self

    @staticmethod
    def _split(rows, y, size, rng, what):
        try:
            return train_test_split(
                rows,
                test_size=size,
                stratify=y[rows],
                random_state=rng.randint(np.iinfo(np.int32).max),
            )
        except ValueError as exc:
            raise ValueError(
                f"could not split {len(rows)} samples into {what} parts stratified "
                f"by class: {exc}"
            ) from exc

    def _resolve_method(self):
        exact_possible = (
            self._view is not None and self.conformity_score == "lac" and not self.ptt
        )
        if self.method == "exact" and not exact_possible:
            raise ValueError(
                f"method='exact' needs a model with closed-form bounds: a linear "
                "model whose probabilities are the softmax or sigmoid of its "
                "decision function, or a binary RBF-kernel SVM without Platt "
                f"scaling; {type(self.estimator_).__name__} is neither. Use "
                "method='smoothing'."
            )
        if self.method == "auto":
            return "exact" if exact_possible else "smoothing"
        return self.method

    def _warn_if_unscaled(self, X):
        spread = X.std(axis=0)
        spread = spread[spread > 1e-8]  # constant columns carry no scale
        if spread.size and not (
            1 / _SCALE_FACTOR <= np.median(spread) <= _SCALE_FACTOR
            and spread.max() / spread.min() <= _SCALE_FACTOR**2
        ):
            warnings.warn(
                f"the features look unscaled (standard deviations from "
                f"{spread.min():.3g} to {spread.max():.3g}): epsilon="
                f"{self.epsilon} is in feature units, so the ball is tiny in some "
                "features and huge in others. Standardise the features first.",
                UserWarning,
                stacklevel=4,
            )

    def _ptt(self):
        sorted_scores = self.ptt_scores_ if self.ptt else np.empty(0)
        return sorted_scores, float(self.ptt_temperature), 1.0 - self.alpha

    def _smoothed(self, X):
        """Mean and variance of the scores over the draws, (n, 2, K)."""
        code = _CODES[self.conformity_score]
        if self._view is not None:
            return closed_form_smoothed_scores(
                self._view,
                X,
                self.noise_,
                self.noise_uniforms_,
                code,
                self._ptt(),
                n_threads(self.n_jobs),
            )
        K = self.classes_.shape[0]
        N, d = self.noise_.shape
        out = np.empty((X.shape[0], 2, K))
        step = max(1, _BLOCK_FLOATS // (N * max(d, K)))
        score = ScoreFunction(self.conformity_score)
        for start in range(0, X.shape[0], step):
            block = X[start : start + step]
            noisy = (block[:, None, :] + self.noise_[None]).reshape(-1, d)
            proba = class_probabilities(self.estimator_, noisy, self.classes_)
            scores = score.matrix(proba)
            if score.cumulative:  # APS: the draw's uniform times p_y, not p_y
                unused = 1.0 - np.tile(self.noise_uniforms_, len(block))
                scores -= unused[:, None] * proba
            scores = scores.reshape(len(block), N, K)
            if self.ptt:
                sorted_scores, temperature, bias = self._ptt()
                rank = np.searchsorted(sorted_scores, scores + PTT_TIE, side="right")
                rank = rank / len(sorted_scores)
                scores = 1.0 / (1.0 + np.exp(-temperature * (rank - bias)))
            out[start : start + step, 0] = scores.mean(axis=1)
            out[start : start + step, 1] = scores.var(axis=1, ddof=1)
        return out

    def predict_set(self, X):
        """Prediction sets valid for any input within ``epsilon`` of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples (possibly perturbed).

        Returns
        -------
        sets : ndarray of bool, shape (n_samples, n_classes)
            ``sets[i, j]`` is True when ``classes_[j]`` is in row ``i``'s set.
        """
        check_is_fitted(self, "threshold_")
        X = self._validate_X(X, reset=False)
        if self.method_ == "exact":
            lowest = 1.0 - max_probabilities(self._view, X, self.epsilon)
            return lowest <= self.threshold_
        smoothed = self._smoothed(X)
        mean, variance = smoothed[:, 0], smoothed[:, 1]
        hoeffding = self._hoeffding()
        if self.bound == "bernstein":
            margin = bernstein_margin(variance, self.n_draws, self.beta)
        else:
            margin = hoeffding
        lower = norm.ppf(np.clip(mean - margin, 0.0, 1.0)) - self.epsilon / self.sigma_
        return lower <= norm.ppf(min(self.threshold_ + hoeffding, 1.0))

    def predict_proba(self, X):
        """Class probabilities of the wrapped model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of ``classes_`` in order.
        """
        check_is_fitted(self, "threshold_")
        X = self._validate_X(X, reset=False)
        return class_probabilities(self.estimator_, X, self.classes_)

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
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
