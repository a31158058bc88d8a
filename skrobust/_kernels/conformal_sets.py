"""Conformity scores, prediction sets and calibration ranks, one pass per row.

Every kernel computes the scores of a row of probabilities for all classes in
a small scratch buffer, then compares them with thresholds or counts the
calibration scores below them, writing into an output the caller allocated;
nothing else of size n x K is allocated. The kernels are serial and release
the GIL: :func:`skrobust.utils._threads.map_row_blocks` runs them on blocks
of rows in threads (a parallel Numba kernel would compile three times slower).

Score codes: 0 = LAC (``1 - p_j``); 1 = top-k (number of classes with a
strictly larger probability); 2 = APS / RAPS (probability mass strictly above
class ``j``, plus ``v * p_j`` with ``v`` 1 or a per-row uniform draw, plus
``lam * max(0, rank_j + 1 - k_reg)``). Tied probabilities get equal scores.
All kernels take ``(proba, v, row_group, ...)`` first and ``out`` last, each
with one entry per row.
"""

import numpy as np
from numba import njit

LAC, TOP_K, CUMULATIVE = 0, 1, 2
THRESHOLD, KEEP_TOP, INCLUDE_LAST = 0, 1, 2
# rows up to this length are ranked by insertion sort, which also beats
# selecting the cutoff there (1e6 x 10 APS sets: 0.12 s against 0.16 s)
SHORT_ROW = 32
# an np.int64, not a literal 0: Numba compiles a callee once more for each
# literal argument
_HEAP_ROOT = np.int64(0)


@njit(cache=True, nogil=True)
def _sift_down(p, heap, root, end):
    """Restore the max-heap (by ``p``) of ``heap[root:end]``."""
    while 2 * root + 1 < end:
        child = 2 * root + 1
        if child + 1 < end and p[heap[child + 1]] > p[heap[child]]:
            child += 1
        if p[heap[child]] > p[heap[root]]:
            heap[root], heap[child] = heap[child], heap[root]
            root = child
        else:
            return


