"""Sequential minimal optimisation for kernel SVM duals (libsvm's solver).

The problem, over variables ``alpha_t`` (t = 0..L-1)::

    min_alpha  0.5 * alpha' Q alpha + p' alpha
    s.t.       sum_t y_t alpha_t = 0,   0 <= alpha_t <= u_t

with ``Q[t, s] = y_t y_s K(x_{r_t}, x_{r_s})``. Each variable belongs to a
training row ``r_t``; several variables may share a row (the noise-corrected
SVM gives a row one variable per possible label), and the kernel cache
holds rows of K over training rows, so shared rows cost nothing extra.

Each step picks the pair by libsvm's second-order rule (Fan, Chen and Lin,
2005), solves the two-variable problem in closed form, and updates the
gradient. Shrinking sets aside variables stuck at a bound (Joachims, 1999;
libsvm's rules), the gradient is rebuilt before the final optimality check,
and the stopping rule is libsvm's: the maximal violating pair's gap falls
below ``tol``.
"""

import numpy as np
from numba import njit

from .kernel_rows import cached_row, kernel_diagonal, new_cache

_TAU = 1e-12
# shrink every this many steps (at most), as libsvm does
_SHRINK_EVERY = 1000
# "no row" for cached_row's ``keep``. Integer arguments are passed as
# np.int64, never as literals: Numba compiles a callee once more for every
# literal it is called with (a constant, or a counter's first value 0).
_NO_ROW = np.int64(-1)


@njit(cache=True, nogil=True)
def _is_upper(alpha, upper, t):
    return alpha[t] >= upper[t]


@njit(cache=True, nogil=True)
def _is_lower(alpha, t):
    return alpha[t] <= 0.0


@njit(cache=True, nogil=True)
def _violations(alpha, G, y, upper, n_active):
    """libsvm's ``Gmax1``/``Gmax2``: the largest violations on each side."""
    gmax1 = -np.inf
    gmax2 = -np.inf
    for t in range(n_active):
        if y[t] > 0:
            if not _is_upper(alpha, upper, t):
                gmax1 = max(gmax1, -G[t])
            if not _is_lower(alpha, t):
                gmax2 = max(gmax2, G[t])
        else:
            if not _is_upper(alpha, upper, t):
                gmax2 = max(gmax2, -G[t])
            if not _is_lower(alpha, t):
                gmax1 = max(gmax1, G[t])
    return gmax1, gmax2


@njit(cache=True, nogil=True)
def _can_shrink(alpha, G, y, upper, t, gmax1, gmax2):
    if _is_upper(alpha, upper, t):
        return -G[t] > gmax1 if y[t] > 0 else -G[t] > gmax2
    if _is_lower(alpha, t):
        return G[t] > gmax2 if y[t] > 0 else G[t] > gmax1
    return False


