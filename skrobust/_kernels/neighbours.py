"""Approximate k nearest neighbours: random-projection trees, then neighbours
of neighbours.

Each tree cuts the rows in halves along the line through two random rows
until a leaf holds at most ``leaf_size`` rows; rows compare with every row
of their leaf, over several trees; a pass over the neighbours of each
row's neighbours then mends most misses (the first step of NN-descent).
Neighbour lists are kept sorted by squared Euclidean distance, without
duplicates. Every kernel writes only the rows it is given, so blocks of
leaves or rows can run in threads.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _squared_distance(U, i, j):
    total = 0.0
    for f in range(U.shape[1]):
        diff = U[i, f] - U[j, f]
        total += diff * diff
    return total


@njit(cache=True, nogil=True)
def _push(index, distance, j, d):
    """Insert neighbour ``j`` at squared distance ``d`` into a row's sorted
    list if it is closer than the last one and not there yet."""
    k = index.shape[0]
    if d >= distance[k - 1]:
        return
    for t in range(k):
        if index[t] == j:
            return
    t = k - 1
    while t > 0 and distance[t - 1] > d:
        distance[t] = distance[t - 1]
        index[t] = index[t - 1]
        t -= 1
    distance[t] = d
    index[t] = j


@njit(cache=True, nogil=True)
def random_projection_leaves(U, leaf_size, draws, order, leaf_bounds):
    """Cut the rows of ``U`` into leaves of at most ``leaf_size`` rows.

    ``order`` (n,) is filled with a permutation of the rows in which every
    leaf is a contiguous run; leaf ``t`` is ``order[leaf_bounds[t]:
    leaf_bounds[t + 1]]``. ``draws`` holds uniform numbers in [0, 1), two per
    split (``2 * (2 * n // leaf_size + 2)`` suffice). Returns the number of
    leaves.
    """
    n = U.shape[0]
    for t in range(n):
        order[t] = t
    stack_start = np.empty(leaf_bounds.shape[0], np.int64)
    stack_stop = np.empty(leaf_bounds.shape[0], np.int64)
    stack_start[0], stack_stop[0] = 0, n
    depth = 1
    n_leaves = 0
    n_draws = 0
    projection = np.empty(n)
    direction = np.empty(U.shape[1])
    leaf_bounds[0] = 0
    while depth > 0:
        depth -= 1
        start, stop = stack_start[depth], stack_stop[depth]
        size = stop - start
        if size <= leaf_size:
            # leaves come off the stack left to right: their runs tile order
            n_leaves += 1
            leaf_bounds[n_leaves] = stop
            continue
        p = start + int(draws[n_draws] * size)
        q = start + int(draws[n_draws + 1] * size)
        n_draws += 2
        if q == p:
            q = start + (p - start + 1) % size
        for f in range(U.shape[1]):
            direction[f] = U[order[p], f] - U[order[q], f]
        for t in range(start, stop):
            value = 0.0
            for f in range(U.shape[1]):
                value += U[order[t], f] * direction[f]
            projection[t] = value
        # rows below the median, at it, above it: halves in O(size)
        values = projection[start:stop].copy()
        median = np.median(values)
        segment = order[start:stop].copy()
        write = start
        for side in range(3):
            for t in range(size):
                below, at = values[t] < median, values[t] == median
                if (
                    (side == 0 and below)
                    or (side == 1 and at)
                    or (side == 2 and not below and not at)
                ):
                    order[write] = segment[t]
                    write += 1
        middle = start + size // 2
        # right half first so that the left one is cut (and stored) first
        stack_start[depth], stack_stop[depth] = middle, stop
        stack_start[depth + 1], stack_stop[depth + 1] = start, middle
        depth += 2
    return n_leaves


@njit(cache=True, nogil=True)
def leaf_neighbours(U, order, leaf_bounds, index, distance):
    """Offer every pair of rows sharing a leaf to both rows' lists.

    ``leaf_bounds`` (n_leaves + 1,) delimits the leaves in ``order``; only
    the rows of these leaves are written, so disjoint leaves may run in
    threads.
    """
    for leaf in range(leaf_bounds.shape[0] - 1):
        for s in range(leaf_bounds[leaf], leaf_bounds[leaf + 1]):
            i = order[s]
            for t in range(s + 1, leaf_bounds[leaf + 1]):
                j = order[t]
                d = _squared_distance(U, i, j)
                _push(index[i], distance[i], j, d)
                _push(index[j], distance[j], i, d)


@njit(cache=True, nogil=True)
def neighbours_of_neighbours(
    U, index, distance, adjacency_start, adjacency, rows, new_index, new_distance
):
    """Offer each of ``rows`` the neighbours of its neighbours in a graph.

    The graph (CSR: row ``i`` links to ``adjacency[adjacency_start[i]:
    adjacency_start[i + 1]]``) should hold each row's neighbours and the
    rows that list it, both ways mending more misses than forward links
    alone. Reads the lists ``index``/``distance`` of every row, writes the
    new lists of ``rows`` into ``new_index``/``new_distance`` (one entry per
    row of ``rows``).
    """
    seen = np.empty(U.shape[0], dtype=np.int64)  # row last offered to
    for t in range(U.shape[0]):
        seen[t] = -1
    for r in range(rows.shape[0]):
        i = rows[r]
        own_index = new_index[r]
        own_distance = new_distance[r]
        for t in range(index.shape[1]):  # loops compile faster than copies
            own_index[t] = index[i, t]
            own_distance[t] = distance[i, t]
        seen[i] = i
        for t in range(own_index.shape[0]):
            if own_index[t] >= 0:
                seen[own_index[t]] = i
        for s in range(adjacency_start[i], adjacency_start[i + 1]):
            neighbour = adjacency[s]
            for t in range(adjacency_start[neighbour], adjacency_start[neighbour + 1]):
                candidate = adjacency[t]
                if seen[candidate] == i:
                    continue
                seen[candidate] = i
                d = _squared_distance(U, i, candidate)
                if d < own_distance[-1]:
                    _push(own_index, own_distance, candidate, d)


@njit(cache=True, nogil=True)
def pair_distances(Z, edge_i, edge_j):
    """Euclidean distances between the rows ``edge_i[e]`` and ``edge_j[e]``."""
    out = np.empty(edge_i.shape[0])
    for e in range(edge_i.shape[0]):
        out[e] = np.sqrt(_squared_distance(Z, edge_i[e], edge_j[e]))
    return out
