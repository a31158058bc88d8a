"""RobustLossClassifier: a multi-class linear model trained with robust losses."""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import validate_data

from .._kernels.crammer_singer import crammer_singer
from .._kernels.multiclass_losses import (
    ALDR_KL,
    COMP_SUM,
    CRAMMER_SINGER,
    LDR_KL,
    LOG_LOSS,
)
from .._kernels.multiclass_primal import fit_multiclass_primal
from .._kernels.rows import as_triple
from ..utils._folds import stratified_folds
from ..utils._interrupt import solve as interruptible
from ..utils._linear import LinearScoresMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._validation import (
    check_feature_scale,
    check_sample_weight,
    encode_classes,
)

LOSSES = {
    "log_loss": LOG_LOSS,
    "crammer_singer": CRAMMER_SINGER,
    "ldr_kl": LDR_KL,
    "aldr_kl": ALDR_KL,
    "comp_sum": COMP_SUM,
}


def _has_probabilities(estimator):
    """``predict_proba`` exists for the losses whose minimiser gives them."""
    loss = estimator.loss
    if not (
        loss == "log_loss"
        or (loss == "comp_sum" and estimator.tau < 2)
        or (loss == "ldr_kl" and estimator.margin == 0)
    ):
        raise AttributeError(f"predict_proba is not available for loss={loss!r}.")
    return True


