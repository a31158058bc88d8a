"""Partitions of rows by a hash of their features alone (never their label)."""

import numpy as np
import scipy.sparse as sp

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(h):
    """splitmix64's finaliser, elementwise on uint64 (wrapping arithmetic)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def row_hashes(X):
    """A 64-bit hash of each row's nonzero (column, value) pairs.

    Equal rows hash alike, dense or sparse; a label flip cannot move a row,
    because the label is not hashed.
    """
    with np.errstate(over="ignore"):
        if sp.issparse(X):
            X = X.tocsr()
            X.sum_duplicates()
            values = np.asarray(X.data, dtype=np.float64) + 0.0  # -0.0 -> 0.0
            columns = X.indices.astype(np.uint64)
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        else:
            X = np.asarray(X, dtype=np.float64)
            rows, cols = np.nonzero(X)
            values = X[rows, cols] + 0.0
            columns = cols.astype(np.uint64)
        terms = _mix(values.view(np.uint64) ^ _mix((columns + np.uint64(1)) * _GOLDEN))
        sums = np.zeros(X.shape[0], dtype=np.uint64)
        np.add.at(sums, rows, terms)
        return _mix(sums + _GOLDEN)
