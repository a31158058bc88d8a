"""The projection and the game rounds of FLORAL against plain references."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skrobust._kernels.floral import SUPPORT_THRESHOLD, draw_top_flips, floral_rounds
from skrobust._kernels.projection import project_box_hyperplane

NO_STOP = np.zeros(1, dtype=np.uint8)


def reference_projection(v, y, upper):
    """The projection as a small QP (SLSQP)."""
    result = minimize(
        lambda lam: 0.5 * np.sum((lam - v) ** 2),
        np.zeros_like(v),
        jac=lambda lam: lam - v,
        bounds=list(zip(np.zeros_like(upper), upper, strict=True)),
        constraints=[{"type": "eq", "fun": lambda lam: y @ lam, "jac": lambda lam: y}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    return result.x


@pytest.mark.parametrize("seed", range(30))
def test_projection_matches_a_qp_solver(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    v = rng.normal(size=n) * rng.choice([0.1, 1.0, 10.0])
    y = rng.choice([-1.0, 1.0], n)
    upper = rng.uniform(0.1, 3.0, n)
    out = np.empty(n)
    project_box_hyperplane(v, y, upper, out)
    np.testing.assert_allclose(out, reference_projection(v, y, upper), atol=1e-7)
    assert abs(y @ out) < 1e-12
    assert np.all(out >= 0) and np.all(out <= upper)


def test_projection_of_a_feasible_point_is_itself():
    y = np.array([1.0, -1.0, 1.0, -1.0])
    v = np.array([0.5, 0.25, 0.25, 0.5])
    out = np.empty(4)
    project_box_hyperplane(v, y, np.ones(4), out)
    np.testing.assert_allclose(out, v, atol=1e-15)


def numpy_rounds(K, y, upper, lam, eta, k, n_rounds, seed):
    """The same rounds written plainly: dense products, a bisection, and
    the kernel's own attacker (its random stream is the kernel's)."""
    labels, model_labels = y.copy(), y.copy()
    state = np.uint64(seed)
    for _ in range(1, n_rounds):
        v = lam - eta * (labels * (K @ (labels * lam)) - 1.0)
        low, high = -1e3, 1e3
        for _ in range(200):
            mu = 0.5 * (low + high)
            if labels @ np.clip(v - mu * labels, 0.0, upper) > 0:
                low = mu
            else:
                high = mu
        lam = np.clip(v - mu * labels, 0.0, upper)
        model_labels = labels.copy()
        flips, state = draw_top_flips(lam, k, state, SUPPORT_THRESHOLD)
        state = np.uint64(state)  # keep the kernel's unsigned type across calls
        labels = y.copy()
        labels[flips] *= -1
    return lam, model_labels


def test_rounds_match_a_plain_implementation():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=60) > 0, 1.0, -1.0)
    K = np.exp(-0.5 * ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    upper = np.full(60, 2.0)
    # a start without ties, so that rounding cannot reorder the attacker's pool
    lam0 = np.empty(60)
    project_box_hyperplane(rng.uniform(0, 2, 60), y, upper, lam0)
    args = (K, y, upper, lam0, 0.05, 4, 40, 7)
    lam, labels, _, _ = floral_rounds(args[0], False, *args[1:], 0, NO_STOP)
    lam_ref, labels_ref = numpy_rounds(*args)
    np.testing.assert_array_equal(labels, labels_ref)
    np.testing.assert_allclose(lam, lam_ref, atol=1e-9)
    assert abs(labels @ lam) < 1e-10


def test_attacker_draws_from_the_top_of_the_pool():
    lam = np.array([0.0, 0.9, 0.1, 0.8, 0.2, 0.7, 1e-7])
    state = np.uint64(3)
    seen = set()
    for _ in range(50):
        flips, state = draw_top_flips(lam, 2, state, SUPPORT_THRESHOLD)
        assert len(flips) == 2 and len(set(flips)) == 2
        seen |= set(flips.tolist())
    assert seen == {1, 3, 5, 4}  # the 2k = 4 largest above the threshold
    flips, _ = draw_top_flips(np.array([0.0, 0.5, 0.0]), 3, state, SUPPORT_THRESHOLD)
    assert flips.tolist() == [1]


def test_factor_rounds_equal_rounds_on_the_product():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(80, 6))
    y = np.where(rng.normal(size=80) > 0, 1.0, -1.0)
    lam0 = np.empty(80)
    project_box_hyperplane(rng.uniform(0, 1, 80), y, np.ones(80), lam0)
    args = (y, np.ones(80), lam0, 1e-2, 3, 30, 5)
    lam, labels, _, _ = floral_rounds(F @ F.T, False, *args, 0, NO_STOP)
    lam_f, labels_f, _, _ = floral_rounds(F, True, *args, 0, NO_STOP)
    np.testing.assert_array_equal(labels, labels_f)
    np.testing.assert_allclose(lam, lam_f, atol=1e-10)
