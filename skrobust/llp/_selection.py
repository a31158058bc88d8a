"""LLPClassifier: the LLP method that best explains bags it was not fitted on."""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_feature_scale
from ._bags import binary_classes, check_bags
from ._belief_propagation import LLPBeliefPropagation
from ._count_likelihood import bag_count_log_likelihood, fit_count_calibration
from ._linear import DLLPClassifier, EasyLLPClassifier, LogOddsMixin
from ._metrics import BagScoreMixin

# a fold of this many bags compares candidates finely enough on its own
_ENOUGH_HELD_OUT_BAGS = 200
# standard errors by which a candidate must beat the null model to be chosen
_EVIDENCE = 2.0


def default_candidates():
    """The methods :class:`LLPClassifier` chooses from by default."""
    return [
        ("dllp", DLLPClassifier()),
        ("easyllp", EasyLLPClassifier()),
        ("llp_bp", LLPBeliefPropagation(n_jobs=1)),
    ]


def _bag_folds(n_bags, cv, rng):
    """Each bag's fold (``cv`` folds of shuffled bags, or one bag a fold
    with fewer bags), and the folds to hold out: all of them in turn,
    unless one fold already holds ``_ENOUGH_HELD_OUT_BAGS`` bags, which is
    then the only one."""
    n_folds = min(cv, n_bags)
    fold = rng.permutation(n_bags) % n_folds
    enough = n_bags // n_folds >= _ENOUGH_HELD_OUT_BAGS
    return fold, np.arange(1 if enough else n_folds)


def _held_out_scores(candidate, X, y, bags, test):
    """Scores of the rows in ``test`` (a mask of whole bags) by the
    candidate fitted on the other bags, standardised by its scores on those
    (so that the folds' scores share a scale), and the warnings its fit
    raised."""
    train = ~test
    # the fold fits' warnings (a BP that did not settle, say) are counted
    # in cv_results_; the refit of the chosen candidate warns as usual
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = clone(candidate).fit(X[train], y[train], bags=bags[train])
    train_scores = model.decision_function(X[train])
    scale = np.std(train_scores)
    scores = model.decision_function(X[test]) - np.mean(train_scores)
    return scores / scale if scale > 0 else scores, len(caught)


