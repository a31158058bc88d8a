"""Conformity scores, prediction sets and calibration ranks, one pass per row.

Every kernel computes the scores of a row of probabilities for all classes in
a small scratch buffer, then compares them with thresholds or counts the
calibration scores below them; nothing of size n x K is allocated but the
output. Rows are split into blocks, one scratch per block, run in parallel.

Score codes: 0 = LAC (``1 - p_j``); 1 = top-k (number of classes with a
strictly larger probability); 2 = APS / RAPS (probability mass strictly above
class ``j``, plus ``v * p_j`` with ``v`` 1 or a per-row uniform draw, plus
``lam * max(0, rank_j + 1 - k_reg)``). Tied probabilities get equal scores.
"""

import numpy as np
from numba import njit, prange

LAC, TOP_K, CUMULATIVE = 0, 1, 2
THRESHOLD, KEEP_TOP, INCLUDE_LAST = 0, 1, 2
_BLOCK = 256


@njit(cache=True, nogil=True)
def _descending_order(p, order):
    """Fill ``order`` with the indices of ``p`` by decreasing value, ties by
    index (insertion sort: rows are short and often nearly sorted)."""
    for k in range(p.shape[0]):
        order[k] = k
    for a in range(1, p.shape[0]):
        idx = order[a]
        value = p[idx]
        b = a - 1
        while b >= 0 and p[order[b]] < value:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = idx


@njit(cache=True, nogil=True)
def _row_scores(p, code, lam, k_reg, v, order, out):
    """Scores of every class of one row of probabilities into ``out``."""
    K = p.shape[0]
    if code == LAC:
        for j in range(K):
            out[j] = 1.0 - p[j]
        return
    if K > 32:
        order[:] = np.argsort(-p, kind="mergesort")
    else:
        _descending_order(p, order)
    above = 0.0
    start = 0
    while start < K:
        value = p[order[start]]
        stop = start
        while stop < K and p[order[stop]] == value:
            j = order[stop]
            if code == TOP_K:
                out[j] = start
            else:
                out[j] = above + v * value + lam * max(0, start + 1 - k_reg)
            stop += 1
        for t in range(start, stop):
            above += p[order[t]]
        start = stop


@njit(cache=True, nogil=True, parallel=True)
def score_matrix(proba, code, lam, k_reg, v):
    """Scores of every class of every row, shape (n, K)."""
    n, K = proba.shape
    out = np.empty((n, K))
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):
        order = np.empty(K, dtype=np.int64)
        for i in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            _row_scores(proba[i], code, lam, k_reg, v[i], order, out[i])
    return out


@njit(cache=True, nogil=True, parallel=True)
def prediction_sets(proba, code, lam, k_reg, v, rule, thresholds, row_group):
    """Boolean sets, shape (A, n, K): class ``j`` of row ``i`` is in set
    ``a`` when its score is at most ``thresholds[row_group[i], j, a]``.

    ``rule`` (cumulative scores only) adds classes: ``KEEP_TOP`` also keeps
    the top class, so no set is empty; ``INCLUDE_LAST`` keeps a class when
    the mass above it, before its own, is below the threshold (the class
    that crosses it is kept, and the top class).
    """
    n, K = proba.shape
    A = thresholds.shape[2]
    out = np.empty((A, n, K), dtype=np.bool_)
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):
        order = np.empty(K, dtype=np.int64)
        scores = np.empty(K)
        for i in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            _row_scores(proba[i], code, lam, k_reg, v[i], order, scores)
            g = row_group[i]
            top = scores[order[0]]
            for j in range(K):
                if rule == INCLUDE_LAST:
                    before = scores[j] - v[i] * proba[i, j]
                    for a in range(A):
                        out[a, i, j] = before < thresholds[g, j, a] or j == order[0]
                elif rule == KEEP_TOP:
                    for a in range(A):
                        out[a, i, j] = scores[j] <= max(thresholds[g, j, a], top)
                else:
                    for a in range(A):
                        out[a, i, j] = scores[j] <= thresholds[g, j, a]
    return out


@njit(cache=True, nogil=True, parallel=True)
def calibration_positions(
    proba, code, lam, k_reg, v, sorted_scores, segment_start, segment_stop, row_group
):
    """For each row and class, how many calibration scores of its segment lie
    strictly below its score, shape (n, K).

    The segment of class ``j`` in row ``i`` is
    ``sorted_scores[segment_start[g, j]:segment_stop[g, j]]`` with
    ``g = row_group[i]``; each segment is sorted ascending.
    """
    n, K = proba.shape
    out = np.empty((n, K), dtype=np.int64)
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for b in prange(n_blocks):
        order = np.empty(K, dtype=np.int64)
        scores = np.empty(K)
        for i in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            _row_scores(proba[i], code, lam, k_reg, v[i], order, scores)
            g = row_group[i]
            for j in range(K):
                start = segment_start[g, j]
                segment = sorted_scores[start : segment_stop[g, j]]
                out[i, j] = np.searchsorted(segment, scores[j], side="left")
    return out
