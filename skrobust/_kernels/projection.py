"""Euclidean projection onto a box intersected with a hyperplane.

The feasible set of an SVM dual with labels ``y`` in {-1, +1}::

    {lam : 0 <= lam_i <= u_i,  sum_i y_i lam_i = 0}

The projection of ``v`` is ``clip(v - mu y, 0, u)`` for the root ``mu`` of
``phi(mu) = sum_i y_i clip(v_i - mu y_i, 0, u_i)``, a piecewise-linear,
non-increasing function. Bisection brackets the root to the linear piece
it lies on; that piece is then solved exactly.
"""

from numba import njit

_BISECTIONS = 100


@njit(cache=True, nogil=True)
def _phi(v, y, upper, mu):
    total = 0.0
    for i in range(v.shape[0]):
        total += y[i] * min(max(v[i] - mu * y[i], 0.0), upper[i])
    return total


@njit(cache=True, nogil=True)
def project_box_hyperplane(v, y, upper, out):
    """Write the projection of ``v`` into ``out``; return the multiplier ``mu``.

    The set must be non-empty, which it always is (``lam = 0`` lies in it).
    """
    n = v.shape[0]
    bound = 0.0
    for i in range(n):
        bound = max(bound, abs(v[i]) + upper[i])
    low = -bound - 1.0  # phi(low) >= 0
    high = bound + 1.0  # phi(high) <= 0
    for _ in range(_BISECTIONS):
        mid = 0.5 * (low + high)
        if mid == low or mid == high:
            break
        if _phi(v, y, upper, mid) > 0.0:
            low = mid
        else:
            high = mid
    # on the piece around the root, the free coordinates decide mu exactly
    mu = 0.5 * (low + high)
    free_sum = 0.0
    fixed_sum = 0.0
    n_free = 0
    for i in range(n):
        t = v[i] - mu * y[i]
        if t >= upper[i]:
            fixed_sum += y[i] * upper[i]
        elif t > 0.0:
            free_sum += y[i] * v[i]
            n_free += 1
    if n_free > 0:
        exact = (free_sum + fixed_sum) / n_free
        if low <= exact <= high:
            mu = exact
    for i in range(n):
        out[i] = min(max(v[i] - mu * y[i], 0.0), upper[i])
    return mu
