"""Kernel values between one training row and many, and a bounded row cache.

Kernels are coded as small integers so that a solver compiles once for all
of them: ``LINEAR`` ``x . z``, ``POLY`` ``(gamma x . z + coef0) ** degree``,
``RBF`` ``exp(-gamma |x - z|^2)``, ``SIGMOID`` ``tanh(gamma x . z + coef0)``
and ``PRECOMPUTED`` (the values are read from a given Gram matrix).
"""

import numpy as np
from numba import njit

from .rows import row_axpy, rows_dot

LINEAR = 0
POLY = 1
RBF = 2
SIGMOID = 3
PRECOMPUTED = 4
KERNEL_CODES = {
    "linear": LINEAR,
    "poly": POLY,
    "rbf": RBF,
    "sigmoid": SIGMOID,
    "precomputed": PRECOMPUTED,
}
_NEVER = np.iinfo(np.int64).max  # a time later than any step


@njit(cache=True, nogil=True)
def kernel_from_dot(dot, sqnorm_a, sqnorm_b, kind, gamma, coef0, degree):
    """The kernel value of two rows given their inner product and norms."""
    if kind == LINEAR:
        return dot
    if kind == RBF:
        return np.exp(-gamma * max(sqnorm_a + sqnorm_b - 2.0 * dot, 0.0))
    if kind == POLY:
        return (gamma * dot + coef0) ** degree
    return np.tanh(gamma * dot + coef0)


@njit(cache=True, nogil=True)
def cached_row(
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
    r,
    clock,
    keep,
):
    """``K(x_r, x_s)`` for every training row ``s``, from a bounded
    least-recently-used cache of kernel rows, computed on a miss.

    ``data, indices, indptr`` are the training rows (see ``rows.py``),
    ``gram`` the Gram matrix for ``PRECOMPUTED`` (else unused), ``sqnorm``
    their squared norms, ``kind, gamma, coef0, degree`` the kernel;
    ``buffer`` is a zeroed vector of ``n_features`` entries, zeroed again on
    return. The cache: ``values[k]`` holds the row ``row_of[k]`` (-1: empty),
    last used at step ``last_used[k]``; ``slot_of[r]`` is the slot of row
    ``r`` or -1. On a miss the least recently used slot is reused, never the
    slot of row ``keep`` (the other row the caller is holding; -1 for none).
    ``clock`` is the caller's step counter. The arrays are passed one by one:
    Numba compiles a function taking tuples of arrays markedly slower.
    """
    slot = slot_of[r]
    if slot < 0:
        slot = 0
        oldest = _NEVER
        for k in range(row_of.shape[0]):
            if row_of[k] < 0:
                slot = k
                break
            if row_of[k] != keep and last_used[k] < oldest:
                oldest = last_used[k]
                slot = k
        if row_of[slot] >= 0:
            slot_of[row_of[slot]] = -1
        row_of[slot] = r
        slot_of[r] = slot
        out = values[slot]
        if kind == PRECOMPUTED:
            # a loop: an array assignment (out[:] = gram[r]) makes Numba compile
            # an error-message formatter, seconds on a cold cache
            for s in range(out.shape[0]):
                out[s] = gram[r, s]
        else:
            row_axpy(data, indices, indptr, r, 1.0, buffer)
            rows_dot(data, indices, indptr, buffer, out)
            row_axpy(data, indices, indptr, r, -1.0, buffer)
            if kind != LINEAR:
                for s in range(out.shape[0]):
                    out[s] = kernel_from_dot(
                        out[s], sqnorm[r], sqnorm[s], kind, gamma, coef0, degree
                    )
    last_used[slot] = clock
    return values[slot]
