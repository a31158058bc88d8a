import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skrobust.noise._simulate import (
    _scale_to_mean,
    flip_labels,
    instance_noise,
    pair_noise,
    pair_transition_matrix,
    symmetric_noise,
    symmetric_transition_matrix,
)

N = 20_000


def _mapped(mapping, labels):
    return np.array([mapping[label] for label in labels.tolist()])


def _binomial_tolerance(p, n):
    """Four standard deviations of a binomial share (tiny when p is 0 or 1)."""
    return 4 * np.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize("make_noise", [symmetric_noise, pair_noise])
@pytest.mark.parametrize("rate", [0.1, 0.35])
def test_flip_rate_matches_request(make_noise, rate):
    # with 4 classes, "resample among all classes" would flip only 3/4 of rate
    y = np.repeat(np.arange(4), N // 4)
    _, flipped = make_noise(y, rate, random_state=0)
    assert abs(flipped.mean() - rate) <= _binomial_tolerance(rate, N)


def test_symmetric_noise_spreads_uniformly_over_other_classes():
    y = np.zeros(N, dtype=int)
    y_noisy, flipped = symmetric_noise(y, 0.6, classes=[0, 1, 2, 3], random_state=1)
    assert np.all(y_noisy[flipped] != 0)
    shares = np.bincount(y_noisy[flipped], minlength=4)[1:] / flipped.sum()
    tolerance = _binomial_tolerance(1 / 3, flipped.sum())
    np.testing.assert_allclose(shares, 1 / 3, atol=tolerance)


def test_pair_noise_moves_to_the_next_class_only():
    y = np.repeat([10, 20, 30], 1000)
    y_noisy, flipped = pair_noise(y, 0.4, random_state=0)
    following = {10: 20, 20: 30, 30: 10}
    assert flipped.any()
    np.testing.assert_array_equal(y_noisy[flipped], _mapped(following, y[flipped]))


def test_pair_noise_follows_the_order_of_classes():
    y = np.repeat([0, 1, 2], 1000)
    y_noisy, flipped = pair_noise(y, 0.4, classes=[2, 0, 1], random_state=0)
    following = {2: 0, 0: 1, 1: 2}
    assert flipped.any()
    np.testing.assert_array_equal(y_noisy[flipped], _mapped(following, y[flipped]))


def test_empirical_transition_matrix_matches_custom_matrix():
    T = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]])
    y = np.repeat([0, 1, 2], N)
    y_noisy, flipped = flip_labels(y, T, random_state=0)
    empirical = np.array(
        [np.bincount(y_noisy[y == i], minlength=3) / N for i in range(3)]
    )
    # zero entries must be exactly zero: impossible transitions never happen
    np.testing.assert_array_less(np.abs(empirical - T), _binomial_tolerance(T, N))
    np.testing.assert_array_equal(flipped, y_noisy != y)


class _DrawsNearOne(np.random.RandomState):
    def random_sample(self, size=None):
        return np.full(size, 1 - 1e-12)


