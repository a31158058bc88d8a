"""Finding and removing label errors: confident learning, sklearn-native."""

from ._cross_fit import cross_val_proba
from ._label_issues import find_label_issues, label_quality_scores

__all__ = ["cross_val_proba", "find_label_issues", "label_quality_scores"]
