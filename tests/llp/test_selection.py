"""LLPClassifier: the count likelihood, the held-out choice, the fallbacks."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import roc_auc_score

from skrobust.llp import (
    DLLPClassifier,
    EasyLLPClassifier,
    LLPBeliefPropagation,
    LLPClassifier,
    bag_log_loss,
    make_bags,
)
from skrobust.llp._count_likelihood import (
    bag_count_log_likelihood,
    fit_count_calibration,
)


def _exact_log_pmf(q, count):
    pmf = np.array([1.0])
    for p in q:
        pmf = np.convolve(pmf, [1.0 - p, p])
    return np.log(pmf[count])


def test_count_likelihood_is_close_to_the_poisson_binomial():
    rng = np.random.default_rng(0)
    index = np.repeat(np.arange(6), [8, 16, 32, 64, 128, 256])
    sizes = np.bincount(index)
    q = rng.beta(1, 3, size=index.shape[0])
    counts = np.bincount(index, weights=(rng.random(index.shape[0]) < q))
    approx = bag_count_log_likelihood(q, counts, index, sizes)
    exact = [_exact_log_pmf(q[index == b], int(counts[b])) for b in range(6)]
    # the continuity-corrected normal: within 0.08 nats from 8 rows up
    np.testing.assert_allclose(approx, exact, atol=0.08)
    # a model that knows every label predicts each count with certainty
    labels = (rng.random(index.shape[0]) < q).astype(float)
    sharp = bag_count_log_likelihood(
        labels, np.bincount(index, weights=labels), index, sizes
    )
    np.testing.assert_allclose(sharp, 0.0, atol=1e-9)


def test_count_likelihood_gradient():
    rng = np.random.default_rng(0)
    index = rng.integers(0, 5, 60)
    sizes = np.bincount(index)
    q = rng.random(60)
    counts = np.bincount(index, weights=(rng.random(60) < q)) + 0.3  # fractional
    _, gradient = bag_count_log_likelihood(q, counts, index, sizes, gradient=True)
    step = 1e-6
    numeric = [
        (
            bag_count_log_likelihood(q + step * e, counts, index, sizes).sum()
            - bag_count_log_likelihood(q - step * e, counts, index, sizes).sum()
        )
        / (2 * step)
        for e in np.eye(60)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-6)


def test_calibration_follows_scores_that_rank_and_flattens_those_that_do_not():
    rng = np.random.default_rng(0)
    index = np.repeat(np.arange(200), 16)
    sizes = np.bincount(index)
    logit = rng.normal(scale=2.0, size=index.shape[0])
    labels = rng.random(index.shape[0]) < expit(logit)
    counts = np.bincount(index, weights=labels)
    a, b = fit_count_calibration(3.0 * logit + 1.0, counts, index, sizes)
    # sigmoid(a (3 z + 1) + b) recovers sigmoid(z)
    assert a == pytest.approx(1 / 3, rel=0.15)
    assert a + b == pytest.approx(0.0, abs=0.2)
    # reversed scores explain the counts worse than the overall rate: a = 0
    assert fit_count_calibration(-logit, counts, index, sizes)[0] == 0.0


def _exp_gaussians(n, d=5, seed=0):
    """Two Gaussians through exp: heavy tails, on which LLP-BP's
    propagation settles into the mirror image of the classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d)) + (2 * y[:, None] - 1) * 2.0 / np.sqrt(d)
    return np.exp(X), y


def test_chooses_dllp_where_llp_bp_collapses():
    X, y = _exp_gaussians(3000)
    bags, proportions = make_bags(y[:2000], 64, random_state=0)
    test = slice(2000, None)
    with pytest.warns(UserWarning, match="disagrees with the bag proportions"):
        llp_bp = LLPBeliefPropagation().fit(X[:2000], proportions, bags=bags)
    assert llp_bp.bag_correlation_ < 0
    assert roc_auc_score(y[test], llp_bp.decision_function(X[test])) < 0.2
    dllp = DLLPClassifier().fit(X[:2000], proportions, bags=bags)
    clf = LLPClassifier(random_state=0).fit(X[:2000], proportions, bags=bags)
    assert clf.best_name_ == "dllp"
    assert clf.cv_results_["evidence"][0] > 2
    # the refit is the candidate a user would fit on the same input
    np.testing.assert_array_equal(clf.estimator_.coef_, dllp.coef_)
    auc = roc_auc_score(y[test], clf.decision_function(X[test]))
    assert auc == pytest.approx(roc_auc_score(y[test], dllp.decision_function(X[test])))


