"""ConformalMultiLabelClassifier: exact regions against all 2^L label-sets,
coverage, many labels, sklearn tools and bad input."""

import functools
import itertools
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.conformal import ConformalMultiLabelClassifier, label_set_coverage
from skrobust.conformal._quantile import conformal_threshold
from skrobust.exceptions import CalibrationSizeWarning


class _GivenProbabilities(ClassifierMixin, BaseEstimator):
    """A fitted multi-label model whose positive probabilities are ``X``
    itself, returned as ``MultiOutputClassifier`` does (a list of (n, 2))."""

    def fit(self, X, Y):
        self.classes_ = [np.array([0, 1])] * np.shape(Y)[1]
        return self

    def predict_proba(self, X):
        return [np.column_stack([1.0 - o, o]) for o in np.asarray(X, float).T]


def _prefit(proba, Y, **params):
    model = _GivenProbabilities().fit(proba, Y)
    return ConformalMultiLabelClassifier(model, method="prefit", **params).fit(proba, Y)


def _all_label_sets(L):
    return np.array(list(itertools.product([False, True], repeat=L)))


def _scores(proba, label_sets, norm):
    """Score of every label-set (columns) for every row, in plain numpy."""
    proba = proba[:, None]
    return np.where(label_sets[None], (1 - proba) ** norm, proba**norm).sum(axis=2)


def _as_set(region):
    return {tuple(row) for row in np.asarray(region, dtype=bool).tolist()}


def _certainty(region, L):
    if len(region) == 0:
        return np.full(L, -1)
    return np.where(region.all(axis=0), 1, np.where(region.any(axis=0), -1, 0))


@pytest.fixture(scope="module")
def text_like():
    """Six labels, a model fitted on the first 1000 rows, 3000 rows left."""
    X, Y = make_multilabel_classification(
        n_samples=4000, n_features=30, n_classes=6, n_labels=2, random_state=0
    )
    model = make_pipeline(StandardScaler(), OneVsRestClassifier(LogisticRegression()))
    return model.fit(X[:1000], Y[:1000]), X[1000:], Y[1000:]


@pytest.mark.parametrize("norm", [1, 2])
@pytest.mark.parametrize("L", [1, 3, 6, 8])
@pytest.mark.parametrize("grid", [16, None])
def test_region_is_every_label_set_with_pvalue_above_alpha(norm, L, grid):
    # on the 1/16 grid every score is exact and ties are everywhere: equal
    # flip costs, probabilities of 0.5 (free flips), test scores equal to
    # calibration scores; the last test rows are the calibration rows
    rng = np.random.default_rng(10 * L + norm)

    def draw(n):
        if grid:
            return rng.integers(0, grid + 1, size=(n, L)) / grid
        return rng.random((n, L))

    n_cal = 49
    proba_cal = draw(n_cal)
    Y_cal = rng.random((n_cal, L)) < proba_cal
    proba = np.vstack([draw(150), proba_cal])
    label_sets = _all_label_sets(L)
    cal_scores = (np.abs(Y_cal - proba_cal) ** norm).sum(axis=1)
    scores = _scores(proba, label_sets, norm)
    pvalues = ((cal_scores >= scores[..., None]).sum(axis=2) + 1) / (n_cal + 1)
    for alpha in (0.1, 0.3, 0.5):
        clf = _prefit(proba_cal, Y_cal, alpha=alpha, norm=norm)
        inside = pvalues > alpha
        regions = clf.predict_set(proba)
        np.testing.assert_array_equal(clf.region_sizes(proba), inside.sum(axis=1))
        certainty = clf.label_certainty(proba)
        best = clf.predict(proba)
        for i, region in enumerate(regions):
            assert region.dtype == bool and region.shape == (inside[i].sum(), L)
            assert _as_set(region) == _as_set(label_sets[inside[i]])
            np.testing.assert_array_equal(certainty[i], _certainty(region, L))
            if len(region):
                # best label-set first, then by ascending score
                np.testing.assert_array_equal(region[0], best[i])
                assert np.all(np.diff(_scores(proba[i : i + 1], region, norm)) >= 0)
        # calibration rows, used as test rows, keep their label-sets exactly
        # when their scores are at most the threshold (the one at it included)
        kept = [
            tuple(y) in _as_set(r) for y, r in zip(Y_cal, regions[-n_cal:], strict=True)
        ]
        assert sum(kept) == np.sum(clf.calibration_scores_ <= clf.threshold_)
    pick = rng.integers(0, len(label_sets), size=len(proba))
    np.testing.assert_array_equal(
        clf.pvalues(proba, label_sets[pick]), pvalues[np.arange(len(proba)), pick]
    )


