"""Sequential dual method for the Crammer-Singer multi-class SVM.

Keerthi, Sundararajan, Chang, Hsieh & Lin (KDD 2008), the solver of
liblinear's ``-s 4``. With class weight vectors ``w_m = sum_i a_im x_i``
(the design has a constant last column ``bias_scale``), the dual is::

    min_a  0.5 * sum_m ||w_m||^2 + sum_i sum_{m != y_i} margin * a_im
    s.t.   sum_m a_im = 0,  a_im <= upper_i [m == y_i]

whose primal is ``0.5 ||W||^2 + sum_i upper_i max_m (margin [m != y_i] +
w_m x_i - w_{y_i} x_i)``. Each step solves the sub-problem of one sample
over its ``K`` variables exactly: with ``A = ||x_i||^2`` and gradient ``G``,
``a_m = min(C_m, (beta - B_m) / A)`` where ``B = G - A a`` and ``beta`` makes
the sum zero, found by sorting the break points ``B_m + A C_m``.
"""

import numpy as np
from numba import njit

from .random import shuffle_prefix
from .rows import row_axpy, row_dot, row_sqnorm


@njit(cache=True, nogil=True)
def crammer_singer(
    data, indices, indptr, n_features, y, n_classes, upper, margin, bias_scale,
    tol, max_iter, seed,
):  # fmt: skip
    """Return ``(W, n_iter)``, ``W`` of shape ``(n_classes, n_features + 1)``.

    Stops when no sample violates its optimality conditions by more than
    ``tol`` (``max_m G_m - min_{m: a_m < C_m} G_m``) over a whole epoch;
    ``n_iter == max_iter`` means it did not.
    """
    n = y.shape[0]
    W = np.zeros((n_classes, n_features + 1))
    alpha = np.zeros((n, n_classes))
    sqnorm = np.empty(n)
    index = np.empty(n, dtype=np.int64)
    active = 0
    for i in range(n):
        sqnorm[i] = row_sqnorm(data, indices, indptr, i) + bias_scale * bias_scale
        if upper[i] > 0.0 and sqnorm[i] > 0.0:
            index[active] = i
            active += 1
    G = np.empty(n_classes)
    new = np.empty(n_classes)
    state = np.uint64(seed)
    n_iter = 0
    while n_iter < max_iter:
        state = shuffle_prefix(index, active, state)
        violation = 0.0
        for s in range(active):
            i = index[s]
            yi = y[i]
            g_max, g_min = -np.inf, np.inf
            for m in range(n_classes):
                G[m] = row_dot(data, indices, indptr, i, W[m])
                G[m] += W[m, n_features] * bias_scale
                if m != yi:
                    G[m] += margin
                g_max = max(g_max, G[m])
                cap = upper[i] if m == yi else 0.0
                if alpha[i, m] < cap:
                    g_min = min(g_min, G[m])
            violation = max(violation, g_max - g_min)
            if g_max - g_min <= 1e-12:
                continue
            _sub_problem(G, alpha[i], sqnorm[i], yi, upper[i], new)
            for m in range(n_classes):
                delta = new[m] - alpha[i, m]
                if delta != 0.0:
                    row_axpy(data, indices, indptr, i, delta, W[m])
                    W[m, n_features] += delta * bias_scale
                    alpha[i, m] = new[m]
        n_iter += 1
        if violation <= tol:
            break
    return W, n_iter


@njit(cache=True, nogil=True)
def _sub_problem(G, a, A, y, cap, out):
    """``argmin 0.5 A ||x||^2 + (G - A a) . x`` s.t. ``sum x = 0, x <= cap e_y``."""
    K = G.shape[0]
    B = G - A * a
    breaks = B.copy()
    breaks[y] += A * cap
    order = np.argsort(-breaks)
    total_B = 0.0
    clipped = cap  # sum of the caps of the variables at their cap
    beta = 0.0
    for r in range(K):
        m = order[r]
        total_B += B[m]
        if m == y:
            clipped = 0.0
        beta = (total_B - A * clipped) / (r + 1)
        if r + 1 == K or beta >= breaks[order[r + 1]]:
            break
    for m in range(K):
        out[m] = min(cap if m == y else 0.0, (beta - B[m]) / A)