class LLPClassifier(
    MetaEstimatorMixin,
    LogOddsMixin,
    BagScoreMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Learning from label proportions with the method the bags support best.

    The one to start with. No LLP method wins everywhere: DLLP is strongest
    with many small bags, EasyLLP's convex loss is safer where DLLP finds a
    poor local optimum, and LLP-BP's neighbour graph carries large bags
    where the linear methods have too few bag proportions to go on, but it
    can follow a misleading graph. This estimator fits every candidate on
    all but a fold of the bags, scores the held-out bags by the likelihood
    of their positive counts under the candidate's probabilities, and refits
    the candidate with the highest total on all the bags. No instance label
    is used.

    The score of a held-out bag is the probability of its count (a normal
    approximation of the Poisson-binomial, with a continuity correction)
    under ``q_i = sigmoid(a * s_i + b)``: ``s_i`` the candidate's score
    (standardised by its fold model's training scores), ``(a >= 0, b)``
    fitted over all its held-out bags, so that candidates are
    compared by how well their scores *rank* the rows, not by their
    calibration. It rewards probabilities that are sharp where they are
    right, which the bag cross-entropy (a function of the bag's mean alone)
    cannot see. A candidate is chosen only if its per-bag gain over scores
    that say nothing (the overall rate) is at least two standard errors;
    with none, the first candidate whose scores lean the counts' way is
    used, with a warning. The same calibration, fitted on all the bags,
    turns the chosen model's scores into ``decision_function`` and
    ``predict_proba``.

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, default=None
        The candidates: LLP estimators taking ``fit(X, y, bags=...)`` with a
        ``decision_function``. None: ``DLLPClassifier()``,
        ``EasyLLPClassifier()`` and ``LLPBeliefPropagation()``.
    cv : int, default=5
        Folds of bags (each bag a fold with fewer bags). With 200 bags or
        more a fold, one fold is held out and the others are not: the
        comparison is already fine, and large data pay for two fits of each
        candidate instead of ``cv + 1``.
    n_jobs : int, default=None
        Candidate fits run in parallel with joblib; None means 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the assignment of bags to folds, and is passed to the
        candidates that take one.

    Attributes
    ----------
    estimator_ : estimator
        The chosen candidate, fitted on all the bags.
    best_name_ : str
        Its name.
    cv_results_ : dict
        ``"name"`` (the candidates), ``"log_likelihood"`` (the held-out
        count log-likelihood of each, summed over bags) and
        ``"bag_log_likelihood"`` (n_candidates, n_held_out_bags) and ``"n_warnings"``
        (the warnings each candidate's fold fits raised, which are not
        shown).
    null_log_likelihood_ : float
        The held-out count log-likelihood of the overall positive rate for
        every row: a model that says nothing about the rows.
    calibration_ : ndarray of shape (2,)
        ``(a, b)``: ``decision_function`` is ``a * s + b`` of the chosen
        model's score ``s``, and ``predict_proba`` its sigmoid. ``a = 0``
        would say that the chosen model's scores do not follow the bags'
        counts at all (every row then gets the overall rate).
    classes_ : ndarray of shape (2,)
        ``[0, 1]`` when fitted on bags, the labels otherwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    DLLPClassifier, EasyLLPClassifier, LLPBeliefPropagation : The default
        candidates.
    make_bag_scorer : Bag-level scorers for your own model selection.

    Notes
    -----
    Fitting costs about ``cv + 1`` fits of each candidate, or two with many
    bags. Without ``bags``, ``y`` holds class labels and every
    row is its own bag.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.metrics import roc_auc_score
    >>> from skrobust.llp import LLPClassifier, make_bags
    >>> X, y = make_classification(1000, 5, random_state=0)
    >>> bags, proportions = make_bags(y, 16, random_state=0)
    >>> clf = LLPClassifier(random_state=0).fit(X, proportions, bags=bags)
    >>> clf.best_name_ in {"dllp", "easyllp", "llp_bp"}
    True
    >>> bool(roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.85)
    True
    """

    _parameter_constraints = {
        "estimators": [list, None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimators=None, *, cv=5, n_jobs=None, random_state=None):
        self.estimators = estimators
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _candidates(self):
        if self.estimators is None:
            candidates = default_candidates()
        else:
            candidates = list(self.estimators)
            if not candidates:
                raise ValueError("estimators is empty: give at least one candidate.")
            for item in candidates:
                if not (
                    isinstance(item, tuple)
                    and len(item) == 2
                    and isinstance(item[0], str)
                    and HasMethods(["fit", "decision_function"]).is_satisfied_by(
                        item[1]
                    )
                ):
                    raise TypeError(
                        "estimators must be (name, estimator) pairs whose "
                        "estimator has fit and decision_function; got "
                        f"{item!r}."
                    )
            names = [name for name, _ in candidates]
            if len(set(names)) != len(names):
                raise ValueError(f"estimator names must be unique, got {names}.")
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return [(name, _seeded(estimator, seed)) for name, estimator in candidates]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, bags=None):
        """Choose a candidate on held-out bags and refit it on all of them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            With ``bags``: each row's bag proportion, in [0, 1]. Without:
            binary class labels (every row its own bag).
        bags : array-like of shape (n_samples,), default=None
            Bag id of each row.

        Returns
        -------
        self : LLPClassifier
            The fitted estimator.
        """
        candidates = self._candidates()
        if bags is None:
            X, y = validate_data(self, X, y, dtype=np.float64)
            self.classes_ = binary_classes(y)
            y = (y == self.classes_[1]).astype(float)
            bags = np.arange(y.shape[0])
        else:
            X = validate_data(self, X, dtype=np.float64)
            check_feature_scale(X, self)
            y = column_or_1d(y)
            if X.shape[0] != y.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
            self.classes_ = np.array([0, 1])
        proportions, index, sizes = check_bags(y, bags)
        # the candidates get y and bags as given: DLLP's non-convex fit with
        # few bags can land elsewhere on proportions recomputed to 1e-15
        bags = column_or_1d(bags)
        counts = proportions * sizes
        rng = check_random_state(self.random_state)
        fold, held_out = _bag_folds(sizes.shape[0], self.cv, rng)
        jobs = [(c, k) for c in range(len(candidates)) for k in held_out]
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_held_out_scores)(candidates[c][1], X, y, bags, fold[index] == k)
            for c, k in jobs
        )
        # the held-out bags' rows, in the order of the jobs' folds
        rows = np.concatenate([np.flatnonzero(fold[index] == k) for k in held_out])
        out_of_fold = np.empty((len(candidates), rows.shape[0]))
        n_warnings = np.zeros(len(candidates), dtype=int)
        for c in range(len(candidates)):
            folds = results[c * len(held_out) : (c + 1) * len(held_out)]
            out_of_fold[c] = np.concatenate([scores for scores, _ in folds])
            n_warnings[c] = sum(caught for _, caught in folds)
        eval_bags, eval_index = np.unique(index[rows], return_inverse=True)
        held = (counts[eval_bags], eval_index, sizes[eval_bags])
        per_bag = np.array([_calibrated_log_likelihood(s, *held) for s in out_of_fold])
        # scores that say nothing about the rows: the held-out rate for all
        null = _calibrated_log_likelihood(np.zeros(rows.shape[0]), *held)
        evidence = _paired_evidence(per_bag - null)
        supported = evidence >= _EVIDENCE
        totals = per_bag.sum(axis=1)
        if any(supported):
            best = np.argmax(np.where(supported, totals, -np.inf))
        else:  # the first candidate whose scores lean the counts' way at all
            best = next((c for c, e in enumerate(evidence) if e > 0), 0)
        self.cv_results_ = {
            "name": [name for name, _ in candidates],
            "log_likelihood": totals,
            "evidence": evidence,
            "bag_log_likelihood": per_bag,
            "n_warnings": n_warnings,
        }
        self.null_log_likelihood_ = float(null.sum())
        self.best_name_, chosen = candidates[best]
        self.estimator_ = clone(chosen).fit(X, y, bags=bags)
        self.calibration_ = np.array(
            fit_count_calibration(
                self.estimator_.decision_function(X), counts, index, sizes
            )
        )
        if not any(supported):
            warnings.warn(
                f"the {eval_bags.shape[0]} held-out bags (of {int(np.median(sizes))} "
                "rows) do not show any candidate ranking rows better than the "
                "overall positive rate does (largest paired evidence "
                f"{evidence.max():.1f} standard errors, {_EVIDENCE:g} needed): "
                f"{self.best_name_} is used, the first candidate whose scores "
                "lean the counts' way. The bags may be too few, or too alike, "
                "to tell which rows are positive.",
                UserWarning,
                stacklevel=3,  # past _fit_context
            )
        return self

    def _checked(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def decision_function(self, X):
        """Log-odds of the positive class: the chosen model's score through
        the calibration to the bags' counts, ``a * s + b``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Log-odds of the positive class, calibrated to the bags' counts.
        """
        X = self._checked(X)
        a, b = self.calibration_
        return a * np.asarray(self.estimator_.decision_function(X), dtype=float) + b

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


def _paired_evidence(gain):
    """Mean over bags of each candidate's per-bag gain over the null model,
    in standard errors of that mean."""
    mean = gain.mean(axis=1)
    error = gain.std(axis=1, ddof=1) / np.sqrt(gain.shape[1])
    # no spread: a candidate flattened to the null (a zero calibration
    # slope) shows no evidence; one that gains equally on every bag is sure
    evidence = np.where(mean > 0, np.inf, -np.inf)
    evidence[mean == 0] = 0.0
    spread = error > 0
    evidence[spread] = mean[spread] / error[spread]
    return evidence


def _calibrated_log_likelihood(scores, counts, index, sizes):
    """Per-bag count log-likelihood of ``sigmoid(a * scores + b)``, with
    ``(a >= 0, b)`` the pair that maximises their sum."""
    a, b = fit_count_calibration(scores, counts, index, sizes)
    return bag_count_log_likelihood(expit(a * scores + b), counts, index, sizes)


def _seeded(estimator, seed):
    """A clone with ``random_state`` set where the estimator takes one and
    leaves it None."""
    estimator = clone(estimator)
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator.set_params(random_state=seed)
    return estimator
