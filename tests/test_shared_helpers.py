"""The helpers shared across the package: scores to probabilities, folds,
threads."""

import numpy as np
import pytest
from joblib import cpu_count
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

from skrobust.cleaning import cross_val_proba
from skrobust.utils._proba import class_probabilities, scores_to_proba
from skrobust.utils._threads import n_threads


def test_scores_to_proba_is_logistic_regression_s_own_link():
    for n_classes in (2, 4):
        X, y = make_classification(300, 6, n_informative=4, n_classes=n_classes,
                                   random_state=0)  # fmt: skip
        model = LogisticRegression().fit(X, y)
        np.testing.assert_allclose(
            scores_to_proba(model.decision_function(X)), model.predict_proba(X),
            rtol=1e-12, atol=1e-15,
        )  # fmt: skip


def test_conformal_and_cleaning_turn_scores_into_the_same_probabilities():
    X, y = make_classification(300, 6, random_state=1)
    svm = LinearSVC().fit(X, y)
    expected = scores_to_proba(svm.decision_function(X))
    np.testing.assert_allclose(class_probabilities(svm, X, svm.classes_), expected)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_predict(LinearSVC(), X, y, cv=folds, method="decision_function")
    np.testing.assert_allclose(
        cross_val_proba(LinearSVC(), X, y, random_state=0), scores_to_proba(scores)
    )


def test_an_integer_cv_of_any_integer_type_shuffles_with_the_seed():
    X, y = make_classification(200, 6, random_state=2)
    python_int = cross_val_proba(LogisticRegression(), X, y, cv=5, random_state=3)
    numpy_int = cross_val_proba(
        LogisticRegression(), X, y, cv=np.int64(5), random_state=3
    )
    np.testing.assert_array_equal(numpy_int, python_int)
    unshuffled = cross_val_proba(LogisticRegression(), X, y, cv=StratifiedKFold(5))
    assert not np.array_equal(python_int, unshuffled)


def test_n_jobs_none_is_one_thread_everywhere():
    assert n_threads(None) == 1
    assert n_threads(-1) == cpu_count()
    with pytest.raises(ValueError, match="non-zero integer"):
        n_threads(0)


def test_cross_fitting_needs_folds_that_partition_the_samples():
    X, y = make_classification(100, 4, random_state=3)
    overlapping = [
        (np.arange(50, 100), np.arange(0, 60)),
        (np.arange(0, 50), np.arange(40, 100)),
    ]
    with pytest.raises(ValueError, match="exactly one test fold"):
        cross_val_proba(LogisticRegression(), X, y, cv=overlapping)
