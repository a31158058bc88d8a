"""The multi-class losses: values, gradients, limits and ALDR-KL's temperature."""

import numpy as np
import pytest
from scipy.special import logsumexp

from skrobust._kernels.multiclass_losses import (
    ALDR_KL,
    COMP_SUM,
    CRAMMER_SINGER,
    LDR_KL,
    LOG_LOSS,
    loss_gradient,
)

RNG = np.random.default_rng(0)
SCORES = 3.0 * RNG.standard_normal((9, 5))
LABELS = RNG.integers(0, 5, 9)
WEIGHTS = RNG.uniform(0.5, 2.0, 9)


def evaluate(scores, loss, margin=0.1, lam=2.0, alpha=2.0, tau=1.0):
    grad = np.empty_like(scores)
    temps = np.empty(len(scores))
    value = loss_gradient(
        scores, LABELS, WEIGHTS, loss, margin, lam, alpha, tau, grad, temps
    )
    return value, grad, temps


@pytest.mark.parametrize(
    "loss, params",
    [
        (LOG_LOSS, {}),
        (LDR_KL, {}),
        (LDR_KL, {"lam": 0.3, "margin": 1.0}),
        (ALDR_KL, {}),
        (ALDR_KL, {"lam": 10.0, "alpha": 3.0}),
        (COMP_SUM, {"tau": 0.5}),
        (COMP_SUM, {"tau": 1.7}),
        (COMP_SUM, {"tau": 2.0}),
        (CRAMMER_SINGER, {"margin": 1.0}),
    ],
)
def test_gradient_matches_finite_differences(loss, params):
    _, grad, _ = evaluate(SCORES, loss, **params)
    numeric = np.empty_like(SCORES)
    h = 1e-6
    for index in np.ndindex(SCORES.shape):
        up, down = SCORES.copy(), SCORES.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (
            evaluate(up, loss, **params)[0] - evaluate(down, loss, **params)[0]
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, atol=1e-6)


def test_values_against_closed_forms():
    rows = np.arange(len(LABELS))
    f_y = SCORES[rows, LABELS]
    cross_entropy = logsumexp(SCORES, axis=1) - f_y
    np.testing.assert_allclose(
        evaluate(SCORES, LOG_LOSS)[0], WEIGHTS @ cross_entropy, rtol=1e-12
    )
    # comp-sum at tau=1 is cross-entropy; at tau=2 it is 1 - p_y
    np.testing.assert_allclose(
        evaluate(SCORES, COMP_SUM, tau=1.0)[0], WEIGHTS @ cross_entropy, rtol=1e-12
    )
    np.testing.assert_allclose(
        evaluate(SCORES, COMP_SUM, tau=2.0)[0],
        WEIGHTS @ (1 - np.exp(-cross_entropy)),
        rtol=1e-12,
    )
    z = SCORES - f_y[:, None] + 0.1 * (np.arange(5) != LABELS[:, None])
    hinge = WEIGHTS @ z.max(axis=1)
    np.testing.assert_allclose(
        evaluate(SCORES, CRAMMER_SINGER, margin=0.1)[0], hinge, rtol=1e-12
    )
    # LDR-KL: lam * log-mean-exp, which tends to the hinge as lam -> 0
    lam = 0.5
    ldr = WEIGHTS @ (lam * (logsumexp(z / lam, axis=1) - np.log(5)))
    np.testing.assert_allclose(evaluate(SCORES, LDR_KL, lam=lam)[0], ldr, rtol=1e-12)
    small = evaluate(SCORES, LDR_KL, lam=1e-3)[0]
    gap = 1e-3 * np.log(5) * WEIGHTS.sum()  # max - lam log K <= LDR-KL <= max
    assert hinge - gap - 1e-9 <= small <= hinge


def test_aldr_temperature_is_the_maximiser():
    lam0, alpha, K = 10.0, 2.0, 5
    scores = 8.0 * SCORES  # spread enough for temperatures across the range
    value, _, temps = evaluate(scores, ALDR_KL, lam=lam0, alpha=alpha)
    a = alpha * np.log(K) / lam0
    grid = np.linspace(lam0 * (1 - 1 / alpha), lam0, 20001)
    best = []
    for f, y in zip(scores, LABELS, strict=True):
        z = f - f[y] + 0.1 * (np.arange(K) != y)
        h = grid * (logsumexp(z[None, :] / grid[:, None], axis=1) - np.log(K))
        h -= 0.5 * a * (grid - lam0) ** 2
        best.append(h.max())
        assert abs(temps[len(best) - 1] - grid[h.argmax()]) < 1e-3
    np.testing.assert_allclose(value, WEIGHTS @ np.array(best), rtol=1e-9)
    assert np.all((temps >= lam0 / 2) & (temps <= lam0))
    assert temps.max() - temps.min() > 1.0


@pytest.mark.parametrize("offset", [0.0, 1e-6, 1e-4, 1e-2])
def test_aldr_warm_start_matches_the_cold_search(offset):
    # a guess near the root ends the search with a first-order step instead
    # of another pass; the result must not depend on how near it was
    scores = 8.0 * SCORES
    lam0 = 10.0

    def run(temps):
        grad = np.empty_like(scores)
        value = loss_gradient(
            scores, LABELS, WEIGHTS, ALDR_KL, 0.1, lam0, 2.0, 1.0, grad, temps
        )
        return value, grad, temps

    cold_value, cold_grad, cold_temps = run(np.full(len(scores), lam0))
    value, grad, temps = run(cold_temps + offset * lam0)
    np.testing.assert_allclose(value, cold_value, rtol=1e-12)
    np.testing.assert_allclose(grad, cold_grad, atol=1e-9)
    np.testing.assert_allclose(temps, cold_temps, atol=1e-8 * lam0)
