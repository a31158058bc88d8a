import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.svm import LinearSVC

from skrobust._kernels.dual_cd import HINGE, SQUARED_HINGE, dual_coordinate_descent
from skrobust._kernels.primal_newton import primal_newton_squared_hinge
from skrobust._kernels.random import shuffle_prefix
from skrobust._kernels.rows import as_triple

NO_STOP = np.zeros(1, dtype=np.uint8)


def _dual_cd(*args):
    return dual_coordinate_descent(*args, NO_STOP)


@pytest.fixture(scope="module")
def problem():
    X, y = make_classification(n_samples=400, n_features=8, flip_y=0.1, random_state=0)
    rng = np.random.default_rng(0)
    p = rng.uniform(size=len(y))
    p[:40], p[40:80] = 1.0, 0.0  # one-sided samples of both kinds
    return X, np.where(y == 1, 1.0, -1.0), 0.8 * p, 0.8 * (1 - p)


def _objective(X, y, w, cost, cost_flipped, loss):
    margin = y * (X @ w[:-1] + w[-1])
    own, flipped = np.maximum(1 - margin, 0), np.maximum(1 + margin, 0)
    if loss == SQUARED_HINGE:
        own, flipped = own**2, flipped**2
    return 0.5 * w @ w + cost @ own + cost_flipped @ flipped


def _reference(X, y, cost, cost_flipped, loss):
    """liblinear on two weighted copies of every row, one per label."""
    X2 = np.vstack([X, X])
    y2 = np.concatenate([y, -y])
    weight = np.concatenate([cost, cost_flipped])
    keep = weight > 0
    ref = LinearSVC(
        C=1.0,
        loss="hinge" if loss == HINGE else "squared_hinge",
        dual=True,
        tol=1e-8,
        max_iter=200_000,
    ).fit(X2[keep], y2[keep], sample_weight=weight[keep])
    return np.append(ref.coef_.ravel(), ref.intercept_)


@pytest.mark.parametrize("loss", [HINGE, SQUARED_HINGE])
def test_two_sided_costs_solve_the_duplicated_problem(problem, loss):
    X, y, cost, cost_flipped = problem
    w, n_iter = _dual_cd(
        *as_triple(X),
        X.shape[1],
        y,
        cost,
        cost_flipped,
        loss,
        1.0,
        1e-7,
        1e-7,
        50_000,
        True,
        0,
    )
    assert n_iter < 50_000
    ours = _objective(X, y, w, cost, cost_flipped, loss)
    ref = _objective(
        X, y, _reference(X, y, cost, cost_flipped, loss), cost, cost_flipped, loss
    )
    assert ours == pytest.approx(ref, rel=1e-5)


