"""Row passes over a probability matrix for confident learning.

Each works through ``pred_probs`` (n x K) a block of rows at a time, so that
its temporaries stay near ``_BLOCK_ENTRIES`` entries whatever ``n`` and
``K`` (cleanlab's equivalents build several ``n x K`` arrays). They are
plain numpy on purpose: threaded Numba kernels were 1.3-5 times faster once
compiled (0.03 s against 0.08 s for the confident guess at 1e6 x 10), but a
process's first Numba call costs about 0.3 s, more than cleanlab's whole
``CleanLearning`` fit on a 10k x 10 set (0.07 s).
"""

import numpy as np

_BLOCK_ENTRIES = 1 << 18


def _blocks(n_rows, n_columns):
    step = max(1, _BLOCK_ENTRIES // n_columns)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def row_checks(pred_probs):
    """Return ``(smallest entry, largest entry, largest |row sum - 1|)``; NaN
    anywhere makes the last NaN."""
    low, high, gap = np.inf, -np.inf, 0.0
    for rows in _blocks(*pred_probs.shape):
        block = pred_probs[rows]
        low = min(low, block.min())
        high = max(high, block.max())
        gap = np.maximum(gap, np.abs(block.sum(axis=1, dtype=np.float64) - 1.0).max())
    return float(low), float(high), float(gap)


def confident_guess(pred_probs, thresholds):
    """The class each sample is confidently counted in, or -1.

    A class is confident when its probability reaches its threshold (within
    1e-6); one confident class is the guess, several give the argmax over
    all classes (the first on ties).
    """
    guess = np.empty(pred_probs.shape[0], dtype=np.int64)
    for rows in _blocks(*pred_probs.shape):
        block = pred_probs[rows]
        confident = block >= thresholds - 1e-6
        count = confident.sum(axis=1)
        guess[rows] = np.where(
            count == 0,
            -1,
            np.where(count == 1, confident.argmax(axis=1), block.argmax(axis=1)),
        )
    return guess


def label_is_top(pred_probs, y):
    """Whether the given label is the argmax once its probability gets 1e-6
    (the first argmax on ties)."""
    out = np.empty(pred_probs.shape[0], dtype=np.bool_)
    for rows in _blocks(*pred_probs.shape):
        block = pred_probs[rows].astype(np.float64)
        labels = y[rows]
        block[np.arange(labels.shape[0]), labels] += 1e-6
        out[rows] = block.argmax(axis=1) == labels
    return out
