"""Numba kernels: pure functions on arrays, shared by the estimators.

Nothing here validates input; the estimators validate and convert once, then
call these functions. Kernels compile lazily on first call and cache on disk.
"""
