"""RobustConformalClassifier: bounds against the points of the ball, the
RSCP+ margins and quantile against the published formulas, the Numba paths
against plain batches, coverage under the worst-case attack, bad input."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skrobust.conformal import ConformalClassifier, RobustConformalClassifier
from skrobust.conformal._calibration import _hoeffding_margin
from skrobust.conformal._perturbation import max_probabilities, model_view
from skrobust.conformal._robust import bernstein_margin
from skrobust.utils._proba import class_probabilities


def _data(n=600, classes=2, seed=0):
    X, y = make_classification(
        n, 6, n_informative=4, n_classes=classes, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


def _points_in_ball(x, epsilon, rng, n=400):
    """Points on the sphere and inside the ball of radius ``epsilon``."""
    directions = rng.standard_normal((n, x.shape[0]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = epsilon * np.r_[np.ones(n // 2), rng.uniform(size=n - n // 2)]
    return x + radii[:, None] * directions


@pytest.mark.parametrize(
    "model, classes",
    [(LogisticRegression(), 2), (LogisticRegression(), 4), (SVC(), 2)],
    ids=["linear-binary", "linear-4-classes", "rbf-svm"],
)
@pytest.mark.parametrize("epsilon", [0.05, 0.3])
def test_bound_is_above_every_point_of_the_ball(model, classes, epsilon):
    X, y = _data(classes=classes)
    model.fit(X, y)
    view = model_view(model, X, class_probabilities(model, X, model.classes_))
    assert view is not None
    bound = max_probabilities(view, X[:30], epsilon)
    rng = np.random.default_rng(0)
    for i in range(30):
        points = np.vstack(
            [_points_in_ball(X[i], epsilon, rng), _steepest(model, X[i], epsilon)]
        )
        reached = _probabilities(model, points).max(axis=0)
        assert np.all(reached <= bound[i] + 1e-12)


def _steepest(model, x, epsilon, steps=30):
    """The ends of projected gradient walks raising each class's probability
    (finite-difference gradients)."""
    ends = []
    for k in range(len(model.classes_)):
        point = x.copy()
        for _ in range(steps):
            base = _probabilities(model, point[None])[0, k]
            moved = point + 1e-6 * np.eye(len(x))
            gradient = (_probabilities(model, moved)[:, k] - base) / 1e-6
            point = point + 2 * epsilon / steps * gradient / (
                np.linalg.norm(gradient) + 1e-300
            )
            offset = point - x
            point = x + offset * min(1.0, epsilon / np.linalg.norm(offset))
        ends.append(point)
    return np.array(ends)


def _probabilities(model, X):
    if hasattr(model, "predict_proba") and not isinstance(model, SVC):
        return model.predict_proba(X)
    return softmax(np.column_stack([np.zeros(len(X)), model.decision_function(X)]), 1)


def test_linear_bound_is_reached_for_two_classes():
    X, y = _data()
    model = LogisticRegression().fit(X, y)
    w = model.coef_[0]
    view = model_view(model, X, model.predict_proba(X))
    bound = max_probabilities(view, X[:20], 0.25)
    # the worst case of class 1 moves along w, of class 0 against it
    step = 0.25 * w / np.linalg.norm(w)
    np.testing.assert_allclose(bound[:, 1], model.predict_proba(X[:20] + step)[:, 1])
    np.testing.assert_allclose(bound[:, 0], model.predict_proba(X[:20] - step)[:, 0])


def test_no_closed_form_without_softmax_probabilities():
    X, y = _data()
    # Platt scaling is not the sigmoid of the decision; a forest has no logits
    for model in (SVC(probability=True, random_state=0), RandomForestClassifier(5)):
        model.fit(X, y)
        assert model_view(model, X, model.predict_proba(X)) is None


def test_margins_are_the_published_formulas():
    # RSCP+ (Yan et al. 2024), written out here independently
    N, beta = 1024, 0.001
    assert _hoeffding_margin(1.0, N, 1, beta) == pytest.approx(0.0580769, abs=1e-7)
    assert _hoeffding_margin(1.0, 256, 1, beta) == pytest.approx(0.1161538, abs=1e-7)
    V = np.array([0.0, 0.01, 0.25])
    expected = np.sqrt(2 * V * np.log(2000) / N) + 7 * np.log(2000) / (3 * 1023)
    np.testing.assert_allclose(bernstein_margin(V, N, beta), expected)


@pytest.mark.parametrize("score", ["lac", "aps"])
def test_threshold_is_the_published_quantile_of_the_smoothed_scores(score):
    X, y = _data(classes=3)
    model = LogisticRegression().fit(X[:300], y[:300])
    X, y = X[300:], y[300:]  # a frozen model calibrates on every row
    clf = RobustConformalClassifier(
        FrozenEstimator(model),
        epsilon=0.2,
        method="smoothing",
        conformity_score=score,
        n_draws=256,
        random_state=0,
    ).fit(X, y)
    # smoothed scores in plain numpy, from the same draws
    noisy = X[:, None, :] + clf.noise_[None]
    proba = model.predict_proba(noisy.reshape(-1, X.shape[1]))
    proba = proba.reshape(len(y), clf.n_draws, -1)
    own = np.take_along_axis(proba, y[:, None, None], axis=2)[..., 0]
    if score == "lac":
        draws = 1.0 - own
    else:  # the mass strictly above the class, plus the draw's uniform times its own
        above = np.where(proba > own[..., None], proba, 0.0).sum(axis=2)
        draws = above + clf.noise_uniforms_ * own
    smoothed = draws.mean(axis=1)
    n, alpha, beta = len(y), clf.alpha, clf.beta
    level = (1 - alpha + 2 * beta) * (1 + 1 / n)
    expected = np.quantile(smoothed, level, method="inverted_cdf")
    assert clf.n_calibration_ == n
    assert clf.threshold_ == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("ptt", [False, True])
@pytest.mark.parametrize("score", ["lac", "aps"])
@pytest.mark.parametrize("model", [LogisticRegression(), SVC()], ids=["lr", "svm"])
def test_closed_form_smoothing_equals_plain_batches(model, score, ptt):
    X, y = _data()
    clf = RobustConformalClassifier(
        model,
        epsilon=0.2,
        method="smoothing",
        conformity_score=score,
        ptt=ptt,
        n_draws=64,
        random_state=0,
    ).fit(X, y)
    assert clf._view is not None
    fast = clf._smoothed(X[:50])
    clf._view = None  # the generic path: predict_proba of every noisy copy
    np.testing.assert_allclose(fast, clf._smoothed(X[:50]), rtol=1e-7, atol=1e-10)


def test_sets_do_not_depend_on_the_batch():
    X, y = _data()
    clf = RobustConformalClassifier(
        SVC(), method="smoothing", n_draws=128, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.predict_set(X[:7]), clf.predict_set(X)[:7])


def _attacked_coverage(sets_of, model, X, y, epsilon):
    """Coverage of the sets of the points moved, within ``epsilon``, to lower
    their true class's probability the most (exact for a binary linear
    model: straight against the true class's weight direction)."""
    w = model.coef_[0]
    toward_other = np.where(y == model.classes_[1], -1.0, 1.0)
    sets = sets_of(X + epsilon * toward_other[:, None] * w / np.linalg.norm(w))
    return sets[np.arange(len(y)), np.searchsorted(model.classes_, y)].mean()


