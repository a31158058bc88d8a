"""Loopy belief propagation for LLP-BP: kNN edges plus one count factor per bag.

Binary labels ``y_i`` with

    log P(y) = sum_i h_i y_i - sum_{(i,j)} w_ij (y_i - y_j)^2
               - lam_b sum_B (sum_{i in B} y_i - k_B)^2 + const,

the Gibbs distribution of LLP-BP (Havaldar et al., ICLR 2024) with each bag's
quadratic count penalty kept as *one* cardinality factor instead of the
reference code's dense pairwise clique. Messages are log-odds. An edge
factor sends ``log(e^-w + e^c) - log(1 + e^(c - w))`` for the cavity log-odds
``c`` of the other end. A bag factor sends
``log E[g(C + 1)] - log E[g(C)]``, ``g(c) = exp(-lam_b (c - k_B)^2)``, ``C``
the count of the bag's other rows under their cavity probabilities (a
Poisson-binomial): exactly, from the counts of the rows before and after
each row (``O(n_B^2)`` per bag; deconvolving the whole bag's count loses the
tails), for bags up to ``exact_limit`` rows; above it, by a saddle-point
(tilted normal) count (``O(n_B)``). Updates are parallel (flooding) with
damping, as in the reference: one iteration computes every row's field
(``total_fields``), then every edge's and every bag's new message from it,
each kernel on any block of edges or bags (the caller runs blocks in
threads).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def _logaddexp(a, b):
    top = max(a, b)
    return top + np.log1p(np.exp(-abs(a - b)))


@njit(cache=True, nogil=True)
def _saddlepoint_messages(q, target, lam, out):
    """Count-factor messages from a saddle-point approximation of the count
    of the other rows, ``O(n_B)`` per bag.

    Tilting the Poisson-binomial by ``exp(theta c)`` so that it centres on
    the target makes a normal approximation good where it is used, at the
    target, far in the tail of the untilted count (a plain normal around the
    mean there misses the pull: a bag of 2048 rows with 12% positives and
    no other evidence got marginals of 0.18 instead of 0.12). Then
    ``log P(C = c) = -theta c - (c - mu_t)^2 / (2 s2_t) + const`` for ``c``
    near the target, summed against ``exp(-lam (c - k)^2)``.
    """
    n = q.shape[0]
    # the theta with sum_j sigmoid(logit(q_j) + theta) = target: Newton on a
    # monotone function, from a bracket
    count = min(max(target, 1e-6), n - 1e-6)
    low, high = -50.0, 50.0
    theta = 0.0
    for _ in range(100):
        mean = 0.0
        slope = 0.0
        for j in range(n):
            if q[j] <= 0.0 or q[j] >= 1.0:
                mean += q[j]
                continue
            p = _sigmoid(np.log(q[j]) - np.log1p(-q[j]) + theta)
            mean += p
            slope += p * (1.0 - p)
        if mean > count:
            high = theta
        else:
            low = theta
        if abs(mean - count) < 1e-10:
            break
        step = (count - mean) / slope if slope > 0 else 0.0
        theta = theta + step
        if not low < theta < high:
            theta = 0.5 * (low + high)
    mean = 0.0
    variance = 0.0
    tilted = np.empty(n)
    for j in range(n):
        if q[j] <= 0.0 or q[j] >= 1.0:
            tilted[j] = q[j]
        else:
            tilted[j] = _sigmoid(np.log(q[j]) - np.log1p(-q[j]) + theta)
        mean += tilted[j]
        variance += tilted[j] * (1.0 - tilted[j])
    reach = int(np.sqrt(745.0 / lam)) + 2 if lam > 0 else n
    low = max(0, int(np.floor(target)) - reach - 1)
    high = min(n - 1, int(np.ceil(target)) + reach)
    for i in range(n):
        mu = mean - tilted[i]
        s2 = max(variance - tilted[i] * (1.0 - tilted[i]), 1e-12)
        log_up = -np.inf
        log_stay = -np.inf
        for c in range(low, high + 1):
            log_p = -theta * c - (c - mu) ** 2 / (2.0 * s2)
            up = log_p - lam * (c + 1 - target) ** 2
            stay = log_p - lam * (c - target) ** 2
            log_up = up if log_up == -np.inf else _logaddexp(log_up, up)
            log_stay = stay if log_stay == -np.inf else _logaddexp(log_stay, stay)
        out[i] = log_up - log_stay


@njit(cache=True, nogil=True)
def total_fields(unary, edge_i, edge_j, to_i, to_j, from_bag, field):
    """Each row's log-odds: its unary field plus every message it receives."""
    # loops, not array assignments: those make Numba compile its shape-error
    # formatter (seconds of a user's first fit)
    for i in range(field.shape[0]):
        field[i] = unary[i] + from_bag[i]
    for e in range(edge_i.shape[0]):
        field[edge_i[e]] += to_i[e]
        field[edge_j[e]] += to_j[e]