def _sparse_minority(n, d=30, seed=0):
    """A tight majority blob and a spread-out minority around another
    centre: the neighbour graph sees the minority as the sparse rows."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(int)
    centre = rng.normal(size=d)
    spread = centre + 2.0 * rng.normal(size=(n, d))
    X = np.where(y[:, None] == 1, spread, 0.5 * rng.normal(size=(n, d)))
    return X, y


def test_chooses_llp_bp_where_it_beats_the_linear_baselines():
    X, y = _sparse_minority(4000)
    bags, proportions = make_bags(y[:3000], 128, random_state=0)
    test = slice(3000, None)
    clf = LLPClassifier(random_state=0).fit(X[:3000], proportions, bags=bags)
    assert clf.best_name_ == "llp_bp"
    auc = roc_auc_score(y[test], clf.decision_function(X[test]))
    for baseline in (DLLPClassifier(), EasyLLPClassifier()):
        baseline.fit(X[:3000], proportions, bags=bags)
        assert auc > roc_auc_score(y[test], baseline.decision_function(X[test])) + 0.02


def test_bags_that_say_nothing_fall_back_with_a_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (rng.random(600) < 0.5).astype(int)  # labels unrelated to X
    bags, proportions = make_bags(y, 100, random_state=0)
    with pytest.warns(UserWarning, match="do not show any candidate"):
        clf = LLPClassifier(random_state=0).fit(X, proportions, bags=bags)
    assert np.all(clf.cv_results_["evidence"] < 2)
    # the first candidate whose scores lean the counts' way, else the first
    leaning = [e > 0 for e in clf.cv_results_["evidence"]]
    expected = leaning.index(True) if any(leaning) else 0
    assert clf.best_name_ == clf.cv_results_["name"][expected]


def test_probabilities_are_calibrated_to_the_bags():
    X, y = _sparse_minority(2000, d=10)
    bags, proportions = make_bags(y, 32, random_state=0)
    clf = LLPClassifier(random_state=0).fit(X, proportions, bags=bags)
    proba = clf.predict_proba(X)[:, 1]
    assert proba.mean() == pytest.approx(y.mean(), abs=0.02)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    # the bags' proportions are explained better than by the overall rate
    flat = np.full(len(y), proportions.mean())
    assert clf.score(X, proportions, bags=bags) > -bag_log_loss(
        proportions, flat, bags=bags
    )


def test_candidates_are_checked_and_seeded():
    X, y = _sparse_minority(1000, d=4)
    bags, proportions = make_bags(y, 8, random_state=0)
    with pytest.raises(ValueError, match="estimators is empty"):
        LLPClassifier(estimators=[]).fit(X, proportions, bags=bags)
    with pytest.raises(TypeError, match="decision_function"):
        LLPClassifier(estimators=[("x", object())]).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="unique"):
        LLPClassifier(
            estimators=[("a", DLLPClassifier()), ("a", EasyLLPClassifier())]
        ).fit(X, proportions, bags=bags)
    only = LLPClassifier(estimators=[("easy", EasyLLPClassifier())], random_state=0)
    only.fit(X, proportions, bags=bags)
    assert only.best_name_ == "easy"
    graph = LLPClassifier(estimators=[("bp", LLPBeliefPropagation())], random_state=3)
    assert graph.fit(X, proportions, bags=bags).estimator_.random_state is not None


def test_bag_log_loss_refuses_values_that_are_not_probabilities():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*1\.5"):
        bag_log_loss([0.5, 0.5, 1.0], [0.2, 0.4, 1.5], bags=[0, 0, 1])


def test_make_bags_of_no_rows_says_so():
    with pytest.raises(ValueError, match="at least one row of y, got 0"):
        make_bags([], 8)
