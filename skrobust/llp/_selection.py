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
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..utils._persistence import PickleVersionMixin
from ._bags import check_bags, require_bags
from ._belief_propagation import LLPBeliefPropagation
from ._count_likelihood import bag_count_log_likelihood, fit_count_calibration
from ._linear import DLLPClassifier, EasyLLPClassifier
from ._metrics import BagScoreMixin

# up to this many bags, each bag is held out on its own
_LEAVE_ONE_OUT_BAGS = 20


def default_candidates():
    """The methods :class:`LLPClassifier` chooses from by default."""
    return [
        ("dllp", DLLPClassifier()),
        ("easyllp", EasyLLPClassifier()),
        ("llp_bp", LLPBeliefPropagation(n_jobs=1)),
    ]


def _bag_folds(n_bags, cv, rng):
    """Fold of each bag: one bag a fold up to ``_LEAVE_ONE_OUT_BAGS`` bags
    (or ``cv`` folds, whichever is more), else ``cv`` folds of shuffled bags."""
    n_folds = n_bags if n_bags <= max(cv, _LEAVE_ONE_OUT_BAGS) else cv
    return rng.permutation(n_bags) % n_folds, n_folds


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
    under ``q_i = sigmoid(a * s_i + b)``: ``s_i`` the candidate's score,
    ``(a >= 0, b)`` fitted on the training bags by the same likelihood, so
    that candidates are compared by how well their scores *rank* the rows,
    not by their calibration. It rewards probabilities that are sharp where
    they are right, which the bag cross-entropy (a function of the bag's
    mean alone) cannot see. The same calibration, fitted on all the bags,
    turns the chosen model's scores into ``predict_proba``.

    Parameters
    ----------
    estimators : list of (str, estimator) tuples, default=None
        The candidates: LLP estimators taking ``fit(X, y, bags=...)`` with a
        ``decision_function``. None: ``DLLPClassifier()``,
        ``EasyLLPClassifier()`` and ``LLPBeliefPropagation()``.
    cv : int, default=5
        Folds of bags. With at most ``max(cv, 20)`` bags, each bag is a fold
        (leave one bag out): with few bags, every bag counts.
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
        ``"bag_log_likelihood"`` (n_candidates, n_bags) and ``"n_warnings"``
        (the warnings each candidate's fold fits raised, which are not
        shown).
    null_log_likelihood_ : float
        The held-out count log-likelihood of the overall positive rate for
        every row: a model that says nothing about the rows.
    calibration_ : ndarray of shape (2,)
        ``(a, b)``: ``predict_proba`` is ``sigmoid(a * s + b)`` of the
        chosen model's score ``s``.
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
    Fitting costs about ``cv + 1`` fits of each candidate (``n_bags + 1``
    with few bags). Without ``bags``, ``y`` holds class labels and every
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
        """
        candidates = self._candidates()
        if bags is None:
            require_bags(y)
            X, y = validate_data(self, X, y, dtype=np.float64)
            check_classification_targets(y)
            self.classes_ = np.unique(y)
            if self.classes_.shape[0] != 2:
                raise ValueError(
                    "Only binary classification is supported (learning from label "
                    f"proportions has a positive class); y has {self.classes_.shape[0]}"
                    " classes. With bags, y is each row's bag proportion."
                )
            y = (y == self.classes_[1]).astype(float)
            bags = np.arange(y.shape[0])
        else:
            X = validate_data(self, X, dtype=np.float64)
            y = column_or_1d(y)
            if X.shape[0] != y.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
            self.classes_ = np.array([0, 1])
        proportions, index, sizes = check_bags(y, bags)
        y = proportions[index]
        bags = index
        counts = proportions * sizes
        rng = check_random_state(self.random_state)
        fold, n_folds = _bag_folds(sizes.shape[0], self.cv, rng)
        jobs = [(c, k) for c in range(len(candidates)) for k in range(n_folds)]
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_held_out_scores)(candidates[c][1], X, y, bags, fold[index] == k)
            for c, k in jobs
        )
        out_of_fold = np.empty((len(candidates), X.shape[0]))
        n_warnings = np.zeros(len(candidates), dtype=int)
        for (c, k), (scores, caught) in zip(jobs, results, strict=True):
            out_of_fold[c, fold[index] == k] = scores
            n_warnings[c] += caught
        per_bag = np.array(
            [_calibrated_log_likelihood(s, counts, index, sizes) for s in out_of_fold]
        )
        totals = per_bag.sum(axis=1)
        best = int(np.argmax(totals))
        self.cv_results_ = {
            "name": [name for name, _ in candidates],
            "log_likelihood": totals,
            "bag_log_likelihood": per_bag,
            "n_warnings": n_warnings,
        }
        self.null_log_likelihood_ = float(
            _null_log_likelihood(counts, sizes, fold).sum()
        )
        self.best_name_ = candidates[best][0]
        self.estimator_ = clone(candidates[best][1]).fit(X, y, bags=bags)
        self.calibration_ = np.array(
            fit_count_calibration(
                self.estimator_.decision_function(X), counts, index, sizes
            )
        )
        if totals[best] <= self.null_log_likelihood_:
            warnings.warn(
                f"no candidate explains the held-out bags' counts better than "
                f"the overall positive rate (held-out log-likelihood "
                f"{totals[best]:.1f} against {self.null_log_likelihood_:.1f}): "
                f"with {sizes.shape[0]} bags of {int(np.median(sizes))} rows, "
                "the bags may not say which rows are positive, and the "
                f"chosen model ({self.best_name_}) may rank rows at random.",
                UserWarning,
                stacklevel=2,
            )
        return self

    def _checked(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def decision_function(self, X):
        """The chosen model's score of the positive class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return np.asarray(
            self.estimator_.decision_function(self._checked(X)), dtype=float
        )

    def predict_proba(self, X):
        """Class probabilities, the chosen model's scores calibrated to the
        bags' counts.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
        """
        a, b = self.calibration_
        positive = expit(a * self.decision_function(X) + b)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X):
        """The more probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


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


def _null_log_likelihood(counts, sizes, fold):
    """Held-out count log-likelihood of the training folds' overall rate
    (``fold``: each bag's fold)."""
    log_p = np.empty(sizes.shape[0])
    for k in np.unique(fold):
        test = fold == k
        rate = counts[~test].sum() / sizes[~test].sum()
        rows = np.repeat(np.arange(int(test.sum())), sizes[test])
        q = np.full(rows.shape[0], rate)
        log_p[test] = bag_count_log_likelihood(q, counts[test], rows, sizes[test])
    return log_p
