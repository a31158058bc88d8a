"""LLPBeliefPropagation: pseudo-labels from bag proportions by belief propagation."""

import logging
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils._persistence import PickleVersionMixin
from ..utils._threads import n_threads
from ..utils._validation import check_feature_scale
from ._bags import binary_classes, check_bags
from ._graph import knn_edges
from ._linear import DLLPClassifier
from ._metrics import BagScoreMixin
from ._propagation import belief_propagation

# each stage of a fit is logged here with its time (INFO)
logger = logging.getLogger("skrobust.llp")

# BP has settled once no message (log-odds) moves by more than this: a
# marginal then moves by at most a quarter of it
_SETTLED = 1e-3

_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


def _last_hidden_layer(mlp, X):
    """Activations of an MLPClassifier's last hidden layer."""
    activation = _ACTIVATIONS[mlp.activation]
    hidden = X
    for weights, bias in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1], strict=True):
        hidden = activation(hidden @ weights + bias)
    return hidden


def _bag_correlation(proportions, proba, index, sizes):
    """Size-weighted correlation of bag proportions and mean probabilities."""
    mean_proba = np.bincount(index, weights=proba) / sizes
    weights = sizes / sizes.sum()
    centred_a = proportions - weights @ proportions
    centred_b = mean_proba - weights @ mean_proba
    spread = np.sqrt((weights @ centred_a**2) * (weights @ centred_b**2))
    return float(weights @ (centred_a * centred_b) / spread) if spread > 0 else np.nan


def _log_stage(stage, round_, start):
    """Log the time of a stage of fit; returns the time it ended."""
    now = time.perf_counter()
    logger.info("round %d: %s took %.2f s", round_, stage, now - start)
    return now