@njit(cache=True, nogil=True)
def smo(
    data,
    indices,
    indptr,
    n_features,
    gram,
    sqnorm,
    kernel,
    rows,
    y,
    upper,
    p,
    tol,
    max_iter,
    shrinking,
    cache_rows,
    stop,
):
    """Solve the dual above from ``alpha = 0``.

    ``data, indices, indptr`` are the training rows (see ``rows.py``) of
    ``n_features`` columns, ``gram`` the Gram matrix for a precomputed
    kernel (else unused), ``sqnorm`` the squared row norms, ``kernel`` the
    tuple ``(kind, gamma, coef0, degree)``; ``rows``, ``y``, ``upper``,
    ``p`` describe the variables. At most ``cache_rows`` (>= 2) kernel rows
    are held at once; ``max_iter < 0`` means no limit. The solver polls
    ``stop[0]`` every 1024 steps and returns early when it is set (Ctrl-C,
    see ``skrobust.utils._interrupt``).

    Returns ``(alpha, rho, objective, n_iter)``: the decision function is
    ``sum_t y_t alpha_t K(x_{r_t}, x) - rho``.
    """
    n_vars = rows.shape[0]
    n_rows = sqnorm.shape[0]
    K_diag = kernel_diagonal(data, indices, indptr, gram, sqnorm, kernel)
    source = (data, indices, indptr, gram, sqnorm, kernel, np.zeros(n_features))
    cache = new_cache(n_rows, max(2, min(cache_rows, n_rows)))

    # the variables are kept permuted so that the active ones form a prefix
    # (contiguous loops, as in libsvm); ``order[t]`` is the original index
    order = np.empty(n_vars, dtype=np.int64)
    for t in range(n_vars):  # a loop compiles faster than np.arange
        order[t] = t
    rows = rows.copy()
    y = y.copy()
    upper = upper.copy()
    p = p.copy()
    alpha = np.zeros(n_vars)
    G = p.copy()
    G_bar = np.zeros(n_vars)  # sum over s at the upper bound of u_s Q[s, t]
    state = (order, rows, y, upper, p, alpha, G, G_bar)
    n_active = n_vars
    unshrunk = False
    countdown = min(n_vars, _SHRINK_EVERY) + 1
    n_iter = np.int64(0)
    while max_iter < 0 or n_iter < max_iter:
        countdown -= 1
        if countdown == 0:
            countdown = min(n_vars, _SHRINK_EVERY)
            if shrinking:
                gmax1, gmax2 = _violations(alpha, G, y, upper, n_active)
                if not unshrunk and gmax1 + gmax2 <= 10.0 * tol:
                    unshrunk = True
                    _reconstruct_gradient(source, cache, state, n_active, n_iter)
                    n_active = n_vars
                n_active = _shrink(state, n_active, gmax1, gmax2)

        i, j = _select_pair(
            source, cache, rows, y, upper, alpha, G, K_diag, n_active, tol, n_iter
        )
        if j < 0 and n_active < n_vars:
            # optimal on the active set: check every variable
            _reconstruct_gradient(source, cache, state, n_active, n_iter)
            n_active = n_vars
            i, j = _select_pair(
                source, cache, rows, y, upper, alpha, G, K_diag, n_active, tol, n_iter
            )
            countdown = 1
        if j < 0 or ((n_iter & 1023) == 0 and stop[0]):
            break
        n_iter += 1
        K_i = cached_row(source, cache, rows[i], n_iter, _NO_ROW)
        K_j = cached_row(source, cache, rows[j], n_iter, rows[i])
        old_i = alpha[i]
        old_j = alpha[j]
        _update_pair(alpha, G, y, upper, K_diag, rows, i, j, K_i[rows[j]])
        d_i = (alpha[i] - old_i) * y[i]
        d_j = (alpha[j] - old_j) * y[j]
        for t in range(n_active):
            r = rows[t]
            G[t] += y[t] * (K_i[r] * d_i + K_j[r] * d_j)
        _update_bar(G_bar, y, upper, rows, i, old_i, alpha[i], K_i)
        _update_bar(G_bar, y, upper, rows, j, old_j, alpha[j], K_j)
    if n_active < n_vars and not stop[0]:
        # stopped by max_iter on a shrunk problem: the objective and rho
        # need the gradients the shrinking left stale (as libsvm does)
        _reconstruct_gradient(source, cache, state, n_active, n_iter)

    objective = 0.0
    for t in range(n_vars):
        objective += alpha[t] * (G[t] + p[t])
    rho = _rho(alpha, G, y, upper)
    alpha_out = np.empty(n_vars)
    for t in range(n_vars):  # a loop: an array assignment compiles slowly
        alpha_out[order[t]] = alpha[t]
    return alpha_out, rho, 0.5 * objective, n_iter


@njit(cache=True, nogil=True)
def _select_pair(source, cache, rows, y, upper, alpha, G, K_diag, n_active, tol, clock):
    """libsvm's second-order working set; ``j == -1`` when optimal."""
    gmax = -np.inf
    i = -1
    for t in range(n_active):
        if y[t] > 0:
            if not _is_upper(alpha, upper, t) and -G[t] >= gmax:
                gmax = -G[t]
                i = t
        elif not _is_lower(alpha, t) and G[t] >= gmax:
            gmax = G[t]
            i = t
    if i < 0:
        return -1, -1
    K_i = cached_row(source, cache, rows[i], clock, _NO_ROW)
    r_i = rows[i]
    gmax2 = -np.inf
    j = -1
    best = np.inf
    for t in range(n_active):
        if y[t] > 0:
            if _is_lower(alpha, t):
                continue
            gmax2 = max(gmax2, G[t])
            grad_diff = gmax + G[t]
        else:
            if _is_upper(alpha, upper, t):
                continue
            gmax2 = max(gmax2, -G[t])
            grad_diff = gmax - G[t]
        if grad_diff > 0.0:
            # curvature along the pair's feasible direction
            quad = K_diag[r_i] + K_diag[rows[t]] - 2.0 * K_i[rows[t]]
            gain = -grad_diff * grad_diff / (quad if quad > 0.0 else _TAU)
            if gain <= best:
                best = gain
                j = t
    if gmax + gmax2 < tol or j < 0:
        return -1, -1
    return i, j


