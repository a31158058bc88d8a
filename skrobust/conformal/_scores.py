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

    def _args(self, proba, draw):
        n = proba.shape[0]
        if self.cumulative and self.randomized:
            v = np.random.RandomState(self.seed + draw).uniform(size=n)
        else:
            v = np.ones(n)
        lam = self.lam if self.name == "raps" else 0.0
        return _CODES[self.name], float(lam), int(self.k_reg), v

    def matrix(self, proba, *, draw=0):
        """Scores of every class, shape (n, K)."""
        return kernels.score_matrix(proba, *self._args(proba, draw))

    def at_labels(self, proba, labels, *, draw=0):
        """Scores of the given class indices, shape (n,)."""
        return self.matrix(proba, draw=draw)[np.arange(proba.shape[0]), labels]

    def sets(self, proba, thresholds, row_group, *, draw=1):
        """Boolean sets, shape (A, n, K), for thresholds of shape (G, K, A)."""
        if not self.cumulative or self.randomized:
            rule = kernels.THRESHOLD
        elif self.include_last_label:
            rule = kernels.INCLUDE_LAST
        else:
            rule = kernels.KEEP_TOP
        return kernels.prediction_sets(
            proba, *self._args(proba, draw), rule, thresholds, row_group
        )

    def positions(self, proba, sorted_scores, start, stop, row_group, *, draw=1):
        """How many calibration scores of each cell's segment lie below its score."""
        return kernels.calibration_positions(
            proba, *self._args(proba, draw), sorted_scores, start, stop, row_group
        )
