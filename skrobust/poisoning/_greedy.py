"""Greedy label-flip attack (LFA, Paudice et al. 2018), in batches."""

import numpy as np
from sklearn.utils import check_random_state

from ..utils._validation import check_positive_int
from ._common import check_attack_input, flipped_labels, step_sizes, target_svm


def greedy_flip_attack(
    X,
    y,
    budget,
    *,
    C=1.0,
    kernel="rbf",
    gamma="scale",
    n_steps=10,
    n_candidates=50,
    random_state=None,
):
    """Flip, step by step, the labels that most raise the SVM's clean loss.

    Paudice et al.'s LFA flips one label per step: the one whose flip, after
    retraining, most increases the loss on clean labels. That costs one SVM
    fit per candidate per flip. This version takes ``n_steps`` steps (at
    most one per flip); each step tries ``n_candidates`` unflipped samples
    drawn at random, retrains with each one flipped, scores the hinge loss
    of the retrained SVM against the clean labels of all samples, and flips
    the best ``budget / n_steps`` of them. ``n_steps=budget`` and
    ``n_candidates=None`` (every sample) give the original algorithm.

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
    n_steps : int, default=10
        Greedy steps (retraining rounds).
    n_candidates : int or None, default=50
        Candidates tried per step; None tries every unflipped sample.
    random_state : int, RandomState instance or None, default=None
        Seeds the candidates.

    Returns
    -------
    y_poisoned : ndarray of shape (n_samples,)
        A new array with the chosen labels flipped.
    flipped : ndarray of int
        Sorted indices of the flipped samples.

    References
    ----------
    A. Paudice, L. Muñoz-González, E. C. Lupu, "Label Sanitization against
    Label Flipping Poisoning Attacks", ECML PKDD Workshops 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.poisoning import greedy_flip_attack
    >>> X, y = make_moons(100, noise=0.2, random_state=0)
    >>> y_poisoned, flipped = greedy_flip_attack(
    ...     X, y, 0.1, n_steps=2, n_candidates=10, random_state=0)
    >>> len(flipped)
    10
    """
    X, y, classes, y_encoded, n_flips = check_attack_input(X, y, budget)
    n_steps = check_positive_int(n_steps, "n_steps")
    if n_candidates is not None:
        n_candidates = check_positive_int(n_candidates, "n_candidates")
    rng = check_random_state(random_state)
    signs = np.where(y_encoded == 1, 1.0, -1.0)
    tainted = signs.copy()

    def clean_loss(labels):
        model = target_svm(C, kernel, gamma).fit(X, labels)
        return np.maximum(0, 1 - signs * model.decision_function(X)).sum()

    flipped = np.zeros(len(y), dtype=bool)
    for batch in step_sizes(n_flips, n_steps):
        pool = np.flatnonzero(~flipped)
        if n_candidates is not None and n_candidates < len(pool):
            pool = rng.choice(pool, n_candidates, replace=False)
        gains = np.empty(len(pool))
        for c, i in enumerate(pool):
            tainted[i] = -tainted[i]
            gains[c] = clean_loss(tainted)
            tainted[i] = -tainted[i]
        best = pool[np.argsort(-gains, kind="stable")[:batch]]
        tainted[best] = -tainted[best]
        flipped[best] = True
    return flipped_labels(y, classes, y_encoded, np.flatnonzero(flipped))
