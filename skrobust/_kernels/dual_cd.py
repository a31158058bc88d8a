"""Dual coordinate descent for L2-regularised linear SVMs (Hsieh et al., 2008).

Each sample ``i`` has a row ``x_i`` (augmented with a constant ``bias_scale``
feature: liblinear's intercept convention), a label sign ``y_i``, a cost
``a_i`` on its own label and a cost ``b_i`` on the opposite label. With the
margin ``m_i = y_i (w . x_i)`` the primal is::

    min_w  0.5 * ||w||^2 + sum_i a_i * loss(m_i) + b_i * loss(-m_i)

for the hinge ``loss(m) = max(0, 1 - m)`` or its square. ``b = 0`` is the
ordinary SVM; ``b > 0`` puts the expected loss over an uncertain label into
one sample, which keeps coordinate descent as fast as on clean data (two
copies of a row with opposite labels make it crawl).

The dual has one variable ``beta_i`` per sample, ``w = sum_i beta_i y_i x_i``,
and minimises ``0.5 * ||w||^2 + sum_i phi_i(beta_i)`` with ``phi_i`` the
conjugate of the sample's loss, whose derivative is minus the margin at
which that ``beta_i`` is optimal. ``w`` is kept up to date so that each
coordinate step costs one pass over the row. Random permutation per epoch and
liblinear's shrinking of coordinates stuck at a bound.

Two stopping rules, the first to hold ends the run: liblinear's (the spread
of the projected gradient falls below ``tol``) and the duality gap
``(P(w) - D(beta)) / P(w) <= gap_tol``, a certificate that the primal
objective is within ``gap_tol`` (relative) of its minimum. liblinear's rule
at 1e-4 typically runs three to five times the epochs the gap needs to reach
1e-4. Computing the gap costs ``c`` = one inner product per sample: half an
epoch without shrinking, many epochs once shrinking leaves few coordinates
active. With ``W`` coordinates visited so far, checking every ``D`` visits
costs about ``W c / D`` and overshoots the certificate by up to ``D``: the
sum is smallest at ``D = sqrt(W c)``, so the gap is computed once the visits
since the last check reach ``sqrt(W c)`` (epochs 1, 3, 6, 9, 13, ... without
shrinking). Coordinate descent converges linearly, so two gaps also predict
by extrapolating ``log(gap)`` the work at which it crosses ``gap_tol``; a
check is made there too, at least ``c`` visits after the last one (on the
synthetic 200k-row text under the hinge: 91 epochs instead of 167).
"""

import numpy as np
from numba import njit

from .random import shuffle_prefix
from .rows import row_axpy, row_dot, row_sqnorm

HINGE = 0
SQUARED_HINGE = 1


@njit(cache=True, nogil=True)
def _squared_hinge_margin(beta, a, b, inv, i):
    """The margin at which ``beta`` is optimal for the squared hinge.

    Row ``i`` of ``inv`` holds ``(0.5 / a, 0.5 / b, 0.5 / (a + b))``,
    precomputed: the solver's inner loop then divides once per step, as
    liblinear does.
    """
    if beta > 4.0 * a:
        return 1.0 - beta * inv[i, 0]
    if beta < -4.0 * b:
        return -1.0 - beta * inv[i, 1]
    return (2.0 * (a - b) - beta) * inv[i, 2]


@njit(cache=True, nogil=True)
def _loss(m, a, b, loss):
    """The sample's primal loss ``a * loss(m) + b * loss(-m)`` at margin ``m``."""
    own = max(0.0, 1.0 - m)
    flipped = max(0.0, 1.0 + m)
    if loss == HINGE:
        return a * own + b * flipped
    return a * own * own + b * flipped * flipped


