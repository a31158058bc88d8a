"""Finding and removing label errors: confident learning, sklearn-native."""

from ._clean_learning import CleanLearningClassifier
from ._cross_fit import cross_val_proba
from ._label_issues import find_label_issues, label_quality_scores

__all__ = [
    "CleanLearningClassifier",
    "cross_val_proba",
    "find_label_issues",
    "label_quality_scores",
]
