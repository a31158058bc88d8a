"""Thresholds from calibration scores: split, Mondrian, noisy and poisoned labels.

All cases share one form. A *segment* is the calibration evidence behind one
threshold: the whole set (marginal coverage), the rows of one category
(Mondrian by category), or one class column (class-conditional). Its entries
are scores with weights; the weighted count of entries ``<= q`` estimates
``n_eff * P(true label covered at q)``. The threshold is the smallest entry
from which that count, taken as a running minimum from the right (a noisy
estimate need not be monotone), reaches a target ``tau``.

- Clean labels: one entry per row, the score at its label, weight 1; with
  ``tau`` the rank of :func:`~._quantile.conformal_rank` this is split
  conformal prediction exactly.
- Noisy labels with a known row-stochastic transition matrix ``P``
  (``P[i, j] = P(noisy j | true i)``, invertible): every class of every row
  is an entry, weighted ``W[noisy label, class]`` with ``W = P^-1``. The
  expected weighted count is the clean-label coverage (NACP, Penso et al.
  2025: ``F_clean(q) = Tr(M_q P^-1)``); per class ``l`` it is ``n pi_l`` times
  the class-``l`` coverage, ``pi = W^T pi_noisy`` the clean class shares
  (the label-conditional form of Sesia et al. 2024). With ``P = I`` both
  reduce to the clean case.
- The target: ``(1 - alpha)(n_eff + 1)`` (marginal; for clean labels the
  conformal rank). For the PAC guarantee clean labels use the exact
  binomial rank; noisy ones a fixed grid of candidate thresholds, each
  row's weighted count being a bounded term, so that Hoeffding's inequality
  union-bounded over the grid (and, per class, over the estimated class
  share) holds at whichever grid point is chosen.
- Poisoning: ``m`` flipped labels change the weighted count at any ``q`` by at
  most ``m * D``, ``D = max_{i,i'} sum_l max(0, W[i, l] - W[i', l])`` (``D = 1``
  for clean labels: the rank moves by at most ``m``). For class-conditional
  clean calibration a flip can also move a row between classes; the rank
  that covers every way ``m`` flips can add and remove rows of a class is
  ``max_a [a + k(n_c + m - 2a)]``.
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..exceptions import CalibrationSizeWarning
from ._quantile import conformal_rank, warn_if_too_few


@dataclass
class Calibration:
    """Thresholds and the sorted evidence behind them.

    ``thresholds[g, j, a]`` is the threshold of class ``j`` for rows of
    group ``g`` at ``alphas[a]``; segment ``(g, j)`` is
    ``sorted_scores[start[g, j]:stop[g, j]]`` with running-minimum weighted
    counts ``counts`` and effective size ``n_eff[g, j]``.
    """

    alphas: np.ndarray
    thresholds: np.ndarray
    sorted_scores: np.ndarray
    counts: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    n_eff: np.ndarray

    def pvalues(self, positions, row_group):
        """Conformal p-values from the number of calibration scores below each
        cell's score: ``1 - count(below) / (n_eff + 1)``."""
        start = self.start[row_group]
        below = np.where(
            positions > 0, self.counts[np.maximum(start + positions - 1, 0)], 0.0
        )
        return pvalues_from_counts(below, self.n_eff[row_group])


def pvalues_from_counts(below, n_eff):
    """``(n_eff + 1 - below) / (n_eff + 1)``, in this form so that a p-value
    equal to ``alpha`` compares equal to it (``1 - below / (n + 1)`` can
    round above it and disagree with the sets)."""
    return np.clip((n_eff + 1.0 - below) / (n_eff + 1.0), 0.0, 1.0)


def _segment(scores, weights):
    """Sorted scores and running-minimum weighted counts, ties resolved to the
    count of their whole tie group."""
    keep = weights != 0
    scores, weights = scores[keep], weights[keep]
    order = np.argsort(scores, kind="mergesort")
    scores, weights = scores[order], weights[order]
    cumulative = np.cumsum(weights)
    last_of_tie = np.searchsorted(scores, scores, side="right") - 1
    counts = np.minimum.accumulate(cumulative[last_of_tie][::-1])[::-1]
    return scores, counts


