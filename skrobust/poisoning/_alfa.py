"""ALFA: the adversarial label flip attack on SVMs (Xiao, Xiao, Eckert, 2012)."""

import numpy as np
from sklearn.utils import check_random_state

from ._common import check_attack_input, flipped_labels, target_svm


def alfa_attack(
    X,
    y,
    budget,
    *,
    C=1.0,
    kernel="rbf",
    gamma="scale",
    max_iter=10,
    random_state=None,
):
    """Flip the labels an SVM is sure of but a new SVM can still fit.

    ALFA alternates two steps. With the SVM ``f`` trained on the current
    tainted labels, every sample's label is charged the change of its hinge
    loss under ``f`` against the clean model ``f0``; flipping sample ``i``
    gains ``delta_i = (xi_flip - eps_flip) - (xi_own - eps_own)`` (``xi``
    the losses under ``f``, ``eps`` under ``f0``), and the linear program
    over which labels to flip has a closed form: the ``budget`` smallest
    ``delta``. Then the SVM is retrained on the new labels. It stops when
    the flip set repeats or after ``max_iter`` rounds; the first flip set is
    random, as in the authors' ALFASVMLib (at ``f = f0`` every delta is 0).

    Read more in the :ref:`User Guide <poisoning>`.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Binary labels.
    budget : float or int
        A fraction in [0, 1) of the samples (rounded up) or a count; exactly
        that many labels are flipped.
    C, kernel, gamma : see :class:`~skrobust.svm.RobustSVC`
        The attacker's model of the learner.
    max_iter : int, default=10
        Most alternations (FLORAL's scripts use 10).
    random_state : int, RandomState instance or None, default=None
        Seeds the first flip set.

    Returns
    -------
    y_poisoned : ndarray of shape (n_samples,)
        A new array with the chosen labels flipped.
    flipped : ndarray of int
        Sorted indices of the flipped samples.

    References
    ----------
    H. Xiao, H. Xiao, C. Eckert, "Adversarial Label Flips Attack on Support
    Vector Machines", ECAI 2012.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.poisoning import alfa_attack
    >>> X, y = make_moons(200, noise=0.2, random_state=0)
    >>> y_poisoned, flipped = alfa_attack(X, y, 0.1, random_state=0)
    >>> len(flipped)
    20
    """
    X, y, classes, y_encoded, n_flips = check_attack_input(X, y, budget)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    signs = np.where(y_encoded == 1, 1.0, -1.0)
    if n_flips == 0:
        return flipped_labels(y, classes, y_encoded, np.empty(0, dtype=np.int64))

    def margins(labels):
        return signs * target_svm(C, kernel, gamma).fit(X, labels).decision_function(X)

    clean = margins(signs)
    eps_own, eps_flip = np.maximum(0, 1 - clean), np.maximum(0, 1 + clean)
    flips = check_random_state(random_state).choice(len(y), n_flips, replace=False)
    for _ in range(max_iter):
        tainted = signs.copy()
        tainted[flips] *= -1
        margin = margins(tainted)
        delta = (np.maximum(0, 1 + margin) - eps_flip) - (
            np.maximum(0, 1 - margin) - eps_own
        )
        new = np.argsort(delta, kind="stable")[:n_flips]
        if np.array_equal(np.sort(new), np.sort(flips)):
            break
        flips = new
    return flipped_labels(y, classes, y_encoded, flips)
