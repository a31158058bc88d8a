"""A small counter-free PRNG for kernels: deterministic and thread-safe.

Numba's ``np.random`` inside ``njit`` draws from one global state per thread,
so two models fitted concurrently would not be reproducible. Each kernel
instead carries its own 64-bit state (splitmix64).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def splitmix64(state):
    """Advance ``state`` (uint64) and return ``(new_state, random uint64)``."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def shuffle_prefix(index, n, state):
    """Shuffle ``index[:n]`` in place (Fisher-Yates); return the new state."""
    for i in range(n - 1):
        state, r = splitmix64(state)
        j = i + np.int64(r % np.uint64(n - i))
        index[i], index[j] = index[j], index[i]
    return state