@pytest.mark.parametrize(
    "guarantee", [dict(guarantee="pac", delta=0.1), dict(n_poisoned=3)]
)
def test_pac_and_poisoned_thresholds_pass_through(guarantee):
    rng = np.random.default_rng(1)
    L = 5
    proba_cal = rng.integers(0, 9, size=(200, L)) / 8
    Y_cal = rng.random((200, L)) < proba_cal
    proba = rng.integers(0, 9, size=(100, L)) / 8
    clf = _prefit(proba_cal, Y_cal, alpha=0.2, **guarantee)
    plain = _prefit(proba_cal, Y_cal, alpha=0.2)
    cal_scores = (np.abs(Y_cal - proba_cal) ** 2).sum(axis=1)
    threshold = conformal_threshold(cal_scores, 0.2, **guarantee)
    assert clf.threshold_ == threshold > plain.threshold_
    label_sets = _all_label_sets(L)
    inside = _scores(proba, label_sets, 2) <= threshold
    for region, expected in zip(clf.predict_set(proba), inside, strict=True):
        assert _as_set(region) == _as_set(label_sets[expected])


@pytest.mark.parametrize("norm", [1, 2])
def test_label_set_coverage_is_one_minus_alpha_over_random_splits(text_like, norm):
    # exchangeable given the pool: each split covers a test row with
    # probability in [1 - alpha, 1 - alpha + 1 / (n_cal + 1)]; the mean of 100
    # splits has a Monte Carlo sd near 0.002. To time only the conformal
    # splits, the model's probabilities are computed once
    model, X, Y = text_like
    proba, Y = model.predict_proba(X[:1500]), Y[:1500]
    alpha, n_cal, n_splits = 0.1, 500, 100
    rng = np.random.default_rng(norm)
    coverage = []
    for _ in range(n_splits):
        order = rng.permutation(len(Y))
        cal, test = order[:n_cal], order[n_cal:]
        clf = _prefit(proba[cal], Y[cal], alpha=alpha, norm=norm)
        coverage.append(label_set_coverage(Y[test], clf.predict_set(proba[test])))
    margin = 4 * np.std(coverage) / np.sqrt(n_splits)
    assert 1 - alpha - margin <= np.mean(coverage)
    assert np.mean(coverage) <= 1 - alpha + 1 / (n_cal + 1) + margin


def test_calibration_row_at_the_threshold_keeps_its_label_set(text_like):
    # continuous scores: exactly ceil((n + 1)(1 - alpha)) calibration rows
    # score at most the threshold, the last of them at it
    model, X, Y = text_like
    clf = ConformalMultiLabelClassifier(model, alpha=0.1, method="prefit")
    regions = clf.fit(X[:99], Y[:99]).predict_set(X[:99])
    kept = [tuple(y) in _as_set(r) for y, r in zip(Y[:99], regions, strict=True)]
    assert sum(kept) == 90


@functools.cache
def _combinations(n, k):
    return np.array(list(itertools.combinations(range(n), k)))


def _hamming_ball(center, radius):
    """Every label-set differing from ``center`` in at most ``radius`` labels."""
    blocks = [center[None]]
    for k in range(1, radius + 1):
        flips = _combinations(len(center), k)
        block = np.tile(center, (len(flips), 1))
        block[np.arange(len(flips))[:, None], flips] ^= True
        blocks.append(block)
    return np.concatenate(blocks)


