"""Run GIL-releasing kernels on blocks of rows in threads."""

import numbers
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
from joblib import cpu_count, effective_n_jobs

# below this many rows per thread, starting threads costs more than it saves
_MIN_ROWS_PER_THREAD = 2048


def map_row_blocks(kernel, row_arrays, args, out, *, n_threads=None):
    """Call ``kernel(*row_blocks, *args, out_block)`` on row blocks in threads.

    ``row_arrays`` and ``out`` have one entry per row along their first axis;
    each thread gets a contiguous block of rows of each, so C-contiguous
    inputs stay C-contiguous and the kernel compiles once. The kernel must be
    compiled with ``nogil=True`` for the threads to run at once.

    Parameters
    ----------
    kernel : callable
        A Numba kernel writing its result into its last argument.
    row_arrays : tuple of ndarray
        Per-row inputs, passed first.
    args : tuple
        Other arguments, passed after the row inputs.
    out : ndarray
        The output, one entry per row, filled in place.
    n_threads : int, default=None
        Number of threads; all cores if None.

    Returns
    -------
    results : list
        What the kernel returned for each block, in row order.
    """
    n = out.shape[0]
    n_threads = n_threads or cpu_count()
    n_threads = max(1, min(n_threads, n // _MIN_ROWS_PER_THREAD))
    if n_threads == 1:
        return [kernel(*row_arrays, *args, out)]
    bounds = np.linspace(0, n, n_threads + 1).astype(np.int64)

    def run(block):
        rows = slice(bounds[block], bounds[block + 1])
        return kernel(*(a[rows] for a in row_arrays), *args, out[rows])

    with ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(run, range(n_threads)))


def n_threads(n_jobs):
    """Threads for ``n_jobs``: 1 for None and negative values counted back
    from the cores, as joblib does; a ValueError for 0 or a non-integer."""
    if n_jobs is None:
        return 1
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, numbers.Integral)
        or n_jobs == 0
    ):
        raise ValueError(f"n_jobs must be None or a non-zero integer, got {n_jobs!r}.")
    return max(1, effective_n_jobs(int(n_jobs)))


def run_in_blocks(function, bounds, pool):
    """``function(start, stop)`` for consecutive ``bounds``, in the thread
    ``pool`` if it is not None; returns the results in block order."""
    blocks = list(pairwise(bounds))
    if pool is None:
        return [function(start, stop) for start, stop in blocks]
    return list(pool.map(lambda block: function(*block), blocks))
