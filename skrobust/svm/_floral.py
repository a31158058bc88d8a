"""FloralSVC: kernel SVM trained against an adversary that flips its labels."""

import numbers
import warnings
from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
)

from .._kernels.floral import SUPPORT_THRESHOLD, floral_rounds
from ..noise import clean_label_posterior, estimate_noise_rates
from ..utils._interrupt import solve as interruptible
from ..utils._linear import PredictFromScoresMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._validation import (
    check_box,
    check_budget,
)
from ._kernel import RobustSVC, _row_sqnorms
from ._kernel_functions import KERNEL_CONSTRAINTS, KernelSVMMixin

# the plain SVMs among the candidates of selection="validation": C times these
_SVM_C_SCALES = (1.0, 0.1, 10.0)
# neighbours whose labels vote on each held-out label (holdout_labels="neighbors")
_N_NEIGHBOURS = 10
# on a held-out share, candidates this close to the best weighted accuracy
# count as equally accurate (a hundred or so partly poisoned labels cannot
# tell them apart)
_HELD_OUT_TOLERANCE = 0.03
# held-out flip rates summing to this or more (labels agreeing with the truth
# at most 1 - 0.6 = 0.4 more often than not) leave the plain SVM at C chosen
_UNINFORMATIVE = 0.6
# a candidate model of one binary problem: its dual variables, the labels
# they go with, the intercept, the round it comes from (0: a plain SVM) and,
# for a plain SVM, the factor of C and whether it is noise-corrected
_Model = namedtuple(
    "_Model", "lam labels intercept round scale corrected", defaults=(False,)
)


