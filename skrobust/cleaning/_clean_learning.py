"""CleanLearningClassifier: fit any classifier on the labels it can trust."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.utils import _safe_indexing
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    has_fit_parameter,
    validate_data,
)

from ..noise._confident import _joint, check_labels_and_proba, transition_and_prior
from ..utils._meta import WrappedEstimatorMixin
from ..utils._persistence import PickleVersionMixin
from ..utils._validation import check_sample_weight, encode_classes
from ._cross_fit import cross_val_proba
from ._label_issues import FILTERS, _scores, flag_issues


def _estimator_has(method):
    def check(self):
        getattr(
            self.estimator_ if hasattr(self, "estimator_") else self._base(), method
        )
        return True

    return check


class CleanLearningClassifier(
    WrappedEstimatorMixin,
    MetaEstimatorMixin,
    ClassifierMixin,
    PickleVersionMixin,
    BaseEstimator,
):
    """Find the likely label errors of a training set, drop them and refit.

    The confident-learning recipe of cleanlab's ``CleanLearning``, as a
    scikit-learn meta-estimator: out-of-sample probabilities by
    cross-fitting ``estimator`` (:func:`cross_val_proba`), the label issues
    they imply (:func:`find_label_issues`), and a final fit of a clone of
    ``estimator`` on the other samples. With ``reweight=True`` each kept
    sample of label k is weighted by ``1 / P(label k | true class k)`` (the
    estimated chance its class keeps its label, floored at 1e-3), so that
    classes whose labels were pruned most are not under-represented; the
    weights multiply any ``sample_weight``. With the same estimator, folds
    and options it flags the same samples as ``cleanlab.classification.CleanLearning``
    and fits the same final model.

    Read more in the :ref:`User Guide <label_issues>`.

    Parameters
    ----------
    estimator : classifier, default=None
        The model, cloned for every fold and for the final fit; ``None``
        means ``LogisticRegression(max_iter=1000)``.
    cv : int or cross-validation splitter, default=5
        Folds of the cross-fitting (stratified and shuffled with
        ``random_state`` for an int).
    filter_by : str, default="prune_by_noise_rate"
        How issues are chosen; see :func:`find_label_issues`.
    frac_noise : float in (0, 1], default=1.0
        Share of the estimated errors to flag (pruning filters).
    min_examples_per_class : int, default=10
        Samples of each label never flagged by the pruning filters (cleanlab's
        ``CleanLearning`` default).
    reweight : bool, default=True
        Weight kept samples by the inverse of their class's estimated
        label-keeping rate (when ``estimator.fit`` takes ``sample_weight``).
    n_jobs : int, default=None
        Folds fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds.

    Attributes
    ----------
    estimator_ : classifier
        The final model, fitted on the kept samples.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    label_issues_ : ndarray of bool of shape (n_samples,)
        The training samples flagged, and left out of the final fit.
    label_quality_ : ndarray of shape (n_samples,)
        Self-confidence of each training label (out-of-sample probability
        of the given label); low means suspicious.
    oof_proba_ : ndarray of shape (n_samples, n_classes)
        The out-of-sample probabilities.
    confident_joint_ : ndarray of shape (n_classes, n_classes)
        Calibrated counts of (given label, confidently true class).
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        Estimated ``P(label j | true class i)``.
    prior_ : ndarray of shape (n_classes,)
        Estimated ``P(true class i)``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    find_label_issues : The filters.
    skrobust.noise.estimate_transition_matrix : The noise estimate.

    References
    ----------
    C. Northcutt, L. Jiang, I. Chuang, "Confident Learning: Estimating
    Uncertainty in Dataset Labels", JAIR 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skrobust.cleaning import CleanLearningClassifier
    >>> from skrobust.noise import symmetric_noise
    >>> X, y = load_iris(return_X_y=True)
    >>> y_noisy, flipped = symmetric_noise(y, 0.2, random_state=0)
    >>> clf = CleanLearningClassifier(random_state=0).fit(X, y_noisy)
    >>> bool((clf.label_issues_ & flipped).sum() > 0.5 * flipped.sum())
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "cv": ["cv_object"],
        "filter_by": [StrOptions(set(FILTERS))],
        "frac_noise": [Interval(Real, 0, 1, closed="right")],
        "min_examples_per_class": [Interval(Integral, 0, None, closed="left")],
        "reweight": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        cv=5,
        filter_by="prune_by_noise_rate",
        frac_noise=1.0,
        min_examples_per_class=10,
        reweight=True,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.cv = cv
        self.filter_by = filter_by
        self.frac_noise = frac_noise
        self.min_examples_per_class = min_examples_per_class
        self.reweight = reweight
        self.n_jobs = n_jobs
        self.random_state = random_state

    # the wrapped estimator validates its own parameters when it is fitted
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Flag label issues by cross-fitting, then fit on the rest.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, as ``estimator`` takes it.
        y : array-like of shape (n_samples,)
            Labels, possibly noisy.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every fit of ``estimator`` (which must accept it).

        Returns
        -------
        self : CleanLearningClassifier
            The fitted estimator.
        """
        base = self._base()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            ensure_all_finite=False,
            dtype=None,
        )
        self.classes_, y_encoded = encode_classes(y, "CleanLearningClassifier")
        weighted = has_fit_parameter(base, "sample_weight")
        if sample_weight is not None:
            if not weighted:
                raise ValueError(
                    f"{type(base).__name__}.fit takes no sample_weight; fit without it."
                )
            sample_weight = check_sample_weight(sample_weight, len(y))
        proba = cross_val_proba(
            base,
            X,
            y_encoded,
            cv=self.cv,
            sample_weight=sample_weight,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )
        y_encoded, proba = check_labels_and_proba(y_encoded, proba)
        joint, guess = _joint(y_encoded, proba, np.ones(len(y)), True, False)
        issues = flag_issues(
            y_encoded,
            proba,
            joint,
            guess,
            self.filter_by,
            self.frac_noise,
            self.min_examples_per_class,
        )
        transition, prior = transition_and_prior(
            joint, np.bincount(y_encoded, minlength=len(self.classes_))
        )
        keep = ~issues
        lost = np.setdiff1d(np.arange(len(self.classes_)), y_encoded[keep])
        if len(lost):
            name = self.classes_[lost].tolist()[0]
            raise ValueError(
                f"every sample of class {name!r} was flagged; use a pruning "
                "filter_by, which keeps min_examples_per_class per class."
            )
        weights = None
        if self.reweight and weighted:
            weights = 1.0 / np.maximum(transition.diagonal(), 1e-3)[y_encoded]
        if sample_weight is not None:
            weights = sample_weight if weights is None else weights * sample_weight
        kept = np.flatnonzero(keep)
        fit_params = {} if weights is None else {"sample_weight": weights[kept]}
        self.estimator_ = clone(base).fit(
            _safe_indexing(X, kept), y[kept], **fit_params
        )
        self.label_issues_ = issues
        self.label_quality_ = _scores(y_encoded, proba, "self_confidence")
        self.oof_proba_ = proba
        self.confident_joint_ = joint
        self.transition_matrix_ = transition
        self.prior_ = prior
        return self

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict class labels with the final model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        X = self._check_fitted_input(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the final model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of ``classes_`` in order.
        """
        X = self._check_fitted_input(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision scores of the final model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As ``estimator.decision_function`` returns them.
        """
        X = self._check_fitted_input(X)
        return self.estimator_.decision_function(X)

    def _default_estimator(self):
        return LogisticRegression(max_iter=1000)
