"""Conformity-score kernels against direct numpy definitions, ties included."""

import numpy as np
import pytest

from skrobust.conformal._scores import ScoreFunction


def tied_probabilities(n, K, seed):
    """Rows rounded to two decimals: many exact ties, also at the top."""
    rng = np.random.default_rng(seed)
    proba = np.round(rng.dirichlet(np.ones(K), size=n), 2)
    proba[:, -1] = np.maximum(0.0, 1.0 - proba[:, :-1].sum(axis=1))
    return proba


def direct_scores(proba, name, lam=0.0, k_reg=0):
    above = np.array([[row[row > p].sum() for p in row] for row in proba])
    rank = np.array([[(row > p).sum() for p in row] for row in proba])
    if name == "lac":
        return 1.0 - proba
    if name == "top_k":
        return rank.astype(float)
    penalty = lam * np.maximum(0, rank + 1 - k_reg) if name == "raps" else 0.0
    return above + proba + penalty


@pytest.mark.parametrize("K", [3, 7, 40])
@pytest.mark.parametrize("name", ["lac", "top_k", "aps", "raps"])
def test_score_matrix_matches_the_definition(K, name):
    proba = tied_probabilities(500, K, K)
    score = ScoreFunction(name, lam=0.1, k_reg=2)
    np.testing.assert_allclose(
        score.matrix(proba), direct_scores(proba, name, 0.1, 2), atol=1e-12
    )


@pytest.mark.parametrize("K", [3, 7, 40])
@pytest.mark.parametrize("name", ["lac", "top_k", "aps", "raps"])
def test_sets_rank_only_what_they_need_and_match_full_scores(K, name):
    """The set kernel stops ranking past the largest threshold; its sets
    equal thresholding the full score matrix (per class and level)."""
    proba = tied_probabilities(3000, K, K + 1)
    rng = np.random.default_rng(0)
    scale = K / 2 if name == "top_k" else 1.0
    thresholds = rng.uniform(0.2, 0.95, size=(2, K, 3)) * scale
    groups = rng.integers(0, 2, 3000)
    for randomized in (False, True):
        score = ScoreFunction(name, randomized=randomized, lam=0.1, k_reg=2, seed=5)
        full = score.matrix(proba, draw=1)
        sets = score.sets(proba, thresholds, groups, draw=1)
        expected = full[:, :, None] <= thresholds[groups]
        if score.cumulative and not randomized:  # include_last_label=True
            before = full - proba
            top = np.argmax(proba, axis=1)
            expected = before[:, :, None] < thresholds[groups]
            expected[np.arange(3000), top, :] = True
        np.testing.assert_array_equal(sets, expected)


@pytest.mark.parametrize("K", [3, 40, 100])
@pytest.mark.parametrize("name", ["aps", "raps"])
@pytest.mark.parametrize("rule", ["threshold", "include_last", "keep_top"])
def test_one_threshold_for_all_classes_gives_the_ranked_sets(K, name, rule):
    """With the same thresholds for every class the set kernel finds each
    row's cutoff by selection instead of ranking: the sets must equal
    thresholding the full score matrix, ties and thresholds equal to a
    score included (those rows fall back to ranking)."""
    proba = tied_probabilities(3000, K, K + 2)
    proba[:500] = np.full(K, 1.0 / K)  # one tie group of K classes
    rng = np.random.default_rng(1)
    score = ScoreFunction(
        name,
        randomized=rule == "threshold",
        include_last_label=rule == "include_last",
        lam=0.1,
        k_reg=2,
        seed=3,
    )
    full = score.matrix(proba, draw=1)
    levels = rng.uniform(0.2, 0.95, size=(2, 1, 3))
    levels[1, 0, 0] = full[7, 0]  # a threshold equal to a score
    if name == "raps":
        levels *= 1.5
    thresholds = np.repeat(levels, K, axis=1)
    groups = rng.integers(0, 2, 3000)
    sets = score.sets(proba, thresholds, groups, draw=1)
    if rule == "include_last":
        expected = (full - proba)[:, :, None] < thresholds[groups]
        expected[np.arange(3000), np.argmax(proba, axis=1), :] = True
    elif rule == "keep_top":
        top = full.min(axis=1)[:, None, None]
        expected = full[:, :, None] <= np.maximum(thresholds[groups], top)
    else:
        expected = full[:, :, None] <= thresholds[groups]
    np.testing.assert_array_equal(sets, expected)


def test_keep_top_rule_never_gives_an_empty_set():
    proba = tied_probabilities(2000, 6, 3)
    score = ScoreFunction("aps", include_last_label=False)
    sets = score.sets(proba, np.full((1, 6, 1), 1e-3), np.zeros(2000, np.int64))
    assert np.all(sets.sum(axis=1) >= 1)
    full = score.matrix(proba)
    np.testing.assert_array_equal(sets[:, :, 0], full <= full.min(axis=1)[:, None])


def test_positions_count_calibration_scores_below():
    proba = tied_probabilities(400, 5, 9)
    score = ScoreFunction("aps")
    calibration = np.sort(np.random.default_rng(1).uniform(0, 1, 300))
    start = np.array([[0] * 5, [100] * 5])
    stop = np.array([[100] * 5, [300] * 5])
    groups = np.arange(400) % 2
    positions = score.positions(proba, calibration, start, stop, groups)
    full = score.matrix(proba)
    for g in (0, 1):
        segment = calibration[start[g, 0] : stop[g, 0]]
        expected = np.searchsorted(segment, full[groups == g], side="left")
        np.testing.assert_array_equal(positions[groups == g], expected)
