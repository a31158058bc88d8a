"""The bad-input corpus, run through every public estimator.

Each case corrupts the valid data of ``skrobust._warmup.case_data`` in one
way; ``fit`` must raise a ValueError or TypeError whose message names the
problem (one of the case's keywords), before any heavy work, and must not
change the caller's arrays. The estimators come from
``skrobust.utils.discovery.all_estimators``, so an estimator added later is
fuzzed too.
"""

import numpy as np
import pytest

from skrobust._warmup import LLP, case_data
from skrobust.utils.discovery import all_estimators

ESTIMATORS = dict(all_estimators())


def _nan(X, y, fit):
    X = X.copy()
    X[3, 1] = np.nan
    return X, y, fit


def _inf(X, y, fit):
    X = X.copy()
    X[3, 1] = np.inf
    return X, y, fit


def _huge(X, y, fit):
    return X * 1e200, y, fit


def _empty(X, y, fit):
    fit = {k: v[:0] for k, v in fit.items()}
    return X[:0], y[:0], fit


def _one_row(X, y, fit):
    fit = {k: v[:1] for k, v in fit.items()}
    return X[:1], y[:1], fit


def _object_dtype(X, y, fit):
    X = X.astype(object)
    X[2, 0] = "n/a"
    return X, y, fit


def _short_y(X, y, fit):
    return X, y[:-5], fit


def _negative_weight(X, y, fit):
    weight = np.ones(len(X))
    weight[4] = -1.0
    return X, y, {**fit, "sample_weight": weight}


def _zero_weights(X, y, fit):
    return X, y, {**fit, "sample_weight": np.zeros(len(X))}


def _one_class(X, y, fit):
    return X, np.full_like(y, y[0]), fit


def _continuous_y(X, y, fit):
    return X, np.linspace(0.1, 7.3, len(y)), fit


def _proportion_outside(X, y, fit):
    y = y.copy()
    y[fit["bags"] == fit["bags"][0]] = 1.5
    return X, y, fit


def _inconsistent_bag(X, y, fit):
    y = y.copy()
    y[0] = 1.0 - y[0] if y[0] != 0.5 else 0.25  # one row disagrees with its bag
    return X, y, fit


def _bags_of_wrong_length(X, y, fit):
    return X, y, {**fit, "bags": fit["bags"][:-3]}


# name: (corruption, keywords of which the message must hold one, applies to)
CASES = {
    "NaN in X": (_nan, ["nan"], "all"),
    "inf in X": (_inf, ["infinity", "inf"], "all"),
    "huge finite X": (_huge, ["overflow", "scale"], "own arithmetic"),
    "no rows": (_empty, ["0 sample", "empty", "no rows", "at least one"], "all"),
    "one row": (_one_row, ["sample", "class", "row", "bag"], "all"),
    "object X": (_object_dtype, ["could not convert", "n/a", "numeric"], "all"),
    "y of another length": (
        _short_y,
        ["inconsistent", "match", "rows", "samples"],
        "all",
    ),
    "negative weight": (_negative_weight, ["negative", "sample_weight"], "weighted"),
    "all-zero weights": (_zero_weights, ["sample_weight", "weight"], "weighted"),
    "one class": (_one_class, ["class"], "labels"),
    "continuous y": (
        _continuous_y,
        ["unknown label type", "continuous", "class"],
        "labels",
    ),
    "proportion outside [0, 1]": (
        _proportion_outside,
        ["[0, 1]", "proportion"],
        "bags",
    ),
    "row disagreeing with its bag": (_inconsistent_bag, ["bag", "proportion"], "bags"),
    "bags of another length": (
        _bags_of_wrong_length,
        ["bags", "rows", "match"],
        "bags",
    ),
}


# wrappers hand X to the user's model, which judges its scale (a tree takes
# any magnitude); they hold no norms or kernels of their own
WRAPPERS = {
    "CleanLearningClassifier",
    "ConformalClassifier",
    "ConformalMultiLabelClassifier",
    "PartitionAggregationClassifier",
    "RobustConformalClassifier",
}


def _applies(name, scope):
    if scope == "all":
        return True
    if scope == "own arithmetic":
        return name not in WRAPPERS
    if scope == "bags":
        return name in LLP
    if scope == "labels":
        return name not in LLP and name != "ConformalMultiLabelClassifier"
    import inspect

    return "sample_weight" in inspect.signature(ESTIMATORS[name].fit).parameters


def _corpus():
    for name in sorted(ESTIMATORS):
        for case, (_, _, scope) in CASES.items():
            if _applies(name, scope):
                yield pytest.param(name, case, id=f"{name}-{case}")


@pytest.mark.parametrize(("name", "case"), list(_corpus()))
def test_bad_input_gets_a_clear_error(name, case):
    corrupt, keywords, _ = CASES[case]
    X, y, fit, _ = case_data(name)
    X, y, fit = corrupt(X, y, fit)
    copies = [np.array(a, copy=True) for a in (X, y, *fit.values())]
    cls = ESTIMATORS[name]
    params = {"random_state": 0} if "random_state" in cls().get_params() else {}
    with pytest.raises((ValueError, TypeError)) as caught:
        cls(**params).fit(X, y, **fit)
    message = str(caught.value).lower()
    assert any(word in message for word in keywords), message
    for before, after in zip(copies, (X, y, *fit.values()), strict=True):
        np.testing.assert_array_equal(np.asarray(after), before)


# levels: alpha is the miscoverage, in (0, 1), alone or as a list of levels
LEVELS = {
    "ConformalClassifier",
    "ConformalMultiLabelClassifier",
    "RobustConformalClassifier",
}
BAD_ALPHAS = [-0.1, np.nan, np.inf, "high"]
BAD_LEVELS = [0.0, 1.0, 1.5, [0.1, 1.2], [0.1, np.nan], [], [[0.1]]]


def _alpha_corpus():
    for name in sorted(ESTIMATORS):
        if "alpha" in ESTIMATORS[name]().get_params():
            for alpha in BAD_ALPHAS + (BAD_LEVELS if name in LEVELS else []):
                yield pytest.param(name, alpha, id=f"{name}-alpha={alpha!r}")


@pytest.mark.parametrize(("name", "alpha"), list(_alpha_corpus()))
def test_bad_alpha_gets_a_clear_error(name, alpha):
    X, y, fit, _ = case_data(name)
    with pytest.raises((ValueError, TypeError), match="alpha"):
        ESTIMATORS[name](alpha=alpha).fit(X, y, **fit)