class FloralSVC(
    PredictFromScoresMixin,
    KernelSVMMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Kernel SVM trained by FLORAL's game against a label-flipping adversary.

    FLORAL (Bal, Cevher and Muehlebach, 2025) trains a kernel SVM while an
    attacker, every round, flips the labels of the support vectors that
    matter most. The learner takes one projected-gradient step on the SVM
    dual per round under the attacked labels; the attacker then flips
    ``budget`` labels, drawn at random among the ``2 * budget`` samples with
    the largest dual variables, always starting from the given labels.

    The paper's model is the last round's iterate, with the labels it was
    computed under (``selection="last"``, with ``learning_rate=1e-4`` and
    ``n_rounds=501`` the authors' shipped settings). That iterate swings from
    round to round and, on the authors' own Moon data, is worse than a plain
    SVM on clean and mildly poisoned labels. By default
    (``selection="validation"``) the model is instead chosen among the plain
    SVMs on the given labels (at ``C``, ``C / 10`` and ``10 C``) and the
    iterates every ``eval_every`` rounds, by accuracy on validation labels,
    and among equally accurate candidates by the lowest mean hinge loss on
    them (a few hundred labels leave accuracy in coarse steps, and ties
    between candidates are common). Trusted ones, passed as
    ``X_val, y_val`` (the setting in which it measurably wins, see the user
    guide), also choose among the
    noise-corrected SVM (:class:`~skrobust.svm.RobustSVC` with estimated
    flip rates, ``corrected_svm``), and the game and the SVMs are then played
    at several kernel widths (``gamma_scales``): the game stops early, with
    dual variables far below ``C``, and a narrower kernel often suits its
    iterates. Without trusted labels a held-out ``validation_fraction`` of the
    given data, whose labels may be poisoned too, chooses at ``gamma``
    alone. On those, each label counts with the estimated probability that
    it is right (``holdout_labels="neighbors"``: class-conditional flip
    rates fitted to the vote of each held-out row's 10 nearest neighbours
    among the other training rows, as
    :func:`skrobust.noise.clean_label_posterior` does), so that labels their
    neighbourhood contradicts weigh less, and candidates within 3 points of
    the best such accuracy count as equally accurate; where those flip rates
    sum to 0.6 or more, the held-out labels say too little and the plain
    SVM at ``C`` is kept. A plain SVM chosen on the held-out share is
    refitted on all the data.

    Read more in the :ref:`User Guide <floral>`.

    Parameters
    ----------
    C : float, default=1.0
        Box of the dual variables (10 in the paper's configurations; the
        game's iterates rarely reach it, the plain SVMs do).
    kernel : {"rbf", "linear", "poly", "sigmoid", "precomputed"}, default="rbf"
        The kernel, as in :class:`~skrobust.svm.RobustSVC`.
    degree : int, default=3
        Degree of the polynomial kernel.
    gamma : "scale", "auto" or float, default="scale"
        Kernel coefficient, as in :class:`~skrobust.svm.RobustSVC`.
    coef0 : float, default=0.0
        Independent term of the poly and sigmoid kernels.
    budget : float or int, default=0.05
        Labels the attacker flips per round: a fraction in [0, 1) of the
        training samples (rounded up) or a count.
    learning_rate : float, default=1e-3
        Step of the projected gradient (the paper's code: 1e-4).
    n_rounds : int, default=2001
        Rounds of the game, the first a warm-up without step or attack (the
        paper's code: 501).
    selection : {"validation", "last"}, default="validation"
        The model: the most accurate candidate on validation labels (the one
        with the lowest mean hinge loss ``max(0, 1 - y f(x))`` on them among
        equally accurate ones, the earliest listed on full ties), or the last
        iterate (the paper).
    validation_fraction : float, default=0.2
        Share of ``(X, y)`` held out (stratified, seeded by
        ``random_state``) when ``selection="validation"`` and no
        ``X_val, y_val`` are given; the game then plays on the rest.
    holdout_labels : {"neighbors", "posterior", "given"}, \
            default="neighbors"
        How the held-out share's labels score a candidate (without
        ``X_val, y_val``): weighted by the estimated probability that each
        is right (for the accuracy and for the hinge loss that breaks its
        ties, each label counts as the other one with the remaining
        probability), or taken at face value ("given"). The probability
        comes from flip rates fitted to a score of each held-out row:
        "neighbors", the (sample-weighted) share of its 10 nearest
        training rows (Euclidean in the input space; the kernel's distance
        for a precomputed kernel) that carry its label; "posterior", the
        plain SVM's decision value.
        The SVM is fitted on the same poisoned labels and rewards the
        candidates that follow the poison; the neighbours' vote does not
        depend on any candidate (the measured gains are in the user guide).
        With any
        of them, candidates within 0.03 of the best held-out accuracy count
        as equally accurate, and where the fitted flip rates sum to 0.6 or
        more (labels that say little, as under 40% random flips) the plain
        SVM at ``C`` is kept.
    eval_every : int, default=50
        Rounds between the iterates considered by ``selection="validation"``.
    gamma_scales : tuple of float, default=(1.0, 0.5, 2.0)
        With trusted ``X_val, y_val``, the game is played and the plain SVMs
        are fitted at ``gamma`` times each of these, and the candidates of
        all of them compete (ties in accuracy go to the lower mean hinge
        loss, then to the first listed). Ignored without
        trusted labels (the held-out share then chooses at ``gamma`` alone),
        with ``selection="last"`` and for linear and precomputed kernels.
    corrected_svm : bool, default=True
        Whether trusted ``X_val, y_val`` also choose among the noise-corrected
        SVM at ``C`` (:class:`~skrobust.svm.RobustSVC` with flip rates
        estimated from out-of-fold scores, seeded by ``random_state``).
        Ignored without trusted labels: on a poisoned held-out share it won
        under class-conditional poisoning and lost several points under
        random flips (see the user guide).
    init : {"zeros", "svm"}, default="zeros"
        Start of the dual variables: zeros (the paper), or the exact SVM
        solution on the given labels.
    bias : {"all_sv", "free_sv"}, default="all_sv"
        Intercept: the mean of ``y_s - sum_j lam_j y_j K_sj`` over all
        support vectors (the authors' code) or over the free ones
        (``0 < lam < C``; all of them if none is free).
    decision_labels : {"adversarial", "given"}, default="adversarial"
        Labels in the decision function: those of the last round (the
        paper) or the given ones.
    n_components : int or None, default=None
        None plays the game on the exact kernel matrix (n x n, dense). An
        int plays it on a Nystroem approximation ``K ~ F F'`` with that many
        components (:class:`sklearn.kernel_approximation.Nystroem`, seeded by
        ``random_state``): a round then costs O(n * n_components) and no
        n x n matrix is formed; use it for more than a few thousand samples.
    max_gram_mb : float, default=4096
        Without ``n_components`` the game holds the dense n x n kernel
        matrix; ``fit`` refuses, with an error naming ``n_components``, data
        whose matrix would exceed this many megabytes.
    probability : bool, default=False
        Not available: ``True`` raises a ValueError pointing to
        ``CalibratedClassifierCV(FloralSVC(), ensemble=False)``, which adds
        ``predict_proba`` (Platt scaling, ``method="sigmoid"``, on
        cross-validated decision values), the way scikit-learn 1.9 replaces
        ``SVC(probability=True)``. Kept so that code written for ``SVC``
        gets that answer rather than an unknown-argument error.
    random_state : int, RandomState instance or None, default=None
        Seeds the attacker. Equal seeds give bit-identical models.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    support_ : ndarray of shape (n_SV,)
        Indices of the training samples with a dual variable above 1e-5 in
        any problem.
    support_vectors_ : ndarray or sparse matrix of shape (n_SV, n_features)
        Those samples (empty for a precomputed kernel).
    dual_coef_ : ndarray of shape (n_problems, n_SV)
        ``lam_j * label_j`` of each problem (one for two classes, positive
        meaning ``classes_[1]``; one per class, one-vs-rest, otherwise).
    intercept_ : ndarray of shape (n_problems,)
        Intercepts.
    adversarial_labels_ : ndarray of shape (n_problems, n_samples)
        The labels (+1/-1) under which each problem's chosen model was
        computed (0 for the samples held out when an iterate chosen on a
        held-out share is kept); for the noise-corrected SVM, the sign of
        each sample's coefficient (its given label where that is 0).
    selected_round_ : ndarray of shape (n_problems,)
        The round of each problem's model; 0 is a plain or noise-corrected
        SVM.
    selected_gamma_ : float
        The kernel coefficient of the models: ``gamma`` times the chosen
        factor of ``gamma_scales``, shared by all problems (unused by the
        linear and precomputed kernels).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.

    See Also
    --------
    skrobust.svm.RobustSVC : Kernel SVM with a label-noise correction.
    skrobust.poisoning.support_vector_flip_attack : The attacker, as a static attack.

    Notes
    -----
    ``X_val`` reaches ``fit`` as given: in a pipeline with metadata routing,
    the steps before FloralSVC do not transform it, so pass it transformed.

    A round costs one product of the kernel matrix with a vector, O(n^2),
    plus a projection by bisection and a sort, O(n log n); the matrix is
    computed once. The binary game runs in one Numba function; more than two
    classes play one game per class (one-vs-rest).

    References
    ----------
    M. I. Bal, V. Cevher, M. Muehlebach, "Adversarial Training for Defense
    Against Label Poisoning Attacks", ICLR 2025.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.svm import FloralSVC
    >>> X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    >>> clf = FloralSVC(random_state=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.8)
    True
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither")],
        **KERNEL_CONSTRAINTS,
        # a fraction of the rows, or a count (checked against the rows in fit)
        "budget": [
            Interval(RealNotInt, 0, 1, closed="left"),
            Interval(Integral, 0, None, closed="left"),
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "selection": [StrOptions({"validation", "last"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "holdout_labels": [
            StrOptions({"neighbors", "posterior", "given"}),
            Hidden(StrOptions({"neighbours"})),
        ],
        "eval_every": [Interval(Integral, 1, None, closed="left")],
        "gamma_scales": [tuple, list],
        "corrected_svm": ["boolean"],
        "init": [StrOptions({"zeros", "svm"})],
        "bias": [StrOptions({"all_sv", "free_sv"})],
        "decision_labels": [StrOptions({"adversarial", "given"})],
        "max_gram_mb": [Interval(Real, 0, None, closed="neither")],
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
        budget=0.05,
        learning_rate=1e-3,
        n_rounds=2001,
        selection="validation",
        validation_fraction=0.2,
        holdout_labels="neighbors",
        eval_every=50,
        gamma_scales=(1.0, 0.5, 2.0),
        corrected_svm=True,
        init="zeros",
        bias="all_sv",
        decision_labels="adversarial",
        n_components=None,
        max_gram_mb=4096,
        probability=False,
        random_state=None,
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.budget = budget
        self.learning_rate = learning_rate
        self.n_rounds = n_rounds
        self.selection = selection
        self.validation_fraction = validation_fraction
        self.holdout_labels = holdout_labels
        self.eval_every = eval_every
        self.gamma_scales = gamma_scales
        self.corrected_svm = corrected_svm
        self.init = init
        self.bias = bias
        self.decision_labels = decision_labels
        self.n_components = n_components
        self.max_gram_mb = max_gram_mb
        self.probability = probability
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Play the game on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) \
                or (n_samples, n_samples)
            Training data, or the kernel matrix for ``kernel="precomputed"``.
        y : array-like of shape (n_samples,)
            Labels, possibly poisoned.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; they multiply ``C``. On a held-out share they
            also weigh each held-out label and each neighbour's vote (a row
            of weight 0 has no say in the choice of the model).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features) \
                or (n_val, n_samples), default=None
            Samples with trusted labels for ``selection="validation"``
            (kernel values against ``X`` for a precomputed kernel). Without
            them a ``validation_fraction`` of ``(X, y)`` is held out.
        y_val : array-like of shape (n_val,), default=None
            Their labels.

        Returns
        -------
        self : FloralSVC
            The fitted estimator.
        """
        spec = self._check_params()
        X, y_encoded, sample_weight = self._validate_training_data(
            spec, X, y, sample_weight
        )
        n = X.shape[0]
        gram_mb = n * n * 8 / 2**20
        if self.n_components is None and gram_mb > self.max_gram_mb:
            raise ValueError(
                f"FloralSVC holds the {n} x {n} kernel matrix ({gram_mb:.0f} MB), "
                f"more than max_gram_mb={self.max_gram_mb}; set n_components to "
                "play on a Nystroem approximation, subsample, or raise max_gram_mb."
            )
        validation = self._check_validation(X, X_val, y_val)
        trusted = validation is not None
        rng = check_random_state(self.random_state)
        rows = np.arange(n)
        holding_out = self.selection == "validation" and validation is None
        held_out_weight = nearest = None
        if holding_out:
            rows, held_out = train_test_split(
                rows,
                test_size=self.validation_fraction,
                stratify=y_encoded,
                random_state=rng.randint(np.iinfo(np.int32).max),
            )
            rows, held_out = np.sort(rows), np.sort(held_out)
            X_val = X[np.ix_(held_out, rows)] if spec.precomputed else X[held_out]
            validation = (X_val, y_encoded[held_out])
            held_out_weight = sample_weight[held_out]
            if self._holdout_labels() == "neighbors":
                nearest = _nearest_others(X, spec.precomputed, held_out)
        k = check_budget(self.budget, len(rows))
        nystroem_seed = None
        if self.n_components is not None:
            nystroem_seed = rng.randint(np.iinfo(np.int32).max)
        upper = self.C * sample_weight[rows]
        sqnorm = np.zeros(0) if spec.precomputed else _row_sqnorms(X[rows], spec)
        check_box(self, upper, spec.largest_diagonal(X, sqnorm), 1e-3)
        positives = [1] if len(self.classes_) == 2 else range(len(self.classes_))
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(positives))
        base_gamma = spec.gamma
        factor = self.n_components is not None
        best_games, best_key = None, (-np.inf, -np.inf)
        for gamma_scale in self._gamma_scales(trusted):
            spec.gamma = base_gamma * gamma_scale
            K, K_val = self._kernels(X, rows, validation, nystroem_seed)
            plays = [
                self._play(
                    K,
                    K_val,
                    np.where(y_encoded[rows] == c, 1.0, -1.0),
                    None
                    if validation is None
                    else np.where(validation[1] == c, 1.0, -1.0),
                    upper,
                    k,
                    seed,
                    held_out_weight,
                    None
                    if nearest is None
                    else _vote(y_encoded[nearest] == c, sample_weight[nearest]),
                )
                for c, seed in zip(positives, seeds, strict=True)
            ]
            # one kernel for all problems: the one whose chosen models are
            # the most accurate on validation on average, then the one with
            # the lowest mean hinge loss (the first on ties)
            accuracy = np.mean([accuracy for _, accuracy, _ in plays])
            hinge = np.mean([hinge for _, _, hinge in plays])
            if (accuracy, -hinge) > best_key:
                best_key = (accuracy, -hinge)
                best_games = [game for game, _, _ in plays]
                # a Nystroem factor is kept for the feature-space weights; a
                # dense matrix is not needed any more, and is let go so that
                # at most one n x n matrix lives at a time
                best_kernel = (spec.gamma, self._features, K if factor else None)
            K = K_val = None
        games = best_games
        spec.gamma, self._features, K = best_kernel
        if holding_out and all(game.round == 0 for game in games):
            # plain SVMs chosen on part of the data: refit them on all of it
            # (an iterate is kept as it is: replaying the game on more data
            # lands on a different, often worse, iterate)
            rows = np.arange(n)
            nystroem_seed = rng.randint(np.iinfo(np.int32).max)
            kernel = None
            if factor or spec.precomputed:
                K, _ = self._kernels(X, rows, None, nystroem_seed)
            else:
                # the solver computes the kernel rows it needs: no n x n matrix
                # (800 MB at 10,000 rows)
                K, kernel = X, self._kernel_params(spec)
            upper = self.C * sample_weight
            games = [
                self._plain_svm(
                    K,
                    np.where(y_encoded == c, 1.0, -1.0),
                    game.scale * upper,
                    game.scale,
                    corrected=game.corrected,
                    seed=seed,
                    kernel=kernel,
                )
                for c, game, seed in zip(positives, games, seeds, strict=True)
            ]
        coef = np.zeros((len(games), n))
        coef[:, rows] = [game.lam * game.labels for game in games]
        self.support_ = np.flatnonzero(np.any(np.abs(coef) > 0, axis=0))
        self.dual_coef_ = coef[:, self.support_]
        self.intercept_ = np.array([game.intercept for game in games])
        self.selected_round_ = np.array([game.round for game in games])
        self.selected_gamma_ = float(spec.gamma)
        self.adversarial_labels_ = np.zeros((len(games), n))
        self.adversarial_labels_[:, rows] = [game.labels for game in games]
        if self._features is not None:
            # w = sum_j lam_j y_j phi(x_j)
            self._feature_coef = coef[:, rows] @ K
        if spec.precomputed:
            self.support_vectors_ = np.empty((0, 0))
        else:
            self.support_vectors_ = X[self.support_]
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
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]``; otherwise one
            column per class.
        """
        X = self._validate_scoring_data(X)
        if self._features is not None:
            features = self._features.transform(X)
            scores = features @ self._feature_coef.T + self.intercept_
        else:
            vectors = self.support_ if self._spec.precomputed else self.support_vectors_
            scores = self._spec.scores(
                X, vectors, self.dual_coef_, self.intercept_, None
            )
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _holdout_labels(self):
        """``holdout_labels``, the old spelling mapped to the new."""
        return (
            "neighbors" if self.holdout_labels == "neighbours" else self.holdout_labels
        )

    def _check_params(self):
        """The kernel, after the rules each parameter alone cannot say
        (checked by ``_parameter_constraints``)."""
        if self.holdout_labels == "neighbours":
            warnings.warn(
                'holdout_labels="neighbours" was renamed "neighbors" in 0.1 (the '
                "spelling of scikit-learn's n_neighbors) and will be refused in "
                '0.3; pass "neighbors".',
                FutureWarning,
                stacklevel=3,
            )
        scales = self.gamma_scales
        if len(scales) == 0 or not all(
            isinstance(a, numbers.Real) and not isinstance(a, bool) and a > 0
            for a in scales
        ):
            raise ValueError(
                f"gamma_scales must be a non-empty tuple of positive numbers, got "
                f"{scales!r}."
            )
        return self._kernel_spec()

    def _check_validation(self, X, X_val, y_val):
        """The trusted validation set ``(X_val, y_val encoded)``, or None."""
        if (X_val is None) != (y_val is None):
            raise ValueError("pass both X_val and y_val, or neither.")
        if X_val is None:
            return None
        if self.selection != "validation":
            raise ValueError("X_val and y_val need selection='validation'.")
        X_val = check_array(
            X_val,
            accept_sparse=False if self.kernel == "precomputed" else "csr",
            dtype=np.float64,
        )
        expected = X.shape[0] if self.kernel == "precomputed" else X.shape[1]
        if X_val.shape[1] != expected:
            raise ValueError(
                f"X_val has {X_val.shape[1]} columns; expected {expected}, as X."
            )
        y_val = np.asarray(y_val)
        check_consistent_length(X_val, y_val)
        unknown = ~np.isin(y_val, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y_val holds labels not in y: {np.unique(y_val[unknown])[:5]!r}."
            )
        return X_val, np.searchsorted(self.classes_, y_val)

    def _gamma_scales(self, selecting):
        """The factors of gamma to play at: ``gamma_scales`` when selecting
        on validation labels with a kernel that has a gamma, else 1."""
        if not selecting or self.kernel in ("linear", "precomputed"):
            return (1.0,)
        return self.gamma_scales

    def _kernel_params(self, spec):
        """RobustSVC's kernel parameters for the resolved kernel ``spec``."""
        return {
            "kernel": spec.kernel,
            "gamma": spec.gamma,
            "degree": self.degree,
            "coef0": spec.coef0,
        }

    def _kernels(self, X, rows, validation, nystroem_seed):
        """The game's matrix on ``rows`` (or its Nystroem factor) and the
        validation samples' kernel against ``rows`` (or their features)."""
        spec = self._spec
        X_train = X[np.ix_(rows, rows)] if spec.precomputed else X[rows]
        self._features = None
        if self.n_components is not None:
            self._features = Nystroem(
                kernel=spec.kernel,
                gamma=spec.gamma,
                degree=spec.degree,
                coef0=spec.coef0,
                n_components=min(self.n_components, len(rows)),
                random_state=nystroem_seed,
            ).fit(X_train)
            K = np.ascontiguousarray(self._features.transform(X_train))
            if validation is None:
                return K, None
            return K, self._features.transform(validation[0])
        K = np.ascontiguousarray(spec.matrix(X_train, X_train))
        if validation is None:
            return K, None
        # for a precomputed kernel, X_val already holds values against ``rows``
        return K, spec.matrix(validation[0], X_train)

    def _play(
        self,
        K,
        K_val,
        y_signed,
        y_val,
        upper,
        k,
        seed,
        held_out_weight=None,
        votes=None,
    ):
        """One binary game; returns the chosen ``_Model``, its (weighted)
        validation accuracy and its mean validation hinge loss (0 and 0
        without validation labels).

        With a validation set, the candidates are the exact SVM on the given
        labels at ``C``, ``C / 10`` and ``10 C`` and, on trusted labels with
        ``corrected_svm``, the noise-corrected SVM at ``C`` (round 0), and
        the iterate every ``eval_every`` rounds; the most accurate on the
        validation labels wins, the lowest mean hinge loss among equally
        accurate ones (the earliest on full ties). ``held_out_weight`` holds
        the sample weights of held-out validation rows (None for trusted
        labels); each held-out label counts with its weight, as right with
        the probability that it is right, from flip rates fitted to the
        neighbours' ``votes`` or to the plain SVM's scores
        (``holdout_labels``), and as the other label otherwise; there,
        accuracies within ``_HELD_OUT_TOLERANCE`` of the best are equal, and
        the plain SVM at ``C`` is kept where those rates sum to
        ``_UNINFORMATIVE`` or more.
        Without validation labels, the last iterate.
        """
        factor = self._features is not None
        held_out = held_out_weight is not None
        candidates = []
        if y_val is not None:
            candidates = [
                self._plain_svm(K, y_signed, scale * upper, scale)
                for scale in _SVM_C_SCALES
            ]
            if self.corrected_svm and not held_out:
                candidates.append(
                    self._plain_svm(K, y_signed, upper, corrected=True, seed=seed)
                )
        lam0 = np.zeros(len(y_signed))
        if self.init == "svm":
            plain = candidates[0] if candidates else self._plain_svm(K, y_signed, upper)
            lam0 = plain.lam
        every = self.eval_every if y_val is not None else 0
        lam, labels, snapshot_lam, snapshot_labels = interruptible(
            floral_rounds,
            K,
            factor,
            y_signed,
            upper,
            lam0,
            self.learning_rate,
            k,
            self.n_rounds,
            seed,
            every,
        )
        iterates = [
            (snapshot_lam[s], snapshot_labels[s], (s + 1) * every)
            for s in range(len(snapshot_lam))
        ] + [(lam, labels, self.n_rounds - 1)]
        for lam, labels, round_ in iterates:
            lam = np.where(lam > SUPPORT_THRESHOLD, lam, 0.0)
            if self.decision_labels == "given":
                labels = y_signed
            b = _intercept(K, factor, lam, labels, upper, self.bias)
            candidates.append(_Model(lam, labels, b, round_, None))
        if y_val is None:
            return candidates[-1], 0.0, 0.0

        def validation_scores(model):
            coef = model.lam * model.labels
            scores = K_val @ (K.T @ coef) if factor else K_val @ coef
            return scores + model.intercept

        weight = np.ones(len(y_val)) if held_out_weight is None else held_out_weight
        total = weight.sum()
        if total == 0:  # every held-out row weighs 0: nothing to choose on
            return candidates[0], 0.0, 0.0
        right = np.ones(len(y_val))  # probability that each label is right
        rates = np.zeros(2)
        if votes is not None:
            right, rates = _label_posteriors(y_val > 0, votes, weight)
        elif held_out and self._holdout_labels() == "posterior":
            right, rates = _label_posteriors(
                y_val > 0, validation_scores(candidates[0]), weight
            )
        scores = np.array([validation_scores(model) for model in candidates])
        predicted = np.where(scores > 0, 1.0, -1.0)
        credit = np.where(predicted == y_val, right, 1.0 - right)
        # the expected hinge loss, each label right with probability `right`
        hinge = right * np.maximum(0.0, 1.0 - y_val * scores) + (
            1.0 - right
        ) * np.maximum(0.0, 1.0 + y_val * scores)
        accuracy, hinge = credit @ weight / total, hinge @ weight / total
        tolerance = _HELD_OUT_TOLERANCE if held_out else 0.0
        best = _most_accurate(accuracy, hinge, tolerance)
        if held_out and rates.sum() >= _UNINFORMATIVE:
            best = 0  # the held-out labels say too little: keep the plain SVM
        return candidates[best], accuracy[best], hinge[best]

    def _plain_svm(
        self, K, y_signed, upper, scale=1.0, corrected=False, seed=0, kernel=None
    ):
        """The exact SVM on the given labels with box ``upper``, as a model;
        with ``corrected``, the noise-corrected one (flip rates estimated as
        :class:`RobustSVC` does, seeded by ``seed``). ``K`` is the game's
        matrix (its Nystroem features), or the data rows when ``kernel``
        gives the kernel's parameters."""
        if kernel is None:
            kernel = {
                "kernel": "linear" if self._features is not None else "precomputed"
            }
        model = RobustSVC(
            **kernel,
            noise_rates="auto" if corrected else None,
            C=1.0,
            random_state=seed,
        ).fit(K, y_signed, sample_weight=upper)
        coef = np.zeros(len(y_signed))
        coef[model.support_] = model.dual_coef_[0]
        labels = np.where(coef != 0, np.sign(coef), y_signed)
        return _Model(
            np.abs(coef), labels, float(model.intercept_[0]), 0, scale, corrected
        )


def _most_accurate(accuracy, hinge, tolerance=0.0):
    """Index of the candidate with the lowest mean hinge loss among those
    within ``tolerance`` of the best accuracy (500 labels give accuracy in
    steps of 0.2 points, and ties are common); the earliest on full ties."""
    equal = accuracy >= accuracy.max() - tolerance - 1e-12
    return np.lexsort((hinge, ~equal))[0]


def _nearest_others(X, precomputed, rows, k=_N_NEIGHBOURS):
    """Indices of the ``k`` nearest other samples of each of ``rows``
    (Euclidean; from the kernel matrix ``X`` when ``precomputed``)."""
    k = min(k, X.shape[0] - 1)
    if precomputed:
        diagonal = np.diag(X)
        distance = diagonal[rows, None] + diagonal[None, :] - 2.0 * X[rows]
        distance[np.arange(len(rows)), rows] = np.inf
        nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]
    else:
        found = (
            NearestNeighbors(n_neighbors=k + 1)
            .fit(X)
            .kneighbors(X[rows], return_distance=False)
        )
        other = found != rows[:, None]
        # a duplicate may stand in for the row itself: drop the farthest then
        other[other.all(axis=1), -1] = False
        nearest = found[other].reshape(len(rows), k)
    return nearest


def _vote(agrees, weight):
    """Weighted mean of +1 (``agrees``) and -1 per row; 0 where every
    voter weighs 0."""
    total = weight.sum(axis=1)
    signed = np.where(agrees, weight, -weight).sum(axis=1)
    return np.divide(signed, total, out=np.zeros(len(total)), where=total > 0)


def _label_posteriors(positive, scores, weight=None):
    """Probability that each binary label is right, from flip rates fitted to
    out-of-sample scores (rows weighted by ``weight``), and the rates; all
    ones and rates 0 when they cannot be estimated (one class held out)."""
    present = positive if weight is None else positive[weight > 0]
    if present.all() or not present.any():
        return np.ones(len(positive)), np.zeros(2)
    rates = estimate_noise_rates(positive, scores, sample_weight=weight)
    posterior = clean_label_posterior(positive, scores, rates, sample_weight=weight)
    return posterior, rates


def _intercept(K, factor, lam, labels, upper, rule):
    support = lam > 0
    if rule == "free_sv":
        free = support & (lam < upper)
        support = free if free.any() else support
    if not support.any():
        return 0.0
    coef = lam * labels
    # the product over all rows, then the support's entries: K[support] would
    # copy most of an n x n matrix
    if factor:  # K holds F, K = F F'
        return float(np.mean(labels[support] - (K @ (K.T @ coef))[support]))
    return float(np.mean(labels[support] - (K @ coef)[support]))
