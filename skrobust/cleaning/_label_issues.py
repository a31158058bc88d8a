"""Find likely label errors from out-of-sample probabilities (confident learning)."""

import numbers

import numpy as np

from ..noise._confident import _joint, check_labels_and_proba
from ..noise._row_passes import label_is_top
from ..utils._validation import check_option

FILTERS = {
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
}
SCORES = {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}


def label_quality_scores(y, pred_probs, *, method="self_confidence"):
    """A score per sample in [0, 1]: the lower, the likelier its label is wrong.

    Read more in the :ref:`User Guide <label_issues>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given labels, as class indices ``0..K-1``.
    pred_probs : array-like of shape (n_samples, K)
        Out-of-sample predicted probabilities.
    method : {"self_confidence", "normalized_margin", \
"confidence_weighted_entropy"}, default="self_confidence"
        ``self_confidence``: the probability of the given label ``p_y``.
        ``normalized_margin``: ``(p_y - max_{k != y} p_k + 1) / 2``.
        ``confidence_weighted_entropy``: with the normalised entropy ``H``
        of the row and ``u = H / p_y``, ``log(1 + u) / u`` (as cleanlab,
        a one-hot row scores 0).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        Quality of each given label in [0, 1]; low means suspicious.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.cleaning import label_quality_scores
    >>> label_quality_scores([0, 1], np.array([[0.9, 0.1], [0.7, 0.3]]))
    array([0.9, 0.3])
    """
    check_option(method, "method", SCORES)
    y, pred_probs = check_labels_and_proba(y, pred_probs)
    return _scores(y, pred_probs, method)


def _scores(y, pred_probs, method):
    rows = np.arange(len(y))
    own = pred_probs[rows, y]
    if method == "self_confidence":
        return own
    if method == "normalized_margin":
        others = pred_probs.copy()
        others[rows, y] = -np.inf
        return (own - others.max(axis=1) + 1.0) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(pred_probs > 0, np.log(pred_probs), 0.0)
    entropy = -np.sum(pred_probs * logs, axis=1) / np.log(pred_probs.shape[1])
    u = entropy / np.maximum(own, 1e-6)
    return np.log(u + 1.0) / np.maximum(u, 1e-6)


def find_label_issues(
    y,
    pred_probs,
    *,
    filter_by="prune_by_noise_rate",
    frac_noise=1.0,
    min_examples_per_class=1,
    return_indices_ranked_by=None,
):
    """Flag the samples whose given label is likely wrong (confident learning).

    The calibrated :func:`~skrobust.noise.confident_joint` estimates how many
    samples of each given label truly belong to each other class; the
    filters pick that many:

    - ``"prune_by_noise_rate"`` (default): for given label k and each other
      class j, the ``C[k, j]`` samples labelled k with the largest margin
      ``p_j - p_k``;
    - ``"prune_by_class"``: for each given label k, the samples labelled k
      with the lowest ``p_k``, as many as the off-diagonal of row k;
    - ``"both"``: samples flagged by both;
    - ``"confident_learning"``: the samples counted off the diagonal;
    - ``"predicted_neq_given"``: the argmax is not the given label;
    - ``"low_normalized_margin"``, ``"low_self_confidence"``: the samples
      with the lowest scores (see :func:`label_quality_scores`), as many as
      ``"confident_learning"`` flags.

    Except for the last two, a sample whose given label is (within 1e-6)
    the argmax is never flagged. The result equals cleanlab 2.9's
    ``find_label_issues`` on the same probabilities (the tests check every
    filter against it).

    Read more in the :ref:`User Guide <label_issues>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given labels, as class indices ``0..K-1``; every class needs samples.
    pred_probs : array-like of shape (n_samples, K)
        Out-of-sample predicted probabilities, rows summing to 1 (see
        :func:`cross_val_proba`).
    filter_by : str, default="prune_by_noise_rate"
        One of the filters above.
    frac_noise : float in (0, 1], default=1.0
        Flag only this share of the estimated errors (pruning filters).
    min_examples_per_class : int, default=1
        Leave at least this many samples of each given label unflagged
        (pruning filters).
    return_indices_ranked_by : {None, "self_confidence", "normalized_margin", \
"confidence_weighted_entropy"}, default=None
        Return the flagged indices, worst first by this score, instead of a
        mask.

    Returns
    -------
    issues : ndarray of bool of shape (n_samples,), or ndarray of int
        The mask of flagged samples, or their indices ranked.

    References
    ----------
    C. Northcutt, L. Jiang, I. Chuang, "Confident Learning: Estimating
    Uncertainty in Dataset Labels", JAIR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.cleaning import find_label_issues
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> pred_probs = np.array([[.9, .1], [.8, .2], [.7, .3], [.1, .9],
    ...                        [.2, .8], [.1, .9], [.3, .7], [.95, .05]])
    >>> np.flatnonzero(find_label_issues(y, pred_probs))
    array([3, 7])
    """
    check_filter_options(filter_by, frac_noise, min_examples_per_class)
    if return_indices_ranked_by is not None:
        check_option(return_indices_ranked_by, "return_indices_ranked_by", SCORES)
    y, pred_probs = check_labels_and_proba(y, pred_probs)
    joint, guess = _joint(y, pred_probs, np.ones(len(y)), True, False)
    issues = flag_issues(
        y, pred_probs, joint, guess, filter_by, frac_noise, min_examples_per_class
    )
    if return_indices_ranked_by is None:
        return issues
    flagged = np.flatnonzero(issues)
    scores = _scores(y, pred_probs, return_indices_ranked_by)
    return flagged[np.argsort(scores[issues])]


