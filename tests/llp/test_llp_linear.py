"""DLLP and EasyLLP: logistic regression on singleton bags, bags in sklearn's idiom."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobust.llp import (
    DLLPClassifier,
    EasyLLPClassifier,
    InvCalClassifier,
    LLPBeliefPropagation,
    bag_absolute_error,
    bag_log_loss,
    make_bag_scorer,
    make_bags,
)

ESTIMATORS = [DLLPClassifier, EasyLLPClassifier]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(4000, 8, n_informative=5, weights=[0.7], random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_singleton_bags_are_logistic_regression(data, Estimator):
    X, y = data
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(X, y)
    for bags in (None, np.arange(len(y))):
        clf = Estimator(C=0.5, tol=1e-10).fit(X, y.astype(float), bags=bags)
        np.testing.assert_allclose(clf.coef_, reference.coef_, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(clf.intercept_, reference.intercept_, atol=1e-5)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bag_size", [8, 64])
def test_learns_instances_from_bag_proportions(data, Estimator, bag_size):
    X, y = data
    bags, proportions = make_bags(y[:3000], bag_size, random_state=0)
    clf = Estimator().fit(X[:3000], proportions, bags=bags)
    supervised = LogisticRegression().fit(X[:3000], y[:3000])
    auc = roc_auc_score(y[3000:], clf.decision_function(X[3000:]))
    best = roc_auc_score(y[3000:], supervised.decision_function(X[3000:]))
    assert auc > best - (0.02 if bag_size == 8 else 0.06)
    assert np.array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize("feature", [None, 0])
def test_invcal_learns_from_bag_means(data, feature):
    """Random bags of 8, and feature-correlated bags of 64 (homogeneous, the
    case inverse calibration is made for)."""
    X, y = data
    size = 8 if feature is None else 64
    bags, proportions = make_bags(
        y[:3000], size, X=X[:3000], feature=feature, random_state=0
    )
    clf = InvCalClassifier().fit(X[:3000], proportions, bags=bags)
    supervised = LogisticRegression().fit(X[:3000], y[:3000])
    auc = roc_auc_score(y[3000:], clf.decision_function(X[3000:]))
    best = roc_auc_score(y[3000:], supervised.decision_function(X[3000:]))
    assert auc > best - 0.05


def test_dllp_fits_its_own_bag_loss_better_than_easyllp(data):
    X, y = data
    bags, proportions = make_bags(y, 32, random_state=1)
    losses = {
        Estimator: bag_log_loss(
            proportions,
            Estimator().fit(X, proportions, bags=bags).predict_proba(X),
            bags=bags,
        )
        for Estimator in ESTIMATORS
    }
    assert losses[DLLPClassifier] <= losses[EasyLLPClassifier] + 1e-9


def test_bag_metrics_against_direct_computation():
    rng = np.random.default_rng(0)
    bags = rng.integers(0, 7, 200)
    proportions = rng.random(7)[bags]
    proba = rng.random(200)
    means = np.array([proba[bags == b].mean() for b in range(7)])
    sizes = np.bincount(bags)
    alpha = proportions[[np.flatnonzero(bags == b)[0] for b in range(7)]]
    expected = -(alpha * np.log(means) + (1 - alpha) * np.log(1 - means))
    assert bag_log_loss(proportions, proba, bags=bags) == pytest.approx(
        np.sum(sizes * expected) / 200
    )
    assert bag_absolute_error(
        proportions, np.column_stack([1 - proba, proba]), bags=bags
    ) == pytest.approx(np.sum(sizes * np.abs(alpha - means)) / 200)


def test_bags_route_through_pipeline_cross_validation_and_grid_search(data):
    X, y = data
    bags, proportions = make_bags(y, 16, random_state=0)
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler(), DLLPClassifier().set_fit_request(bags=True)
        )
        scorer = make_bag_scorer()
        scores = cross_val_score(
            pipe,
            X,
            proportions,
            cv=GroupKFold(4),
            scoring=scorer,
            params={"bags": bags, "groups": bags},
        )
        assert scores.shape == (4,) and np.all(scores < 0)
        search = GridSearchCV(
            pipe,
            {"dllpclassifier__C": [1e-4, 1.0]},
            cv=GroupKFold(3),
            scoring=scorer,
        ).fit(X, proportions, groups=bags, bags=bags)
    # a tiny C shrinks the model to the prior: a worse bag fit, chosen against
    assert search.best_params_ == {"dllpclassifier__C": 1.0}


def test_make_bags_random_and_feature_correlated():
    X, y = make_classification(1000, 4, random_state=2)
    bags, proportions = make_bags(y, 30, random_state=0)
    sizes = np.bincount(bags)
    assert sizes.shape == (33,) and sizes.min() == 30 and sizes.max() == 30 + 1000 % 30
    for b in range(33):
        assert np.allclose(proportions[bags == b], y[bags == b].mean())
    sorted_bags, _ = make_bags(y, 30, X=X, feature=0, random_state=0)
    spread = [X[sorted_bags == b, 0].std() for b in range(33)]
    random_spread = [X[bags == b, 0].std() for b in range(33)]
    assert np.mean(spread) < 0.2 * np.mean(random_spread)
    again, _ = make_bags(y, 30, random_state=0)
    np.testing.assert_array_equal(again, bags)


def test_bad_input_gets_clear_errors(data):
    X, y = data
    bags, proportions = make_bags(y, 10, random_state=0)
    X_before, p_before = X.copy(), proportions.copy()
    clf = DLLPClassifier()
    with pytest.raises(ValueError, match=r"proportions must lie in \[0, 1\]"):
        clf.fit(X, proportions * 2, bags=bags)
    broken = proportions.copy()
    broken[np.flatnonzero(bags == bags[0])[1]] += 0.01
    with pytest.raises(ValueError, match="must share its proportion"):
        clf.fit(X, broken, bags=bags)
    broken = proportions.copy()
    broken[3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        clf.fit(X, broken, bags=bags)
    with pytest.raises(ValueError, match="one bag id per row"):
        clf.fit(X, proportions, bags=bags[:-1])
    with pytest.raises(ValueError, match="no bag id"):
        clf.fit(X, proportions, bags=np.where(bags == 3, np.nan, bags))
    with pytest.raises(ValueError, match="no bag id"):
        clf.fit(X, proportions, bags=np.array([None, *bags[1:]], dtype=object))
    with pytest.raises(ValueError, match="single bag"):
        clf.fit(X, np.full(len(X), proportions.mean()), bags=np.zeros(len(X)))
    with pytest.raises(ValueError, match="one class only"):
        clf.fit(X, np.zeros(len(X)), bags=bags)
    with pytest.raises(ValueError, match="bags is required"):
        clf.fit(X, proportions)  # proportions without bags
    with pytest.raises(ValueError, match=r"every bag has proportion 0\.25"):
        clf.fit(X, np.full(len(X), 0.25), bags=bags)
    with pytest.raises(ValueError, match="Only binary"):
        clf.fit(X[:30], np.arange(30) % 3)
    with pytest.raises(ValueError, match="'C' parameter of DLLPClassifier"):
        DLLPClassifier(C=0).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="bag_size must lie in"):
        make_bags(y, 0)
    with pytest.raises(ValueError, match="binary labels"):
        make_bags(np.arange(9) % 3, 3)
    with pytest.raises(ValueError, match="need X"):
        make_bags(y, 10, feature=0)
    with pytest.raises(ValueError, match="metric must be one of"):
        make_bag_scorer("auc")
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(proportions, p_before)


@pytest.mark.parametrize(
    "Estimator",
    [DLLPClassifier, EasyLLPClassifier, InvCalClassifier, LLPBeliefPropagation],
)
def test_documented_bag_layouts_fit(data, Estimator):
    """Proportions that are no multiple of 1/|B| are used as given, and
    bags of one row (labelled rows) may mix with larger bags."""
    X, y = data
    bags, proportions = make_bags(y[:600], 12, random_state=0)
    soft = np.clip(proportions + 0.01, 0, 1)  # 0.01 is no multiple of 1/12
    a = Estimator().fit(X[:600], soft, bags=bags)
    b = Estimator().fit(X[:600], proportions, bags=bags)
    assert not np.allclose(a.decision_function(X), b.decision_function(X))
    mixed = np.where(np.arange(600) < 60, 10_000 + np.arange(600), bags)
    labels = np.where(np.arange(600) < 60, y[:600], proportions)
    model = Estimator().fit(X[:600], labels, bags=mixed)
    assert roc_auc_score(y[600:], model.decision_function(X[600:])) > 0.7
