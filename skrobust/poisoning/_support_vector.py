"""FLORAL's attacker: flip random labels among the strongest support vectors."""

import numpy as np
from sklearn.utils import check_random_state

from ..utils._validation import check_positive_int
from ._common import check_attack_input, flipped_labels, step_sizes, target_svm


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
    X,
    y,
    budget,
    *,
    target="auto",
    n_steps=10,
    C=1.0,
    kernel="rbf",
    gamma="scale",
    random_state=None,
):
    """Flip labels at random among the support vectors with the largest weights.

    The attacker of FLORAL (Bal et al., 2025) against a retraining learner:
    in each of ``n_steps`` steps, fit an SVM on the labels poisoned so far,
    rank its support vectors of the ``target`` class that are still
    unflipped by dual coefficient, and flip ``budget / n_steps`` labels
    drawn at random among the twice as many largest. Support vectors at the
    bound ``C`` tie; among them the ones the SVM classifies right with the
    largest margin rank first (flipping a label the SVM already gets wrong
    would help it). If too few support vectors are left, the remaining
    flips go to the samples closest to the margin, of the target class
    first.

    FLORAL's own attacker draws from both classes (``target=None``) and
    plays once (``n_steps=1``); against a plain SVM that is no stronger than
    random flips, since flips on both sides of the boundary cancel. Flipping
    one class and refitting between steps moves the boundary step by step
    (measured in the user guide).

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
    target : "auto", None or a label of ``y``, default="auto"
        The class whose labels are flipped: "auto" takes the class with more
        support vectors in the first fit (the first class on a tie); None
        draws from both classes, as FLORAL's attacker does.
    n_steps : int, default=10
        Refit-and-flip steps (at most one per flip).
    C, kernel, gamma : see :class:`~skrobust.svm.RobustSVC`
        The attacker's model of the learner.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

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
    >>> len(flipped), len(set(y[flipped]))
    (20, 1)
    """
    X, y, classes, y_encoded, n_flips = check_attack_input(X, y, budget)
    n_steps = check_positive_int(n_steps, "n_steps")
    if target is not None and not (isinstance(target, str) and target == "auto"):
        if target not in classes:
            raise ValueError(
                f"target must be 'auto', None or one of the classes {classes.tolist()}"
                f"; got {target!r}."
            )
    rng = check_random_state(random_state)
    tainted = np.where(y_encoded == 1, 1.0, -1.0)
    flipped = np.zeros(len(y), dtype=bool)
    for step, batch in enumerate(step_sizes(n_flips, n_steps)):
        model = target_svm(C, kernel, gamma).fit(X, tainted)
        dual = np.zeros(len(y))
        dual[model.support_] = np.abs(model.dual_coef_[0])
        if step == 0:
            eligible = _target_mask(target, classes, y_encoded, dual)
        margin = tainted * model.decision_function(X)
        dual[flipped | ~eligible] = 0.0
        fill = np.argsort(margin, kind="stable")
        fill = fill[np.argsort(~eligible[fill], kind="stable")]
        chosen = top_support_vector_flips(
            dual, batch, rng, fill=fill[~flipped[fill]], margin=margin
        )
        tainted[chosen] = -tainted[chosen]
        flipped[chosen] = True
        if np.all(tainted == tainted[0]):
            # one class left: no SVM to refit, finish along this step's order
            rest = fill[~flipped[fill]]
            flipped[rest[: n_flips - flipped.sum()]] = True
            break
    return flipped_labels(y, classes, y_encoded, np.flatnonzero(flipped))


def _target_mask(target, classes, y_encoded, dual):
    """The samples of the class the attack flips (all samples for None)."""
    if target is None:
        return np.ones(len(y_encoded), dtype=bool)
    if isinstance(target, str) and target == "auto":
        support = dual > 0
        counts = [np.sum(support & (y_encoded == c)) for c in (0, 1)]
        code = int(counts[1] > counts[0])
    else:
        code = int(np.flatnonzero(classes == target)[0])
    return y_encoded == code
