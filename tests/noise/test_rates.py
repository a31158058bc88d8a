import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.extmath import softmax

from skrobust.noise import (
    clean_label_posterior,
    estimate_noise_rates,
    estimate_transition_matrix,
    fit_symmetric_rate,
    fit_transition_matrix,
    flip_labels,
    importance_weights,
    pair_transition_matrix,
    symmetric_noise,
    symmetric_transition_matrix,
)
from skrobust.noise._correction import (
    check_noise_rates,
    expected_accuracy,
    ovr_noise_rates,
)


def _noisy_scores(rho_neg, rho_pos, n=40_000, seed=0):
    """A score whose extremes are anchor points, and labels flipped at the rates."""
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n) * 2.0
    y = (score + rng.normal(size=n) > 0).astype(int)
    flip = rng.random(n) < np.where(y == 1, rho_pos, rho_neg)
    return score, y, np.where(flip, 1 - y, y), flip


@pytest.mark.parametrize("method", ["anchor", "likelihood"])
@pytest.mark.parametrize("rates", [(0.0, 0.0), (0.2, 0.2), (0.1, 0.35), (0.3, 0.05)])
def test_estimated_rates_are_close_to_the_truth(method, rates):
    score, _, y_noisy, _ = _noisy_scores(*rates)
    np.testing.assert_allclose(
        estimate_noise_rates(y_noisy, score, method=method), rates, atol=0.03
    )


def test_likelihood_keeps_the_anchors_unless_the_labels_ask_otherwise():
    # a weak score on few samples: many (slope, rates) pairs fit the labels
    # about equally, and maximum likelihood alone drifts to large rates
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    score = 0.4 * (2 * y - 1) + rng.normal(size=300)
    y_noisy, _ = flip_labels(y, symmetric_transition_matrix(2, 0.3), random_state=3)
    anchor = estimate_noise_rates(y_noisy, score, method="anchor")
    np.testing.assert_array_equal(estimate_noise_rates(y_noisy, score), anchor)
    # a score that ranks well moves the estimate off the anchors, toward the truth
    score, _, y_noisy, _ = _noisy_scores(0.1, 0.35)
    anchor = estimate_noise_rates(y_noisy, score, method="anchor")
    fitted = estimate_noise_rates(y_noisy, score)
    assert np.abs(fitted - [0.1, 0.35]).max() < np.abs(anchor - [0.1, 0.35]).max()


def test_an_anchor_at_the_cap_frees_only_its_own_rate():
    # heavy symmetric noise and a mediocre score: one class's extremes are
    # impure (its anchor share sits at the cap); fitting both rates freely
    # then put the other class's rate at 0 in 5 of these 13 draws, which
    # turns the correction into a near-constant classifier
    capped_draws = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, 400)
        score = 2 * y - 1 + rng.normal(size=400)
        y_noisy, _ = flip_labels(
            y, symmetric_transition_matrix(2, 0.4), random_state=seed
        )
        anchor = estimate_noise_rates(y_noisy, score, method="anchor")
        capped = anchor >= 0.49
        if capped.sum() != 1:
            continue
        capped_draws += 1
        rates = estimate_noise_rates(y_noisy, score)
        assert rates.min() >= 0.1, (seed, anchor, rates)
    assert capped_draws == 13


def test_rates_follow_the_positive_class_for_string_labels():
    score, _, y_noisy, _ = _noisy_scores(0.05, 0.3)
    labels = np.where(y_noisy == 1, "yes", "no")  # "yes" sorts last: positive
    np.testing.assert_allclose(
        estimate_noise_rates(labels, score), [0.05, 0.3], atol=0.03
    )


def test_importance_weights_give_the_clean_expected_loss():
    score, y, y_noisy, _ = _noisy_scores(0.1, 0.3, n=200_000)
    weights = importance_weights(y_noisy, score, (0.1, 0.3))

    def loss_of(labels):
        return np.maximum(0, 1 - np.where(labels == 1, 1, -1) * score)

    clean_risk = loss_of(y).mean()
    assert (weights * loss_of(y_noisy)).mean() == pytest.approx(clean_risk, rel=0.03)
    assert loss_of(y_noisy).mean() > 1.2 * clean_risk


