"""Non-conformity scores of class probabilities: LAC, top-k, APS and RAPS.

Each score is a function ``s(x, j)`` of a row of probabilities and a class;
the set at threshold ``q`` is ``{j : s(x, j) <= q}``. Tied probabilities get
equal scores, so a set never splits a tie.

- LAC (Sadinle et al. 2019): ``1 - p_j``.
- top-k: the number of classes with a strictly larger probability.
- APS (Romano et al. 2020): the probability mass strictly above class ``j``
  plus ``v p_j``; ``v = 1``, or a uniform draw per row when randomised.
- RAPS (Angelopoulos et al. 2021): APS plus ``lam * max(0, rank_j - k_reg)``
  with ``rank_j`` the 1-based rank of class ``j``.

APS and RAPS sets without randomisation always keep the top class (they are
never empty), and with ``include_last_label=True`` (MAPIE's default) also the
class whose mass crosses the threshold; both only add classes, so the
guarantee holds, conservatively. Otherwise a set holds exactly the classes
whose conformal p-value exceeds ``alpha``.
"""

from dataclasses import dataclass

import numpy as np

from .._kernels import conformal_sets as kernels
from ..utils._threads import map_row_blocks

SCORES = ("aps", "lac", "raps", "top_k")
_CODES = {
    "lac": kernels.LAC,
    "top_k": kernels.TOP_K,
    "aps": kernels.CUMULATIVE,
    "raps": kernels.CUMULATIVE,
}


@dataclass(frozen=True)
class ScoreFunction:
    """A conformity score with its settings, applied to probability arrays.

    ``randomized`` is False, True (calibration and prediction scores drawn)
    or "calibration" (calibration scores drawn, prediction deterministic).
    ``seed`` fixes the per-row uniform draws: the same seed gives the same
    draws for the same number of rows.
    """

    name: str
    randomized: bool | str = False
    include_last_label: bool = True
    lam: float = 0.0
    k_reg: int = 0
    seed: int = 0

    @property
    def cumulative(self):
        return self.name in ("aps", "raps")

    def _rows(self, proba, row_group, draw, *, calibration=False):
        n = proba.shape[0]
        drawn = self.randomized is True or (
            calibration and self.randomized == "calibration"
        )
        if self.cumulative and drawn:
            v = np.random.RandomState(self.seed + draw).uniform(size=n)
        else:
            v = np.ones(n)
        if row_group is None:
            row_group = np.zeros(n, dtype=np.int64)
        return np.ascontiguousarray(proba, dtype=np.float64), v, row_group

    @property
    def _params(self):
        lam = self.lam if self.name == "raps" else 0.0
        return _CODES[self.name], float(lam), int(self.k_reg)

    def grid(self, n_classes, size=1001):
        """Candidate thresholds fixed before any data: every rank for top-k,
        else an even grid over the range of the score (a little beyond it,
        so that round-off never leaves a score above the grid)."""
        if self.name == "top_k":
            return np.arange(n_classes, dtype=float)
        upper = 1.0
        if self.name == "raps":
            upper += self.lam * max(0, n_classes - self.k_reg)
        return np.linspace(0.0, upper + 1e-9, size)

    def matrix(self, proba, *, draw=0):
        """Calibration scores of every class, shape (n, K)."""
        rows = self._rows(proba, None, draw, calibration=True)
        if self.name == "lac":  # NumPy: nothing to compile for the default
            _check_probabilities(np.count_nonzero(~_is_probability(rows[0])))
            return 1.0 - rows[0]
        out = np.empty(proba.shape)
        self._run(kernels.score_matrix, rows, self._params, out)
        return out

    def at_labels(self, proba, labels, *, draw=0):
        """Scores of the given class indices, shape (n,)."""
        return self.matrix(proba, draw=draw)[np.arange(proba.shape[0]), labels]

    def sets(self, proba, thresholds, row_group, *, draw=1):
        """Boolean sets, shape (n, K, A), for thresholds of shape (G, K, A)."""
        if not self.cumulative or self.randomized is True:
            rule = kernels.THRESHOLD
        elif self.include_last_label:
            rule = kernels.INCLUDE_LAST
        else:
            rule = kernels.KEEP_TOP
        out = np.empty((*proba.shape, thresholds.shape[2]), dtype=bool)
        rows = self._rows(proba, row_group, draw)
        if self.name == "lac":
            self._run(kernels.lac_sets, rows, (thresholds,), out)
            return out
        limits = thresholds.max(axis=(1, 2))
        shared = bool(np.all(thresholds == thresholds[:, :1, :]))
        args = (*self._params, rule, thresholds, limits, shared)
        self._run(kernels.prediction_sets, rows, args, out)
        return out

    def positions(self, proba, sorted_scores, start, stop, row_group, *, draw=1):
        """How many calibration scores of each cell's segment lie below its score."""
        out = np.empty(proba.shape, dtype=np.int64)
        args = (*self._params, sorted_scores, start, stop)
        rows = self._rows(proba, row_group, draw)
        self._run(kernels.calibration_positions, rows, args, out)
        return out

    @staticmethod
    def _run(kernel, rows, args, out):
        _check_probabilities(sum(map_row_blocks(kernel, rows, args, out)))


def _is_probability(proba):
    """The kernels' test: within round-off of [0, 1] (False for NaN)."""
    return (proba >= -1e-6) & (proba <= 1.0 + 1e-6)


def _check_probabilities(invalid):
    if invalid:
        raise ValueError(
            f"the classifier returned {invalid} values that are not "
            "probabilities (NaN, infinite, or outside [0, 1])."
        )
