import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skrobust.noise import (
    flip_labels,
    instance_noise,
    pair_noise,
    pair_transition_matrix,
    symmetric_noise,
    symmetric_transition_matrix,
)

N = 20_000


def _binomial_tolerance(p, n):
    return 4 * np.sqrt(p * (1 - p) / n) + 1e-9


@pytest.mark.parametrize("make_noise", [symmetric_noise, pair_noise])
@pytest.mark.parametrize("rate", [0.1, 0.35])
def test_flip_rate_matches_request(make_noise, rate):
    y = np.repeat(np.arange(4), N // 4)
    _, flipped = make_noise(y, rate, random_state=0)
    assert abs(flipped.mean() - rate) <= _binomial_tolerance(rate, N)


def test_symmetric_noise_spreads_uniformly_over_other_classes():
    y = np.zeros(N, dtype=int)
    y_noisy, flipped = symmetric_noise(y, 0.6, classes=[0, 1, 2, 3], random_state=1)
    assert np.all(y_noisy[flipped] != 0)
    shares = np.bincount(y_noisy[flipped], minlength=4)[1:] / flipped.sum()
    np.testing.assert_allclose(
        shares, 1 / 3, atol=_binomial_tolerance(1 / 3, flipped.sum())
    )


def test_pair_noise_moves_to_the_next_class_only():
    y = np.repeat([10, 20, 30], 1000)
    y_noisy, flipped = pair_noise(y, 0.4, random_state=0)
    following = {10: 20, 20: 30, 30: 10}
    assert all(
        following[a] == b for a, b in zip(y[flipped], y_noisy[flipped], strict=True)
    )


def test_empirical_transition_matrix_matches_custom_matrix():
    T = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]])
    y = np.repeat([0, 1, 2], N)
    y_noisy, _ = flip_labels(y, T, random_state=0)
    empirical = np.array(
        [np.bincount(y_noisy[y == i], minlength=3) / N for i in range(3)]
    )
    np.testing.assert_allclose(empirical, T, atol=0.015)


def test_string_labels_pandas_input_and_no_mutation():
    pd = pytest.importorskip("pandas")
    labels = pd.Series(["spam", "ham", "eggs"] * 300)
    before = labels.copy()
    y_noisy, flipped = symmetric_noise(labels, 0.3, random_state=0)
    assert isinstance(y_noisy, np.ndarray)
    assert set(y_noisy) <= {"spam", "ham", "eggs"}
    np.testing.assert_array_equal(y_noisy != labels.to_numpy(), flipped)
    pd.testing.assert_series_equal(labels, before)


def test_same_seed_same_labels_and_rate_zero_changes_nothing():
    y = np.repeat([0, 1], 500)
    a, _ = symmetric_noise(y, 0.3, random_state=7)
    b, _ = symmetric_noise(y, 0.3, random_state=7)
    np.testing.assert_array_equal(a, b)
    y_same, flipped = pair_noise(y, 0.0, random_state=0)
    np.testing.assert_array_equal(y_same, y)
    assert not flipped.any()


def test_transition_matrix_helpers():
    np.testing.assert_allclose(symmetric_transition_matrix(4, 0.3).sum(axis=1), 1.0)
    np.testing.assert_allclose(
        pair_transition_matrix(2, 0.25), [[0.75, 0.25], [0.25, 0.75]]
    )


def test_instance_noise_hits_the_requested_rate_near_the_boundary():
    X, y = make_classification(n_samples=5000, random_state=0)
    X_before = X.copy()
    _, flipped = instance_noise(X, y, 0.2, random_state=0)
    assert abs(flipped.mean() - 0.2) <= _binomial_tolerance(0.2, len(y))
    margin = np.abs(LogisticRegression().fit(X, y).decision_function(X))
    assert margin[flipped].mean() < 0.5 * margin[~flipped].mean()
    np.testing.assert_array_equal(X, X_before)


def test_instance_noise_flips_to_the_most_probable_other_class():
    X, y = make_classification(
        n_samples=3000, n_classes=3, n_informative=5, random_state=0
    )
    model = LogisticRegression().fit(X, y)
    y_noisy, flipped = instance_noise(X, y, 0.3, estimator=model, random_state=0)
    proba = model.predict_proba(X)
    proba[np.arange(len(y)), y] = -1
    np.testing.assert_array_equal(y_noisy[flipped], proba[flipped].argmax(axis=1))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: symmetric_noise([0, 1], 1.0),
            ValueError,
            r"rate must lie in \[0, 1\)",
        ),
        (lambda: symmetric_noise([0, 1], float("nan")), ValueError, "rate must lie"),
        (lambda: symmetric_noise([0, 1], "0.2"), TypeError, "rate must be a real"),
        (lambda: pair_noise([0, 1], -0.1), ValueError, "rate must lie"),
        (lambda: symmetric_noise([], 0.2), ValueError, "empty"),
        (lambda: symmetric_noise([1, 1, 1], 0.2), ValueError, "at least 2 classes"),
        (lambda: symmetric_noise([[0, 1]], 0.2), ValueError, "1d array"),
        (lambda: symmetric_noise([0, 1, 5], 0.2, classes=[0, 1]), ValueError, r"\[5\]"),
        (lambda: flip_labels([0, 1], [[1.0, 0.0]]), ValueError, r"shape \(2, 2\)"),
        (lambda: flip_labels([0, 1], [[0.5, 0.6], [0, 1]]), ValueError, "sum to 1"),
        (
            lambda: flip_labels([0, 1], [[1.5, -0.5], [0, 1]]),
            ValueError,
            "non-negative",
        ),
        (lambda: flip_labels([0, 1], [[np.nan, 1], [0, 1]]), ValueError, "NaN"),
        (
            lambda: instance_noise(np.ones((3, 2)), [0, 1], 0.1),
            ValueError,
            "numbers of samples",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
