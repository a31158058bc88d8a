"""Certified robustness to flipped training labels: predictions that come
with the number of flips they withstand."""

from ._kernel_ridge import CertifiedKernelRidgeClassifier
from ._metrics import certified_accuracy
from ._neighbors import CertifiedKNeighborsClassifier
from ._partition import PartitionAggregationClassifier
from ._ridge import CertifiedRidgeClassifier
from ._spreading import CertifiedLabelSpreadingClassifier

__all__ = [
    "CertifiedKNeighborsClassifier",
    "CertifiedKernelRidgeClassifier",
    "CertifiedLabelSpreadingClassifier",
    "CertifiedRidgeClassifier",
    "PartitionAggregationClassifier",
    "certified_accuracy",
]
