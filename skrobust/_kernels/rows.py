"""Row access that works the same on a dense C-contiguous matrix and on CSR.

A matrix is passed to kernels as the triple ``(data, indices, indptr)``: for a
dense matrix ``data`` is the 2-D array and ``indices``/``indptr`` are empty;
for CSR they are the scipy arrays. The functions below are resolved at
compile time on ``data.ndim``, so one solver source serves both layouts.
"""

import numpy as np
from numba.extending import overload

EMPTY_INDEX = np.empty(0, dtype=np.int32)


def as_triple(X):
    """Return ``(data, indices, indptr)`` for a dense array or a CSR matrix."""
    if hasattr(X, "indptr"):
        return X.data, X.indices, X.indptr
    return X, EMPTY_INDEX, EMPTY_INDEX


def row_dot(data, indices, indptr, i, w):
    """Inner product of row ``i`` with the dense vector ``w``."""


def row_axpy(data, indices, indptr, i, a, w):
    """``w += a * row_i``, in place."""


def row_sqnorm(data, indices, indptr, i):
    """Squared Euclidean norm of row ``i``."""


@overload(row_dot, jit_options={"cache": True})
def _row_dot(data, indices, indptr, i, w):
    if data.ndim == 2:

        def dense(data, indices, indptr, i, w):
            s = 0.0
            for j in range(data.shape[1]):
                s += data[i, j] * w[j]
            return s

        return dense

    def sparse(data, indices, indptr, i, w):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * w[indices[k]]
        return s

    return sparse


@overload(row_axpy, jit_options={"cache": True})
def _row_axpy(data, indices, indptr, i, a, w):
    if data.ndim == 2:

        def dense(data, indices, indptr, i, a, w):
            for j in range(data.shape[1]):
                w[j] += a * data[i, j]

        return dense

    def sparse(data, indices, indptr, i, a, w):
        for k in range(indptr[i], indptr[i + 1]):
            w[indices[k]] += a * data[k]

    return sparse


@overload(row_sqnorm, jit_options={"cache": True})
def _row_sqnorm(data, indices, indptr, i):
    if data.ndim == 2:

        def dense(data, indices, indptr, i):
            s = 0.0
            for j in range(data.shape[1]):
                s += data[i, j] * data[i, j]
            return s

        return dense

    def sparse(data, indices, indptr, i):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * data[k]
        return s

    return sparse
