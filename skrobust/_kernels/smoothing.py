"""Randomised smoothing of conformity scores: the mean and variance, over
Gaussian draws of the input, of a score of a model's class probabilities.

The models are those whose logits move in closed form with the input: a
linear model (``z(x + e) = z(x) + W e``, so each draw adds a fixed row of
logit shifts) and a binary RBF-kernel SVM (``||x + e - s||^2 = ||x - s||^2
+ 2 e.(x - s) + ||e||^2``, so a draw costs one pass over the support
vectors). Logits become probabilities through a softmax (a binary model's
logits are ``(0, f)``, the sigmoid), then scores through
:func:`skrobust._kernels.conformal_sets._row_scores` (LAC, or APS
randomised by a uniform per draw), then optionally through the
rank-then-sigmoid transform of PTT.
All kernels take per-row inputs first and write ``(mean, var)`` rows of
shape (n, K) into ``out`` (n, 2, K), last.
"""

import numpy as np
from numba import njit

from .conformal_sets import _row_scores

# PTT's rank counts the holdout scores at most a score plus this: scores
# equal up to round-off (APS's 1.0 of a binary model's second class) rank
# alike whichever way the probabilities were computed
PTT_TIE = 1e-9


@njit(cache=True, nogil=True)
def _softmax(logits, out):
    top = logits.max()
    total = 0.0
    for k in range(logits.shape[0]):
        out[k] = np.exp(logits[k] - top)
        total += out[k]
    for k in range(logits.shape[0]):
        out[k] /= total


@njit(cache=True, nogil=True)
def _accumulate(logits, code, v, ptt_sorted, temperature, bias, buffers, sums):
    """Add one draw's scores (and their squares) of every class to ``sums``;
    ``v`` is the draw's uniform of the APS score."""
    proba, order, scores = buffers
    _softmax(logits, proba)
    _row_scores(proba, code, 0.0, 0, v, order, scores, np.inf)
    n_ptt = ptt_sorted.shape[0]
    for k in range(scores.shape[0]):
        s = scores[k]
        if n_ptt:
            rank = np.searchsorted(ptt_sorted, s + PTT_TIE, side="right") / n_ptt
            s = 1.0 / (1.0 + np.exp(-temperature * (rank - bias)))
        sums[0, k] += s
        sums[1, k] += s * s


@njit(cache=True, nogil=True)
def _finish(sums, n_draws, out):
    for k in range(sums.shape[1]):
        mean = sums[0, k] / n_draws
        out[0, k] = mean
        out[1, k] = max(0.0, (sums[1, k] - n_draws * mean * mean) / (n_draws - 1))


@njit(cache=True, nogil=True)
def smoothed_linear_scores(
    logits, shifts, uniforms, code, ptt_sorted, temperature, bias, out
):
    """Smoothed scores of a linear model: ``logits`` (n, K) at the rows,
    ``shifts`` (N, K) the logit change of each draw, ``uniforms`` (N,) each
    draw's uniform of the APS score."""
    n, K = logits.shape
    buffers = (np.empty(K), np.empty(K, dtype=np.int64), np.empty(K))
    sums = np.empty((2, K))
    moved = np.empty(K)
    for i in range(n):
        sums[:] = 0.0
        for j in range(shifts.shape[0]):
            for k in range(K):
                moved[k] = logits[i, k] + shifts[j, k]
            _accumulate(
                moved, code, uniforms[j], ptt_sorted, temperature, bias, buffers, sums
            )
        _finish(sums, shifts.shape[0], out[i])


@njit(cache=True, nogil=True)
def smoothed_rbf_scores(
    X,
    support_vectors,
    dual_coef,
    intercept,
    gamma,
    noise,
    noise_dot_support,
    noise_norms,
    uniforms,
    code,
    ptt_sorted,
    temperature,
    bias,
    out,
):
    """Smoothed scores of a binary RBF SVM ``f(x) = sum_s c_s exp(-gamma
    ||x - s||^2) + b``, logits ``(0, f)``: ``noise`` (N, d) the draws,
    ``noise_dot_support`` (N, S) their products with the support vectors,
    ``noise_norms`` (N,) their squared norms, ``uniforms`` (N,) their
    uniforms of the APS score."""
    n = X.shape[0]
    S = support_vectors.shape[0]
    buffers = (np.empty(2), np.empty(2, dtype=np.int64), np.empty(2))
    sums = np.empty((2, 2))
    logits = np.zeros(2)
    distance = np.empty(S)
    for i in range(n):
        for s in range(S):
            d = 0.0
            for f in range(X.shape[1]):
                diff = X[i, f] - support_vectors[s, f]
                d += diff * diff
            distance[s] = d
        sums[:] = 0.0
        for j in range(noise.shape[0]):
            along = 0.0
            for f in range(X.shape[1]):
                along += noise[j, f] * X[i, f]
            value = intercept
            for s in range(S):
                squared = (
                    distance[s]
                    + 2.0 * (along - noise_dot_support[j, s])
                    + noise_norms[j]
                )
                value += dual_coef[s] * np.exp(-gamma * max(squared, 0.0))
            logits[1] = value
            _accumulate(
                logits, code, uniforms[j], ptt_sorted, temperature, bias, buffers, sums
            )
        _finish(sums, noise.shape[0], out[i])