class LLPBeliefPropagation(
    MetaEstimatorMixin,
    BagScoreMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Learning from label proportions by belief-propagation pseudo-labels (LLP-BP).

    Each round builds a k-nearest-neighbour graph on the current
    representation, runs loopy belief propagation on the Gibbs distribution

        log P(y) = sum_i h_i y_i - lam_s sum_(i,j) s_ij (y_i - y_j)^2
                   - lam_b sum_B (sum_(i in B) y_i - k_B)^2,

    (``s_ij = exp(-||z_i - z_j||)``, ``k_B`` the bag's positive count, ``h``
    a prior log-odds field) to get each row's marginal ``P(y_i = 1)``, fits
    the supervised learner on these pseudo-labels (BP and learner repeated
    ``em_steps`` times on the round's graph), and takes the learner's view
    of the data as the next representation. ``h`` is zero at first, as in
    the reference code, or DLLP's log-odds (``init``), and the last
    learner's afterwards (``prior``). The bag term is one count
    factor per bag (exact messages up to ``exact_limit`` rows, a
    saddle-point count above), not the reference code's dense clique.

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    estimator : classifier, default=None
        The supervised learner; ``LogisticRegression(max_iter=1000)`` if
        None. It needs ``sample_weight`` in ``fit`` for soft pseudo-labels.
    n_neighbors : int, default=5
        Neighbours per row in the similarity graph.
    similarity_lambda : float, default=1.0
        ``lam_s``, the strength of the similarity term. The reference code
        uses 10; on standardised features that often keeps BP from settling
        (a warning says so) for the same test AUC on Bank Marketing
        (0.823/0.791/0.795 against 0.826/0.791/0.791 at 1, bags of
        8/512/2048), hence 1.
    bag_lambda : float, default=10.0
        ``lam_b``, the strength of the bag-count term.
    n_rounds : int, default=2
        Rounds: each builds the graph on the current representation, then
        takes ``em_steps`` steps of BP and learner on it.
    em_steps : int, default=2
        Steps of BP and learner per round, each BP starting from the last
        learner's log-odds (``prior="learner"``; ignored with ``prior=None``,
        where every step would be the same): an EM on one graph. Where the
        graph says little beyond the bags, the learner's view needs several
        steps to spread: on KEEL twonorm in feature-correlated bags of 8, test
        AUC 0.939 with one step, 0.991 with two and 0.998 with three
        (supervised logistic regression: 0.998), and 0.78 / 0.82 / 0.86 at
        bags of 128. On Bank Marketing it moves the AUC by -0.6 to +0.4
        points with two steps and -1.2 to +0.6 with three (the losses in
        random bags of 512 and more, where the EM settles on the learner's
        errors); two steps cost 1.3-1.8 times the fit time of one there,
        three up to 2.6 times. Hence two.
    prior : {"learner", None}, default="learner"
        The log-odds field each row starts from in every BP but the first.
        "learner": the last learner's log-odds, so that BP computes each
        row's posterior given its bag's count, its neighbours and what the
        learner says of it (an EM step; the learner's own view separates
        rows that the graph cannot, as in bags of similar rows); None: zero,
        as the reference code. The first BP's field is ``init``'s.
    init : {"dllp", None}, default=None
        The log-odds field of the first round. None: zero, as the reference
        code. "dllp": those of a ``DLLPClassifier`` fitted on the same bags,
        so that the first pseudo-labels are each row's posterior given the
        DLLP model, its bag's count and its neighbours (an E-step from
        DLLP's fit). It helps where the graph says little and DLLP is good
        (Bank Marketing, bags of 512: test AUC 0.79-0.80 to 0.82-0.83) and
        hurts where the graph is sharper than DLLP (clustered data, 1,600
        rows in bags of 8: 0.76 to 0.73, DLLP itself 0.71), hence
        not the default. It is used only with more bags than
        ``n_features_in_ + 1``: with fewer, some linear model fits every bag
        proportion, DLLP's is not identified and can point anywhere (Bank,
        bags of 2048, 13 bags: DLLP fell to 0.59 on one draw, LLP-BP from it
        to 0.68, against 0.79 from zero); the field is then zero, with a
        warning.
    pseudo_labels : {"soft", "hard"}, default="soft"
        "soft": each row enters the learner twice, as positive with weight
        ``P(y=1)`` and negative with the rest; "hard": thresholded at 1/2
        (the reference; with few positives it can leave one class only).
    damping : float in [0, 1), default=0.5
        Weight of the old message in each BP update.
    max_bp_iter : int, default=300
        Most iterations of each BP; it stops earlier once no message moves
        by more than 1e-3 in log-odds (on Bank Marketing, 100 to 260
        iterations with the default damping).
    exact_limit : int, default=256
        Largest bag whose count messages are exact.
    n_jobs : int, default=None
        Threads for the graph and belief propagation: None means 1, -1 all
        cores, as in joblib (the kernels release the GIL; the result does
        not depend on the number of threads).
    random_state : int, RandomState instance or None, default=None
        Seeds the approximate neighbour search used above 10,000 rows
        (random-projection trees, then neighbours of neighbours; below, the
        neighbours are exact and this has no effect). With None, the graph,
        and so the fit, differs from one fit to the next above 10,000 rows:
        pass an int for reproducible fits.

    Attributes
    ----------
    estimator_ : classifier
        The learner of the last round.
    classes_ : ndarray of shape (2,)
        ``[0, 1]`` when fitted on bags, the labels otherwise.
    init_ : {"dllp", None}
        The first round's field as used: ``init``, or None when there were
        too few bags for DLLP (or no bags).
    pseudo_labels_ : ndarray of shape (n_samples,)
        ``P(y_i = 1)`` of the training rows from the last BP.
    bp_residual_ : ndarray of shape (n_rounds * em_steps,)
        Largest message change (log-odds) in the last iteration of each BP,
        in order: above 1e-3, that BP did not settle in ``max_bp_iter``
        iterations (strong similarity terms can freeze it into a state that
        ignores the bag counts), and a warning said so.
    bp_iterations_ : ndarray of shape (n_rounds * em_steps,)
        Iterations each BP ran (it stops once every message change is at
        most 1e-3).
    bag_correlation_ : float
        Correlation, over bags weighted by size, between each bag's
        proportion and the last learner's mean probability on it. The
        learner is fitted on the pseudo-labels, not on the proportions, so
        this checks the pseudo-labels against the bags: at 0 or below they
        contradict the bags (a warning says so), the sign of a graph that
        misleads BP. NaN when every bag has the same proportion or without
        bags.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    DLLPClassifier : The bag cross-entropy baseline (and ``init="dllp"``).
    LLPClassifier : Chooses among the LLP methods on held-out bags.

    Notes
    -----
    Each stage of each round (graph, propagation, learner, representation)
    logs its time at INFO level on the ``"skrobust.llp"`` logger. A round
    costs about ``O(n d log n)`` for the graph (exact neighbours up to 10,000
    rows, approximate above), ``O(E + sum_B n_B^2)`` per BP iteration with
    exact counts (``O(n_B)`` per bag above ``exact_limit``), and one fit of
    the learner on twice the rows with soft pseudo-labels.

    References
    ----------
    .. [1] Havaldar, Sharma, Sareen, Shanmugam, Raghuveer, "Learning from
       label proportions: bootstrapping supervised learners via belief
       propagation", ICLR 2024.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.metrics import roc_auc_score
    >>> from skrobust.llp import LLPBeliefPropagation, make_bags
    >>> X, y = make_classification(1000, 5, random_state=0)
    >>> bags, proportions = make_bags(y, 16, random_state=0)
    >>> clf = LLPBeliefPropagation().fit(X, proportions, bags=bags)
    >>> bool(roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.85)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "similarity_lambda": [Interval(Real, 0, None, closed="left")],
        "bag_lambda": [Interval(Real, 0, None, closed="left")],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "em_steps": [Interval(Integral, 1, None, closed="left")],
        "prior": [StrOptions({"learner"}), None],
        "init": [StrOptions({"dllp"}), None],
        "pseudo_labels": [StrOptions({"soft", "hard"})],
        "damping": [Interval(Real, 0, 1, closed="left")],
        "max_bp_iter": [Interval(Integral, 1, None, closed="left")],
        "exact_limit": [Integral],
        # joblib's convention: negative counts back from the cores, 0 is refused
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_neighbors=5,
        similarity_lambda=1.0,
        bag_lambda=10.0,
        n_rounds=2,
        em_steps=2,
        prior="learner",
        init=None,
        pseudo_labels="soft",
        damping=0.5,
        max_bp_iter=300,
        exact_limit=256,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_neighbors = n_neighbors
        self.similarity_lambda = similarity_lambda
        self.bag_lambda = bag_lambda
        self.n_rounds = n_rounds
        self.em_steps = em_steps
        self.prior = prior
        self.init = init
        self.pseudo_labels = pseudo_labels
        self.damping = damping
        self.max_bp_iter = max_bp_iter
        self.exact_limit = exact_limit
        self.n_jobs = n_jobs
        self.random_state = random_state

    # the learner validates its own parameters when it is fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, bags=None):
        """Fit on bag proportions (with ``bags``) or on instance labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            With ``bags``: each row's bag proportion, in [0, 1]. Without:
            class labels (the learner is then fitted on them directly).
        bags : array-like of shape (n_samples,), default=None
            Bag id of each row.

        Returns
        -------
        self : LLPBeliefPropagation
            The fitted estimator.
        """
        base = (
            LogisticRegression(max_iter=1000)
            if self.estimator is None
            else self.estimator
        )
        if bags is None:
            X, y = validate_data(self, X, y, dtype=np.float64)
            binary_classes(y)
            self.estimator_ = clone(base).fit(X, y)
            self.classes_ = self.estimator_.classes_
            self.init_ = None
            self.pseudo_labels_ = None
            self.bp_residual_ = np.zeros(0)
            self.bp_iterations_ = np.zeros(0, dtype=int)
            self.bag_correlation_ = np.nan
            return self
        X = validate_data(self, X, dtype=np.float64)
        check_feature_scale(X, self)
        y = column_or_1d(y)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
        proportions, index, sizes = check_bags(y, bags)
        self.classes_ = np.array([0, 1])
        order = np.argsort(index, kind="stable").astype(np.int64, copy=False)
        bag_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        targets = proportions * sizes
        rng = check_random_state(self.random_state)
        Z = StandardScaler().fit_transform(X)
        threads = n_threads(self.n_jobs)
        # a linear model of d features and an intercept is identified by
        # more than d + 1 bag proportions only (fewer, some fit them all)
        self.init_ = self.init
        if self.init == "dllp" and sizes.shape[0] <= X.shape[1] + 1:
            warnings.warn(
                f"init='dllp' needs more bags than n_features + 1 = "
                f"{X.shape[1] + 1} for DLLP to be identified, got "
                f"{sizes.shape[0]}; belief propagation starts from zero.",
                UserWarning,
                stacklevel=2,
            )
            self.init_ = None
        if self.init_ == "dllp":
            unary = DLLPClassifier().fit(X, y, bags=bags).decision_function(X)
        else:
            unary = np.zeros(X.shape[0])
        steps = self.em_steps if self.prior == "learner" else 1
        residuals, iterations = [], []
        for round_ in range(1, self.n_rounds + 1):
            with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
                start = time.perf_counter()
                edge_i, edge_j, distance = knn_edges(
                    Z,
                    self.n_neighbors,
                    random_state=rng,
                    pool=pool,
                    n_blocks=4 * threads,
                )
                weights = self.similarity_lambda * np.exp(-distance)
                start = _log_stage("graph", round_, start)
                for step in range(1, steps + 1):
                    marginals, residual, n_iter = belief_propagation(
                        unary,
                        edge_i,
                        edge_j,
                        weights,
                        bag_start,
                        order,
                        targets,
                        float(self.bag_lambda),
                        float(self.damping),
                        int(self.max_bp_iter),
                        int(self.exact_limit),
                        tol=_SETTLED,
                        pool=pool,
                        n_blocks=4 * threads,
                    )
                    start = _log_stage("propagation", round_, start)
                    residuals.append(residual)
                    iterations.append(n_iter)
                    self._warn_unsettled(round_, step, residual)
                    self.estimator_ = self._fit_learner(base, X, marginals)
                    start = _log_stage("learner", round_, start)
                    last = round_ == self.n_rounds and step == steps
                    if self.prior == "learner" and not last:
                        unary = self._score(X)
                del edge_i, edge_j, distance, weights
            if round_ < self.n_rounds:
                Z = self._representation(X)
                _log_stage("representation", round_, start)
        self.pseudo_labels_ = marginals
        self.bp_residual_ = np.array(residuals)
        self.bp_iterations_ = np.array(iterations)
        self.bag_correlation_ = _bag_correlation(
            proportions, self.estimator_.predict_proba(X)[:, 1], index, sizes
        )
        if self.bag_correlation_ <= 0:
            warnings.warn(
                "the learner fitted on the pseudo-labels disagrees with the bag "
                f"proportions (correlation {self.bag_correlation_:.2f} between "
                "each bag's proportion and its mean predicted probability): the "
                "neighbour graph misled belief propagation and the model may "
                "rank rows backwards. LLPClassifier chooses a method on "
                "held-out bags.",
                UserWarning,
                stacklevel=2,
            )
        return self

    def _warn_unsettled(self, round_, step, residual):
        if residual > _SETTLED:
            warnings.warn(
                f"belief propagation did not settle in {self.max_bp_iter} "
                f"iterations (round {round_}, step {step}: last message change "
                f"{residual:.3g} in log-odds, above {_SETTLED:g}): the "
                "pseudo-labels may ignore the bag counts. Lower "
                "similarity_lambda, or raise damping or max_bp_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _fit_learner(self, base, X, marginals):
        if self.pseudo_labels == "hard":
            labels = (marginals >= 0.5).astype(int)
            if np.unique(labels).shape[0] < 2:
                raise ValueError(
                    "hard pseudo-labels hold one class only (every marginal on one "
                    "side of 1/2); use pseudo_labels='soft'."
                )
            return clone(base).fit(X, labels)
        doubled = np.concatenate([X, X])
        labels = np.concatenate([np.ones(len(X), int), np.zeros(len(X), int)])
        weights = np.concatenate([marginals, 1.0 - marginals])
        return clone(base).fit(doubled, labels, sample_weight=weights)

    def _representation(self, X):
        """The next round's features: the last hidden layer of an
        ``MLPClassifier`` (the paper's embedding), the learner's ``transform``
        if it has one, else the features with the learner's score."""
        if isinstance(self.estimator_, MLPClassifier):
            return StandardScaler().fit_transform(
                _last_hidden_layer(self.estimator_, X)
            )
        if hasattr(self.estimator_, "transform"):
            return StandardScaler().fit_transform(self.estimator_.transform(X))
        score = self._score(X)
        return StandardScaler().fit_transform(np.column_stack([X, score]))

    def _score(self, X):
        if hasattr(self.estimator_, "decision_function"):
            return np.asarray(self.estimator_.decision_function(X), dtype=float)
        proba = np.clip(self.estimator_.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
        return np.log(proba) - np.log1p(-proba)

    def _checked(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def predict_proba(self, X):
        """Class probabilities from the last learner.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_`` (negative, positive).
        """
        X = self._checked(X)
        return self.estimator_.predict_proba(X)

    def decision_function(self, X):
        """The last learner's score of the positive class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Log-odds of the positive class.
        """
        X = self._checked(X)
        return self._score(X)

    def predict(self, X):
        """The more probable class.

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
