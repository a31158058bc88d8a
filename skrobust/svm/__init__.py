"""Support vector machines that withstand noisy and poisoned labels."""

from ._floral import FloralSVC
from ._kernel import RobustSVC
from ._linear import RobustLinearSVC

__all__ = ["FloralSVC", "RobustLinearSVC", "RobustSVC"]
