"""RobustSVC: a kernel SVM with its own SMO solver and the label-noise
correction of the linear SVM."""

import warnings
from itertools import combinations
from numbers import Integral, Real

import numpy as np
from joblib import delayed
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import Nystroem
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_class_weight

from .._kernels.rows import EMPTY_INDEX, as_triple
from .._kernels.smo import smo
from ..noise._correction import check_noise_rates
from ..utils._interrupt import solve as interruptible
from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_box
from ._correction import NoiseCorrectionMixin, TrainingSet
from ._kernel_functions import KERNEL_CONSTRAINTS, KernelSVMMixin
from ._linear import RobustLinearSVC

_NO_GRAM = np.empty((0, 0))


class RobustSVC(
    KernelSVMMixin,
    NoiseCorrectionMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Kernel support vector classifier that corrects its loss for label noise.

    A drop-in replacement for :class:`sklearn.svm.SVC` (same parameters and
    dual problem, solved by its own Numba SMO solver) with the label-noise
    correction of :class:`~skrobust.svm.RobustLinearSVC`: with
    ``noise_rates="auto"`` (the default) it scores every training sample out
    of fold, estimates the flip rates, and charges each sample's own label
    ``C * posterior`` and the opposite label ``C * (1 - posterior)``, where
    ``posterior`` is the probability that its label is the true one. With
    ``noise_rates=None`` it solves the same problem as ``SVC``.

    Read more in the :ref:`User Guide <kernel_svm>`.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    kernel : {"rbf", "linear", "poly", "sigmoid", "precomputed"}, default="rbf"
        The kernel. With ``"precomputed"``, ``X`` is the kernel matrix: (n, n)
        in ``fit``, (n_test, n_train) against the training samples after.
    degree : int, default=3
        Degree of the polynomial kernel.
    gamma : "scale", "auto" or float, default="scale"
        Kernel coefficient of rbf, poly and sigmoid: ``"scale"`` is ``1 /
        (n_features * X.var())`` (the variance weighted by ``sample_weight``,
        which SVC ignores there), ``"auto"`` is ``1 / n_features``.
    coef0 : float, default=0.0
        Independent term of the poly and sigmoid kernels.
    noise_rates : "auto", None, float or array-like, default="auto"
        How labels were corrupted, as in
        :class:`~skrobust.svm.RobustLinearSVC`: ``"auto"`` estimates the
        flip rates, ``None`` fits a plain SVM, a float is a symmetric rate,
        a pair ``(rho_neg, rho_pos)`` (two classes) or a transition matrix
        ``T[i, j] = P(label j | true class i)`` gives them.
    shrinking : bool, default=True
        Set aside variables stuck at a bound during the solve (libsvm's
        heuristic); the result is the same, usually faster.
    tol : float, default=1e-3
        Stopping tolerance on the maximal violating pair, as in ``SVC``.
    cache_size : float, default=200
        Megabytes of kernel rows kept between solver steps; memory never
        grows with the square of the number of samples.
    class_weight : dict, "balanced" or None, default=None
        Multiplies ``C`` for the samples of each class.
    max_iter : int, default=-1
        Limit on solver steps per binary problem; -1 for libsvm's default,
        ``max(10**7, 100 * n_variables)``. Reaching it warns.
    decision_function_shape : {"ovr", "ovo"}, default="ovr"
        Shape of ``decision_function`` with more than two classes, as in
        ``SVC``. Without noise correction the model is one-vs-one (as
        ``SVC``) and "ovr" turns its pairwise values into per-class scores;
        with a correction the model is one-vs-rest (the flip rates are
        one-vs-rest) and "ovo" is not available.
    n_components : int or None, default=None
        None solves the exact kernel SVM. An int fits, for data too large
        for it, the linear SVM (:class:`~skrobust.svm.RobustLinearSVC` with
        its default squared hinge, which converges fast on these dense
        features; same ``C``, ``tol``, correction and class weights) on a Nystroem
        approximation of the kernel with that many components: memory
        O(n * n_components) and time linear in n. The exact solver's time
        grows about as n^2 (20k samples: 2 s in the benchmark); consider the
        approximation above some 50k samples. Multi-class is then
        one-vs-rest, and ``support_``, ``dual_coef_`` and the other
        attributes of the exact model are not set.
    cv : int, cross-validation generator or iterable, default=5
        Folds for the out-of-fold scores of the noise correction (ignored
        when ``noise_rates=None``).
    n_jobs : int or None, default=None
        Threads for the binary problems, the out-of-fold fits and the
        scoring blocks of ``decision_function``/``predict``.
    probability : bool, default=False
        Not available: ``True`` raises a ValueError pointing to
        ``CalibratedClassifierCV(RobustSVC(), ensemble=False)``, which adds
        ``predict_proba`` (Platt scaling, ``method="sigmoid"``, on
        cross-validated decision values), the way scikit-learn 1.9 replaces
        ``SVC(probability=True)``. Kept so that code written for ``SVC``
        gets that answer rather than an unknown-argument error.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of the noise correction. The solver itself is
        deterministic.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    support_ : ndarray of shape (n_SV,)
        Indices of the support vectors in the training data.
    support_vectors_ : ndarray or sparse matrix of shape (n_SV, n_features)
        The support vectors (empty for a precomputed kernel).
    dual_coef_ : ndarray of shape (n_problems, n_SV)
        Coefficient of each support vector in each binary problem's decision
        function ``sum_k dual_coef_[p, k] K(support_vectors_[k], x) +
        intercept_[p]`` (zero where a vector is not in the problem). The
        problems: one for two classes (positive means ``classes_[1]``); else
        the class pairs ``(i, j)``, ``i < j``, in order (positive means
        ``classes_[i]``), or with a noise correction one per class.
    intercept_ : ndarray of shape (n_problems,)
        The intercepts of the problems.
    n_support_ : ndarray of shape (n_classes,)
        Number of support vectors of each class.
    n_iter_ : ndarray of shape (n_problems,)
        Solver steps of each problem.
    noise_rates_ : ndarray of shape (n_problems, 2) or None
        Flip rates ``(rho_neg, rho_pos)`` of each one-vs-rest problem used
        by the correction; None without correction.
    transition_matrix_ : ndarray of shape (n_classes, n_classes) or None
        The noise matrix behind those rates; None without correction.
    dual_objective_ : ndarray of shape (n_problems,)
        The dual objective ``0.5 a' Q a - sum(a)`` each problem reached.
    nystroem_ : sklearn.kernel_approximation.Nystroem
        The feature map, with ``n_components`` only.
    linear_svc_ : RobustLinearSVC
        The linear model on those features, with ``n_components`` only.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    sklearn.svm.SVC : The plain kernel SVM this estimator extends.
    skrobust.svm.RobustLinearSVC : The linear version, for large data.

    Notes
    -----
    The solver is sequential minimal optimisation with libsvm's
    second-order working-set selection and shrinking. A sample whose label
    may be wrong has one dual variable per label, both on the same kernel
    row, so the correction costs no extra kernel evaluations per solver
    step. The correction fits ``5 * cv + 1`` models (see
    :class:`~skrobust.svm.RobustLinearSVC`).

    Scoring computes kernel blocks with BLAS; it uses ``n_jobs`` threads.

    References
    ----------
    R.-E. Fan, P.-H. Chen, C.-J. Lin, "Working Set Selection Using Second
    Order Information for Training Support Vector Machines", JMLR 2005.

    N. Natarajan, I. S. Dhillon, P. Ravikumar, A. Tewari, "Learning with Noisy
    Labels", NeurIPS 2013.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.noise import flip_labels
    >>> from skrobust.svm import RobustSVC
    >>> X, y = make_moons(n_samples=400, noise=0.2, random_state=0)
    >>> # 40% of the positives labelled negative: class-conditional noise
    >>> y_noisy, flipped = flip_labels(y, [[1.0, 0.0], [0.4, 0.6]], random_state=0)
    >>> clf = RobustSVC(random_state=0).fit(X, y_noisy)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither")],
        **KERNEL_CONSTRAINTS,
        "noise_rates": RobustLinearSVC._parameter_constraints["noise_rates"],
        "shrinking": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "cache_size": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        # -1: no limit, as in SVC
        "max_iter": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
        ],
        "decision_function_shape": [StrOptions({"ovr", "ovo"})],
        "cv": ["cv_object"],
        "n_jobs": [Integral, None],
        "probability": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        noise_rates="auto",
        shrinking=True,
        tol=1e-3,
        cache_size=200,
        class_weight=None,
        max_iter=-1,
        decision_function_shape="ovr",
        n_components=None,
        cv=5,
        n_jobs=None,
        probability=False,
        random_state=None,
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.noise_rates = noise_rates
        self.shrinking = shrinking
        self.tol = tol
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.n_components = n_components
        self.cv = cv
        self.n_jobs = n_jobs
        self.probability = probability
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model, correcting for label noise as ``noise_rates`` says.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) \
                or (n_samples, n_samples)
            Training data, or the kernel matrix for ``kernel="precomputed"``.
        y : array-like of shape (n_samples,)
            Labels, possibly noisy.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; they multiply ``C``.

        Returns
        -------
        self : RobustSVC
            The fitted estimator.
        """
        spec = self._check_params()
        X, y_encoded, sample_weight = self._validate_training_data(
            spec, X, y, sample_weight
        )
        n_classes = len(self.classes_)
        transition = check_noise_rates(self.noise_rates, n_classes)
        if self.decision_function_shape == "ovo" and (
            transition is not None or self.n_components is not None
        ):
            raise ValueError(
                "decision_function_shape='ovo' needs noise_rates=None and "
                "n_components=None: the noise correction and the approximation "
                "fit one-vs-rest problems."
            )
        self._approximate = self.n_components is not None
        if self._approximate:
            return self._fit_approximation(X, y_encoded, sample_weight)
        training = TrainingSet(
            X,
            y_encoded,
            sample_weight,
            compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[y_encoded]
            ),
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max),
        )
        training.sqnorm = _row_sqnorms(X, spec)
        check_box(
            self,
            self.C * sample_weight * training.class_weight[y_encoded],
            spec.largest_diagonal(X, training.sqnorm),
            self.tol,
        )

        posteriors = None
        self.noise_rates_ = self.transition_matrix_ = None
        if transition is not None:
            posteriors, self.noise_rates_ = self._label_posteriors(training, transition)
        pairwise = transition is None and n_classes > 2
        tasks = (
            self._pair_tasks(training)
            if pairwise
            else self._tasks(training, None, posteriors)
        )
        self._set_model(training, self._run(tasks), pairwise)
        return self

    def decision_function(self, X):
        """Decision values of the samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) \
                or (n_samples, n_train)
            Samples, or their kernel values against the training samples
            for ``kernel="precomputed"``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes) \
                or (n_samples, n_pairs)
            For two classes, the score of ``classes_[1]``; otherwise one
            column per class, or per class pair with
            ``decision_function_shape="ovo"``.
        """
        scores = self._problem_scores(X)
        if scores.shape[1] == 1:
            return scores.ravel()
        if self._pairwise and self.decision_function_shape == "ovr":
            return _pairwise_to_class_scores(scores, len(self.classes_))
        return scores

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) \
                or (n_samples, n_train)
            Samples (kernel values for ``kernel="precomputed"``).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels: by vote over the class pairs (as ``SVC``) for
            a one-vs-one model, else the largest score.
        """
        scores = self._problem_scores(X)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(int)]
        if self._pairwise:
            return self.classes_[_pairwise_votes(scores, len(self.classes_)).argmax(1)]
        return self.classes_[scores.argmax(axis=1)]

    def _check_params(self):
        """The kernel, after the rules between parameters."""
        return self._kernel_spec()

    def _tasks(self, training, rows, posteriors, C=None):
        """One solver call per binary problem on ``rows`` (None for all)."""
        for y_signed, cost, cost_flipped in training.binary_problems(
            rows, posteriors, self.C if C is None else C
        ):
            yield delayed(self._solve)(training, rows, y_signed, cost, cost_flipped)

    def _pair_tasks(self, training):
        """One solver call per class pair ``(i, j)``, ``i`` positive."""
        n_classes = len(self.classes_)
        weight = self.C * training.sample_weight * training.class_weight[training.y]
        for i, j in combinations(range(n_classes), 2):
            rows = np.flatnonzero((training.y == i) | (training.y == j))
            y_signed = np.where(training.y[rows] == i, 1.0, -1.0)
            cost = weight[rows]
            yield delayed(self._solve)(
                training, rows, y_signed, cost, np.zeros_like(cost)
            )

    def _solve(self, training, rows, y_signed, cost, cost_flipped):
        """Solve one binary problem on ``rows``.

        Returns ``(rows, coef, intercept, objective, n_iter)`` with ``coef``
        the dual coefficient of each of those rows.
        """
        if rows is None:
            rows = np.arange(training.X.shape[0])
            subset, sqnorm = training.X, training.sqnorm
        else:
            sqnorm = training.sqnorm[rows]
            if self._spec.precomputed:
                subset = training.X[np.ix_(rows, rows)]
            else:
                subset = training.X[rows]
        if self._spec.precomputed:
            data, indices, indptr, gram = subset, EMPTY_INDEX, EMPTY_INDEX, subset
        else:
            data, indices, indptr = as_triple(subset)
            gram = _NO_GRAM
        own = np.flatnonzero(cost > 0)
        flipped = np.flatnonzero(cost_flipped > 0)
        variables = np.concatenate([own, flipped])
        signs = np.concatenate([y_signed[own], -y_signed[flipped]])
        n_rows = len(rows)
        cache_rows = int(self.cache_size * 2**20 // (8 * max(n_rows, 1)))
        if self._spec.precomputed:
            # the rows are in the Gram matrix already: caching copies of them
            # would only add up to cache_size megabytes
            cache_rows = 2
        # without max_iter, libsvm's own cap: a tol below the problem's
        # round-off floor must not loop for hours
        limit = self.max_iter if self.max_iter > 0 else max(10**7, 100 * len(variables))
        alpha, rho, objective, n_iter = interruptible(
            smo,
            data,
            indices,
            indptr,
            0 if self._spec.precomputed else subset.shape[1],
            gram,
            sqnorm,
            self._spec.as_tuple(),
            variables,
            signs,
            np.concatenate([cost[own], cost_flipped[flipped]]),
            -np.ones(len(variables)),
            self.tol,
            limit,
            bool(self.shrinking),
            cache_rows,
        )
        if n_iter >= limit:
            cap = f"max_iter={self.max_iter}"
            if self.max_iter < 0:
                cap += ": libsvm's cap, max(10**7, 100 * n_variables)"
            warnings.warn(
                f"RobustSVC stopped after {limit} solver steps ({cap}) before "
                f"reaching tol={self.tol}; increase max_iter or tol, or scale the "
                "features.",
                ConvergenceWarning,
                stacklevel=2,
            )
        coef = np.bincount(variables, weights=signs * alpha, minlength=n_rows)
        return rows, coef, -rho, objective, n_iter

    def _score_fold(self, training, results, rows):
        """Decision values of ``rows`` from one fold's solver results."""
        support, dual_coef, intercept = _stack_problems(results, len(training.y))
        return self._spec.scores(
            training.X[rows],
            support if self._spec.precomputed else training.X[support],
            dual_coef,
            intercept,
            self.n_jobs,
        )

    def _set_model(self, training, results, pairwise):
        self._pairwise = pairwise
        self.support_, self.dual_coef_, self.intercept_ = _stack_problems(
            results, len(training.y)
        )
        self.dual_objective_ = np.array([o for *_, o, _ in results])
        self.n_iter_ = np.array([n for *_, n in results])
        self.n_support_ = np.bincount(
            training.y[self.support_], minlength=len(self.classes_)
        ).astype(np.int32)
        if self._spec.precomputed:
            self.support_vectors_ = np.empty((0, 0))
        else:
            self.support_vectors_ = training.X[self.support_]

    def _fit_approximation(self, X, y_encoded, sample_weight):
        """Nystroem features and the linear solver, with the same correction."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self.nystroem_ = Nystroem(
            kernel=self._spec.kernel,
            gamma=self._spec.gamma,
            degree=self._spec.degree,
            coef0=self._spec.coef0,
            n_components=min(self.n_components, X.shape[0]),
            random_state=seed,
        ).fit(X)
        self.linear_svc_ = RobustLinearSVC(
            C=self.C,
            tol=self.tol,
            noise_rates=self.noise_rates,
            class_weight=self.class_weight,
            max_iter=1000 if self.max_iter < 0 else self.max_iter,
            cv=self.cv,
            n_jobs=self.n_jobs,
            random_state=seed,
        ).fit(self.nystroem_.transform(X), y_encoded, sample_weight=sample_weight)
        self.noise_rates_ = self.linear_svc_.noise_rates_
        self.transition_matrix_ = self.linear_svc_.transition_matrix_
        self._pairwise = False
        return self

    def _problem_scores(self, X):
        X = self._validate_scoring_data(X)
        if self._approximate:
            scores = self.linear_svc_.decision_function(self.nystroem_.transform(X))
            return scores.reshape(X.shape[0], -1)
        vectors = self.support_ if self._spec.precomputed else self.support_vectors_
        return self._spec.scores(
            X, vectors, self.dual_coef_, self.intercept_, self.n_jobs
        )


def _row_sqnorms(X, spec):
    if spec.precomputed:
        return np.zeros(X.shape[0])
    if hasattr(X, "indptr"):
        return np.asarray(X.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, X)


def _stack_problems(results, n_samples):
    """The union of the problems' support vectors, each problem's
    coefficients over it, and the intercepts."""
    support = np.unique(np.concatenate([r[c != 0] for r, c, *_ in results]))
    position = np.full(n_samples, -1)
    position[support] = np.arange(len(support))
    dual_coef = np.zeros((len(results), len(support)))
    for p, (rows, coef, *_) in enumerate(results):
        nonzero = coef != 0
        dual_coef[p, position[rows[nonzero]]] = coef[nonzero]
    return support, dual_coef, np.array([b for _, _, b, _, _ in results])


def _pairwise_votes(scores, n_classes):
    """Votes of the class pairs ``(i, j)``: positive votes for ``i``."""
    votes = np.zeros((scores.shape[0], n_classes))
    for p, (i, j) in enumerate(combinations(range(n_classes), 2)):
        positive = scores[:, p] > 0
        votes[positive, i] += 1
        votes[~positive, j] += 1
    return votes


def _pairwise_to_class_scores(scores, n_classes):
    """SVC's one-vs-rest view of pairwise values: votes plus confidences
    squashed into (-1/3, 1/3) to break ties."""
    confidence = np.zeros((scores.shape[0], n_classes))
    for p, (i, j) in enumerate(combinations(range(n_classes), 2)):
        confidence[:, i] += scores[:, p]
        confidence[:, j] -= scores[:, p]
    votes = _pairwise_votes(scores, n_classes)
    return votes + confidence / (3 * (np.abs(confidence) + 1))