def test_rows_summing_to_just_below_one_never_draw_an_impossible_class():
    T = [[0.5, 0.5 - 5e-9, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    y_noisy, _ = flip_labels([0, 1, 2], T, random_state=_DrawsNearOne(0))
    np.testing.assert_array_equal(y_noisy, [1, 1, 2])


def test_transition_matrix_helpers():
    np.testing.assert_allclose(
        symmetric_transition_matrix(4, 0.3),
        [
            [0.7, 0.1, 0.1, 0.1],
            [0.1, 0.7, 0.1, 0.1],
            [0.1, 0.1, 0.7, 0.1],
            [0.1, 0.1, 0.1, 0.7],
        ],
    )
    np.testing.assert_allclose(
        pair_transition_matrix(2, 0.25), [[0.75, 0.25], [0.25, 0.75]]
    )
    np.testing.assert_allclose(
        pair_transition_matrix(3, 0.1),
        [[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.1, 0.0, 0.9]],
    )


@pytest.mark.parametrize(
    "y",
    [np.array([3, 1, 2] * 50), np.array([0.5, 1.5] * 50), np.array(["a", "b"] * 50)],
)
def test_output_keeps_the_dtype_of_y_and_leaves_y_unchanged(y):
    before = y.copy()
    y_noisy, flipped = symmetric_noise(y, 0.5, random_state=0)
    assert y_noisy.dtype == y.dtype
    assert flipped.dtype == bool and flipped.any()
    np.testing.assert_array_equal(y, before)


def test_classes_of_another_dtype_do_not_change_the_dtype_of_y():
    y = np.repeat(np.array([0, 1, 2], dtype=np.int8), 100)
    y_noisy, flipped = pair_noise(y, 0.5, classes=[0.0, 1.0, 2.0], random_state=0)
    assert y_noisy.dtype == np.int8
    assert flipped.any()


def test_string_classes_longer_than_the_labels_are_not_truncated():
    y = np.array(["ox"] * 200)
    y_noisy, flipped = symmetric_noise(y, 0.5, classes=["ox", "zebra"], random_state=0)
    assert set(y_noisy[flipped]) == {"zebra"}


def test_pandas_string_series_and_no_mutation():
    pd = pytest.importorskip("pandas")
    labels = pd.Series(["spam", "ham", "eggs"] * 300, index=np.arange(900) + 5)
    before = labels.copy()
    y_noisy, flipped = pair_noise(labels, 0.3, random_state=0)
    assert isinstance(y_noisy, np.ndarray) and isinstance(flipped, np.ndarray)
    assert set(y_noisy) == {"spam", "ham", "eggs"}
    np.testing.assert_array_equal(y_noisy != labels.to_numpy(), flipped)
    assert 0.2 < flipped.mean() < 0.4
    pd.testing.assert_series_equal(labels, before)


def test_same_seed_same_labels_and_other_seed_other_labels():
    y = np.repeat([0, 1, 2], 500)
    a, _ = symmetric_noise(y, 0.3, random_state=7)
    b, _ = symmetric_noise(y, 0.3, random_state=7)
    c, _ = symmetric_noise(y, 0.3, random_state=8)
    np.testing.assert_array_equal(a, b)
    assert np.any(a != c)


@pytest.mark.parametrize("make_noise", [symmetric_noise, pair_noise])
def test_rate_zero_changes_nothing(make_noise):
    y = np.repeat([0, 1, 2], 500)
    y_same, flipped = make_noise(y, 0.0, random_state=0)
    np.testing.assert_array_equal(y_same, y)
    assert not flipped.any()


def test_instance_noise_hits_the_rate_near_the_boundary():
    X, y = make_classification(n_samples=5000, random_state=0)
    X_before, y_before = X.copy(), y.copy()
    _, flipped = instance_noise(X, y, 0.2, random_state=0)
    assert abs(flipped.mean() - 0.2) <= _binomial_tolerance(0.2, len(y))
    margin = np.abs(LogisticRegression().fit(X, y).decision_function(X))
    assert margin[flipped].mean() < 0.5 * margin[~flipped].mean()
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("rate", [0.05, 0.4, 0.7, 0.8])
def test_scale_makes_the_clipped_mean_flip_probability_equal_the_rate(rate):
    doubt = np.array([0.9, 0.5, 0.1, 0.05, 0.0])  # at most 4 of 5 can flip
    flip_probability = np.minimum(_scale_to_mean(doubt, rate) * doubt, 1.0)
    assert flip_probability.mean() == pytest.approx(rate, abs=1e-12)
    assert flip_probability[-1] == 0


def test_instance_noise_is_deterministic_and_rate_zero_changes_nothing():
    X, y = make_classification(n_samples=500, random_state=0)
    a, _ = instance_noise(X, y, 0.3, random_state=3)
    b, _ = instance_noise(X, y, 0.3, random_state=3)
    np.testing.assert_array_equal(a, b)
    y_same, flipped = instance_noise(X, y, 0.0, random_state=3)
    np.testing.assert_array_equal(y_same, y)
    assert not flipped.any()


def test_instance_noise_flips_to_the_most_probable_other_class():
    X, y = make_classification(
        n_samples=3000, n_classes=3, n_informative=5, random_state=0
    )
    estimator = LogisticRegression(C=0.5)
    y_noisy, flipped = instance_noise(X, y, 0.3, estimator=estimator, random_state=0)
    assert not hasattr(estimator, "coef_"), "the estimator passed must stay unfitted"
    proba = LogisticRegression(C=0.5).fit(X, y).predict_proba(X)
    proba[np.arange(len(y)), y] = -1
    assert flipped.any()
    np.testing.assert_array_equal(y_noisy[flipped], proba[flipped].argmax(axis=1))


def test_instance_noise_with_string_labels():
    X, y = make_classification(n_samples=1000, random_state=0)
    names = np.array(["negative", "positive"])[y]
    y_noisy, flipped = instance_noise(X, names, 0.1, random_state=0)
    assert y_noisy.dtype == names.dtype
    assert flipped.any()
    other = {"negative": "positive", "positive": "negative"}
    np.testing.assert_array_equal(y_noisy[flipped], _mapped(other, names[flipped]))


X_SMALL, Y_SMALL = make_classification(n_samples=60, random_state=0)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: symmetric_noise([0, 1], 1.0), ValueError, r"rate .* \[0, 1\), got 1"),
        (lambda: pair_noise([0, 1], -0.1), ValueError, r"rate .*got -0\.1"),
        (lambda: symmetric_noise([0, 1], float("nan")), ValueError, "rate .*got nan"),
        (lambda: symmetric_noise([0, 1], "0.2"), TypeError, "rate .*got '0.2'"),
        (lambda: pair_noise([0, 1], None), TypeError, "rate .*got None"),
        (lambda: symmetric_transition_matrix(1, 0.1), ValueError, "n_classes .*got 1"),
        (lambda: pair_transition_matrix(2.0, 0.1), TypeError, "n_classes .*got 2.0"),
        (lambda: symmetric_transition_matrix(3, 1.5), ValueError, "rate .*got 1.5"),
        (lambda: symmetric_noise([], 0.2), ValueError, "y must not be empty"),
        (lambda: symmetric_noise([1, 1, 1], 0.2), ValueError, r"y .*2 classes.*\[1\]"),
        (lambda: symmetric_noise([[0, 1]], 0.2), ValueError, r"1d array.*\(1, 2\)"),
        (
            lambda: pair_noise([0, 1, 5, 7], 0.2, classes=[0, 1]),
            ValueError,
            r"not in classes: \[5 7\]",
        ),
        (
            lambda: pair_noise(["a", "b"], 0.2, classes=[0, 1]),
            ValueError,
            "not in classes",
        ),
        (
            lambda: pair_noise([0, 1], 0.2, classes=[0, 1, 1]),
            ValueError,
            r"classes must not repeat.*\[0 1 1\]",
        ),
        (
            lambda: pair_noise([0, 0], 0.2, classes=[0]),
            ValueError,
            r"classes .*2 classes.*\[0\]",
        ),
        (
            lambda: flip_labels([0, 1], [[1.0, 0.0]]),
            ValueError,
            r"transition_matrix .*\(2, 2\).*\(1, 2\)",
        ),
        (
            lambda: flip_labels([0, 1], [[0.5, 0.6], [0, 1]]),
            ValueError,
            r"transition_matrix rows must sum to 1.*\[1\.1, 1\.0\]",
        ),
        (
            lambda: flip_labels([0, 1], [[0.5, 0.5 + 1e-7], [0, 1]]),
            ValueError,
            "transition_matrix rows must sum to 1",
        ),
        (
            lambda: flip_labels([0, 1], [[1.5, -0.5], [0, 1]]),
            ValueError,
            "transition_matrix must be non-negative",
        ),
        (
            lambda: flip_labels([0, 1], [[np.nan, 1], [0, 1]]),
            ValueError,
            "transition_matrix contains NaN",
        ),
        (
            lambda: flip_labels([0, 1], [[np.inf, 1], [0, 1]]),
            ValueError,
            "transition_matrix contains NaN or infinity",
        ),
        (
            lambda: instance_noise(X_SMALL[:3], Y_SMALL, 0.1),
            ValueError,
            "X and y .*got 3 and 60",
        ),
        (lambda: instance_noise(X_SMALL, Y_SMALL, 1.0), ValueError, "rate .*got 1.0"),
        (
            lambda: instance_noise(X_SMALL, Y_SMALL, 0.1, estimator=LinearSVC()),
            TypeError,
            "estimator must have predict_proba",
        ),
        # a fully grown tree is certain of every training label
        (
            lambda: instance_noise(
                X_SMALL, Y_SMALL, 0.1, estimator=DecisionTreeClassifier(random_state=0)
            ),
            ValueError,
            "rate=0.1 is unreachable",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