@njit(cache=True, nogil=True)
def _row_scores(p, code, lam, k_reg, v, order, out, limit):
    """Scores of every class of one row of probabilities into ``out``; returns
    the top class (-1 for LAC, which needs no ranking).

    Ranked scores take the classes by decreasing probability (an insertion
    sort for short rows; pops off a max-heap for long ones, which only pays
    for the classes reached) and stop once the mass above the next class
    (its rank, for top-k) exceeds ``limit``: those classes score ``inf``, so
    a set only ranks the classes it may contain.
    """
    K = p.shape[0]
    if code == LAC:
        for j in range(K):
            out[j] = 1.0 - p[j]
        return -1
    short = K <= SHORT_ROW
    if short:  # insertion sort, by decreasing probability
        for a in range(K):
            value = p[a]
            b = a - 1
            while b >= 0 and p[order[b]] < value:
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = a
    else:
        for k in range(K):
            order[k] = k
        for root in range(K // 2 - 1, -1, -1):
            _sift_down(p, order, root, K)
    top = order[0]
    ranked = 0
    above = 0.0  # mass strictly above the current tie group
    group_mass = 0.0
    group_value = np.nan
    start = 0  # rank of the current tie group
    while ranked < K:
        j = order[ranked] if short else order[0]
        value = p[j]
        if value != group_value:
            above += group_mass
            group_mass = 0.0
            group_value = value
            start = ranked
            if (start if code == TOP_K else above) > limit:
                break
        if not short:  # pop: the heap shrinks to order[:K - ranked - 1]
            end = K - ranked - 1
            order[0] = order[end]
            order[end] = j
            _sift_down(p, order, _HEAP_ROOT, end)
        ranked += 1
        group_mass += value
        if code == TOP_K:
            out[j] = start
        else:
            out[j] = above + v * value + lam * max(0, start + 1 - k_reg)
    first, stop = (ranked, K) if short else (0, K - ranked)
    for r in range(first, stop):  # the unranked classes
        out[order[r]] = np.inf
    return top


@njit(cache=True, nogil=True)
def _n_invalid(row):
    """Entries that are not probabilities (NaN, infinite, outside [0, 1] by
    more than round-off)."""
    count = 0
    for p in row:
        if not (p >= -1e-6 and p <= 1.0 + 1e-6):
            count += 1
    return count


@njit(cache=True, nogil=True)
def score_matrix(proba, v, row_group, code, lam, k_reg, out):
    """Scores of every class of every row into ``out`` (n, K); returns the
    number of entries of ``proba`` that are not probabilities."""
    heap = np.empty(proba.shape[1], dtype=np.int64)
    invalid = 0
    for i in range(proba.shape[0]):
        invalid += _n_invalid(proba[i])
        _row_scores(proba[i], code, lam, k_reg, v[i], heap, out[i], np.inf)
    return invalid


@njit(cache=True, nogil=True)
def lac_sets(proba, v, row_group, thresholds, out):
    """LAC sets into ``out`` (n, K, A): class ``j`` of row ``i`` is in set
    ``a`` when ``1 - proba[i, j] <= thresholds[row_group[i], j, a]``. No
    ranking and no scratch: the hot path of large batches, and a kernel of
    its own, so that the default score compiles nothing else. Returns the
    number of entries of ``proba`` that are not probabilities."""
    n, K = proba.shape
    A = thresholds.shape[2]
    invalid = 0
    for i in range(n):
        g = row_group[i]
        for j in range(K):
            p = proba[i, j]
            if not (p >= -1e-6 and p <= 1.0 + 1e-6):
                invalid += 1
            if A == 1:
                out[i, j, 0] = 1.0 - p <= thresholds[g, j, 0]
            else:
                for a in range(A):
                    out[i, j, a] = 1.0 - p <= thresholds[g, j, a]
    return invalid


@njit(cache=True, nogil=True)
def prediction_sets(
    proba, v, row_group, code, lam, k_reg, rule, thresholds, limits, shared, out
):
    """Boolean sets of a ranked score (top-k, APS, RAPS) into ``out`` (n, K,
    A): class ``j`` of row ``i`` is in set ``a`` when its score is at most
    ``thresholds[row_group[i], j, a]`` (LAC: :func:`lac_sets`).

    ``rule`` (cumulative scores only) adds classes: ``KEEP_TOP`` also keeps
    the top class, so no set is empty; ``INCLUDE_LAST`` keeps a class when
    the mass above it, before its own, is below the threshold (the class
    that crosses it is kept, and the top class). ``limits[g]`` is the
    largest threshold of group ``g``: no class beyond it is ranked.
    ``shared`` says every class of a group has the same thresholds: a
    cumulative-score set is then the classes above a cutoff, found without
    ranking. Returns the number of entries of
    ``proba`` that are not probabilities.
    """
    n, K = proba.shape
    A = thresholds.shape[2]
    invalid = 0
    heap = np.empty(K, dtype=np.int64)
    scores = np.empty(K)
    work = np.empty(K)
    cutoffs = np.empty(A)
    shared = shared and code == CUMULATIVE and K > SHORT_ROW
    before = rule == INCLUDE_LAST
    for i in range(n):
        g = row_group[i]
        p = proba[i]
        invalid += _n_invalid(p)
        top_p = p[0]
        for j in range(1, K):
            top_p = max(top_p, p[j])
        top_score = v[i] * top_p + lam * max(0, 1 - k_reg)
        # Shared thresholds: each set is the classes down to a cutoff
        # probability, the smallest whose tie group is in the set (none:
        # inf), found by quickselect on the mass above, expected O(K), where
        # ranking the classes a flat row's set holds costs O(m log K). The
        # group at value x scores mass above + lam * max(0, rank + 1 -
        # k_reg), plus v * x unless the rule is INCLUDE_LAST (compared with
        # <), non-decreasing down the ranking. A score within round-off of
        # the threshold sends the row to the ranking below: the masses are
        # summed in another order than _row_scores.
        near = not shared
        for a in range(A if shared else 0):
            t = thresholds[g, 0, a]
            if rule == KEEP_TOP:
                t = max(t, top_score)
            for j in range(K):
                work[j] = p[j]
            low, high = 0, K
            mass, count = 0.0, 0  # of the groups above work[low:high]
            cutoff = np.inf
            while low < high:
                x = work[(low + high) // 2]
                # three-way partition of work[low:high]: > x, == x, < x
                above, equal, below = low, low, high
                mass_above = 0.0
                while equal < below:
                    value = work[equal]
                    if value > x:
                        work[equal], work[above] = work[above], value
                        mass_above += value
                        above += 1
                        equal += 1
                    elif value < x:
                        below -= 1
                        work[equal], work[below] = work[below], value
                    else:
                        equal += 1
                rank = count + above - low
                score = mass + mass_above + lam * max(0, rank + 1 - k_reg)
                if not before:
                    score += v[i] * x
                if abs(score - t) <= 1e-9 * max(1.0, abs(t)):
                    near = True
                    break
                if score < t or (score == t and not before):
                    cutoff = x
                    mass += mass_above + x * (equal - above)
                    count = rank + equal - above
                    low = equal
                else:
                    high = above
            if near:
                break
            cutoffs[a] = min(cutoff, top_p) if before else cutoff
        if not near:
            for j in range(K):
                for a in range(A):
                    out[i, j, a] = p[j] >= cutoffs[a]
            continue
        limit = limits[g]
        if rule == KEEP_TOP:  # the top class's score may exceed every threshold
            limit = max(limit, top_score)
        top = _row_scores(p, code, lam, k_reg, v[i], heap, scores, limit)
        for j in range(K):
            if before:
                mass_before = scores[j] - v[i] * p[j]
                for a in range(A):
                    out[i, j, a] = mass_before < thresholds[g, j, a] or j == top
            elif rule == KEEP_TOP:
                for a in range(A):
                    out[i, j, a] = scores[j] <= max(thresholds[g, j, a], scores[top])
            else:
                for a in range(A):
                    out[i, j, a] = scores[j] <= thresholds[g, j, a]
    return invalid


@njit(cache=True, nogil=True)
def calibration_positions(
    proba, v, row_group, code, lam, k_reg, sorted_scores, seg_start, seg_stop, out
):
    """For each row and class, how many calibration scores of its segment lie
    strictly below its score, into ``out`` (n, K).

    The segment of class ``j`` in row ``i`` is
    ``sorted_scores[seg_start[g, j]:seg_stop[g, j]]`` with
    ``g = row_group[i]``; each segment is sorted ascending. Returns the
    number of entries of ``proba`` that are not probabilities.
    """
    n, K = proba.shape
    heap = np.empty(K, dtype=np.int64)
    scores = np.empty(K)
    invalid = 0
    for i in range(n):
        invalid += _n_invalid(proba[i])
        _row_scores(proba[i], code, lam, k_reg, v[i], heap, scores, np.inf)
        g = row_group[i]
        for j in range(K):
            # binary search: the first position whose score is >= scores[j]
            start = low = seg_start[g, j]
            high = seg_stop[g, j]
            while low < high:
                middle = (low + high) // 2
                if sorted_scores[middle] < scores[j]:
                    low = middle + 1
                else:
                    high = middle
            out[i, j] = low - start
    return invalid
