"""Support vector machines that withstand noisy and poisoned labels."""

from ._kernel import RobustSVC
from ._linear import RobustLinearSVC

__all__ = ["RobustLinearSVC", "RobustSVC"]