class RobustLossClassifier(
    LinearScoresMixin, ClassifierMixin, PickleVersionMixin, BaseEstimator
):
    """Multi-class linear classifier trained with a label-noise-robust loss.

    Fits one weight vector per class (binary problems included) by
    minimising ``C * sum_i s_i * loss(W x_i + b, y_i) + ||W||^2 / 2`` with
    the loss chosen by ``loss``; ``s_i`` is the sample weight times the
    class weight. The losses are functions of the score differences
    ``z_k = margin * [k != y] + f_k - f_y``:

    - ``"comp_sum"`` (default): comp-sum losses (Mao, Mohri & Zhong, 2023)
      ``(p_y^(tau - 1) - 1) / (1 - tau)`` with ``p = softmax(f)``: ``tau=0``
      sum-exponential, ``tau=1`` cross-entropy, ``tau`` in (1, 2)
      generalised cross-entropy (GCE, ``q = tau - 1``; the default
      ``tau=1.7``), ``tau=2`` ``1 - p_y`` (MAE). Bounded, and so robust: a
      sample's pull carries the weight ``p_y^(tau - 1)``, so labels the
      model confidently contradicts let go. Not convex for ``tau > 1``, so
      the starting point matters: see ``init``.
    - ``"aldr_kl"``: adaptive label-distributionally robust loss
      (Zhu, Ying & Yang, 2023). Each sample is scored against the worst
      label distribution near the uniform one, at its own temperature
      ``lam_i`` in ``[temperature * (1 - 1/adaptivity), temperature]``: samples
      the model is unsure of get the high temperature, where the loss is
      nearly linear and bounded in its pull (as the symmetric losses that
      tolerate label noise), confident ones the lower temperature, where it
      approaches the multi-class hinge. ``lam_i`` maximises
      ``lam * log(mean_k exp(z_k / lam)) - a/2 (lam - temperature)^2`` with
      ``a = adaptivity * log(K) / temperature``.
    - ``"ldr_kl"``: the same at a fixed temperature ``lam = temperature``;
      ``lam * log(mean_k exp(z_k / lam))``.
    - ``"log_loss"``: cross-entropy, the optimum of
      :class:`sklearn.linear_model.LogisticRegression` (multinomial).
    - ``"crammer_singer"``: the multi-class hinge ``max_k z_k`` with margin 1,
      the optimum of ``LinearSVC(multi_class="crammer_singer")``.

    The smooth losses are minimised in the primal by L-BFGS (the intercept
    is not penalised, as in ``LogisticRegression``); the Crammer-Singer
    hinge by the sequential dual method of liblinear (the intercept is the
    weight of a constant feature ``intercept_scaling``, penalised, as in
    ``LinearSVC``).

    Read more in the :ref:`User Guide <robust_losses>`.

    Parameters
    ----------
    loss : {"comp_sum", "aldr_kl", "ldr_kl", "log_loss", "crammer_singer"}, \
default="comp_sum"
        The training loss.
    C : float, default=1.0
        Inverse regularisation strength.
    temperature : float, default=10.0
        ``lam`` of LDR-KL, ``lam0`` of ALDR-KL (the paper's default is 10).
        Small temperatures approach the hinge, large ones a linear loss.
    margin : float, default=0.1
        The margin ``c`` of LDR-KL and ALDR-KL (>= 0).
    adaptivity : float, default=2.0
        ALDR-KL's adaptivity (> 1): the per-sample temperature ranges over
        ``[temperature * (1 - 1/adaptivity), temperature]`` (the paper's
        ``alpha``).
    tau : float, default=1.7
        The comp-sum parameter, in [0, 2]; 1.7 is GCE with ``q = 0.7``.
    fit_intercept : bool, default=True
        Whether to fit an intercept per class.
    intercept_scaling : float, default=1.0
        The constant feature that carries the intercept of the
        Crammer-Singer dual solver (unused by the other losses).
    class_weight : dict, "balanced" or None, default=None
        Multiplies each class's sample weights, as in scikit-learn.
    tol : float, default=1e-4
        Stopping tolerance: the largest gradient entry of the objective
        divided by ``C * sum_i s_i`` (as ``LogisticRegression``), or, for
        the Crammer-Singer dual, the largest violation of the optimality
        conditions over an epoch.
    max_iter : int, default=1000
        L-BFGS iterations, or dual epochs.
    init : {"auto", "zeros", "log_loss"}, default="auto"
        Where L-BFGS starts: at zero, or at the cross-entropy optimum (one
        convex fit more). It matters only for the non-convex comp-sum losses
        (``tau > 1``); the convex ones start at zero. ``"auto"`` fits both
        on 3 stratified folds and keeps the start whose held-out accuracy on
        the given labels is higher (weighted as the fit). Neither start wins
        everywhere: from the cross-entropy optimum GCE keeps logistic
        regression's accuracy on clean labels where from zero it can stop
        short, but where the cross-entropy model has fitted the noise it
        stays near it (figures in the user guide). Held-out accuracy on
        noisy labels ranks models as
        on clean ones when the noise is symmetric (it is then an increasing
        function of the clean accuracy), and nearly so when every class
        keeps most of its labels.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` (primal losses;
        the dual solver restarts from zero since it keeps no dual variables);
        takes precedence over ``init``.
    random_state : int, RandomState instance or None, default=None
        Order of the dual solver's coordinate sweeps, and the folds of
        ``init="auto"``.
    alpha : float, default="deprecated"
        Renamed ``adaptivity`` in 0.1 (``alpha`` is the miscoverage level
        elsewhere in skrobust); still accepted, with a ``FutureWarning``,
        until 0.3.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; for two classes the weight of ``classes_[1]`` minus that of
        ``classes_[0]``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts, in the same layout.
    temperatures_ : ndarray of shape (n_samples,) or None
        For LDR-KL and ALDR-KL, the temperature each training sample was
        scored at by the fitted model (ALDR-KL: high for ambiguous samples).
    n_iter_ : int
        Iterations (or epochs) run, those of the cross-entropy start
        included.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The cross-entropy optimum.
    sklearn.svm.LinearSVC : The Crammer-Singer optimum.
    skrobust.svm.RobustLinearSVC : A linear SVM corrected for flip rates.

    Notes
    -----
    For a linear model with an L2 penalty a single fixed temperature is a
    re-parametrisation of ``C`` and the margin (``V = W / lam``); what
    ALDR-KL adds is the temperature per sample. The reference code
    normalises the scores of a neural network, which makes the loss
    non-convex; here the per-sample maximisation over the temperature keeps
    ALDR-KL a supremum of losses affine in the scores, hence convex, and the
    penalty bounds the scores instead. The temperature is a root of the
    optimality condition found by a safeguarded Newton iteration; the
    objective in the temperature is concave, so the root is the maximiser,
    whenever a sample's score differences span less than
    ``2 * temperature * sqrt(a * log(K) * (1 - 1/a) ** 3)``, ``a`` the
    adaptivity (15 for
    the defaults and ten classes); beyond that the search returns a local
    maximiser.

    References
    ----------
    D. Zhu, Y. Ying, T. Yang, "Label Distributionally Robust Losses for
    Multi-class Classification: Consistency, Robustness and Adaptivity",
    ICML 2023.

    A. Mao, M. Mohri, Y. Zhong, "Cross-Entropy Loss Functions: Theoretical
    Analysis and Applications", ICML 2023.

    K. Crammer, Y. Singer, "On the Algorithmic Implementation of Multiclass
    Kernel-based Vector Machines", JMLR 2001; S. S. Keerthi et al., "A
    Sequential Dual Method for Large Scale Multi-class Linear SVMs", KDD
    2008.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skrobust.linear_model import RobustLossClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RobustLossClassifier().fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        "loss": [StrOptions(set(LOSSES))],
        "C": [Interval(Real, 0, None, closed="neither")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "adaptivity": [Interval(Real, 1, None, closed="neither")],
        "tau": [Interval(Real, 0, 2, closed="both")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"auto", "zeros", "log_loss"})],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "alpha": [
            Interval(Real, 1, None, closed="neither"),
            Hidden(StrOptions({"deprecated"})),
        ],
    }

    def __init__(
        self,
        loss="comp_sum",
        *,
        C=1.0,
        temperature=10.0,
        margin=0.1,
        adaptivity=2.0,
        tau=1.7,
        fit_intercept=True,
        intercept_scaling=1.0,
        class_weight=None,
        tol=1e-4,
        max_iter=1000,
        init="auto",
        warm_start=False,
        random_state=None,
        alpha="deprecated",
    ):
        self.loss = loss
        self.C = C
        self.temperature = temperature
        self.margin = margin
        self.adaptivity = adaptivity
        self.tau = tau
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.init = init
        self.alpha = alpha
        self.warm_start = warm_start
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels, possibly noisy.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; they multiply ``C``.

        Returns
        -------
        self : RobustLossClassifier
            The fitted estimator.
        """
        self._check_params()
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=np.float64, order="C"
        )
        check_feature_scale(X, self)
        classes, y_encoded = encode_classes(y, "RobustLossClassifier")
        weights = check_sample_weight(sample_weight, X.shape[0])
        weights = (
            weights
            * compute_class_weight(self.class_weight, classes=classes, y=y)[y_encoded]
        )
        unweighted = np.bincount(y_encoded, weights, len(classes)) == 0
        if unweighted.any():
            raise ValueError(
                "RobustLossClassifier needs a positive total weight in every class; "
                f"class {classes[unweighted].tolist()[0]!r} has none (sample_weight or "
                "class_weight is zero for all its samples)."
            )
        start = self._warm_start(classes)
        self.classes_ = classes
        y_encoded = y_encoded.astype(np.int64)
        code = LOSSES[self.loss]
        if code == CRAMMER_SINGER:
            bias = self.intercept_scaling if self.fit_intercept else 0.0
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            W, n_iter = interruptible(
                crammer_singer, *as_triple(X), X.shape[1], y_encoded, len(classes),
                self.C * weights, 1.0, bias, self.tol, self.max_iter, seed,
            )  # fmt: skip
            W[:, -1] *= bias
            converged, temps = n_iter < self.max_iter, None
        else:
            n_start = 0
            if start is None:
                init = self._init(X, y_encoded, weights, len(classes))
                start = np.zeros((len(classes), X.shape[1] + 1))
                if init == "log_loss":
                    start, n_start, _ = self._fit_primal(
                        X, y_encoded, weights, len(classes), LOG_LOSS, start
                    )
            W, n_iter, converged, temps = self._fit_primal(
                X, y_encoded, weights, len(classes), code, start, temperatures=True
            )
        self._set_weights(W)
        self.temperatures_ = temps if code in (LDR_KL, ALDR_KL) else None
        self.n_iter_ = int(n_iter) if code == CRAMMER_SINGER else int(n_iter + n_start)
        if not converged:
            warnings.warn(
                f"RobustLossClassifier did not reach tol={self.tol} in {n_iter} "
                "iterations; increase max_iter or tol, or scale the features.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Class probabilities, from the link of the loss's minimiser.

        ``softmax(f)`` for cross-entropy, ``softmax(f / temperature)`` for
        LDR-KL without margin, and for comp-sum the probabilities ``eta``
        whose expected loss the scores minimise:
        ``eta_k ~ softmax(f)_k ** (2 - tau)``. Not available for losses
        whose minimiser does not determine them (hinge, margins, ALDR-KL,
        ``tau = 2``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of ``classes_`` in order.
        """
        scores = self._class_scores(X)
        if self.loss == "ldr_kl":
            scores /= self.temperature
        elif self.loss == "comp_sum":
            scores *= 2.0 - self.tau
        return softmax(scores, copy=False)

    @available_if(_has_probabilities)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of ``classes_`` in order.
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _class_scores(self, X):
        """``(n_samples, n_classes)`` scores, with a zero column for class 0
        of a binary problem."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([np.zeros_like(scores), scores])
        return scores

    def _check_params(self):
        """The deprecated spelling; each parameter alone is checked by
        ``_parameter_constraints``."""
        if self._alpha_given():
            warnings.warn(
                "alpha was renamed adaptivity in 0.1 and will be removed in 0.3; "
                "pass adaptivity.",
                FutureWarning,
                stacklevel=3,
            )

    def _alpha_given(self):
        return not (isinstance(self.alpha, str) and self.alpha == "deprecated")

    def _adaptivity(self):
        """``adaptivity``, or the deprecated ``alpha`` when it was given."""
        return self.alpha if self._alpha_given() else self.adaptivity

    def _fit_primal(self, X, y, weights, n_classes, code, start, temperatures=False):
        """``(W, n_iter, converged)`` of the smooth loss ``code`` from
        ``start`` (and the per-sample temperatures if asked)."""
        loss = (code, self.margin, self.temperature, self._adaptivity(), self.tau)
        W, n_iter, converged, temps = fit_multiclass_primal(
            X, y, weights, n_classes, loss, self.C, self.fit_intercept, self.tol,
            self.max_iter, start,
        )  # fmt: skip
        return (W, n_iter, converged, temps) if temperatures else (W, n_iter, converged)

    def _init(self, X, y, weights, n_classes):
        """The start of a cold fit: ``init``, or for ``"auto"`` the start
        whose fits on 3 folds are the more accurate on the held-out labels."""
        if self.loss != "comp_sum" or self.tau <= 1:
            return "zeros"  # convex: the optimum does not depend on it
        if self.init != "auto":
            return self.init
        n_splits = min(3, np.bincount(y, minlength=n_classes).min())
        if n_splits < 2:
            return "log_loss"
        folds = stratified_folds(n_splits, y, self.random_state).split(X, y)
        hits = {"zeros": 0.0, "log_loss": 0.0}
        zeros = np.zeros((n_classes, X.shape[1] + 1))
        for train, test in folds:
            fit = functools.partial(
                self._fit_primal, X[train], y[train], weights[train], n_classes
            )
            cross_entropy, _, _ = fit(LOG_LOSS, zeros)
            for init, start in (("zeros", zeros), ("log_loss", cross_entropy)):
                W, _, _ = fit(LOSSES["comp_sum"], start)
                predicted = (X[test] @ W[:, :-1].T + W[:, -1]).argmax(axis=1)
                hits[init] += weights[test] @ (predicted == y[test])
        return "log_loss" if hits["log_loss"] >= hits["zeros"] else "zeros"

    def _warm_start(self, classes):
        """The previous fit's weights as an L-BFGS start, or None."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        if not np.array_equal(classes, self.classes_):
            raise ValueError(
                "warm_start needs the classes of the previous fit "
                f"{self.classes_.tolist()}; got {classes.tolist()}."
            )
        previous = np.column_stack([self.coef_, self.intercept_])
        start = np.zeros((len(classes), previous.shape[1]))
        if len(classes) == 2:
            # the optimum splits a binary problem evenly between the classes
            start[0], start[1] = -0.5 * previous[0], 0.5 * previous[0]
        else:
            start[:] = previous
        return start

    def _set_weights(self, W):
        if len(self.classes_) == 2:
            W = W[1:] - W[:1]
        self.coef_ = W[:, :-1]
        self.intercept_ = W[:, -1]
