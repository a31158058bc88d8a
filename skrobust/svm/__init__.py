"""Support vector machines that withstand noisy and poisoned labels."""

from ._linear import RobustLinearSVC

__all__ = ["RobustLinearSVC"]
