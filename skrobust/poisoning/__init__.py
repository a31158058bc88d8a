"""Label-flip poisoning attacks, to test the defences against them.

Every attack takes ``(X, y, budget)`` and a ``random_state`` and returns
``(y_poisoned, flipped)``: a new label array and the sorted indices it
changed. ``budget`` is a fraction in [0, 1) of the samples (rounded up) or a
count; the input is never modified.
"""

from ._alfa import alfa_attack
from ._greedy import greedy_flip_attack
from ._random import random_flip_attack
from ._support_vector import support_vector_flip_attack

__all__ = [
    "alfa_attack",
    "greedy_flip_attack",
    "random_flip_attack",
    "support_vector_flip_attack",
]