def _threshold(scores, counts, tau):
    index = np.searchsorted(counts, tau - 1e-9 * max(1.0, abs(tau)), side="left")
    return scores[index] if index < scores.shape[0] else np.inf


def _noise_spread(W):
    """``max_{i,i'} sum_l max(0, W[i, l] - W[i', l])``: the most one label flip
    can lower a row's weighted count."""
    return float(np.maximum(W[:, None, :] - W[None, :, :], 0.0).sum(axis=2).max())


def _hoeffding_margin(width, n, n_events, delta):
    """One-sided Hoeffding deviation of a mean of ``n`` terms of range
    ``width``, union-bounded over ``n_events`` events."""
    return width * math.sqrt(math.log(n_events / delta) / (2.0 * n))


def _warn_too_few(name, n_seg, alpha):
    warnings.warn(
        f"{name} has {n_seg} samples: too few for alpha={alpha:g} with the "
        "noise correction (its coverage target exceeds what the data can "
        "show), so the prediction sets hold every class. Use more calibration "
        "data or a larger alpha.",
        CalibrationSizeWarning,
        stacklevel=2,
    )


def _noisy_thresholds(scores, weights, n_seg, n_eff, column, W, alphas, settings):
    """Thresholds of one segment from noisy labels (see the module docstring).

    Marginal: the smallest entry from which the running minimum of the
    weighted count reaches ``(1 - alpha)(n_eff + 1)``. PAC: the smallest
    point of a fixed score grid (chosen before the data, so a union bound
    over it holds) whose weighted count ``A`` satisfies
    ``A/n - t_A >= (1 - alpha)(n_eff/n + t_B)``, with Hoeffding margins for
    the count and, per class, for the estimated class share ``n_eff/n``.
    """
    guarantee, delta, n_poisoned, spread, grid, n_segments, name = settings
    sorted_scores, counts = _segment(scores, weights)
    shift = n_poisoned * spread
    if guarantee != "pac":
        thresholds = []
        for a in alphas:
            tau = (1.0 - a) * (n_eff + 1.0) + shift
            if tau > n_eff:
                _warn_too_few(name, n_seg, a)
                thresholds.append(np.inf)
                continue
            thresholds.append(_threshold(sorted_scores, counts, tau))
        return sorted_scores, counts, thresholds
    raw = _cumulative_at(sorted_scores, scores, weights, grid)
    if column is None:  # rows of W sum to 1: n_eff = n_seg exactly
        width_count = float((np.abs(W)).sum(axis=1).max())
        margin_share = 0.0
    else:
        width_count = float(np.abs(W[:, column]).max())
        width_share = float(W[:, column].max() - min(0.0, W[:, column].min()))
        margin_share = _hoeffding_margin(
            width_share, n_seg, n_segments * (len(grid) + 1), delta
        )
    margin_count = _hoeffding_margin(
        width_count, n_seg, n_segments * (len(grid) + 1), delta
    )
    thresholds = []
    for a in alphas:
        tau = (1 - a) * (n_eff + n_seg * margin_share) + n_seg * margin_count + shift
        index = np.searchsorted(np.maximum.accumulate(raw), tau, side="left")
        if tau > n_eff or index >= grid.shape[0]:
            _warn_too_few(name, n_seg, a)
            thresholds.append(np.inf)
            continue
        thresholds.append(grid[index])
    return sorted_scores, counts, thresholds


def _cumulative_at(sorted_scores, scores, weights, points):
    """Weighted count of the entries ``<= q`` for each ``q`` in ``points``."""
    keep = weights != 0
    order = np.argsort(scores[keep], kind="mergesort")
    cumulative = np.concatenate([[0.0], np.cumsum(weights[keep][order])])
    return cumulative[np.searchsorted(sorted_scores, points, side="right")]


def _clean_tau(n, alpha, guarantee, delta, n_poisoned, class_conditional, what):
    if class_conditional and n_poisoned:
        rank = max(
            a
            + conformal_rank(
                n + n_poisoned - 2 * a, alpha, guarantee=guarantee, delta=delta
            )
            for a in range(min(n_poisoned, n) + 1)
        )
    else:
        rank = conformal_rank(
            n, alpha, guarantee=guarantee, delta=delta, n_poisoned=n_poisoned
        )
    warn_if_too_few(
        rank,
        n,
        alpha,
        what=what,
        guarantee=guarantee,
        delta=delta,
        n_poisoned=n_poisoned,
    )
    return float(rank)


