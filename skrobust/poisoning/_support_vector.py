"""FLORAL's attacker: flip random labels among the strongest support vectors."""

import numpy as np
from sklearn.utils import check_random_state

from ._common import check_attack_input, flipped_labels, target_svm


def top_support_vector_flips(dual, k, rng, fill=None, margin=None):
    """Indices of ``k`` samples drawn at random among the ``2k`` largest ``dual``.

    Only samples with ``dual > 0`` (support vectors) enter the pool, sorted by
    ``-dual``; ties (many duals sit at the bound ``C``) go to the larger
    ``margin`` if given, then to the lower index. When fewer than ``k``
    exist, the rest are the first samples of ``fill`` (an order of the
    others) so that the budget is exact;
    without ``fill`` fewer than ``k`` come back, as in FLORAL's own attacker.
    """
    if k == 0:
        return np.empty(0, dtype=np.int64)
    support = np.flatnonzero(dual > 0)
    tiebreak = np.zeros(len(support)) if margin is None else -margin[support]
    ranked = support[np.lexsort((support, tiebreak, -dual[support]))]
    pool = ranked[: 2 * k]
    chosen = rng.choice(pool, min(k, len(pool)), replace=False)
    if len(chosen) < k and fill is not None:
        rest = fill[~np.isin(fill, chosen)]
        chosen = np.concatenate([chosen, rest[: k - len(chosen)]])
    return chosen.astype(np.int64)


def support_vector_flip_attack(
    X, y, budget, *, C=1.0, kernel="rbf", gamma="scale", random_state=None
):
    """Flip labels at random among the support vectors with the largest weights.

    The attacker of FLORAL (Bal et al., 2025) played once: fit an SVM on
    ``y``, rank its support vectors by dual coefficient, and flip ``budget``
    labels drawn at random among the ``2 * budget`` largest. Support vectors
    at the bound ``C`` tie; among them the ones the SVM classifies right
    with the largest margin rank first (flipping a label the SVM already
    gets wrong would help it). If the SVM has fewer than ``budget`` support
    vectors, the remaining flips go to the samples closest to the margin.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Binary labels.
    budget : float or int
        A fraction in [0, 1) of the samples (rounded up) or a count.
    C, kernel, gamma : see :class:`~skrobust.svm.RobustSVC`
        The attacker's model of the learner.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw.

    Returns
    -------
    y_poisoned : ndarray of shape (n_samples,)
        A new array with the chosen labels flipped.
    flipped : ndarray of int
        Sorted indices of the flipped samples.

    References
    ----------
    M. I. Bal, V. Cevher, M. Muehlebach, "Adversarial Training for Defense
    Against Label Poisoning Attacks", ICLR 2025.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skrobust.poisoning import support_vector_flip_attack
    >>> X, y = make_moons(200, noise=0.2, random_state=0)
    >>> y_poisoned, flipped = support_vector_flip_attack(X, y, 0.1, random_state=0)
    >>> len(flipped), int((y_poisoned != y).sum())
    (20, 20)
    """
    X, y, classes, y_encoded, n_flips = check_attack_input(X, y, budget)
    model = target_svm(C, kernel, gamma).fit(X, y_encoded)
    dual = np.zeros(len(y))
    dual[model.support_] = np.abs(model.dual_coef_[0])
    margin = np.where(y_encoded == 1, 1.0, -1.0) * model.decision_function(X)
    rng = check_random_state(random_state)
    flips = top_support_vector_flips(
        dual, n_flips, rng, fill=np.argsort(margin), margin=margin
    )
    return flipped_labels(y, classes, y_encoded, flips)
