"""Conformal prediction sets that stay valid under noisy or poisoned labels."""

from ._classifier import ConformalClassifier
from ._metrics import (
    class_conditional_coverage,
    coverage_score,
    mean_set_size,
    size_stratified_coverage,
)
from ._multilabel import ConformalMultiLabelClassifier, label_set_coverage
from ._plot import plot_coverage_vs_set_size
from ._robust import RobustConformalClassifier

__all__ = [
    "ConformalClassifier",
    "ConformalMultiLabelClassifier",
    "RobustConformalClassifier",
    "class_conditional_coverage",
    "coverage_score",
    "label_set_coverage",
    "mean_set_size",
    "plot_coverage_vs_set_size",
    "size_stratified_coverage",
]