@pytest.mark.parametrize("method", ["exact", "smoothing"])
def test_coverage_holds_under_the_worst_case_attack(method):
    robust, plain = [], []
    for seed in range(8):
        X, y = _data(n=1600, seed=seed)
        X_test, y_test = X[800:], y[800:]
        clf = RobustConformalClassifier(
            epsilon=0.25, method=method, n_draws=256, random_state=seed
        ).fit(X[:800], y[:800])
        robust.append(
            _attacked_coverage(clf.predict_set, clf.estimator_, X_test, y_test, 0.25)
        )
        split = ConformalClassifier(random_state=seed).fit(X[:800], y[:800])
        plain.append(
            _attacked_coverage(
                split.predict_set, split.estimator_, X_test, y_test, 0.25
            )
        )
    se = math.sqrt(0.1 * 0.9 / (800 * 8))
    assert np.mean(robust) >= 0.9 - 3 * se
    # the attack works: split conformal sets lose their coverage
    assert np.mean(plain) < 0.9 - 3 * se


def test_exact_sets_are_small_at_a_small_radius():
    X, y = _data(n=2000)
    clf = RobustConformalClassifier(epsilon=0.1, random_state=0).fit(X[:1000], y[:1000])
    plain = ConformalClassifier(random_state=0).fit(X[:1000], y[:1000])
    assert clf.method_ == "exact"
    robust_size = clf.predict_set(X[1000:]).sum(axis=1).mean()
    plain_size = plain.predict_set(X[1000:]).sum(axis=1).mean()
    assert plain_size <= robust_size <= 1.5 * plain_size


def test_auto_falls_back_to_smoothing():
    X, y = _data()
    forest = RandomForestClassifier(10, random_state=0)
    clf = RobustConformalClassifier(forest, n_draws=64, random_state=0).fit(X, y)
    assert clf.method_ == "smoothing"
    assert RobustConformalClassifier(random_state=0).fit(X, y).method_ == "exact"
    aps = RobustConformalClassifier(conformity_score="aps", n_draws=64).fit(X, y)
    assert aps.method_ == "smoothing"


def test_frozen_estimator_calibrates_on_all_rows():
    X, y = _data()
    model = LogisticRegression().fit(X, y)
    coef = model.coef_.copy()
    clf = RobustConformalClassifier(FrozenEstimator(model)).fit(X[:300], y[:300])
    assert clf.n_calibration_ == 300
    assert clf.method_ == "exact"
    np.testing.assert_array_equal(model.coef_, coef)
    # PTT holds out ptt_size of the calibration rows for its rank transform
    clf.set_params(ptt=True, ptt_size=0.2, n_draws=64).fit(X[:300], y[:300])
    assert (len(clf.ptt_scores_), clf.n_calibration_) == (60, 240)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"epsilon": 0.0, "method": "smoothing"}, "sigma > 0"),
        ({"n_draws": 10, "method": "smoothing"}, "too few"),
        ({"beta": 0.06, "method": "smoothing"}, "below alpha / 2"),
        ({"method": "exact", "conformity_score": "aps"}, "LAC score"),
        ({"method": "exact", "ptt": True}, "LAC score"),
        ({"epsilon": -0.1}, "epsilon"),
        ({"sigma": 0.0}, "sigma"),
    ],
)
def test_bad_parameters(params, message):
    X, y = _data()
    with pytest.raises(ValueError, match=message):
        RobustConformalClassifier(**params).fit(X, y)


def test_bad_input():
    X, y = _data()
    with pytest.raises(TypeError, match="sparse"):
        RobustConformalClassifier().fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="1 class"):
        RobustConformalClassifier().fit(X, np.zeros(len(y)))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RobustConformalClassifier().fit(X_nan, y)
    with pytest.raises(ValueError, match="closed-form bounds"):
        RobustConformalClassifier(RandomForestClassifier(5), method="exact").fit(X, y)
    with pytest.warns(UserWarning, match="unscaled"):
        RobustConformalClassifier().fit(X * np.r_[1000.0, np.ones(5)], y)