@njit(cache=True, nogil=True)
def _relative_gap(
    data,
    indices,
    indptr,
    n_features,
    y,
    cost,
    cost_flipped,
    loss,
    bias_scale,
    beta,
    inv,
    w,
    index,
    n_used,
):
    """``(P(w) - D(beta)) / P(w)`` over the samples ``index[:n_used]``."""
    ww = 0.0
    for j in range(n_features + 1):
        ww += w[j] * w[j]
    primal = 0.5 * ww
    gap = ww  # P - D = ||w||^2 + sum_i (loss_i(m_i) + phi_i(beta_i))
    for s in range(n_used):
        i = index[s]
        m = y[i] * (row_dot(data, indices, indptr, i, w) + w[n_features] * bias_scale)
        a = cost[i]
        b = cost_flipped[i]
        sample_loss = _loss(m, a, b, loss)
        primal += sample_loss
        # the conjugate phi(beta) = -beta * m' - loss(m') at the margin m'
        # where beta is optimal
        if loss == HINGE:
            optimal = 1.0 if beta[i] < a - b else -1.0
        else:
            optimal = _squared_hinge_margin(beta[i], a, b, inv, i)
        gap += sample_loss - beta[i] * optimal - _loss(optimal, a, b, loss)
    return gap / primal if primal > 0.0 else 0.0  # no sample: nothing to fit


