"""LLP-BP's belief propagation against brute-force marginals on small models."""

import itertools

import numpy as np
import pytest

from skrobust._kernels.bag_bp import update_bag_messages
from skrobust.llp._propagation import belief_propagation


def brute_force(unary, edges, weights, bags, targets, lam):
    n = unary.shape[0]
    states = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    log_p = states @ unary
    for (i, j), w in zip(edges, weights, strict=True):
        log_p -= w * (states[:, i] - states[:, j]) ** 2
    for rows, k in zip(bags, targets, strict=True):
        log_p -= lam * (states[:, rows].sum(axis=1) - k) ** 2
    p = np.exp(log_p - log_p.max())
    return (p / p.sum()) @ states


def run(
    unary, edges, weights, bags, targets, lam, exact_limit=10_000, n_iter=200, tol=0.0
):
    """Marginals and last message change (``run_counted`` adds iterations)."""
    return run_counted(
        unary, edges, weights, bags, targets, lam, exact_limit, n_iter, tol
    )[:2]


def run_counted(unary, edges, weights, bags, targets, lam, exact_limit, n_iter, tol):
    edges = np.array(edges, dtype=np.int64).reshape(-1, 2)
    bag_rows = np.concatenate([np.asarray(b, dtype=np.int64) for b in bags])
    bag_start = np.concatenate([[0], np.cumsum([len(b) for b in bags])]).astype(
        np.int64
    )
    return belief_propagation(
        np.asarray(unary, float),
        edges[:, 0].copy(),
        edges[:, 1].copy(),
        np.asarray(weights, float),
        bag_start,
        bag_rows,
        np.asarray(targets, float),
        float(lam),
        0.5,
        n_iter,
        exact_limit,
        tol=tol,
    )


