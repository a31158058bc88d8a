"""Label-powerset conformal regions by a Hamming-budget depth-first search.

A row's per-label positive probabilities ``o`` score a label-set ``Y`` by
``sum_l |Y_l - o_l|^p`` (``p`` is 1 or 2). The best set flips nothing:
``Yhat_l = o_l >= 0.5``. Flipping label ``l`` away from it adds the cost
``max(o_l, 1 - o_l)^p - min(o_l, 1 - o_l)^p``, so a set's score is the best
score plus the costs of its flipped labels, and the region
``{Y : score(Y) <= threshold}`` is every subset of labels whose costs fit in
the budget. The search walks the labels in ascending cost and stops a branch
at the first cost that does not fit (every later one is at least as large).

Every score is computed the same way, whether of a calibration row at its
true labels or of a candidate set: the best score plus the flipped costs
added one by one in ascending-cost order. Float addition of non-negative
numbers is monotone, so a set extending a rejected one is rejected too, and
a test row equal to a calibration row is scored bit for bit alike.

The kernels are serial and release the GIL; the per-row ones write into an
output the caller allocated, one entry per row, so that
:func:`skrobust.utils._threads.map_row_blocks` runs them on blocks of rows in
threads (as the single-label conformal kernels do: a parallel Numba kernel
compiles several times slower).
"""

import numpy as np
from numba import njit

from .sorting import argsort_stable


@njit(cache=True, nogil=True)
def _row_costs(o, p):
    """Return ``(best score, flip costs ascending, labels in that order)``."""
    L = o.shape[0]
    best = 0.0
    costs = np.empty(L)
    for l in range(L):
        if o[l] >= 0.5:
            near, far = 1.0 - o[l], o[l]
        else:
            near, far = o[l], 1.0 - o[l]
        if p == 2:
            near, far = near * near, far * far
        best += near
        costs[l] = far - near
    order = argsort_stable(costs)
    return best, costs[order], order


@njit(cache=True, nogil=True)
def label_set_scores(proba, Y, p, out):
    """``out[i]``: the score of the label-set ``Y[i]`` (boolean) for row ``i``."""
    n, L = proba.shape
    for i in range(n):
        best, costs, order = _row_costs(proba[i], p)
        flipped = 0.0
        for k in range(L):
            l = order[k]
            if Y[i, l] != (proba[i, l] >= 0.5):
                flipped += costs[k]
        out[i] = best + flipped


@njit(cache=True, nogil=True)
def _count_row(best, costs, threshold, limit):
    """Number of subsets of ``costs`` in the region, or ``limit + 1`` if more.

    A node whose heaviest extension (every remaining label flipped) fits
    holds ``2**remaining`` sets, counted at once.
    """
    L = costs.shape[0]
    if not best <= threshold:
        return 0
    sums = np.empty(L + 1)
    nxt = np.empty(L + 1, dtype=np.int64)
    sums[0] = 0.0
    nxt[0] = 0
    depth = 0
    count = 0
    arrived = True
    while depth >= 0:
        if arrived:
            # cheap test first: flipping the costliest label alone must fit
            whole = best + (sums[depth] + costs[L - 1]) <= threshold
            if whole:
                heaviest = sums[depth]
                for k in range(nxt[depth], L):
                    heaviest += costs[k]
                whole = best + heaviest <= threshold
            if whole:
                free = L - nxt[depth]
                if free >= 62 or count + (1 << free) > limit:
                    return limit + 1
                count += 1 << free
                depth -= 1
                arrived = False
                continue
            count += 1
            if count > limit:
                return limit + 1
        k = nxt[depth]
        if k < L and best + (sums[depth] + costs[k]) <= threshold:
            nxt[depth] = k + 1
            sums[depth + 1] = sums[depth] + costs[k]
            nxt[depth + 1] = k + 1
            depth += 1
            arrived = True
        else:
            depth -= 1
            arrived = False
    return count


@njit(cache=True, nogil=True)
def region_sizes(proba, p, threshold, limit, out):
    """``out[i]``: the size of row ``i``'s region, exact up to ``limit``
    (``limit + 1`` above it); ``limit`` is at most ``2**62``."""
    for i in range(proba.shape[0]):
        best, costs, _ = _row_costs(proba[i], p)
        out[i] = _count_row(best, costs, threshold, limit)


@njit(cache=True, nogil=True)
def _fill_row(o, best, costs, order, threshold, sets, scores):
    """Write the region's label-sets and scores in search order."""
    L = costs.shape[0]
    top = o >= 0.5
    sums = np.empty(L + 1)
    nxt = np.empty(L + 1, dtype=np.int64)
    chosen = np.empty(L, dtype=np.int64)
    sums[0] = 0.0
    nxt[0] = 0
    for l in range(L):
        sets[0, l] = top[l]
    scores[0] = best + sums[0]
    r = 1
    depth = 0
    while depth >= 0:
        k = nxt[depth]
        if k < L and best + (sums[depth] + costs[k]) <= threshold:
            nxt[depth] = k + 1
            chosen[depth] = k
            sums[depth + 1] = sums[depth] + costs[k]
            depth += 1
            nxt[depth] = k + 1
            for l in range(L):
                sets[r, l] = top[l]
            for j in range(depth):
                l = order[chosen[j]]
                sets[r, l] = not top[l]
            scores[r] = best + sums[depth]
            r += 1
        else:
            depth -= 1


@njit(cache=True, nogil=True)
def fill_regions(proba, p, threshold, offsets, out):
    """Write row ``i``'s region into ``out[offsets[i]:offsets[i + 1]]``.

    ``offsets`` are the cumulative exact sizes from :func:`region_sizes`.
    Each row's sets come by ascending score (the best set first), ties in
    search order. Rows write different numbers of lines, so this one runs in
    the caller's thread; it costs about the output it writes.
    """
    n, L = proba.shape
    for i in range(n):
        start = offsets[i]
        m = offsets[i + 1] - start
        if m == 0:
            continue
        best, costs, order = _row_costs(proba[i], p)
        sets = np.empty((m, L), dtype=np.bool_)
        scores = np.empty(m)
        _fill_row(proba[i], best, costs, order, threshold, sets, scores)
        rank = argsort_stable(scores)
        for r in range(m):
            for l in range(L):
                out[start + r, l] = sets[rank[r], l]


@njit(cache=True, nogil=True)
def label_certainty(proba, p, threshold, out):
    """``out[i, l]``: 1 or 0 when every set of row ``i``'s region has that
    value of label ``l``, -1 when both occur or the region is empty.

    Some set of the region flips label ``l`` exactly when the set flipping
    ``l`` alone is in it, so no enumeration is needed.
    """
    n, L = proba.shape
    for i in range(n):
        best, costs, order = _row_costs(proba[i], p)
        for k in range(L):
            l = order[k]
            if not best <= threshold or best + costs[k] <= threshold:
                out[i, l] = -1
            else:
                out[i, l] = 1 if proba[i, l] >= 0.5 else 0