@njit(cache=True, nogil=True)
def dual_coordinate_descent(
    data,
    indices,
    indptr,
    n_features,
    y,
    cost,
    cost_flipped,
    loss,
    bias_scale,
    tol,
    gap_tol,
    max_iter,
    shrinking,
    seed,
    stop,
):
    """Solve the dual above from ``beta = 0``.

    Samples with ``cost == cost_flipped == 0`` are left out; ``gap_tol = 0``
    turns the duality-gap rule off; setting ``stop[0]`` ends the run after
    the current epoch (Ctrl-C, see ``skrobust.utils._interrupt``). Returns
    ``(w, n_iter)``: ``w`` has ``n_features + 1`` entries, the last being the
    weight of the constant feature (intercept = w[-1] * bias_scale);
    ``n_iter == max_iter`` means the tolerance was not reached.
    """
    n = y.shape[0]
    w = np.zeros(n_features + 1)
    bias_sq = bias_scale * bias_scale
    beta = np.zeros(n)
    q = np.empty(n)
    inv = np.zeros((n, 3))
    index = np.empty(n, dtype=np.int64)
    # np.int64, not a literal 0: Numba would compile shuffle_prefix once more
    # for the literal first value of the counter
    active = np.int64(0)
    for i in range(n):
        q[i] = row_sqnorm(data, indices, indptr, i) + bias_sq
        a = cost[i]
        b = cost_flipped[i]
        if a > 0.0 or b > 0.0:
            index[active] = i
            active += 1
            inv[i, 2] = 0.5 / (a + b)
        if a > 0.0:
            inv[i, 0] = 0.5 / a
        if b > 0.0:
            inv[i, 1] = 0.5 / b
    n_used = active
    pg_max_old = np.inf
    pg_min_old = -np.inf
    state = np.uint64(seed)
    n_iter = 0
    work = 0.0  # coordinates visited, in all epochs and since the last gap
    work_since_gap = 0.0
    last_gap = last_gap_work = np.inf
    predicted = np.inf  # work at which the gap should cross gap_tol
    while n_iter < max_iter and not stop[0]:
        pg_max = -np.inf
        pg_min = np.inf
        state = shuffle_prefix(index, active, state)
        work += active
        work_since_gap += active
        s = 0
        while s < active:
            i = index[s]
            a = cost[i]
            b = cost_flipped[i]
            G = y[i] * (
                row_dot(data, indices, indptr, i, w) + w[n_features] * bias_scale
            )
            # the box of beta_i and the smallest-norm (sub)gradient of
            # G * beta + phi(beta) at beta_i: for the hinge the box is [-b, a]
            # and phi' is -1 left of the kink a - b, +1 right of it; for the
            # squared hinge a zero cost on one side closes that side at 0
            kink = a - b
            if loss == HINGE:
                lower, upper = -b, a
                if beta[i] < kink or (beta[i] == kink and b == 0.0):
                    g = G - 1.0  # the kink is the upper bound
                elif beta[i] > kink or a == 0.0:
                    g = G + 1.0  # the kink is the lower bound
                elif G - 1.0 > 0.0:
                    g = G - 1.0
                elif G + 1.0 < 0.0:
                    g = G + 1.0
                else:
                    g = 0.0
            else:
                lower = 0.0 if b == 0.0 else -np.inf
                upper = 0.0 if a == 0.0 else np.inf
                g = G - _squared_hinge_margin(beta[i], a, b, inv, i)
            pg = g
            if beta[i] == lower:
                if shrinking and g > pg_max_old:
                    active -= 1
                    index[s], index[active] = index[active], index[s]
                    continue
                pg = min(g, 0.0)
            elif beta[i] == upper:
                if shrinking and g < pg_min_old:
                    active -= 1
                    index[s], index[active] = index[active], index[s]
                    continue
                pg = max(g, 0.0)
            pg_max = max(pg_max, pg)
            pg_min = min(pg_min, pg)
            if abs(pg) > 1e-12:
                # the exact minimiser over t of 0.5 q (t - beta_i)^2 +
                # G (t - beta_i) + phi(t): the derivative in t is increasing
                # and piecewise linear; solve it on each piece, keep the
                # solution inside its piece, else land on the breakpoint where
                # it changes sign. q == 0 (an all-zero row without intercept,
                # so G == 0) gives the minimiser of phi alone.
                if loss == HINGE:
                    t = beta[i] - (G - 1.0) / q[i] if q[i] > 0.0 else kink
                    if t <= kink:
                        new = max(t, -b)
                    else:
                        t = beta[i] - (G + 1.0) / q[i]
                        new = min(t, a) if t >= kink else kink
                else:
                    rest = q[i] * beta[i] - G
                    # the pieces are tested without dividing: denominators > 0
                    low = q[i] + inv[i, 0]
                    high = q[i] + inv[i, 1]
                    if b == 0.0:
                        new = max((rest + 1.0) / low, 0.0)
                    elif a == 0.0:
                        new = min((rest - 1.0) / high, 0.0)
                    elif rest + 1.0 >= 4.0 * a * low:
                        new = (rest + 1.0) / low
                    elif rest - 1.0 <= -4.0 * b * high:
                        new = (rest - 1.0) / high
                    else:
                        new = (rest + 2.0 * (a - b) * inv[i, 2]) / (q[i] + inv[i, 2])
                delta = (new - beta[i]) * y[i]
                beta[i] = new
                row_axpy(data, indices, indptr, i, delta, w)
                w[n_features] += delta * bias_scale
            s += 1
        n_iter += 1
        due = work_since_gap * work_since_gap >= work * n_used
        if gap_tol > 0.0 and (due or (work >= predicted and work_since_gap >= n_used)):
            work_since_gap = 0.0
            gap = _relative_gap(
                data,
                indices,
                indptr,
                n_features,
                y,
                cost,
                cost_flipped,
                loss,
                bias_scale,
                beta,
                inv,
                w,
                index,
                n_used,
            )
            if gap <= gap_tol:
                break
            # coordinate descent converges linearly: extrapolate log(gap)
            # (Numba divides with Python's semantics: guard both divisions)
            drop = np.log(last_gap) - np.log(gap) if 0.0 < gap < last_gap else 0.0
            if 0.0 < drop < np.inf and work > last_gap_work:
                per_work = drop / (work - last_gap_work)
                predicted = work + (np.log(gap) - np.log(gap_tol)) / per_work
            last_gap, last_gap_work = gap, work
        if pg_max - pg_min <= tol:
            if active == n_used:
                break
            # converged on the active set: verify on all coordinates
            active = n_used
            pg_max_old = np.inf
            pg_min_old = -np.inf
            continue
        pg_max_old = pg_max if pg_max > 0.0 else np.inf
        pg_min_old = pg_min if pg_min < 0.0 else -np.inf
    return w, n_iter
