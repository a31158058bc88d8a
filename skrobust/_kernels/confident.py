"""Row passes over a probability matrix for confident learning.

Each is one parallel pass over ``pred_probs`` (n x K) in its own dtype, with
no temporary of its size; the callers do the per-class bookkeeping.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def row_checks(pred_probs):
    """Return ``(smallest entry, largest entry, largest |row sum - 1|)``; NaN
    anywhere makes the last NaN."""
    n, K = pred_probs.shape
    low = np.empty(n)
    high = np.empty(n)
    gap = np.empty(n)
    for i in prange(n):
        lo, hi, s = np.inf, -np.inf, 0.0
        for k in range(K):
            p = pred_probs[i, k]
            lo = min(lo, p)
            hi = max(hi, p)
            s += p
        low[i], high[i], gap[i] = lo, hi, abs(s - 1.0)
    return low.min(), high.max(), gap.max()


@njit(cache=True, nogil=True, parallel=True)
def confident_guess(pred_probs, thresholds):
    """The class each sample is confidently counted in, or -1.

    A class is confident when its probability reaches its threshold (within
    1e-6); one confident class is the guess, several give the argmax over
    all classes (the first on ties).
    """
    n, K = pred_probs.shape
    guess = np.empty(n, dtype=np.int64)
    for i in prange(n):
        count, first, top = 0, -1, 0
        for k in range(K):
            if pred_probs[i, k] >= thresholds[k] - 1e-6:
                count += 1
                if first < 0:
                    first = k
            if pred_probs[i, k] > pred_probs[i, top]:
                top = k
        guess[i] = -1 if count == 0 else (first if count == 1 else top)
    return guess


@njit(cache=True, nogil=True, parallel=True)
def label_is_top(pred_probs, y):
    """Whether the given label is the argmax once its probability gets 1e-6."""
    n, K = pred_probs.shape
    out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        own = pred_probs[i, y[i]] + 1e-6
        top = 0
        best = own if y[i] == 0 else pred_probs[i, 0]
        for k in range(1, K):
            p = own if k == y[i] else pred_probs[i, k]
            if p > best:
                best, top = p, k
        out[i] = top == y[i]
    return out