def calibrate(
    score_matrix,
    labels,
    alphas,
    *,
    groups=None,
    n_groups=1,
    class_conditional=False,
    noise_inverse=None,
    guarantee="marginal",
    delta=0.1,
    n_poisoned=0,
    class_names=None,
    score_grid=None,
):
    """Thresholds of shape (n_groups, K, len(alphas)) and their evidence.

    ``score_matrix`` holds the scores of every class of the calibration rows,
    ``labels`` their (possibly noisy) class indices, ``groups`` their
    category indices in ``0..n_groups-1`` (or None), ``noise_inverse`` the
    inverse transition matrix (or None for clean labels), ``score_grid``
    the candidate thresholds of the PAC rule with noisy labels, fixed before
    the data (the union bound runs over them).
    """
    n, K = score_matrix.shape
    if groups is None:
        groups = np.zeros(n, dtype=np.int64)
    W = noise_inverse
    if W is not None and class_conditional:
        clean_share = W.T @ (np.bincount(labels, minlength=K) / n)
        if np.any(clean_share <= 0):
            raise ValueError(
                "the noise matrix and the calibration labels give a clean class "
                f"share <= 0 ({np.round(clean_share, 4).tolist()}): the matrix "
                "does not fit these labels."
            )
    spread = _noise_spread(W) if W is not None and n_poisoned else 0.0

    n_segments = K if class_conditional else n_groups
    segments = []  # (scores, counts, n_eff, threshold per alpha, column, group)
    for g in range(n_groups):
        in_group = groups == g
        if class_conditional:  # exclusive with groups: one group
            columns = [(j, labels == j) for j in range(K)]
        else:
            columns = [(None, in_group)]
        for j, members in columns:
            name = (
                f"class {np.asarray(class_names[j]).item()!r}"
                if j is not None and class_names is not None
                else (f"category {g}" if n_groups > 1 else "the calibration set")
            )
            if W is None:
                n_seg = int(members.sum())
                scores = score_matrix[members, j if j is not None else labels[members]]
                sorted_scores, counts = _segment(scores, np.ones(n_seg))
                n_eff_seg = float(n_seg)
                thresholds = [
                    _threshold(
                        sorted_scores,
                        counts,
                        _clean_tau(
                            n_seg,
                            a,
                            guarantee,
                            delta,
                            n_poisoned,
                            class_conditional,
                            name,
                        ),
                    )
                    for a in alphas
                ]
            else:
                if j is None:
                    n_seg = int(members.sum())
                    scores = score_matrix[members].ravel()
                    weights = W[labels[members]].ravel()
                    n_eff_seg = float(n_seg)
                else:
                    n_seg = n
                    scores = score_matrix[:, j]
                    weights = W[labels, j]
                    n_eff_seg = float(weights.sum())
                settings = (
                    guarantee,
                    delta,
                    n_poisoned,
                    spread,
                    score_grid,
                    n_segments,
                    name,
                )
                sorted_scores, counts, thresholds = _noisy_thresholds(
                    scores, weights, n_seg, n_eff_seg, j, W, alphas, settings
                )
            segments.append((sorted_scores, counts, n_eff_seg, thresholds, j, g))

    A = len(alphas)
    thresholds = np.empty((n_groups, K, A))
    start = np.empty((n_groups, K), dtype=np.int64)
    stop = np.empty((n_groups, K), dtype=np.int64)
    n_eff = np.empty((n_groups, K))
    offset = 0
    for sorted_scores, _, n_eff_seg, segment_thresholds, j, g in segments:
        columns = slice(None) if j is None else j
        for a, threshold in enumerate(segment_thresholds):
            thresholds[g, columns, a] = threshold
        start[g, columns] = offset
        offset += sorted_scores.shape[0]
        stop[g, columns] = offset
        n_eff[g, columns] = n_eff_seg
    return Calibration(
        alphas=np.asarray(alphas, dtype=float),
        thresholds=thresholds,
        sorted_scores=np.concatenate([s[0] for s in segments]),
        counts=np.concatenate([s[1] for s in segments]),
        start=start,
        stop=stop,
        n_eff=n_eff,
    )