@njit(cache=True, nogil=True)
def update_edge_messages(field, edge_i, edge_j, edge_weight, to_i, to_j, damping):
    """Damped new messages of edges ``(edge_i[e], edge_j[e])`` with penalty
    weights ``edge_weight`` (``to_i[e]`` goes to ``edge_i[e]``), from the
    rows' total ``field``. Writes only these edges' messages, so blocks of
    edges may run in threads. Returns the largest change."""
    change = 0.0
    for e in range(edge_i.shape[0]):
        i, j, w = edge_i[e], edge_j[e], edge_weight[e]
        # the factor exp(-w (y_i - y_j)^2) sends log(e^-w + e^c) -
        # log(1 + e^(c - w)) for the cavity log-odds c of the other end
        c_j = field[j] - to_j[e]
        c_i = field[i] - to_i[e]
        new_i = _logaddexp(-w, c_j) - _logaddexp(0.0, c_j - w)
        new_j = _logaddexp(-w, c_i) - _logaddexp(0.0, c_i - w)
        new_i = damping * to_i[e] + (1.0 - damping) * new_i
        new_j = damping * to_j[e] + (1.0 - damping) * new_j
        change = max(change, abs(new_i - to_i[e]), abs(new_j - to_j[e]))
        to_i[e], to_j[e] = new_i, new_j
    return change


@njit(cache=True, nogil=True)
def update_bag_messages(
    field, from_bag, bag_start, bag_rows, bag_target, bag_lambda, damping, exact_limit
):
    """Damped new messages of the bags ``b`` with rows
    ``bag_rows[bag_start[b]:bag_start[b + 1]]`` that should count
    ``bag_target[b]`` positives (strength ``bag_lambda``), exact up to
    ``exact_limit`` rows. Writes only ``from_bag`` of these rows, so blocks
    of bags may run in threads. Returns the largest change.

    The exact messages: the count without row ``i`` is the count of the rows
    before it (``prefix[i]``, built forward) plus the count of the rows after
    it, which enters only through ``tail[a] = E[g(a + count after i)]``,
    built backward one row at a time: ``O(n_B^2)`` per bag and no unstable
    deconvolution of the whole bag's count. Where every count near the
    target underflows, the saddle-point message stands in.
    """
    n_bags = bag_target.shape[0]
    largest = 0
    largest_exact = 0
    for b in range(n_bags):
        size = bag_start[b + 1] - bag_start[b]
        largest = max(largest, size)
        if size <= exact_limit:
            largest_exact = max(largest_exact, size)
    prefix = np.empty((largest_exact + 1, largest_exact + 1))
    tail = np.empty(largest_exact + 2)
    cavity = np.empty(largest)
    fresh = np.empty(largest)
    spare = np.empty(largest)
    change = 0.0
    for b in range(n_bags):
        start, stop = bag_start[b], bag_start[b + 1]
        n = stop - start
        target = bag_target[b]
        for t in range(n):
            row = bag_rows[start + t]
            cavity[t] = _sigmoid(field[row] - from_bag[row])
        if n > exact_limit:
            _saddlepoint_messages(cavity[:n], target, bag_lambda, fresh[:n])
        else:
            prefix[0, 0] = 1.0
            for i in range(1, n + 1):
                p = cavity[i - 1]
                prefix[i, 0] = prefix[i - 1, 0] * (1.0 - p)
                for c in range(1, i):
                    prefix[i, c] = (
                        prefix[i - 1, c] * (1.0 - p) + prefix[i - 1, c - 1] * p
                    )
                prefix[i, i] = prefix[i - 1, i - 1] * p
            for c in range(n + 1):
                tail[c] = np.exp(-bag_lambda * (c - target) ** 2)
            underflow = False
            for i in range(n - 1, -1, -1):
                up = 0.0
                stay = 0.0
                for a in range(i + 1):
                    up += prefix[i, a] * tail[a + 1]
                    stay += prefix[i, a] * tail[a]
                if up > 0.0 and stay > 0.0:
                    fresh[i] = np.log(up) - np.log(stay)
                else:
                    fresh[i] = np.nan
                    underflow = True
                p = cavity[i]
                for a in range(i + 1):
                    tail[a] = (1.0 - p) * tail[a] + p * tail[a + 1]
            if underflow:
                _saddlepoint_messages(cavity[:n], target, bag_lambda, spare[:n])
                for i in range(n):
                    if np.isnan(fresh[i]):
                        fresh[i] = spare[i]
        for t in range(n):
            row = bag_rows[start + t]
            new = damping * from_bag[row] + (1.0 - damping) * fresh[t]
            change = max(change, abs(new - from_bag[row]))
            from_bag[row] = new
    return change