@njit(cache=True, nogil=True)
def _update_pair(alpha, G, y, upper, K_diag, rows, i, j, K_ij):
    """Solve the two-variable subproblem on ``(i, j)`` in closed form (libsvm)."""
    u_i = upper[i]
    u_j = upper[j]
    quad = K_diag[rows[i]] + K_diag[rows[j]] - 2.0 * K_ij
    if quad <= 0.0:
        quad = _TAU
    if y[i] != y[j]:
        delta = (-G[i] - G[j]) / quad
        diff = alpha[i] - alpha[j]
        alpha[i] += delta
        alpha[j] += delta
        if diff > 0.0:
            if alpha[j] < 0.0:
                alpha[j] = 0.0
                alpha[i] = diff
        elif alpha[i] < 0.0:
            alpha[i] = 0.0
            alpha[j] = -diff
        if diff > u_i - u_j:
            if alpha[i] > u_i:
                alpha[i] = u_i
                alpha[j] = u_i - diff
        elif alpha[j] > u_j:
            alpha[j] = u_j
            alpha[i] = u_j + diff
    else:
        delta = (G[i] - G[j]) / quad
        total = alpha[i] + alpha[j]
        alpha[i] -= delta
        alpha[j] += delta
        if total > u_i:
            if alpha[i] > u_i:
                alpha[i] = u_i
                alpha[j] = total - u_i
        elif alpha[j] < 0.0:
            alpha[j] = 0.0
            alpha[i] = total
        if total > u_j:
            if alpha[j] > u_j:
                alpha[j] = u_j
                alpha[i] = total - u_j
        elif alpha[i] < 0.0:
            alpha[i] = 0.0
            alpha[j] = total


@njit(cache=True, nogil=True)
def _update_bar(G_bar, y, upper, rows, i, old, new, K_i):
    """Keep ``G_bar`` when ``alpha_i`` reaches or leaves its upper bound."""
    was_upper = old >= upper[i]
    is_upper = new >= upper[i]
    if was_upper == is_upper:
        return
    scale = upper[i] * y[i] if is_upper else -upper[i] * y[i]
    for t in range(G_bar.shape[0]):
        G_bar[t] += scale * y[t] * K_i[rows[t]]


@njit(cache=True, nogil=True)
def _swap(state, a, b):
    order, rows, y, upper, p, alpha, G, G_bar = state
    order[a], order[b] = order[b], order[a]
    rows[a], rows[b] = rows[b], rows[a]
    y[a], y[b] = y[b], y[a]
    upper[a], upper[b] = upper[b], upper[a]
    p[a], p[b] = p[b], p[a]
    alpha[a], alpha[b] = alpha[b], alpha[a]
    G[a], G[b] = G[b], G[a]
    G_bar[a], G_bar[b] = G_bar[b], G_bar[a]


@njit(cache=True, nogil=True)
def _shrink(state, n_active, gmax1, gmax2):
    """Move shrinkable variables behind the active prefix; new prefix size."""
    y, upper, alpha, G = state[2], state[3], state[5], state[6]
    t = np.int64(0)
    while t < n_active:
        if _can_shrink(alpha, G, y, upper, t, gmax1, gmax2):
            n_active -= 1
            _swap(state, t, n_active)
        else:
            t += 1
    return n_active


@njit(cache=True, nogil=True)
def _reconstruct_gradient(source, cache, state, n_active, clock):
    """Recompute ``G`` of the shrunk variables from the free ones."""
    _, rows, y, upper, p, alpha, G, G_bar = state
    n_vars = rows.shape[0]
    if n_active == n_vars:
        return
    for t in range(n_active, n_vars):
        G[t] = G_bar[t] + p[t]
    for s in range(n_vars):
        if alpha[s] <= 0.0 or alpha[s] >= upper[s]:
            continue
        K_s = cached_row(source, cache, rows[s], clock, _NO_ROW)
        a_s = alpha[s] * y[s]
        for t in range(n_active, n_vars):
            G[t] += a_s * y[t] * K_s[rows[t]]


@njit(cache=True, nogil=True)
def _rho(alpha, G, y, upper):
    """The offset: mean of ``y G`` over free variables, else the middle of
    the feasible interval (libsvm), or its finite end when it is a half-line
    (every variable of one sign at a bound of zero width, as when the noise
    correction's weights leave one class no box: libsvm's middle is then
    infinite)."""
    ub = np.inf
    lb = -np.inf
    total = 0.0
    n_free = 0
    for t in range(alpha.shape[0]):
        yG = y[t] * G[t]
        if _is_upper(alpha, upper, t):
            if y[t] < 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        elif _is_lower(alpha, t):
            if y[t] > 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        else:
            n_free += 1
            total += yG
    if n_free > 0:
        return total / n_free
    if np.isinf(ub) and np.isinf(lb):
        return 0.0
    if np.isinf(ub):
        return lb
    if np.isinf(lb):
        return ub
    return 0.5 * (ub + lb)
