"""Input checks shared across skrobust; each raises a message naming the problem."""

import math
import numbers

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d


def check_binary_scores(y, scores):
    """Return ``(y_is_positive, scores)`` for binary labels and 1-D scores."""
    y = column_or_1d(y, warn=True)
    scores = column_or_1d(scores, warn=True)
    if y.shape[0] != scores.shape[0]:
        raise ValueError(
            f"y and scores have different lengths: {y.shape[0]} and {scores.shape[0]}."
        )
    if y.shape[0] == 0:
        raise ValueError("y is empty.")
    classes = np.unique(y)
    if classes.shape[0] != 2:
        raise ValueError(
            f"y must hold exactly two classes, got {classes.shape[0]}: {classes[:5]}."
        )
    try:
        scores = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("scores must be numeric.") from exc
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or infinity.")
    return y == classes[1], scores


def check_sample_weight(sample_weight, n_samples):
    """Return float64 sample weights of length ``n_samples`` (ones if None)."""
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=float)
    try:
        sample_weight = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("sample_weight must be numeric.") from exc
    if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected ({n_samples},)!"
        )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative.")
    if n_samples and not np.any(sample_weight > 0):
        raise ValueError("sample_weight is zero for every sample; nothing to fit.")
    return sample_weight


def check_positive_int(value, name):
    """Check ``value`` is an integer >= 1."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}.")
    return int(value)


def check_option(value, name, options):
    """Check ``value`` is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}.")
    return value


def check_budget(budget, n_samples):
    """The number of labels to flip: a fraction in [0, 1) of ``n_samples``
    (rounded up, as the FLORAL scripts do) or a count in [0, n_samples]."""
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real):
        raise TypeError(f"budget must be a fraction or a count, got {budget!r}.")
    if isinstance(budget, numbers.Integral):
        if not 0 <= budget <= n_samples:
            raise ValueError(
                f"a budget count must lie in [0, {n_samples}] (the number of "
                f"samples), got {budget}."
            )
        return int(budget)
    if not 0 <= budget < 1:
        raise ValueError(f"a budget fraction must lie in [0, 1), got {budget!r}.")
    return math.ceil(budget * n_samples)


def encode_classes(y, owner):
    """``(classes, y as indices into them)`` of classification targets; a
    ValueError naming ``owner`` unless there are at least 2 classes."""
    check_classification_targets(y)
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"{owner} needs samples of at least 2 classes; got 1 class: {classes[0]!r}."
        )
    return classes, encoded


def check_feature_scale(X, estimator):
    """Refuse features so large that squared norms overflow float64.

    The kernels and solvers sum squares of a row's values (norms, dot
    products, RBF distances): past ``sqrt(max_float / n_features)`` they
    overflow to infinity and the fit would end in an internal error or a
    silent chance-level model. The error names the estimator and the column.
    """
    n_features = X.shape[1]
    if n_features == 0 or X.shape[0] == 0:
        return
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    limit = np.sqrt(np.finfo(dtype).max / n_features)
    largest = abs(X).max(axis=0)
    if hasattr(largest, "toarray"):  # sparse input gives a sparse row
        largest = largest.toarray()
    largest = np.asarray(largest).ravel()
    if not (largest > limit).any():
        return
    column = int(np.argmax(largest))
    names = getattr(estimator, "feature_names_in_", None)
    label = f"column {names[column]!r}" if names is not None else f"column {column}"
    raise ValueError(
        f"{type(estimator).__name__}: {label} of X holds values up to "
        f"{largest[column]:.3g}, whose squares overflow {dtype} (the limit with "
        f"{n_features} features is {limit:.3g}); scale your features, for "
        "example with StandardScaler."
    )


def check_box(estimator, upper, diagonal, tol):
    """Refuse dual boxes so large that the SVM dual is numerically ill-posed.

    A dual gradient sums up to ``n`` terms of size ``upper * diagonal``; once
    float64 round-off on that sum (``eps * n * upper * diagonal``) exceeds
    ``tol``, the solver cannot see the stopping rule hold and runs to its
    step cap (a weight of 1e20 on 96 rows took two minutes). The error names
    the largest ``C * sample_weight`` and the bound it should stay under.
    """
    n = len(upper)
    largest = float(np.max(upper)) if n else 0.0
    scale = np.finfo(np.float64).eps * n * max(float(diagonal), 1e-300)
    if largest * scale > tol:
        raise ValueError(
            f"{type(estimator).__name__}: C * sample_weight reaches {largest:.3g}, "
            f"too large for float64 on {n} samples (above {tol / scale:.3g} the "
            "dual gradients' round-off exceeds tol, and the solver cannot "
            "converge); lower C or rescale sample_weight."
        )
