"""Maximum-likelihood noise transition matrix from clean-label probabilities."""

import numpy as np

from ._confident import check_labels_and_proba


def fit_transition_matrix(y, clean_proba, *, tol=1e-8, max_iter=1000):
    """The transition matrix that makes the given labels most likely.

    If ``clean_proba[j]`` is the probability of each *true* class of sample
    ``j`` and its label was drawn from row ``c`` of ``T`` when its true class
    is ``c``, the label has probability ``sum_c clean_proba[j, c] T[c, y_j]``.
    The log-likelihood of the labels is concave in ``T``; EM (the
    responsibilities of the true classes, then their label frequencies)
    climbs to its maximum, starting from ``T = I`` slightly smoothed.

    The estimate is as good as the assumption: probabilities from a model
    trained on clean labels (or known to be calibrated to them). A model
    trained on the noisy labels already predicts them, so the estimate
    shrinks toward the identity: it then under-states the noise, which for
    conformal thresholds errs on the safe side (larger sets), unlike
    confident learning (:func:`estimate_transition_matrix`), which reads a
    model's confusion between close classes as label noise.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given (noisy) labels, as class indices ``0..K-1``.
    clean_proba : array-like of shape (n_samples, K)
        Out-of-sample probabilities of the true classes.
    tol : float, default=1e-8
        Stop when no entry of ``T`` moves by more than this.
    max_iter : int, default=1000
        Most EM iterations.

    Returns
    -------
    transition : ndarray of shape (K, K)
        ``transition[c, i] = P(label i | true class c)``; rows sum to 1.

    See Also
    --------
    estimate_transition_matrix : Confident learning's estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import fit_transition_matrix, flip_labels
    >>> rng = np.random.default_rng(0)
    >>> peak = np.eye(3)[rng.integers(0, 3, 3000)]
    >>> proba = np.array([rng.dirichlet(1 + 7 * row) for row in peak])
    >>> true = np.array([rng.choice(3, p=p) for p in proba])
    >>> T = [[0.8, 0.2, 0.0], [0.0, 0.9, 0.1], [0.1, 0.0, 0.9]]
    >>> noisy, _ = flip_labels(true, T, random_state=0)
    >>> np.round(fit_transition_matrix(noisy, proba), 1)
    array([[0.8, 0.2, 0. ],
           [0. , 0.9, 0.1],
           [0.1, 0. , 0.9]])
    """
    y, proba = check_labels_and_proba(y, clean_proba)
    K = proba.shape[1]
    order = np.argsort(y, kind="stable")
    y, proba = y[order], proba[order]
    present = np.flatnonzero(np.bincount(y, minlength=K))
    starts = np.searchsorted(y, present)
    transition = 0.9 * np.eye(K) + 0.1 / K
    for _ in range(max_iter):
        # responsibilities of the true classes given each label, (n, K)
        joint = proba * transition[:, y].T
        joint /= np.maximum(joint.sum(axis=1, keepdims=True), 1e-300)
        counts = np.zeros((K, K))
        counts[:, present] = np.add.reduceat(joint, starts, axis=0).T
        updated = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-300)
        # a true class no sample can belong to keeps its row
        empty = counts.sum(axis=1) <= 0
        updated[empty] = transition[empty]
        change = np.abs(updated - transition).max()
        transition = updated
        if change <= tol:
            break
    return transition