def test_forty_labels_list_regions_far_smaller_than_the_powerset():
    # sharp but noisy labels, as in text with many rare topics
    rng = np.random.default_rng(0)
    n, d, L = 6000, 20, 40
    X = rng.normal(size=(n, d))
    logits = X @ rng.normal(size=(d, L)) * 30 / np.sqrt(d) - 15 + rng.normal(size=L)
    Y = (rng.random((n, L)) < 1 / (1 + np.exp(-logits))).astype(int)
    model = OneVsRestClassifier(LogisticRegression(solver="newton-cholesky"))
    model.fit(X[:1000], Y[:1000])
    clf = ConformalMultiLabelClassifier(model, method="prefit").fit(
        X[1000:3000], Y[1000:3000]
    )
    sizes = clf.region_sizes(X[3000:])
    regions = clf.predict_set(X[3000:])
    assert [len(r) for r in regions] == sizes.tolist()
    assert sizes.max() < 2**10 and sizes.mean() < 100
    assert label_set_coverage(Y[3000:], regions) > 0.87
    # the paper's bound: a region flips at most as many labels as the
    # cheapest flips that fit in the budget; score that Hamming ball directly
    proba = model.predict_proba(X[3000:3300])
    budget = clf.threshold_ - (np.minimum(proba, 1 - proba) ** 2).sum(axis=1)
    flips = np.cumsum(np.sort(np.abs(2 * proba - 1), axis=1), axis=1)
    radius = (flips <= budget[:, None] + 1e-9).sum(axis=1)
    checked = 0
    for o, r, region in zip(proba, radius, regions, strict=False):
        if r > 3:
            continue
        ball = _hamming_ball(o >= 0.5, r)
        inside = _scores(o[None], ball, 2)[0] <= clf.threshold_
        assert _as_set(region) == _as_set(ball[inside])
        checked += 1
    assert checked > 250


def test_counting_stops_at_max_region_size():
    # every label a coin flip: all 2^L label-sets cost nothing to flip
    proba_cal = np.full((20, 40), 0.5)
    Y_cal = np.random.default_rng(0).random((20, 40)) < 0.5
    clf = _prefit(proba_cal, Y_cal, alpha=0.5, max_region_size=2**62)
    assert clf.region_sizes(proba_cal[:2]).tolist() == [2**40, 2**40]
    clf.set_params(max_region_size=1000)
    assert clf.region_sizes(proba_cal[:2]).tolist() == [1001, 1001]
    np.testing.assert_array_equal(clf.label_certainty(proba_cal[:1]), -1)
    with pytest.raises(ValueError, match=r"regions of 2 rows .* more than max_reg"):
        clf.predict_set(proba_cal[:2])
    wide = np.full((1, 70), 0.5)
    clf = _prefit(wide, wide > 0.5, alpha=0.5, max_region_size=2**62)
    assert clf.region_sizes(wide).tolist() == [2**62 + 1]


def test_one_vs_rest_and_multi_output_give_the_same_regions(text_like):
    _, X, Y = text_like
    X = StandardScaler().fit_transform(X)
    regions = []
    for model in (
        OneVsRestClassifier(LogisticRegression()),
        MultiOutputClassifier(LogisticRegression()),
    ):
        model.fit(X[:1000], Y[:1000])
        clf = ConformalMultiLabelClassifier(model, method="prefit")
        # any memory layout of Y
        Y_cal = np.asfortranarray(Y[1000:2000])
        regions.append(clf.fit(X[1000:2000], Y_cal).predict_set(X[2000:]))
    for ovr, moc in zip(*regions, strict=True):
        np.testing.assert_array_equal(ovr, moc)


