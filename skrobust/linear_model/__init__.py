"""Linear classifiers trained with label-noise-robust losses."""

from ._robust_loss import RobustLossClassifier

__all__ = ["RobustLossClassifier"]