def flag_issues(
    y, pred_probs, joint, guess, filter_by, frac_noise, min_examples_per_class
):
    """The mask of :func:`find_label_issues` from checked input, the
    calibrated confident joint and each sample's counted class."""
    if filter_by == "predicted_neq_given":
        issues = pred_probs.argmax(axis=1) != y
    elif filter_by in (
        "confident_learning",
        "low_normalized_margin",
        "low_self_confidence",
    ):
        issues = (guess >= 0) & (guess != y)
        if filter_by != "confident_learning":
            count = np.count_nonzero(issues & ~label_is_top(pred_probs, y))
            method = filter_by[4:]
            issues = np.zeros(len(y), dtype=bool)
            issues[np.argsort(_scores(y, pred_probs, method))[:count]] = True
    else:
        prune = _prune_counts(joint, min_examples_per_class, frac_noise)
        issues = np.zeros(len(y), dtype=bool)
        for k in range(len(joint)):
            members = np.flatnonzero(y == k)
            if len(members) <= max(min_examples_per_class, 1):
                continue
            by_class = by_rate = None
            if filter_by in ("prune_by_class", "both"):
                by_class = _lowest(pred_probs[members, k], len(members) - prune[k, k])
            if filter_by in ("prune_by_noise_rate", "both"):
                by_rate = _by_noise_rate(pred_probs[members], k, prune[:, k])
            chosen = by_class if by_rate is None else by_rate
            if by_class is not None and by_rate is not None:
                chosen = by_class & by_rate
            issues[members[chosen]] = True
    if filter_by not in ("low_normalized_margin", "low_self_confidence"):
        issues &= ~label_is_top(pred_probs, y)
    return issues


def check_filter_options(filter_by, frac_noise, min_examples_per_class):
    """Refuse unknown filters, ``frac_noise`` outside (0, 1] and negative or
    non-integer ``min_examples_per_class``."""
    check_option(filter_by, "filter_by", FILTERS)
    if not isinstance(frac_noise, numbers.Real) or not 0 < frac_noise <= 1:
        raise ValueError(f"frac_noise must be in (0, 1], got {frac_noise!r}.")
    if not isinstance(min_examples_per_class, numbers.Integral) or (
        min_examples_per_class < 0
    ):
        raise ValueError(
            f"min_examples_per_class must be an integer >= 0, got "
            f"{min_examples_per_class!r}."
        )


def _prune_counts(joint, min_examples, frac_noise):
    """How many samples of given label g (column g) to prune towards class t
    (row t), keeping ``min_examples`` per label and a ``frac_noise`` share."""
    prune = joint.T.astype(float)
    diagonal = prune.diagonal().copy()
    raised = np.maximum(diagonal, min_examples)
    nonzero = np.maximum(np.count_nonzero(prune, axis=0) - 1, 1)
    prune = np.maximum(prune - (raised - diagonal) / nonzero, 0.0)
    np.fill_diagonal(prune, raised)
    kept = prune * frac_noise
    np.fill_diagonal(kept, raised)
    np.fill_diagonal(kept, raised + (prune - kept).sum(axis=0))
    return kept.astype(np.int64)  # truncated, as cleanlab does


def _lowest(values, count):
    """Mask of the ``count`` smallest values (numpy's default argsort on ties)."""
    mask = np.zeros(len(values), dtype=bool)
    if count >= 1:
        mask[np.argsort(values)[:count]] = True
    return mask


def _by_noise_rate(probs, k, counts):
    """Samples of label k with the largest ``p_j - p_k`` for each class j."""
    mask = np.zeros(len(probs), dtype=bool)
    for j in np.flatnonzero(counts > 0):
        if j == k:
            continue
        mask[_largest(probs[:, j] - probs[:, k], counts[j])] = True
    return mask


def _largest(values, count):
    """Indices of the ``count`` largest values, as ``argsort(-values)[:count]``.

    A partition finds them in linear time; only when ties straddle the cut
    (which sample a sort keeps is then its own choice) does it sort, so the
    chosen set is the sorted one.
    """
    if count >= len(values):
        return np.arange(len(values))
    negated = -values
    cut = np.argpartition(negated, count - 1)[:count]
    boundary = negated[cut].max()
    tied = np.count_nonzero(negated == boundary)
    if tied > np.count_nonzero(negated[cut] == boundary):
        return np.argsort(negated)[:count]
    return cut