def test_split_pipeline_clone_and_pickle_give_identical_regions(text_like):
    _, X, Y = text_like
    estimator = make_pipeline(
        StandardScaler(), MultiOutputClassifier(LogisticRegression())
    )
    clf = ConformalMultiLabelClassifier(estimator, alpha=0.2, random_state=0)
    clf.fit(X[:2000], Y[:2000])
    assert clf.calibration_scores_.shape == (500,)
    regions = clf.predict_set(X[2000:])
    assert label_set_coverage(Y[2000:], regions) > 0.75
    again = clone(clf).fit(X[:2000], Y[:2000]).predict_set(X[2000:])
    unpickled = pickle.loads(pickle.dumps(clf)).predict_set(X[2000:])
    for a, b, c in zip(regions, again, unpickled, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert clf.predict(X[2000:]).shape == Y[2000:].shape
    assert 0 < clf.score(X[2000:], Y[2000:]) < 1


def test_one_dimensional_binary_y_is_one_label(text_like):
    _, X, Y = text_like
    y = np.where(Y[:, 0] == 1, "yes", "no")
    clf = ConformalMultiLabelClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()), random_state=0
    ).fit(X[:2000], y[:2000])
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    assert set(clf.predict(X[2000:])) <= {"no", "yes"}
    regions = clf.predict_set(X[2000:])
    assert all(r.shape[1] == 1 and len(r) <= 2 for r in regions)
    assert label_set_coverage(y[2000:] == "yes", regions) > 0.85
    assert clf.pvalues(X[2000:2005], y[2000:2005]).shape == (5,)
    with pytest.raises(ValueError, match=r"labels not seen in fit: \['maybe'\]"):
        clf.pvalues(X[:1], ["maybe"])


def test_bad_input_raises_clear_errors(text_like):
    model, X, Y = text_like
    X_cal, Y_cal = X[:200], Y[:200]
    X_before, Y_before = X_cal.copy(), Y_cal.copy()
    prefit = dict(estimator=model, method="prefit")
    for alpha in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="'alpha' parameter"):
            ConformalMultiLabelClassifier(alpha=alpha, **prefit).fit(X_cal, Y_cal)
    with pytest.raises(TypeError, match="'alpha' parameter"):
        ConformalMultiLabelClassifier(alpha=[0.1, 0.2], **prefit).fit(X_cal, Y_cal)
    with pytest.raises(ValueError, match=r"'norm' parameter .* \{1, 2\}. Got 3"):
        ConformalMultiLabelClassifier(norm=3, **prefit).fit(X_cal, Y_cal)
    with pytest.raises(ValueError, match=r"0/1 indicator matrix; it holds \[0, 1, 2\]"):
        ConformalMultiLabelClassifier(**prefit).fit(X_cal, Y_cal * (1 + Y_cal[:, :1]))
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        ConformalMultiLabelClassifier(**prefit).fit(X_cal, Y_cal.sum(axis=1))
    with pytest.warns(
        CalibrationSizeWarning, match=r"has 5 samples; alpha=0.1 needs at least 9"
    ):
        small = ConformalMultiLabelClassifier(**prefit).fit(X_cal[:5], Y_cal[:5])
    assert np.isinf(small.threshold_)  # every label set
    with pytest.warns(CalibrationSizeWarning, match=r"calibration_size=0.02\) has 4"):
        ConformalMultiLabelClassifier(model, calibration_size=0.02).fit(X_cal, Y_cal)
    with pytest.raises(TypeError, match="LinearSVC has no predict_proba"):
        ConformalMultiLabelClassifier(LinearSVC()).fit(X_cal, Y_cal)
    unfitted = OneVsRestClassifier(LogisticRegression())
    with pytest.raises(NotFittedError, match="method='prefit' needs a fitted"):
        ConformalMultiLabelClassifier(unfitted, method="prefit").fit(X_cal, Y_cal)
    clf = ConformalMultiLabelClassifier(max_region_size=1, **prefit).fit(X_cal, Y_cal)
    with pytest.raises(ValueError, match="more than max_region_size=1 label-sets"):
        clf.predict_set(X_cal)
    with pytest.raises(ValueError, match=r"Y has shape \(3, 6\); expected \(2, 6\)"):
        clf.pvalues(X_cal[:2], Y_cal[:3])
    with pytest.raises(ValueError, match="Y_true has 2 rows but there are 1"):
        label_set_coverage(Y_cal[:2], [Y_cal[:1]])
    clf.set_params(max_region_size=100).predict_set(X_cal)
    clf.pvalues(X_cal, Y_cal)
    clf.label_certainty(X_cal)
    np.testing.assert_array_equal(X_cal, X_before)
    np.testing.assert_array_equal(Y_cal, Y_before)
