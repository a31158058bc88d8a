"""Maximum-likelihood noise from clean-label probabilities: a transition
matrix, or a symmetric flip rate."""

import numbers

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import chi2

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

    Read more in the :ref:`User Guide <label_noise>`.

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


def fit_symmetric_rate(y, clean_proba, *, confidence=None):
    """The symmetric flip rate that makes the given labels most likely.

    Under symmetric noise at rate ``r`` a label keeps its true class with
    probability ``1 - r`` and moves to each other class with ``r / (K - 1)``,
    so sample ``j`` shows its label with probability
    ``(1 - r K / (K - 1)) p_j + r / (K - 1)``, ``p_j`` its clean-label
    probability of that label. The log-likelihood is concave in ``r``.

    One parameter instead of the ``K (K - 1)`` of
    :func:`fit_transition_matrix`: a model's probabilities are never exactly
    the true posteriors, and the full matrix reads the model's own confusion
    between close classes as noise, much more than one rate can (see the
    conformal user guide).

    Read more in the :ref:`User Guide <label_noise>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given (noisy) labels, as class indices ``0..K-1``.
    clean_proba : array-like of shape (n_samples, K)
        Out-of-sample probabilities of the true classes.
    confidence : float in (0, 1), default=None
        None: the maximum-likelihood rate. A level: the one-sided lower
        confidence bound at that level from the likelihood ratio (the
        smallest rate whose log-likelihood is within ``chi2_1(2 confidence -
        1) / 2`` of the maximum); 0 when the flat rate 0 is within it.

    Returns
    -------
    rate : float
        In ``[0, (K - 1) / K)``.

    See Also
    --------
    fit_transition_matrix : Any transition matrix, by maximum likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.noise import fit_symmetric_rate, symmetric_noise
    >>> rng = np.random.default_rng(0)
    >>> proba = rng.dirichlet(np.ones(4) * 0.3, 5000)
    >>> true = np.array([rng.choice(4, p=p) for p in proba])
    >>> noisy, _ = symmetric_noise(true, 0.2, random_state=0)
    >>> round(fit_symmetric_rate(noisy, proba), 2)  # flipped at 0.2
    0.21
    >>> round(fit_symmetric_rate(noisy, proba, confidence=0.95), 2)
    0.2
    """
    y, proba = check_labels_and_proba(y, clean_proba)
    if confidence is not None and not (
        isinstance(confidence, numbers.Real) and 0 < confidence < 1
    ):
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    K = proba.shape[1]
    own = proba[np.arange(y.shape[0]), y]

    def log_likelihood(rate):
        return np.log((1 - rate * K / (K - 1)) * own + rate / (K - 1)).sum()

    # the slope at 0 is sum (1/K - own) / ((K - 1) own) * K: flat rate 0 when <= 0
    largest = (K - 1) / K * (1 - 1e-9)
    if np.any(own <= 0) or np.sum(1 / own) > K * y.shape[0]:
        rate = minimize_scalar(
            lambda r: -log_likelihood(r), bounds=(0.0, largest), method="bounded",
            options={"xatol": 1e-7},
        ).x  # fmt: skip
    else:
        rate = 0.0
    if confidence is None:
        return float(rate)
    margin = chi2.ppf(2 * confidence - 1, 1) / 2
    top = log_likelihood(rate)
    if top - log_likelihood(0.0) <= margin:
        return 0.0
    return float(brentq(lambda r: top - log_likelihood(r) - margin, 0.0, rate))
