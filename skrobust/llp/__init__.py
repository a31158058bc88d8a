"""Learning from label proportions: bags that only tell their share of positives."""

from ._bags import make_bags
from ._belief_propagation import LLPBeliefPropagation
from ._linear import DLLPClassifier, EasyLLPClassifier, InvCalClassifier
from ._metrics import bag_absolute_error, bag_log_loss, make_bag_scorer
from ._selection import LLPClassifier

__all__ = [
    "DLLPClassifier",
    "EasyLLPClassifier",
    "InvCalClassifier",
    "LLPBeliefPropagation",
    "LLPClassifier",
    "bag_absolute_error",
    "bag_log_loss",
    "make_bag_scorer",
    "make_bags",
]
