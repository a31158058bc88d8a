"""Ctrl-C during a long Numba solve.

A kernel compiled with ``nogil=True`` does not return to the interpreter
until it is done, so a KeyboardInterrupt waits for it (and, raised in the
main thread during the call, surfaces as a ``SystemError``). The long
solvers therefore take a one-byte ``stop`` array that they poll between
chunks of steps; :func:`solve` runs a kernel call from the main thread in a
helper thread, waits for it in short, interruptible sleeps, and on Ctrl-C
sets the ``stop`` of every call in progress (also those running in a
joblib thread pool) before letting the KeyboardInterrupt through.
"""

import threading
from concurrent.futures import ThreadPoolExecutor, TimeoutError

import numpy as np

_stops = {}  # the stop arrays of the calls in progress, by id
_lock = threading.Lock()
_POLL_SECONDS = 0.05


def solve(kernel, *args):
    """``kernel(*args, stop)``, interruptible by Ctrl-C within a fraction of a
    second (the kernel's polling interval)."""
    stop = np.zeros(1, dtype=np.uint8)
    with _lock:
        _stops[id(stop)] = stop
    try:
        if threading.current_thread() is not threading.main_thread():
            return kernel(*args, stop)  # the main thread waits interruptibly
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(kernel, *args, stop)
            try:
                while True:
                    try:
                        return future.result(timeout=_POLL_SECONDS)
                    except TimeoutError:
                        continue
            except KeyboardInterrupt:
                stop_all()
                raise
    finally:
        with _lock:
            _stops.pop(id(stop), None)


def stop_all():
    """Ask every kernel call in progress to stop."""
    with _lock:
        for stop in _stops.values():
            stop[0] = 1


def run_interruptibly(parallel, tasks):
    """``parallel(tasks)``; on Ctrl-C, stop the kernels its threads run."""
    try:
        return parallel(tasks)
    except KeyboardInterrupt:
        stop_all()
        raise
