"""Batch scoring: a fitted model's predictions, class scores and conformal
sets for a CSV or Parquet file, in chunks with bounded memory, in parallel.

Needs pandas (``pip install pandas``; pyarrow too for Parquet), which the
rest of skrobust does not. From the command line::

    python -m skrobust score MODEL DATA -o OUT
"""

from ._errors import ScoringError
from ._model import load_model
from ._score import ScoringSummary, score_file, score_frame

__all__ = ["ScoringError", "ScoringSummary", "load_model", "score_file", "score_frame"]
