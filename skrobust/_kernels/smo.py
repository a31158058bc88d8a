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

The solver is written as one function (and the gradient reconstruction,
called from three places, as a second): Numba compiles a few large functions
far faster than the same code split into many small ones, and this is most
of what a first fit in a fresh process waits for (see
``benchmarks/first_fit.py``).
"""

import numpy as np
from numba import njit

from .kernel_rows import PRECOMPUTED, cached_row, kernel_from_dot

_TAU = 1e-12
# shrink every this many steps (at most), as libsvm does
_SHRINK_EVERY = 1000
# "no row" for cached_row's ``keep``. Integer arguments are passed as
# np.int64, never as literals: Numba compiles a callee once more for every
# literal it is called with (a constant, or a counter's first value 0).
_NO_ROW = np.int64(-1)


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
    kind, gamma, coef0, degree = kernel
    n_vars = rows.shape[0]
    n_rows = sqnorm.shape[0]
    K_diag = np.empty(n_rows)
    for s in range(n_rows):
        if kind == PRECOMPUTED:
            K_diag[s] = gram[s, s]
        else:
            K_diag[s] = kernel_from_dot(
                sqnorm[s], sqnorm[s], sqnorm[s], kind, gamma, coef0, degree
            )
    # the kernel row cache (see cached_row); loops compile faster than
    # np.full and np.arange
    buffer = np.zeros(n_features)
    n_slots = max(2, min(cache_rows, n_rows))
    values = np.empty((n_slots, n_rows))
    slot_of = np.empty(n_rows, dtype=np.int64)
    for s in range(n_rows):
        slot_of[s] = -1
    row_of = np.empty(n_slots, dtype=np.int64)
    for k in range(n_slots):
        row_of[k] = -1
    last_used = np.zeros(n_slots, dtype=np.int64)

    # the variables are kept permuted so that the active ones form a prefix
    # (contiguous loops, as in libsvm); ``order[t]`` is the original index
    order = np.empty(n_vars, dtype=np.int64)
    for t in range(n_vars):
        order[t] = t
    rows = rows.copy()
    y = y.copy()
    upper = upper.copy()
    p = p.copy()
    alpha = np.zeros(n_vars)
    G = p.copy()
    G_bar = np.zeros(n_vars)  # sum over s at the upper bound of u_s Q[s, t]
    n_active = n_vars
    unshrunk = False
    countdown = min(n_vars, _SHRINK_EVERY) + 1
    n_iter = np.int64(0)
    reselect = False  # the pair is chosen again after unshrinking
    while max_iter < 0 or n_iter < max_iter:
        if reselect:
            reselect = False
        else:
            countdown -= 1
        if countdown == 0:
            countdown = min(n_vars, _SHRINK_EVERY)
            if shrinking:
                # libsvm's Gmax1/Gmax2: the largest violations on each side
                gmax1 = -np.inf
                gmax2 = -np.inf
                for t in range(n_active):
                    if y[t] > 0:
                        if alpha[t] < upper[t]:
                            gmax1 = max(gmax1, -G[t])
                        if alpha[t] > 0.0:
                            gmax2 = max(gmax2, G[t])
                    else:
                        if alpha[t] < upper[t]:
                            gmax2 = max(gmax2, -G[t])
                        if alpha[t] > 0.0:
                            gmax1 = max(gmax1, G[t])
                if not unshrunk and gmax1 + gmax2 <= 10.0 * tol:
                    unshrunk = True
                    n_active = _unshrink(
                        data, indices, indptr, gram, sqnorm, kind, gamma, coef0,
                        degree, buffer, values, slot_of, row_of, last_used,
                        rows, y, upper, p, alpha, G, G_bar, n_active, n_iter,
                    )  # fmt: skip
                # move the variables stuck at a bound behind the active prefix
                t = np.int64(0)
                while t < n_active:
                    if alpha[t] >= upper[t]:
                        stuck = -G[t] > (gmax1 if y[t] > 0 else gmax2)
                    elif alpha[t] <= 0.0:
                        stuck = G[t] > (gmax2 if y[t] > 0 else gmax1)
                    else:
                        stuck = False
                    if not stuck:
                        t += 1
                        continue
                    n_active -= 1
                    a, b = t, n_active
                    order[a], order[b] = order[b], order[a]
                    rows[a], rows[b] = rows[b], rows[a]
                    y[a], y[b] = y[b], y[a]
                    upper[a], upper[b] = upper[b], upper[a]
                    p[a], p[b] = p[b], p[a]
                    alpha[a], alpha[b] = alpha[b], alpha[a]
                    G[a], G[b] = G[b], G[a]
                    G_bar[a], G_bar[b] = G_bar[b], G_bar[a]

        # the working pair: libsvm's second-order rule; j < 0 when optimal
        gmax = -np.inf
        i = -1
        for t in range(n_active):
            if y[t] > 0:
                if alpha[t] < upper[t] and -G[t] >= gmax:
                    gmax = -G[t]
                    i = t
            elif alpha[t] > 0.0 and G[t] >= gmax:
                gmax = G[t]
                i = t
        j = -1
        if i >= 0:
            K_i = cached_row(
                data, indices, indptr, gram, sqnorm, kind, gamma, coef0, degree,
                buffer, values, slot_of, row_of, last_used, rows[i], n_iter, _NO_ROW,
            )  # fmt: skip
            gmax2 = -np.inf
            best = np.inf
            for t in range(n_active):
                if y[t] > 0:
                    if alpha[t] <= 0.0:
                        continue
                    gmax2 = max(gmax2, G[t])
                    grad_diff = gmax + G[t]
                else:
                    if alpha[t] >= upper[t]:
                        continue
                    gmax2 = max(gmax2, -G[t])
                    grad_diff = gmax - G[t]
                if grad_diff > 0.0:
                    # curvature along the pair's feasible direction
                    quad = K_diag[rows[i]] + K_diag[rows[t]] - 2.0 * K_i[rows[t]]
                    gain = -grad_diff * grad_diff / (quad if quad > 0.0 else _TAU)
                    if gain <= best:
                        best = gain
                        j = t
            if gmax + gmax2 < tol:
                j = -1
        if j < 0 and n_active < n_vars:
            # optimal on the active set: check every variable
            n_active = _unshrink(
                data, indices, indptr, gram, sqnorm, kind, gamma, coef0,
                degree, buffer, values, slot_of, row_of, last_used,
                rows, y, upper, p, alpha, G, G_bar, n_active, n_iter,
            )  # fmt: skip
            countdown = 1
            reselect = True
            continue
        if j < 0 or ((n_iter & 1023) == 0 and stop[0]):
            break
        n_iter += 1
        K_i = cached_row(
            data, indices, indptr, gram, sqnorm, kind, gamma, coef0, degree,
            buffer, values, slot_of, row_of, last_used, rows[i], n_iter, _NO_ROW,
        )  # fmt: skip
        K_j = cached_row(
            data, indices, indptr, gram, sqnorm, kind, gamma, coef0, degree,
            buffer, values, slot_of, row_of, last_used, rows[j], n_iter, rows[i],
        )  # fmt: skip

        # the two-variable subproblem on (i, j), in closed form (libsvm)
        old_i = alpha[i]
        old_j = alpha[j]
        u_i = upper[i]
        u_j = upper[j]
        quad = K_diag[rows[i]] + K_diag[rows[j]] - 2.0 * K_i[rows[j]]
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

        d_i = (alpha[i] - old_i) * y[i]
        d_j = (alpha[j] - old_j) * y[j]
        for t in range(n_active):
            r = rows[t]
            G[t] += y[t] * (K_i[r] * d_i + K_j[r] * d_j)
        # G_bar changes when alpha_i or alpha_j reaches or leaves its bound
        for v, old, K_v in ((i, old_i, K_i), (j, old_j, K_j)):
            is_upper = alpha[v] >= upper[v]
            if (old >= upper[v]) != is_upper:
                scale = upper[v] * y[v] if is_upper else -upper[v] * y[v]
                for t in range(n_vars):
                    G_bar[t] += scale * y[t] * K_v[rows[t]]
    if n_active < n_vars and not stop[0]:
        # stopped by max_iter on a shrunk problem: the objective and rho
        # need the gradients the shrinking left stale (as libsvm does)
        _unshrink(
            data, indices, indptr, gram, sqnorm, kind, gamma, coef0,
            degree, buffer, values, slot_of, row_of, last_used,
            rows, y, upper, p, alpha, G, G_bar, n_active, n_iter,
        )  # fmt: skip

    # the offset: mean of y G over free variables, else the middle of the
    # feasible interval (libsvm), or its finite end when it is a half-line
    # (every variable of one sign at a bound of zero width, as when the
    # noise correction's weights leave one class no box: libsvm's middle is
    # then infinite)
    objective = 0.0
    ub = np.inf
    lb = -np.inf
    free_sum = 0.0
    n_free = 0
    for t in range(n_vars):
        objective += alpha[t] * (G[t] + p[t])
        yG = y[t] * G[t]
        if alpha[t] >= upper[t]:
            if y[t] < 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        elif alpha[t] <= 0.0:
            if y[t] > 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        else:
            n_free += 1
            free_sum += yG
    if n_free > 0:
        rho = free_sum / n_free
    elif np.isinf(ub) and np.isinf(lb):
        rho = 0.0
    elif np.isinf(ub):
        rho = lb
    elif np.isinf(lb):
        rho = ub
    else:
        rho = 0.5 * (ub + lb)
    alpha_out = np.empty(n_vars)
    for t in range(n_vars):  # a loop: an array assignment compiles slowly
        alpha_out[order[t]] = alpha[t]
    return alpha_out, rho, 0.5 * objective, n_iter


@njit(cache=True, nogil=True)
def _unshrink(
    data,
    indices,
    indptr,
    gram,
    sqnorm,
    kind,
    gamma,
    coef0,
    degree,
    buffer,
    values,
    slot_of,
    row_of,
    last_used,
    rows,
    y,
    upper,
    p,
    alpha,
    G,
    G_bar,
    n_active,
    clock,
):
    """Recompute ``G`` of the shrunk variables from the free ones; returns
    the new active count, every variable."""
    n_vars = rows.shape[0]
    if n_active == n_vars:
        return n_vars
    for t in range(n_active, n_vars):
        G[t] = G_bar[t] + p[t]
    for s in range(n_vars):
        if alpha[s] <= 0.0 or alpha[s] >= upper[s]:
            continue
        K_s = cached_row(
            data, indices, indptr, gram, sqnorm, kind, gamma, coef0, degree,
            buffer, values, slot_of, row_of, last_used, rows[s], clock, _NO_ROW,
        )  # fmt: skip
        a_s = alpha[s] * y[s]
        for t in range(n_active, n_vars):
            G[t] += a_s * y[t] * K_s[rows[t]]
    return n_vars
