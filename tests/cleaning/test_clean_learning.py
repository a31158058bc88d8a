"""CleanLearningClassifier against cleanlab's CleanLearning, and in sklearn tools."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.cleaning import CleanLearningClassifier, cross_val_proba
from skrobust.noise import symmetric_noise


@pytest.fixture(scope="module")
def noisy():
    X, y = make_classification(
        n_samples=900, n_features=10, n_informative=6, n_classes=3,
        class_sep=1.5, random_state=0,
    )  # fmt: skip
    y_noisy, flipped = symmetric_noise(y, 0.25, random_state=0)
    return X, y, y_noisy, flipped


@pytest.mark.parametrize("base", [LogisticRegression(), GaussianNB()])
def test_same_issues_weights_and_model_as_cleanlab(noisy, base):
    cleanlab = pytest.importorskip("cleanlab.classification")
    X, _, y_noisy, _ = noisy
    ours = CleanLearningClassifier(base, random_state=3).fit(X, y_noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cleanlab.CleanLearning(base, seed=3).fit(X, y_noisy)
    frame = theirs.label_issues_df
    np.testing.assert_array_equal(ours.label_issues_, frame["is_label_issue"])
    np.testing.assert_allclose(ours.transition_matrix_, theirs.noise_matrix.T)
    np.testing.assert_allclose(ours.label_quality_, frame["label_quality"])
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8
    )


def test_cleaning_beats_the_plain_model_and_finds_flips(noisy):
    X, y, y_noisy, flipped = noisy
    X_train, X_test, y_train, _, _, y_test, f_train, _ = train_test_split(
        X, y_noisy, y, flipped, test_size=0.5, random_state=0
    )
    plain = LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    model = CleanLearningClassifier(random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) > plain
    precision = np.mean(f_train[model.label_issues_])
    assert precision > 2 * np.mean(f_train)


def test_works_in_pipeline_and_grid_search(noisy):
    X, _, y_noisy, _ = noisy
    pipe = make_pipeline(
        StandardScaler(), CleanLearningClassifier(cv=3, random_state=0)
    )
    search = GridSearchCV(
        pipe,
        {"cleanlearningclassifier__filter_by": ["prune_by_noise_rate", "both"]},
        cv=3,
    )
    search.fit(X, y_noisy)
    assert search.best_score_ > 0.5
    assert search.predict(X[:5]).shape == (5,)


def test_estimators_without_probabilities_are_cross_fitted_on_scores(noisy):
    X, _, y_noisy, _ = noisy
    proba = cross_val_proba(LinearSVC(), X, y_noisy, random_state=0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    model = CleanLearningClassifier(LinearSVC(), random_state=0).fit(X, y_noisy)
    assert hasattr(model, "decision_function") and not hasattr(model, "predict_proba")
    assert 0 < model.label_issues_.sum() < len(y_noisy) / 2


def test_string_labels_and_sample_weight(noisy):
    X, _, y_noisy, _ = noisy
    labels = np.array(["a", "b", "c"])[y_noisy]
    weights = np.ones(len(labels))
    model = CleanLearningClassifier(random_state=0).fit(
        X, labels, sample_weight=weights
    )
    assert set(model.predict(X)) <= {"a", "b", "c"}
    unweighted = CleanLearningClassifier(random_state=0).fit(X, labels)
    np.testing.assert_array_equal(model.label_issues_, unweighted.label_issues_)


def test_clear_errors(noisy):
    X, _, y_noisy, _ = noisy
    with pytest.raises(ValueError, match="'filter_by' parameter"):
        CleanLearningClassifier(filter_by="nope").fit(X, y_noisy)
    with pytest.raises(ValueError, match="frac_noise"):
        CleanLearningClassifier(frac_noise=1.5).fit(X, y_noisy)
    with pytest.raises(ValueError, match="min_examples_per_class"):
        CleanLearningClassifier(min_examples_per_class=2.5).fit(X, y_noisy)
    with pytest.raises(ValueError, match="at least 2 classes"):
        CleanLearningClassifier().fit(X, np.zeros(len(X)))
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(ValueError, match="takes no sample_weight"):
        CleanLearningClassifier(KNeighborsClassifier()).fit(
            X, y_noisy, sample_weight=np.ones(len(X))
        )
