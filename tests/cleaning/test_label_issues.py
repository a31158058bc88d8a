"""Confident learning against cleanlab 2.9 on the same probabilities."""

import warnings

import numpy as np
import pytest

from skrobust.cleaning import find_label_issues, label_quality_scores
from skrobust.noise import confident_joint, estimate_transition_matrix

cleanlab = pytest.importorskip("cleanlab")
from cleanlab.count import (  # noqa: E402
    compute_confident_joint,
    estimate_py_and_noise_matrices_from_probabilities,
)
from cleanlab.filter import find_label_issues as cl_find_label_issues  # noqa: E402
from cleanlab.rank import get_label_quality_scores  # noqa: E402


def noisy_problem(n_classes, seed, n=1500, rate=0.25, small_class=False, decimals=None):
    """Dirichlet probabilities peaked at the true class; labels flipped at ``rate``."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, n_classes, n)
    if small_class:
        true[true == 0] = 1
        true[:6] = 0
    alpha = 1.0 + 3.0 * np.eye(n_classes)[true]
    proba = np.array([rng.dirichlet(a) for a in alpha])
    if decimals is not None:  # many exact ties
        proba = np.round(proba, decimals)
        proba[:, -1] = 1.0 - proba[:, :-1].sum(axis=1)
        proba = np.clip(proba, 0.0, 1.0)
        proba /= proba.sum(axis=1, keepdims=True)
    labels = true.copy()
    flip = rng.random(n) < rate
    labels[flip] = (labels[flip] + rng.integers(1, n_classes, flip.sum())) % n_classes
    if small_class:
        labels[:6] = 0
    return labels, proba


CASES = [
    (2, 0, {}),
    (3, 1, {}),
    (10, 2, {}),
    (10, 3, {"small_class": True}),
    (5, 4, {"decimals": 2}),
]
FILTERS = [
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
]


@pytest.mark.parametrize("n_classes, seed, options", CASES)
def test_confident_joint_and_noise_matrix_equal_cleanlabs(n_classes, seed, options):
    labels, proba = noisy_problem(n_classes, seed, **options)
    for calibrate in (False, True):
        np.testing.assert_array_equal(
            confident_joint(labels, proba, calibrate=calibrate),
            compute_confident_joint(labels, proba, calibrate=calibrate),
        )
    py, noise_matrix, _, _ = estimate_py_and_noise_matrices_from_probabilities(
        labels, proba, converge_latent_estimates=False
    )
    transition, prior = estimate_transition_matrix(labels, proba)
    np.testing.assert_allclose(transition, noise_matrix.T, rtol=1e-12)
    np.testing.assert_allclose(prior, py, rtol=1e-12)


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize("n_classes, seed, options", CASES)
def test_every_filter_flags_what_cleanlab_flags(filter_by, n_classes, seed, options):
    labels, proba = noisy_problem(n_classes, seed, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cleanlab warns about the small class
        expected = cl_find_label_issues(labels, proba, filter_by=filter_by, n_jobs=1)
    np.testing.assert_array_equal(
        find_label_issues(labels, proba, filter_by=filter_by), expected
    )


@pytest.mark.parametrize(
    "options",
    [
        {"min_examples_per_class": 10},
        {"frac_noise": 0.5},
        {"return_indices_ranked_by": "self_confidence"},
        {"return_indices_ranked_by": "normalized_margin"},
        {"return_indices_ranked_by": "confidence_weighted_entropy"},
    ],
)
def test_options_match_cleanlab(options):
    labels, proba = noisy_problem(4, 7)
    for filter_by in ("prune_by_noise_rate", "prune_by_class", "both"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cl_find_label_issues(
                labels, proba, filter_by=filter_by, n_jobs=1, **options
            )
        np.testing.assert_array_equal(
            find_label_issues(labels, proba, filter_by=filter_by, **options), expected
        )


@pytest.mark.parametrize(
    "method", ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
)
def test_quality_scores_equal_cleanlabs(method):
    labels, proba = noisy_problem(6, 5)
    np.testing.assert_allclose(
        label_quality_scores(labels, proba, method=method),
        get_label_quality_scores(labels, proba, method=method),
        rtol=1e-12,
    )


def test_flags_recover_injected_flips():
    labels, proba = noisy_problem(5, 11, n=4000, rate=0.2)
    rng = np.random.default_rng(11)  # redraw the flips to know them
    true = rng.integers(0, 5, 4000)
    flipped = labels != true
    issues = find_label_issues(labels, proba)
    # flagged samples are flips about 4 times as often as samples at large
    # (measured 0.80 of 0.20); most flips are found (measured 0.85)
    assert np.mean(flipped[issues]) > 3 * np.mean(flipped)
    assert np.mean(issues[flipped]) > 0.75
    # and more precisely than flagging every disagreement with the argmax
    naive = find_label_issues(labels, proba, filter_by="predicted_neq_given")
    assert np.mean(flipped[issues]) > np.mean(flipped[naive]) + 0.1


@pytest.mark.parametrize(
    "labels, proba, match",
    [
        ([0, 1, 1], [[0.5, 0.6], [0.1, 0.9], [0.2, 0.8]], "sum to 1"),
        ([0, 1, 2], [[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]], "outside the 2 classes"),
        (
            [0, 0, 0],
            [[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]],
            r"class\(es\) \[1\] have none",
        ),
        ([0, 1, 1], [[1.0], [1.0], [1.0]], "at least 2 class"),
        ([0, 1], [[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]], "different lengths"),
        ([0, 1, 1], [[1.5, -0.5], [0.1, 0.9], [0.2, 0.8]], r"\[0, 1\]"),
        (["a", "b", "b"], [[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]], "class indices"),
        ([0, 1, 1], [[np.nan, 0.5], [0.1, 0.9], [0.2, 0.8]], "NaN"),
    ],
)
def test_bad_input_is_named(labels, proba, match):
    with pytest.raises(ValueError, match=match):
        find_label_issues(labels, np.array(proba))


def test_bad_options_are_named():
    labels, proba = noisy_problem(3, 0, n=60)
    with pytest.raises(ValueError, match="filter_by must be one of"):
        find_label_issues(labels, proba, filter_by="prune")
    with pytest.raises(ValueError, match="frac_noise"):
        find_label_issues(labels, proba, frac_noise=0)
    with pytest.raises(ValueError, match="min_examples_per_class"):
        find_label_issues(labels, proba, min_examples_per_class=-1)
    with pytest.raises(ValueError, match="method must be one of"):
        label_quality_scores(labels, proba, method="entropy")
