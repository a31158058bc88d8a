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
from .sorting import argsort_stable


@njit(cache=True, nogil=True)
def crammer_singer(
    data, indices, indptr, n_features, y, n_classes, upper, margin, bias_scale,
    tol, max_iter, seed, stop,
):  # fmt: skip
    """Return ``(W, n_iter)``, ``W`` of shape ``(n_classes, n_features + 1)``.

    Stops when no sample violates its optimality conditions by more than
    ``tol`` (``max_m G_m - min_{m: a_m < C_m} G_m``) over a whole epoch;
    ``n_iter == max_iter`` means it did not. Shrinking as in liblinear: a
    variable at its cap whose gradient is below every free one leaves the
    sweep, a sample with one variable left leaves it too, and all come back
    to confirm convergence (the shrinking threshold halves towards ``tol``
    each time). Polls ``stop[0]`` after every epoch and returns early when it
    is set (Ctrl-C, see ``skrobust.utils._interrupt``).
    """
    n = y.shape[0]
    W = np.zeros((n_classes, n_features + 1))
    alpha = np.zeros((n, n_classes))
    sqnorm = np.empty(n)
    index = np.empty(n, dtype=np.int64)
    # np.int64, not a literal 0: Numba would compile shuffle_prefix once more
    # for the literal first value of the counter
    n_used = np.int64(0)
    for i in range(n):
        sqnorm[i] = row_sqnorm(data, indices, indptr, i) + bias_scale * bias_scale
        if upper[i] > 0.0 and sqnorm[i] > 0.0:
            index[n_used] = i
            n_used += 1
    classes = np.empty((n, n_classes), dtype=np.int64)  # active classes first
    n_active = np.empty(n, dtype=np.int64)
    n_active[:] = n_classes  # np.full compiles slower
    for i in range(n):
        # loops, not array assignments: those compile an error message
        # formatter that costs seconds on a cold cache
        for m in range(n_classes):
            classes[i, m] = m
    G = np.empty(n_classes)
    B = np.empty(n_classes)
    breaks = np.empty(n_classes)
    state = np.uint64(seed)
    active = n_used
    shrink_below = max(10.0 * tol, 1.0)
    from_all = True
    n_iter = 0
    while n_iter < max_iter and not stop[0]:
        state = shuffle_prefix(index, active, state)
        violation = 0.0
        s = 0
        while s < active:
            i = index[s]
            yi = y[i]
            g_max, g_min = -np.inf, np.inf
            y_at = -1  # position of y_i among the active classes, if there
            for r in range(n_active[i]):
                m = classes[i, r]
                G[r] = row_dot(data, indices, indptr, i, W[m])
                G[r] += W[m, n_features] * bias_scale
                if m != yi:
                    G[r] += margin
                else:
                    y_at = r
                g_max = max(g_max, G[r])
                if alpha[i, m] < (upper[i] if m == yi else 0.0):
                    g_min = min(g_min, G[r])
            r = 0
            while r < n_active[i]:
                m = classes[i, r]
                if alpha[i, m] == (upper[i] if m == yi else 0.0) and G[r] < g_min:
                    last = n_active[i] - 1
                    classes[i, r], classes[i, last] = classes[i, last], m
                    G[r], G[last] = G[last], G[r]
                    if y_at == r:
                        y_at = last
                    elif y_at == last:
                        y_at = r
                    n_active[i] -= 1
                else:
                    r += 1
            if y_at >= n_active[i]:
                y_at = -1
            if n_active[i] <= 1:
                active -= 1
                index[s], index[active] = index[active], index[s]
                continue
            s += 1
            if g_max - g_min <= 1e-12:
                continue
            violation = max(violation, g_max - g_min)
            # the sample's sub-problem over its k active variables x:
            # argmin 0.5 A ||x||^2 + (G - A alpha_i) . x s.t. x <= cap e_y and
            # sum x = -cap [y_at < 0] (y_at = -1 when the label's own variable
            # is shrunk, at its cap), solved by sorting its breakpoints
            k = n_active[i]
            A = sqnorm[i]
            cap = upper[i]
            for r in range(k):
                B[r] = G[r] - A * alpha[i, classes[i, r]]
                breaks[r] = -B[r]  # negated: the order is decreasing
            if y_at >= 0:
                breaks[y_at] -= A * cap
            order = argsort_stable(breaks[:k])
            total_B = 0.0
            clipped = cap  # sum of the caps of the variables at their cap
            beta = 0.0
            for r in range(k):
                m = order[r]
                total_B += B[m]
                if m == y_at:
                    clipped = 0.0
                beta = (total_B - A * clipped) / (r + 1)
                if r + 1 == k or beta >= -breaks[order[r + 1]]:
                    break
            for r in range(k):
                m = classes[i, r]
                new = min(cap if r == y_at else 0.0, (beta - B[r]) / A)
                delta = new - alpha[i, m]
                if delta != 0.0:
                    row_axpy(data, indices, indptr, i, delta, W[m])
                    W[m, n_features] += delta * bias_scale
                    alpha[i, m] = new
        n_iter += 1
        if violation < shrink_below:
            if violation < tol and from_all:
                break
            # converged on the shrunk problem: sweep everything again
            active = n_used
            n_active[:] = n_classes
            shrink_below = max(shrink_below / 2.0, tol)
            from_all = True
        else:
            from_all = False
    return W, n_iter
