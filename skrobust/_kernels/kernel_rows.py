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
def kernel_row(data, indices, indptr, gram, sqnorm, kernel, r, buffer, out):
    """``out[s] = K(x_r, x_s)`` for every training row ``s``.

    ``kernel`` is ``(kind, gamma, coef0, degree)``. ``buffer`` is a zeroed
    vector of ``n_features`` entries; it is zeroed again on return. For
    ``PRECOMPUTED`` the values are row ``r`` of ``gram``.
    """
    kind, gamma, coef0, degree = kernel
    if kind == PRECOMPUTED:
        # a loop: an array assignment (out[:] = gram[r]) makes Numba compile
        # an error-message formatter, seconds on a cold cache
        for s in range(out.shape[0]):
            out[s] = gram[r, s]
        return
    row_axpy(data, indices, indptr, r, 1.0, buffer)
    rows_dot(data, indices, indptr, buffer, out)
    row_axpy(data, indices, indptr, r, -1.0, buffer)
    if kind != LINEAR:
        for s in range(out.shape[0]):
            out[s] = kernel_from_dot(
                out[s], sqnorm[r], sqnorm[s], kind, gamma, coef0, degree
            )


@njit(cache=True, nogil=True)
def kernel_diagonal(data, indices, indptr, gram, sqnorm, kernel):
    """``K(x_s, x_s)`` for every training row."""
    kind, gamma, coef0, degree = kernel
    n = sqnorm.shape[0]
    diagonal = np.empty(n)
    for s in range(n):
        if kind == PRECOMPUTED:
            diagonal[s] = gram[s, s]
        else:
            diagonal[s] = kernel_from_dot(
                sqnorm[s], sqnorm[s], sqnorm[s], kind, gamma, coef0, degree
            )
    return diagonal


@njit(cache=True, nogil=True)
def new_cache(n_rows, n_slots):
    """An empty least-recently-used cache of ``n_slots`` kernel rows.

    Returns ``(values, slot_of, row_of, last_used)``: ``values[k]`` holds the
    row ``row_of[k]``; ``slot_of[r]`` is the slot of row ``r`` or -1.
    """
    values = np.empty((n_slots, n_rows))
    slot_of = np.empty(n_rows, dtype=np.int64)
    slot_of[:] = -1  # np.full compiles slower
    row_of = np.empty(n_slots, dtype=np.int64)
    row_of[:] = -1
    last_used = np.zeros(n_slots, dtype=np.int64)
    return values, slot_of, row_of, last_used


@njit(cache=True, nogil=True)
def cached_row(source, cache, r, clock, keep):
    """The kernel row of ``r`` from ``cache``, computed on a miss.

    ``source`` is ``(data, indices, indptr, gram, sqnorm, kernel, buffer)``,
    the arguments of :func:`kernel_row`. On a miss the least recently used
    slot is reused, never the slot of row ``keep`` (the other row the
    caller is holding; -1 for none). ``clock`` is the caller's step counter,
    recorded as the time of use.
    """
    values, slot_of, row_of, last_used = cache
    slot = slot_of[r]
    if slot < 0:
        slot = 0
        oldest = np.iinfo(np.int64).max
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
        data, indices, indptr, gram, sqnorm, kernel, buffer = source
        kernel_row(data, indices, indptr, gram, sqnorm, kernel, r, buffer, values[slot])
    last_used[slot] = clock
    return values[slot]