def test_stops_once_settled_and_counts_its_iterations():
    rng = np.random.default_rng(0)
    unary = rng.normal(size=40)
    edges = rng.integers(0, 40, size=(60, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    weights = rng.uniform(0.1, 1.0, len(edges))
    bags = np.array_split(np.arange(40), 4)
    args = (unary, edges, weights, bags, [3, 4, 5, 2], 2.0, 10_000, 500)
    _, change, iterations = run_counted(*args, 1e-3)
    assert change <= 1e-3
    assert 1 < iterations < 500
    # without a tolerance every iteration runs, and moves the marginals less
    # than the tolerance allowed
    settled, _, _ = run_counted(*args, 1e-3)
    full, _, all_iterations = run_counted(*args, 0.0)
    assert all_iterations == 500
    np.testing.assert_allclose(settled, full, atol=1e-3)


@pytest.mark.parametrize("lam", [0.5, 2.0, 10.0])
def test_one_bag_is_exact(lam):
    rng = np.random.default_rng(0)
    unary = rng.normal(size=7)
    marginals, change = run(unary, [], [], [np.arange(7)], [3], lam)
    np.testing.assert_allclose(
        marginals, brute_force(unary, [], [], [np.arange(7)], [3], lam), atol=1e-6
    )
    assert change < 1e-8


def test_a_tree_of_edges_and_bags_is_exact():
    """Edges (0-1, 1-2, 3-4) and two bags meeting no edge cycle: a tree."""
    rng = np.random.default_rng(1)
    unary = rng.normal(size=7)
    edges, weights = [(0, 1), (1, 2), (3, 4)], [0.8, 1.5, 0.3]
    bags, targets = [[2, 3], [4, 5, 6]], [1, 2]
    marginals, _ = run(unary, edges, weights, bags, targets, 2.0)
    np.testing.assert_allclose(
        marginals, brute_force(unary, edges, weights, bags, targets, 2.0), atol=1e-6
    )


def test_loopy_model_is_close_to_exact():
    rng = np.random.default_rng(2)
    n = 12
    unary = rng.normal(scale=0.5, size=n)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.2]
    weights = rng.uniform(0.1, 0.6, len(edges))
    bags, targets = [list(range(0, 6)), list(range(6, 12))], [2, 4]
    marginals, _ = run(unary, edges, weights, bags, targets, 1.0)
    exact = brute_force(unary, edges, weights, bags, targets, 1.0)
    assert np.abs(marginals - exact).max() < 0.05


def test_saddlepoint_count_messages_approach_the_exact_ones():
    """A large bag: the saddle-point count gives nearly the exact marginals
    (a plain normal count erred by up to 0.023 here), and a strong penalty
    makes the bag's expected count its target."""
    rng = np.random.default_rng(3)
    n = 300
    unary = rng.normal(size=n)
    bags, targets = [np.arange(n)], [90]
    exact, _ = run(unary, [], [], bags, targets, 10.0)
    approximate, _ = run(unary, [], [], bags, targets, 10.0, exact_limit=0)
    assert np.abs(exact - approximate).max() < 0.003
    assert abs(exact.sum() - 90) < 1.0
    # the order of the fields is kept: the bag shifts every log-odds alike
    assert np.all(np.diff(exact[np.argsort(unary)]) >= -1e-12)


def test_saddlepoint_count_is_right_far_from_the_cavity_mean():
    """No evidence but the count: every row's marginal is k / n (a plain
    normal count gave 0.18 for 0.12 on 2048 rows)."""
    n, k = 2048, 238
    marginals, residual = run(
        np.zeros(n), [], [], [np.arange(n)], [k], 10.0, exact_limit=0
    )
    assert abs(marginals.mean() - k / n) < 1e-3
    assert residual < 1e-8


def test_exact_count_messages_keep_their_precision_in_large_bags():
    """Deconvolving the whole bag's count lost 0.2 in log-odds at 300 rows;
    the prefix/suffix counts match a direct leave-one-out computation."""
    rng = np.random.default_rng(3)
    n, target, lam = 300, 90.0, 10.0
    field = rng.normal(size=n)
    q = 1 / (1 + np.exp(-field))
    # one bag of every row, no message yet, no damping: the new messages
    out = np.zeros(n)
    update_bag_messages(
        field, out, np.array([0, n]), np.arange(n), np.array([target]), lam, 0.0, n
    )
    counts = np.arange(n)
    for i in rng.choice(n, 20, replace=False):
        others = np.zeros(n)
        others[0] = 1.0
        for p in np.delete(q, i):
            others[1:] = others[1:] * (1 - p) + others[:-1] * p
            others[0] *= 1 - p
        up = np.sum(others * np.exp(-lam * (counts + 1 - target) ** 2))
        stay = np.sum(others * np.exp(-lam * (counts - target) ** 2))
        assert out[i] == pytest.approx(np.log(up) - np.log(stay), abs=1e-10)


def test_exact_count_falls_back_to_the_saddle_point_where_it_underflows():
    """Rows all but sure to be negative in a bag that should be all positive:
    every count near the target has probability 0 in float64, and the exact
    message, log(0) - log(0), gives way to the saddle-point one."""
    n = 300
    field = np.full(n, -7.0)

    def messages(exact_limit):
        out = np.zeros(n)
        update_bag_messages(
            field, out, np.array([0, n]), np.arange(n), np.array([n - 1.0]),
            10.0, 0.0, exact_limit,
        )  # fmt: skip
        return out

    exact, saddle = messages(n), messages(0)
    assert np.all(np.isfinite(exact)) and np.all(exact > 0)
    np.testing.assert_array_equal(exact, saddle)


def test_threads_give_the_same_marginals():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(4)
    n = 400
    unary = rng.normal(size=n)
    edges = rng.integers(n, size=(1200, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    weights = rng.uniform(0.1, 1.0, len(edges))
    bags = np.array_split(rng.permutation(n), 9)  # sizes 44 and 45
    targets = [rng.integers(len(b) // 4, len(b) // 2) for b in bags]
    serial = run(unary, edges, weights, bags, targets, 2.0, exact_limit=44)
    edges = np.asarray(edges, dtype=np.int64)
    bag_rows = np.concatenate(bags).astype(np.int64)
    bag_start = np.concatenate([[0], np.cumsum([len(b) for b in bags])])
    with ThreadPoolExecutor(2) as pool:
        threaded = belief_propagation(
            unary,
            edges[:, 0].copy(),
            edges[:, 1].copy(),
            weights,
            bag_start.astype(np.int64),
            bag_rows,
            np.asarray(targets, float),
            2.0,
            0.5,
            200,
            44,
            pool=pool,
            n_blocks=5,
        )
    np.testing.assert_array_equal(serial[0], threaded[0])
    assert serial[1] == threaded[1]
    assert threaded[2] == 200
