"""Bags for learning from label proportions: make them, check them.

The estimators of :mod:`skrobust.llp` take ``fit(X, y, bags=...)`` with
``y`` each row's *bag proportion* (the share of positives of its bag,
repeated on every row of the bag) and ``bags`` a bag id per row. That keeps
one row per sample, so ``GroupKFold(groups=bags)``, ``Pipeline`` and
metadata routing work as for any supervised estimator.
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d


def make_bags(y, bag_size, *, X=None, feature=None, random_state=None):
    """Group labelled rows into bags and give each row its bag's proportion.

    For experiments: turn a labelled data set into a label-proportion one.
    Random bags shuffle the rows and cut them into consecutive blocks;
    feature-correlated bags sort the rows by one feature (ties broken at
    random) before cutting, so that a bag holds similar rows, as when bags
    are regions, days or user groups. The last bag takes the remainder
    (between ``bag_size`` and ``2 * bag_size - 1`` rows).

    Read more in the :ref:`User Guide <llp>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Binary instance labels (0/1 or two classes; the larger is positive).
    bag_size : int
        Rows per bag, at least 1 and at most ``n_samples``.
    X : array-like of shape (n_samples, n_features), default=None
        Features, needed for feature-correlated bags.
    feature : int, default=None
        Column of ``X`` that orders the rows; random bags if None.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle.

    Returns
    -------
    bags : ndarray of int64, shape (n_samples,)
        Bag id of each row, ``0..n_bags-1``.
    proportions : ndarray of float64, shape (n_samples,)
        Share of positives in the row's bag (the ``y`` to fit on).

    Examples
    --------
    >>> import numpy as np
    >>> from skrobust.llp import make_bags
    >>> y = np.array([0, 1, 1, 0, 0, 0, 1, 1])
    >>> bags, proportions = make_bags(y, 4, random_state=0)
    >>> np.bincount(bags)
    array([4, 4])
    >>> bool(proportions.mean() == y.mean())  # the positives are all counted
    True
    """
    y = column_or_1d(y)
    if y.shape[0] == 0:
        raise ValueError("make_bags needs at least one row of y, got 0.")
    classes = np.unique(y)
    if classes.shape[0] > 2:
        raise ValueError(
            f"make_bags needs binary labels, got {classes.shape[0]} classes."
        )
    n = y.shape[0]
    if isinstance(bag_size, bool) or not isinstance(bag_size, numbers.Integral):
        raise TypeError(f"bag_size must be an integer, got {bag_size!r}.")
    if not 1 <= bag_size <= n:
        raise ValueError(f"bag_size must lie in [1, {n}] (the rows), got {bag_size}.")
    rng = check_random_state(random_state)
    order = rng.permutation(n)
    if feature is not None:
        if X is None:
            raise ValueError("feature-correlated bags need X.")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] != n:
            raise ValueError(f"X must have shape ({n}, n_features), got {X.shape}.")
        if not 0 <= feature < X.shape[1]:
            raise ValueError(f"feature must index a column of X, got {feature}.")
        order = order[np.argsort(X[order, feature], kind="stable")]
    n_bags = n // bag_size
    bags = np.empty(n, dtype=np.int64)
    bags[order] = np.minimum(np.arange(n) // bag_size, n_bags - 1)
    if classes.shape[0] == 2:
        positive = (y == classes[1]).astype(float)
    elif np.isin(classes, [0, 1]).all():
        positive = y.astype(float)
    else:
        raise ValueError(
            f"y has the single class {classes[0]!r}: give 0/1 labels to say "
            "whether it is the positive one."
        )
    return bags, bag_proportions(positive, bags)


def bag_proportions(positive, bags):
    """Each row's bag share of ``positive`` (a 0/1 or weight per row)."""
    bags = np.asarray(bags)
    totals = np.bincount(bags, weights=positive)
    sizes = np.bincount(bags)
    return totals[bags] / sizes[bags]


_BAGS_REQUIRED = (
    "bags is required: fit(X, y, bags=...) with y the bag proportion of "
    "each row and bags a bag id per row (route it with "
    "set_fit_request(bags=True) inside a Pipeline or cross-validation)."
)


def binary_classes(y):
    """The two classes of ``y`` given without ``bags``: class labels.
    Proportions (values that are not whole numbers) raise the message that
    asks for ``bags``; other than two classes, one naming the count."""
    try:
        values = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        values = None  # labels of another type: the checks below take them
    if values is not None and np.all(np.isfinite(values)):
        if np.any(values != np.round(values)):
            raise ValueError(
                _BAGS_REQUIRED + " Without bags, y holds class labels; these y "
                "are continuous."
            )
    check_classification_targets(y)
    classes = np.unique(y)
    if classes.shape[0] != 2:
        raise ValueError(
            "Only binary classification is supported (learning from label "
            f"proportions has a positive class); y has {classes.shape[0]} "
            f"class{'es' if classes.shape[0] > 1 else ''}. With bags, y is each "
            "row's bag proportion."
        )
    return classes


def check_bags(y, bags):
    """Validate ``fit(X, y, bags)``: return ``(proportions per bag, bag index
    per row, bag sizes)`` with bags renumbered ``0..n_bags-1``.

    Raises a ValueError naming the problem: missing bags, a row without a
    bag id (NaN or None), a length mismatch, proportions outside [0, 1] or
    not finite, rows of one bag that disagree on its proportion, a single
    bag (only the overall rate, nothing about rows), or every bag with the
    same proportion (no positive or no negative row at all, or bags that do
    not differ).

    A proportion need not be a multiple of ``1 / n_B``: it is used as given
    (a soft count ``n_B * alpha_B`` in LLP-BP's count factor), never
    rounded. A bag of one row is a labelled row (its proportion is its
    label, or a soft label); such bags may be mixed with larger ones.
    """
    if bags is None:
        raise ValueError(_BAGS_REQUIRED)
    y = column_or_1d(y)
    bags = column_or_1d(bags)
    if y.shape[0] != bags.shape[0]:
        raise ValueError(
            f"y has {y.shape[0]} rows but bags has {bags.shape[0]}: one bag id per row."
        )
    try:
        y = y.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "y must hold each row's bag proportion (a number in [0, 1])."
        ) from exc
    if not np.all(np.isfinite(y)):
        raise ValueError("the bag proportions y contain NaN or infinity.")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(
            f"bag proportions must lie in [0, 1], got values in [{y.min()}, {y.max()}]."
        )
    if bags.dtype.kind == "f":
        missing = np.isnan(bags)
    elif bags.dtype.kind == "O":
        missing = np.array([b is None or b != b for b in bags])  # None or NaN
    else:
        missing = np.zeros(bags.shape[0], dtype=bool)
    if missing.any():
        raise ValueError(
            f"{missing.sum()} rows have no bag id (NaN or None), e.g. row "
            f"{np.flatnonzero(missing)[0]}: every row needs a bag."
        )
    _, index = np.unique(bags, return_inverse=True)
    sizes = np.bincount(index)
    if sizes.shape[0] < 2:
        raise ValueError(
            "all rows are in a single bag: its proportion is only the overall "
            "positive rate and says nothing about the rows; at least two bags "
            "are needed."
        )
    proportions = np.bincount(index, weights=y) / sizes
    spread = np.abs(y - proportions[index])
    if np.any(spread > 1e-9):
        bad = np.unique(bags[spread > 1e-9])
        raise ValueError(
            "rows of one bag must share its proportion; bags "
            f"{bad[:5].tolist()} have rows that disagree."
        )
    if np.all(proportions == proportions[0]):
        what = (
            "the rows hold one class only"
            if proportions[0] in (0, 1)
            else "the bags do not tell which rows are positive"
        )
        raise ValueError(
            f"every bag has proportion {proportions[0]:g}: {what}, there is "
            "nothing to learn from."
        )
    return proportions, index, sizes