def test_clean_label_posterior_flags_flipped_labels():
    score, _, y_noisy, flip = _noisy_scores(0.2, 0.2)
    posterior = clean_label_posterior(y_noisy, score, (0.2, 0.2))
    assert np.all((posterior >= 0) & (posterior <= 1))
    assert roc_auc_score(flip, -posterior) > 0.85
    # calibrated: the mean posterior of a group is its share of right labels
    low = posterior < 0.5
    assert 1 - flip[low].mean() == pytest.approx(posterior[low].mean(), abs=0.03)
    assert clean_label_posterior(y_noisy, score, (0.0, 0.0)).min() > 0.999


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: estimate_noise_rates([0, 1, 2], [0.1, 0.2, 0.3]),
            ValueError,
            "two classes",
        ),
        (lambda: estimate_noise_rates([0, 1], [0.1]), ValueError, "different lengths"),
        (lambda: estimate_noise_rates([0, 1], [0.1, np.nan]), ValueError, "NaN"),
        (
            lambda: estimate_noise_rates([0, 1], [0.1, 0.2], method="em"),
            ValueError,
            "method",
        ),
        (
            lambda: estimate_noise_rates([0, 1], [0.1, 0.2], quantile=0.5),
            ValueError,
            "quantile",
        ),
        (
            lambda: importance_weights([0, 1], [0.1, 0.2], (0.6, 0.5)),
            ValueError,
            "sum to less",
        ),
        (lambda: importance_weights([0, 1], [0.1, 0.2], 0.2), ValueError, "pair"),
        (
            lambda: clean_label_posterior([0, 1], [0.1, 0.2], ("a", 0.1)),
            ValueError,
            "pair",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_noise_rate_settings_become_transition_matrices():
    assert check_noise_rates(None, 2) is None
    assert check_noise_rates("auto", 3) == "auto"
    np.testing.assert_allclose(
        check_noise_rates(0.3, 4), symmetric_transition_matrix(4, 0.3)
    )
    np.testing.assert_allclose(
        check_noise_rates((0.1, 0.2), 2), [[0.9, 0.1], [0.2, 0.8]]
    )
    with pytest.raises(ValueError, match="needs binary labels"):
        check_noise_rates((0.1, 0.2), 3)
    with pytest.raises(ValueError, match="noise_rates rows must sum to 1"):
        check_noise_rates([[0.5, 0.4], [0.2, 0.8]], 2)


def test_one_vs_rest_rates_of_a_transition_matrix():
    T = np.array([[0.8, 0.2, 0.0], [0.1, 0.9, 0.0], [0.0, 0.3, 0.7]])
    clean_prior = np.array([0.5, 0.3, 0.2])
    rates = ovr_noise_rates(T, T.T @ clean_prior)
    # class 1 receives 0.5 * 0.2 + 0.2 * 0.3 of the others' mass (0.7 in all)
    np.testing.assert_allclose(rates[1], [(0.1 + 0.06) / 0.7, 0.1])
    np.testing.assert_allclose(rates[:, 1], 1 - np.diag(T))
    np.testing.assert_allclose(
        ovr_noise_rates(T[:2, :2] / T[:2, :2].sum(1, keepdims=True), [0.5, 0.5]),
        [[0.2, 0.1]],
    )


def test_expected_accuracy_counts_posteriors():
    y = np.array([0, 1, 1])
    posterior = np.array([[0.9, 0.6, 0.2]])  # binary: one problem
    predicted = np.array([0, 1, 0])
    assert expected_accuracy(y, predicted, posterior, np.ones(3)) == pytest.approx(2.3)
    assert expected_accuracy(
        y, predicted, posterior, np.array([2.0, 0.0, 1.0])
    ) == pytest.approx(2.6)


def test_confident_joint_recovers_a_transition_matrix():
    rng = np.random.default_rng(0)
    n, k = 30_000, 3
    y = rng.integers(0, k, n)
    # probabilities that separate the true classes well, as out-of-fold ones would
    scores = softmax(rng.normal(size=(n, k)) + 4.0 * np.eye(k)[y])
    T = np.array([[0.8, 0.2, 0.0], [0.0, 0.7, 0.3], [0.1, 0.0, 0.9]])
    cumulative = T.cumsum(axis=1)[y]
    noisy = (rng.random(n)[:, None] >= cumulative).sum(axis=1)
    estimated, prior = estimate_transition_matrix(noisy, scores)
    np.testing.assert_allclose(estimated, T, atol=0.03)
    np.testing.assert_allclose(prior, np.bincount(y) / n, atol=0.02)
    # integer weights act as repeated samples
    weight = rng.integers(0, 3, n).astype(float)
    repeated, _ = estimate_transition_matrix(
        np.repeat(noisy, weight.astype(int)),
        np.repeat(scores, weight.astype(int), axis=0),
        sample_weight=np.ones(int(weight.sum())),
    )
    weighted, _ = estimate_transition_matrix(noisy, scores, sample_weight=weight)
    np.testing.assert_allclose(weighted, repeated, atol=1e-12)


def _clean_probabilities(n, K, seed):
    rng = np.random.default_rng(seed)
    peak = np.eye(K)[rng.integers(0, K, n)]
    proba = np.array([rng.dirichlet(1 + 6 * row) for row in peak])
    true = (rng.random(n)[:, None] > proba.cumsum(axis=1)).sum(axis=1)
    return proba, np.minimum(true, K - 1)


def test_fit_transition_matrix_recovers_a_known_matrix():
    proba, true = _clean_probabilities(20_000, 4, 0)
    T = pair_transition_matrix(4, 0.3)
    noisy, _ = flip_labels(true, T, random_state=0)
    np.testing.assert_allclose(fit_transition_matrix(noisy, proba), T, atol=0.03)
    # labels drawn from the probabilities themselves: no noise
    np.testing.assert_allclose(fit_transition_matrix(true, proba), np.eye(4), atol=0.03)


def test_fit_transition_matrix_checks_its_input():
    proba, true = _clean_probabilities(100, 3, 1)
    before = proba.copy()
    with pytest.raises(ValueError):
        fit_transition_matrix(true[:50], proba)
    with pytest.raises(ValueError):
        fit_transition_matrix(np.full(100, 5), proba)
    fit_transition_matrix(true, proba)
    np.testing.assert_array_equal(proba, before)


def test_fit_symmetric_rate_maximises_the_likelihood_and_bounds_it_below():
    proba, true = _clean_probabilities(5000, 5, 2)
    noisy, _ = symmetric_noise(true, 0.25, random_state=0)
    own = proba[np.arange(len(noisy)), noisy]
    grid = np.linspace(0, 0.79, 7901)
    log_likelihood = np.log((1 - grid * 5 / 4) * own[:, None] + grid / 4).sum(axis=0)
    rate = fit_symmetric_rate(noisy, proba)
    assert abs(rate - grid[log_likelihood.argmax()]) <= 2e-4
    assert abs(rate - 0.25) < 0.03
    lower = fit_symmetric_rate(noisy, proba, confidence=0.95)
    assert 0.2 < lower < rate
    # the bound's log-likelihood is chi2_1(0.9) / 2 below the maximum
    at = np.log((1 - lower * 5 / 4) * own + lower / 4).sum()
    assert log_likelihood.max() - at == pytest.approx(1.3527, abs=1e-3)
    # labels drawn from the probabilities themselves: the bound is 0
    assert fit_symmetric_rate(true, proba, confidence=0.95) == 0.0
    with pytest.raises(ValueError, match="confidence"):
        fit_symmetric_rate(noisy, proba, confidence=1.0)
