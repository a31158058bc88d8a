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

    ``seed`` fixes the per-row uniform draws of the randomised scores: the
    same seed gives the same draws for the same number of rows.
    """

    name: str
    randomized: bool = False
    include_last_label: bool = True
    lam: float = 0.0
    k_reg: int = 0
    seed: int = 0

    @property
    def cumulative(self):
        return self.name in ("aps", "raps")

    def _rows(self, proba, row_group, draw):
        n = proba.shape[0]
        if self.cumulative and self.randomized:
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

    def matrix(self, proba, *, draw=0):
        """Scores of every class, shape (n, K)."""
        out = np.empty(proba.shape)
        self._run(kernels.score_matrix, proba, None, draw, self._params, out)
        return out

    def at_labels(self, proba, labels, *, draw=0):
        """Scores of the given class indices, shape (n,)."""
        return self.matrix(proba, draw=draw)[np.arange(proba.shape[0]), labels]

    def sets(self, proba, thresholds, row_group, *, draw=1):
        """Boolean sets, shape (n, K, A), for thresholds of shape (G, K, A)."""
        if not self.cumulative or self.randomized:
            rule = kernels.THRESHOLD
        elif self.include_last_label:
            rule = kernels.INCLUDE_LAST
        else:
            rule = kernels.KEEP_TOP
        out = np.empty((*proba.shape, thresholds.shape[2]), dtype=bool)
        limits = thresholds.max(axis=(1, 2))
        args = (*self._params, rule, thresholds, limits)
        self._run(kernels.prediction_sets, proba, row_group, draw, args, out)
        return out

    def positions(self, proba, sorted_scores, start, stop, row_group, *, draw=1):
        """How many calibration scores of each cell's segment lie below its score."""
        out = np.empty(proba.shape, dtype=np.int64)
        args = (*self._params, sorted_scores, start, stop)
        self._run(kernels.calibration_positions, proba, row_group, draw, args, out)
        return out

    def _run(self, kernel, proba, row_group, draw, args, out):
        rows = self._rows(proba, row_group, draw)
        invalid = sum(map_row_blocks(kernel, rows, args, out))
        if invalid:
            raise ValueError(
                f"the classifier returned {invalid} values that are not "
                "probabilities (NaN, infinite, or outside [0, 1])."
            )
