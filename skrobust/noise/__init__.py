"""Label noise: simulate it, estimate its rates, and weight losses against it."""

from ._confident import confident_joint, estimate_transition_matrix
from ._likelihood import fit_symmetric_rate, fit_transition_matrix
from ._rates import clean_label_posterior, estimate_noise_rates, importance_weights
from ._simulate import (
    flip_labels,
    instance_noise,
    pair_noise,
    pair_transition_matrix,
    symmetric_noise,
    symmetric_transition_matrix,
)

__all__ = [
    "clean_label_posterior",
    "confident_joint",
    "estimate_noise_rates",
    "estimate_transition_matrix",
    "fit_symmetric_rate",
    "fit_transition_matrix",
    "flip_labels",
    "importance_weights",
    "instance_noise",
    "pair_noise",
    "pair_transition_matrix",
    "symmetric_noise",
    "symmetric_transition_matrix",
]
