"""Input checks and the target model shared by the label-flip attacks."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length

from ..svm import RobustSVC
from ..utils._validation import check_budget


def check_attack_input(X, y, budget, *, binary=True):
    """Validate ``X``, ``y`` and the budget.

    Returns ``(X, y, classes, y_encoded, n_flips)``; ``X`` may be None for
    attacks that do not read it.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}.")
    if X is not None:
        X = check_array(X, accept_sparse="csr", dtype=np.float64)
        check_consistent_length(X, y)
    check_classification_targets(y)
    classes, y_encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"a label-flip attack needs at least 2 classes in y; got {len(classes)}."
        )
    if binary and len(classes) > 2:
        raise ValueError(
            f"this attack flips binary labels; y has {len(classes)} classes."
        )
    return X, y, classes, y_encoded, check_budget(budget, len(y))


def target_svm(C, kernel, gamma):
    """The plain SVM the attacks model the learner with."""
    return RobustSVC(C=C, kernel=kernel, gamma=gamma, noise_rates=None)


def flipped_labels(y, classes, y_encoded, flips):
    """A copy of ``y`` with the binary labels at ``flips`` swapped."""
    poisoned = y.copy()
    poisoned[flips] = classes[1 - y_encoded[flips]]
    return poisoned, np.sort(flips)


def step_sizes(n_flips, n_steps):
    """Split ``n_flips`` into ``min(n_steps, n_flips)`` near-equal batches."""
    steps = min(n_steps, n_flips)
    return [
        (n_flips * (step + 1)) // steps - (n_flips * step) // steps
        for step in range(steps)
    ]
