"""Approximate nearest neighbours (random-projection trees and neighbours of
neighbours) against exact ones, and threads against none."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize

from skrobust._kernels.neighbours import random_projection_leaves
from skrobust.llp._graph import approximate_neighbours


def clustered(n, d=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, d))
    return normalize(centres[rng.integers(20, size=n)] + 0.4 * rng.normal(size=(n, d)))


def test_leaves_tile_a_permutation_and_respect_the_leaf_size():
    U = clustered(1000)
    order = np.empty(1000, dtype=np.int64)
    bounds = np.empty(2 * 1000 // 32 + 3, dtype=np.int64)
    draws = np.random.default_rng(0).random(2 * bounds.shape[0])
    n_leaves = random_projection_leaves(U, 32, draws, order, bounds)
    sizes = np.diff(bounds[: n_leaves + 1])
    assert bounds[0] == 0 and bounds[n_leaves] == 1000
    assert sizes.max() <= 32 and sizes.min() >= 16  # halves of > 32 rows
    np.testing.assert_array_equal(np.sort(order), np.arange(1000))


def test_most_true_neighbours_are_found():
    U = clustered(3000)
    exact = NearestNeighbors(n_neighbors=6).fit(U).kneighbors(U)[1][:, 1:]
    found = approximate_neighbours(U, 15, leaf_size=32, random_state=0)[:, :5]
    recall = np.mean(
        [len(set(a) & set(b)) / 5 for a, b in zip(exact, found, strict=True)]
    )
    assert recall > 0.98
    assert np.all(found != np.arange(3000)[:, None])  # never a row itself
    # the lists are sorted by distance
    d = np.linalg.norm(U[found] - U[:, None, :], axis=2)
    assert np.all(np.diff(d, axis=1) >= -1e-12)


def test_threads_give_the_same_neighbours():
    U = clustered(2000, seed=1)
    serial = approximate_neighbours(U, 10, leaf_size=32, random_state=3)
    with ThreadPoolExecutor(2) as pool:
        threaded = approximate_neighbours(
            U, 10, leaf_size=32, random_state=3, pool=pool, n_blocks=7
        )
    np.testing.assert_array_equal(serial, threaded)