def test_primal_newton_matches_dual_solver(problem):
    X, y, cost, cost_flipped = problem
    w_dual, _ = _dual_cd(
        *as_triple(X),
        X.shape[1],
        y,
        cost,
        cost_flipped,
        SQUARED_HINGE,
        1.0,
        1e-9,
        0.0,
        100_000,
        True,
        0,
    )
    for design in (X, sp.csr_matrix(X)):
        w_primal, n_iter = primal_newton_squared_hinge(
            design, y, cost, cost_flipped, 1.0, 1e-10, 100
        )
        assert n_iter < 100
        np.testing.assert_allclose(w_primal, w_dual, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", [HINGE, SQUARED_HINGE])
def test_dense_and_sparse_rows_give_the_same_solution(problem, loss):
    X, y, cost, cost_flipped = problem
    args = (y, cost, cost_flipped, loss, 1.0, 1e-6, 1e-6, 1000, True, 5)
    w_dense, it_dense = _dual_cd(*as_triple(X), X.shape[1], *args)
    w_csr, it_csr = _dual_cd(*as_triple(sp.csr_matrix(X)), X.shape[1], *args)
    assert it_dense == it_csr
    np.testing.assert_allclose(w_dense, w_csr, rtol=1e-10, atol=1e-12)


def test_zero_cost_samples_are_left_out(problem):
    X, y, cost, _ = problem
    zero = np.zeros_like(cost)
    cost = cost.copy()
    cost[::3] = 0.0
    keep = cost > 0
    args = (SQUARED_HINGE, 1.0, 1e-9, 0.0, 100_000, True, 0)
    w_all, _ = _dual_cd(*as_triple(X), 8, y, cost, zero, *args)
    w_kept, _ = _dual_cd(*as_triple(X[keep]), 8, y[keep], cost[keep], zero[keep], *args)
    np.testing.assert_allclose(w_all, w_kept, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loss", [HINGE, SQUARED_HINGE])
def test_all_zero_rows_without_intercept_stay_finite(loss):
    X = np.zeros((6, 3))
    X[:3, 0] = 1.0
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    cost = np.full(6, 0.5)
    w, _ = _dual_cd(
        *as_triple(X), 3, y, cost, 0.3 * cost, loss, 0.0, 1e-8, 1e-8, 1000, True, 0
    )
    assert np.all(np.isfinite(w))
    assert w[-1] == 0.0


def test_shuffle_prefix_permutes_only_the_prefix_and_is_seeded():
    index = np.arange(50)
    state = shuffle_prefix(index, 30, np.uint64(7))
    assert sorted(index[:30]) == list(range(30))
    np.testing.assert_array_equal(index[30:], np.arange(30, 50))
    again = np.arange(50)
    assert shuffle_prefix(again, 30, np.uint64(7)) == state
    np.testing.assert_array_equal(index, again)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 40),
    d=st.integers(1, 6),
    flipped_share=st.sampled_from([0.0, 0.3, 1.0]),
    loss=st.sampled_from([HINGE, SQUARED_HINGE]),
)
def test_dual_solution_is_a_minimum_on_random_problems(seed, n, d, flipped_share, loss):
    """No small move of w lowers the primal objective the dual solver reached."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.choice([-1.0, 1.0], size=n)
    cost = rng.uniform(0, 2, size=n) * (rng.random(n) > 0.1)
    cost_flipped = cost * rng.uniform(0, 1, size=n) * (rng.random(n) < flipped_share)
    w, n_iter = _dual_cd(
        *as_triple(X),
        d,
        y,
        cost,
        cost_flipped,
        loss,
        1.0,
        1e-9,
        0.0,
        100_000,
        True,
        seed,
    )
    assert n_iter < 100_000
    best = _objective(X, y, w, cost, cost_flipped, loss)
    for _ in range(20):
        moved = w + 1e-3 * rng.normal(size=d + 1)
        assert _objective(X, y, moved, cost, cost_flipped, loss) >= best - 1e-7
    if loss == SQUARED_HINGE:
        w_primal, _ = primal_newton_squared_hinge(
            X, y, cost, cost_flipped, 1.0, 1e-12, 200
        )
        np.testing.assert_allclose(w_primal, w, rtol=1e-4, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    flipped_share=st.sampled_from([0.0, 0.3, 1.0]),
    loss=st.sampled_from([HINGE, SQUARED_HINGE]),
    gap_tol=st.sampled_from([1e-2, 1e-3, 1e-4]),
)
@example(seed=2500, flipped_share=1.0, loss=HINGE, gap_tol=1e-2)
def test_duality_gap_rule_certifies_the_objective(seed, flipped_share, loss, gap_tol):
    """Stopped by the gap alone (no projected-gradient rule, no shrinking),
    the objective is within gap_tol of the minimum: a wrong conjugate that
    underestimates the gap would break this one, one that overestimates it
    would not stop before the tight solve."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 4))
    y = rng.choice([-1.0, 1.0], size=60)
    cost = rng.uniform(0, 2, size=60)
    cost_flipped = cost * rng.uniform(0, 1, size=60) * (rng.random(60) < flipped_share)
    problem = (X.shape[1], y, cost, cost_flipped, loss, 1.0)
    w, n_iter = _dual_cd(*as_triple(X), *problem, 1e-300, gap_tol, 100_000, False, seed)
    # the reference: liblinear's rule at 1e-10, which on a degenerate problem
    # (seed 2500, every label two-sided: 145,279 epochs) needs a long budget
    budget = 1_000_000
    w_best, n_best = _dual_cd(*as_triple(X), *problem, 1e-10, 0.0, budget, False, seed)
    assert n_iter <= n_best < budget
    reached = _objective(X, y, w, cost, cost_flipped, loss)
    best = _objective(X, y, w_best, cost, cost_flipped, loss)
    assert best - 1e-9 * abs(best) <= reached <= best + gap_tol * reached


@pytest.mark.parametrize("loss", [HINGE, SQUARED_HINGE])
def test_duality_gap_rule_stops_before_liblinears(loss):
    X, y = make_classification(n_samples=2000, n_features=20, random_state=1)
    problem = (X.shape[1], np.where(y == 1, 1.0, -1.0), np.ones(2000), np.zeros(2000))
    args = (loss, 1.0, 1e-4)
    _, with_gap = _dual_cd(*as_triple(X), *problem, *args, 1e-4, 10_000, True, 0)
    _, without = _dual_cd(*as_triple(X), *problem, *args, 0.0, 10_000, True, 0)
    assert with_gap < without
