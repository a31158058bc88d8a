"""Row passes over a probability matrix for confident learning.

Each is one pass over ``pred_probs`` (n x K) in its own dtype, with no
temporary of its size; the callers do the per-class bookkeeping. The passes
are serial Numba kernels that release the GIL, run on blocks of rows in
threads by :func:`skrobust.utils._threads.map_row_blocks` (parallel Numba
kernels compiled about twice as slowly).
"""

import numpy as np
from numba import njit

from ..utils._threads import map_row_blocks


def row_checks(pred_probs):
    """Return ``(smallest entry, largest entry, largest |row sum - 1|)``; NaN
    anywhere makes the last NaN."""
    gap = np.empty(pred_probs.shape[0])
    blocks = map_row_blocks(_row_checks, (pred_probs,), (), gap)
    return min(lo for lo, _ in blocks), max(hi for _, hi in blocks), gap.max()


def confident_guess(pred_probs, thresholds):
    """The class each sample is confidently counted in, or -1.

    A class is confident when its probability reaches its threshold (within
    1e-6); one confident class is the guess, several give the argmax over
    all classes (the first on ties).
    """
    guess = np.empty(pred_probs.shape[0], dtype=np.int64)
    map_row_blocks(_confident_guess, (pred_probs,), (thresholds,), guess)
    return guess


def label_is_top(pred_probs, y):
    """Whether the given label is the argmax once its probability gets 1e-6."""
    out = np.empty(pred_probs.shape[0], dtype=np.bool_)
    map_row_blocks(_label_is_top, (pred_probs, y), (), out)
    return out


@njit(cache=True, nogil=True)
def _row_checks(pred_probs, gap):
    """``gap[i] = |sum of row i - 1|``; return the smallest and largest entry."""
    n, K = pred_probs.shape
    low, high = np.inf, -np.inf
    for i in range(n):
        s = 0.0
        for k in range(K):
            p = pred_probs[i, k]
            low = min(low, p)
            high = max(high, p)
            s += p
        gap[i] = abs(s - 1.0)
    return low, high


@njit(cache=True, nogil=True)
def _confident_guess(pred_probs, thresholds, guess):
    n, K = pred_probs.shape
    for i in range(n):
        count, first, top = 0, -1, 0
        for k in range(K):
            if pred_probs[i, k] >= thresholds[k] - 1e-6:
                count += 1
                if first < 0:
                    first = k
            if pred_probs[i, k] > pred_probs[i, top]:
                top = k
        guess[i] = -1 if count == 0 else (first if count == 1 else top)


@njit(cache=True, nogil=True)
def _label_is_top(pred_probs, y, out):
    n, K = pred_probs.shape
    for i in range(n):
        own = pred_probs[i, y[i]] + 1e-6
        top = 0
        best = own if y[i] == 0 else pred_probs[i, 0]
        for k in range(1, K):
            p = own if k == y[i] else pred_probs[i, k]
            if p > best:
                best, top = p, k
        out[i] = top == y[i]
