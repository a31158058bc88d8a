"""Random label flips: the baseline every attack must beat."""

import numpy as np
from sklearn.utils import check_random_state

from ._common import check_attack_input


def random_flip_attack(X, y, budget, *, random_state=None):
    """Flip the labels of a random subset of samples.

    Each chosen sample gets a label drawn uniformly from the other classes.

    Read more in the :ref:`User Guide <poisoning>`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or None
        Not read; accepted so that every attack has the same signature.
    y : array-like of shape (n_samples,)
        Labels (any number of classes).
    budget : float or int
        A fraction in [0, 1) of the samples (rounded up) or a count.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice.

    Returns
    -------
    y_poisoned : ndarray of shape (n_samples,)
        A new array with the chosen labels changed.
    flipped : ndarray of int
        Sorted indices of the changed samples.

    Examples
    --------
    >>> from skrobust.poisoning import random_flip_attack
    >>> y_poisoned, flipped = random_flip_attack(
    ...     None, [0, 1] * 10, 0.2, random_state=0)
    >>> len(flipped)
    4
    """
    _, y, classes, y_encoded, n_flips = check_attack_input(X, y, budget, binary=False)
    rng = check_random_state(random_state)
    flipped = np.sort(rng.choice(len(y), n_flips, replace=False))
    shift = rng.randint(1, len(classes), size=n_flips)
    poisoned = y.copy()
    poisoned[flipped] = classes[(y_encoded[flipped] + shift) % len(classes)]
    return poisoned, flipped
