"""Kernel settings and kernel matrices, shared by the kernel SVMs.

``KernelSpec`` resolves a user's ``kernel``/``gamma``/``degree``/``coef0``
once per fit; it gives the tuple the Numba solver reads and the dense
kernel matrices used for scoring (through scikit-learn's pairwise kernels,
that is BLAS, in row blocks on ``n_jobs`` threads).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.metrics.pairwise import (
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)

from .._kernels.kernel_rows import KERNEL_CODES
from ..utils._validation import check_option

# rows of a scoring block: bounds the block's kernel matrix to about
# _BLOCK_ROWS * n_support_vectors * 8 bytes
_BLOCK_ROWS = 2048


def resolve_gamma(gamma, X, sample_weight=None):
    """The numeric ``gamma``: ``"scale"`` is ``1 / (n_features * X.var())``
    (1 for constant X) and ``"auto"`` is ``1 / n_features``, as in SVC.

    The variance of all entries of X weighs each row by its sample weight,
    so that a weight acts as repeating the row (SVC ignores the weights
    here; without weights the two agree).
    """
    if isinstance(gamma, str):
        check_option(gamma, "gamma", {"scale", "auto"})
        if gamma == "auto":
            return 1.0 / X.shape[1]
        weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        total = weight.sum() * X.shape[1]
        if sp.issparse(X):
            row_sums = np.asarray(X.sum(axis=1)).ravel()
            row_squares = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        else:
            row_sums, row_squares = X.sum(axis=1), np.einsum("ij,ij->i", X, X)
        mean = weight @ row_sums / total
        variance = weight @ row_squares / total - mean**2
        return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
    if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool):
        raise TypeError(f"gamma must be 'scale', 'auto' or a float, got {gamma!r}.")
    if not gamma > 0:
        raise ValueError(f"gamma must be positive, got {gamma!r}.")
    return float(gamma)


class KernelSpec:
    """A kernel with its parameters resolved."""

    def __init__(self, kernel, gamma, degree, coef0):
        check_option(kernel, "kernel", set(KERNEL_CODES))
        self.kernel = kernel
        self.gamma = gamma
        self.degree = float(degree)
        self.coef0 = float(coef0)

    @property
    def precomputed(self):
        return self.kernel == "precomputed"

    def as_tuple(self):
        """``(kind, gamma, coef0, degree)`` for the Numba solver."""
        return (KERNEL_CODES[self.kernel], self.gamma, self.coef0, self.degree)

    def matrix(self, A, B):
        """``K(A, B)`` as a dense array (``A`` itself when precomputed)."""
        if self.kernel == "linear":
            return linear_kernel(A, B, dense_output=True)
        if self.kernel == "rbf":
            return rbf_kernel(A, B, gamma=self.gamma)
        if self.kernel == "poly":
            return polynomial_kernel(
                A, B, degree=self.degree, gamma=self.gamma, coef0=self.coef0
            )
        if self.kernel == "sigmoid":
            return sigmoid_kernel(A, B, gamma=self.gamma, coef0=self.coef0)
        return np.asarray(A)

    def scores(self, X, support_vectors, dual_coef, intercept, n_jobs):
        """``K(X, support_vectors) @ dual_coef.T + intercept`` in row blocks.

        For a precomputed kernel ``X`` holds the kernel values against the
        training samples and ``support_vectors`` their column indices.
        """
        n = X.shape[0]
        if dual_coef.shape[1] == 0:  # no support vector: the intercepts alone
            return np.tile(intercept, (n, 1))
        starts = range(0, n, _BLOCK_ROWS)

        def block(start):
            rows = X[start : start + _BLOCK_ROWS]
            if self.precomputed:
                K = np.asarray(rows)[:, support_vectors]
            else:
                K = self.matrix(rows, support_vectors)
            return K @ dual_coef.T + intercept

        if effective_n_jobs(n_jobs) == 1 or len(starts) == 1:
            blocks = [block(start) for start in starts]
        else:
            blocks = Parallel(n_jobs=n_jobs, prefer="threads")(
                delayed(block)(start) for start in starts
            )
        if not blocks:
            return np.empty((0, dual_coef.shape[0]))
        return np.vstack(blocks)
