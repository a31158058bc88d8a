"""The rounds of FLORAL's learner-attacker game (Bal, Cevher, Muehlebach, 2025).

Each round the learner takes one projected-gradient step on the SVM dual
under the current labels ``yt``::

    lam <- P(lam - eta * (diag(yt) K diag(yt) lam - 1))

(``P`` the projection onto ``{0 <= lam <= u, yt' lam = 0}``), then the
attacker flips, from the given labels, ``k`` labels drawn at random among
the ``2k`` samples with the largest ``lam > threshold``. A round costs one
dense matrix-vector product with ``K`` plus O(n log n).
"""

import numpy as np
from numba import njit

from .projection import project_box_hyperplane
from .random import splitmix64
from .sorting import argsort_stable

SUPPORT_THRESHOLD = 1e-5


@njit(cache=True, nogil=True)
def draw_top_flips(lam, k, state, threshold):
    """``min(k, |pool|)`` indices drawn without replacement from ``pool``,
    the up to ``2k`` indices with the largest ``lam > threshold`` (ties by
    index). Returns ``(indices, state)``."""
    # loops rather than np.flatnonzero and fancy indexing, which compile slower
    n_support = 0
    for i in range(lam.shape[0]):
        if lam[i] > threshold:
            n_support += 1
    support = np.empty(n_support, dtype=np.int64)
    keys = np.empty(n_support)
    s = 0
    for i in range(lam.shape[0]):
        if lam[i] > threshold:
            support[s] = i
            keys[s] = -lam[i]
            s += 1
    order = argsort_stable(keys)
    pool = np.empty(min(2 * k, n_support), dtype=np.int64)
    for r in range(pool.shape[0]):
        pool[r] = support[order[r]]
    n_draw = min(k, pool.shape[0])
    for i in range(n_draw):  # partial Fisher-Yates
        state, r = splitmix64(state)
        j = i + np.int64(r % np.uint64(pool.shape[0] - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:n_draw], state


@njit(cache=True, nogil=True)
def floral_rounds(K, factor, y, upper, lam0, eta, k, n_rounds, seed, every, stop):
    """Play ``n_rounds`` rounds from ``lam0``.

    ``K`` is the (n, n) kernel matrix or, with ``factor``, an (n, m) factor
    ``F`` of it, ``K = F F'`` (a Nystroem approximation: a round then costs
    O(n m) and no n x n matrix exists); ``y`` the given labels in {-1, +1},
    ``upper`` the box. Round 0 is a warm-up with no step and no attack, as
    in the authors' code. Returns ``(lam, labels, snapshot_lam,
    snapshot_labels)``: the last iterate and the labels it was computed
    under (the ones the decision function uses), and the same pair after
    every ``every``-th round (none when ``every == 0``). Polls ``stop[0]``
    after every round and returns early when it is set (Ctrl-C, see
    ``skrobust.utils._interrupt``).
    """
    n = y.shape[0]
    lam = lam0.copy()
    labels = y.copy()
    model_labels = y.copy()
    signed = np.empty(n)
    step = np.empty(n)
    n_snapshots = (n_rounds - 1) // every if every > 0 else 0
    snapshot_lam = np.empty((n_snapshots, n))
    snapshot_labels = np.empty((n_snapshots, n))
    state = np.uint64(seed)
    for t in range(1, n_rounds):
        if stop[0]:
            break
        for i in range(n):
            signed[i] = labels[i] * lam[i]
        if factor:
            Kv = K @ (K.T @ signed)
        else:
            Kv = K @ signed
        for i in range(n):
            step[i] = lam[i] - eta * (labels[i] * Kv[i] - 1.0)
        project_box_hyperplane(step, labels, upper, lam)
        # loops, not array assignments: those compile an error message
        # formatter that costs seconds on a cold cache
        for i in range(n):
            model_labels[i] = labels[i]
        if every > 0 and t % every == 0 and t // every <= n_snapshots:
            for i in range(n):
                snapshot_lam[t // every - 1, i] = lam[i]
                snapshot_labels[t // every - 1, i] = labels[i]
        flips, state = draw_top_flips(lam, k, state, SUPPORT_THRESHOLD)
        for i in range(n):
            labels[i] = y[i]
        for i in flips:
            labels[i] = -y[i]
    return lam, model_labels, snapshot_lam, snapshot_labels
