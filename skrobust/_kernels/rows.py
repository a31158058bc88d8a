"""Row access that works the same on a dense C-contiguous matrix and on CSR.

A matrix is passed to kernels as the triple ``(data, indices, indptr)``: for a
dense matrix ``data`` is the 2-D array and ``indices``/``indptr`` are empty;
for CSR they are the scipy arrays. The functions below are resolved at
compile time on ``data.ndim``, so one solver source serves both layouts.
"""

import numpy as np
from numba.extending import overload

EMPTY_INDEX = np.empty(0, dtype=np.uint32)


def as_triple(X):
    """Return ``(data, indices, indptr)`` for a dense array or a CSR matrix.

    CSR index arrays come as uint32 whenever the values fit: the kernels then
    compile one signature per layout (scipy may hand out int32 or int64), and
    Numba indexes with an unsigned integer without the wrap-around test for
    negative indices, which makes the inner loops over a row about 1.5 times
    faster. int32 arrays are reinterpreted, not copied.
    """
    if hasattr(X, "indptr"):
        if max(X.nnz, X.shape[1]) <= np.iinfo(np.int32).max:
            return X.data, _as_uint32(X.indices), _as_uint32(X.indptr)
        return X.data, X.indices, X.indptr
    return X, EMPTY_INDEX, EMPTY_INDEX


def _as_uint32(index):
    if index.dtype == np.int32:
        return index.view(np.uint32)
    return index.astype(np.uint32)


def row_dot(data, indices, indptr, i, w):
    """Inner product of row ``i`` with the dense vector ``w``."""


def row_axpy(data, indices, indptr, i, a, w):
    """``w += a * row_i``, in place."""


def row_sqnorm(data, indices, indptr, i):
    """Squared Euclidean norm of row ``i``."""


def rows_dot(data, indices, indptr, w, out):
    """``out[s] = row_s . w`` for every row (float64 data)."""


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
        # four partial sums break the chain of dependent additions
        s0 = s1 = s2 = s3 = 0.0
        k = indptr[i]
        end = indptr[i + 1]
        while k + 3 < end:
            s0 += data[k] * w[indices[k]]
            s1 += data[k + 1] * w[indices[k + 1]]
            s2 += data[k + 2] * w[indices[k + 2]]
            s3 += data[k + 3] * w[indices[k + 3]]
            k += 4
        while k < end:
            s0 += data[k] * w[indices[k]]
            k += 1
        return (s0 + s1) + (s2 + s3)

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


@overload(rows_dot, jit_options={"cache": True})
def _rows_dot(data, indices, indptr, w, out):
    if data.ndim == 2:

        def dense(data, indices, indptr, w, out):
            np.dot(data, w, out)  # BLAS gemv

        return dense

    def sparse(data, indices, indptr, w, out):
        for s in range(out.shape[0]):
            out[s] = row_dot(data, indices, indptr, s, w)

    return sparse
