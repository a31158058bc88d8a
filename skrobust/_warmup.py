"""Compile skrobust's Numba kernels into the cache ahead of use
(``python -m skrobust warmup``).

Numba compiles a kernel on its first call in a process and caches the
machine code on disk; a fresh machine, container or CI job pays that cost on
its first fit. Fitting and using every public estimator once, on small data
of each kind the kernels are specialised for (two classes and several,
dense and sparse rows), fills the cache, so that a deployment image built
with it starts warm.
"""

import os
import time
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_blobs, make_multilabel_classification
from sklearn.utils import get_tags

LLP = {
    "DLLPClassifier",
    "EasyLLPClassifier",
    "InvCalClassifier",
    "LLPBeliefPropagation",
    "LLPClassifier",
}
METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "predict_set",
    "predict_pvalues",
    "region_sizes",
    "label_certainty",
)


def case_data(name, n_classes=3):
    """``(X_train, y_train, fit_params, X_test)`` suited to the estimator
    ``name``: label proportions of bags for the LLP estimators, label sets for
    the multi-label one, ``n_classes`` blobs otherwise."""
    from .llp import make_bags

    if name == "ConformalMultiLabelClassifier":
        X, Y = make_multilabel_classification(260, 5, n_classes=3, random_state=0)
        return X[:200], Y[:200], {}, X[200:]
    if name in LLP:
        X, y = make_blobs(180, 4, centers=2, cluster_std=2.5, random_state=0)
        bags, proportions = make_bags(y[:120], 8, random_state=0)
        return X[:120], proportions, {"bags": bags}, X[120:]
    X, y = make_blobs(180, 4, centers=n_classes, cluster_std=2.0, random_state=0)
    return X[:120], y[:120], {}, X[120:]


def _cases():
    """``(estimator, X, y, fit_params, X_test)`` for every kernel path."""
    from .utils.discovery import all_estimators

    for name, cls in all_estimators():
        for n_classes in (2, 3):
            X, y, fit_params, X_test = case_data(name, n_classes)
            params = {"random_state": 0} if "random_state" in cls().get_params() else {}
            yield cls(**params), X, y, fit_params, X_test
            if get_tags(cls()).input_tags.sparse and name not in LLP:
                csr = sp.csr_matrix(np.maximum(X, 0.0))
                yield (
                    cls(**params),
                    csr,
                    y,
                    fit_params,
                    sp.csr_matrix(np.maximum(X_test, 0.0)),
                )
            if name in LLP or name == "ConformalMultiLabelClassifier":
                break
    # the smoothing kernels of RobustConformalClassifier (its default picks
    # the exact bound for these models)
    from sklearn.svm import SVC

    from .conformal import RobustConformalClassifier

    for model in (None, SVC()):
        X, y, _, X_test = case_data("RobustConformalClassifier", 2)
        for score in ("lac", "aps"):
            robust = RobustConformalClassifier(
                model,
                method="smoothing",
                conformity_score=score,
                ptt=True,
                n_draws=64,
                random_state=0,
            )
            yield robust, X, y, {}, X_test


def cache_location():
    """Where Numba writes the cache: ``NUMBA_CACHE_DIR`` when set, else
    ``__pycache__`` folders beside skrobust's kernel modules (or, for a
    read-only install, Numba's user-wide cache folder)."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return os.path.abspath(configured)
    from . import _kernels

    return os.path.join(os.path.dirname(_kernels.__file__), "__pycache__")


@contextmanager
def compiled_kernels():
    """Record, as ``module.name(argument types)``, every skrobust function
    Numba compiles inside the ``with`` block (Numba's own overloads, compiled
    inside skrobust's kernels, are left out)."""
    import numba.core.event as event

    compiled = []

    class Compiles(event.Listener):
        def on_start(self, data):
            pass

        def on_end(self, data):
            function = data.data["dispatcher"].py_func
            if function.__module__.startswith("skrobust"):
                signature = ", ".join(str(a) for a in data.data["args"])
                compiled.append(
                    f"{function.__module__}.{function.__qualname__}({signature})"
                )

    listener = Compiles()
    event.register("numba:compile", listener)
    try:
        yield compiled
    finally:
        event.unregister("numba:compile", listener)


def use(estimator, X, y, fit_params, X_test):
    """Fit ``estimator`` and call each of its predict methods on ``X_test``."""
    estimator.fit(X, y, **fit_params)
    for method in METHODS:
        if hasattr(estimator, method):
            getattr(estimator, method)(X_test)


def warmup():
    """Fit and use every public estimator once so that Numba compiles, and
    caches, the kernels their paths call.

    Returns
    -------
    compiled : int
        Number of skrobust kernel signatures compiled (0 when the cache
        already held them all).
    seconds : float
        Wall time.

    Examples
    --------
    >>> from skrobust._warmup import warmup
    >>> compiled, seconds = warmup()  # doctest: +SKIP
    """
    start = time.perf_counter()
    with compiled_kernels() as compiled, warnings.catch_warnings():
        # tiny data: convergence and calibration-size warnings are expected
        warnings.simplefilter("ignore")
        for case in _cases():
            use(*case)
        # the batch scorer's CSV record scanner (on a writable array, as it runs)
        from ._kernels.csv_records import scan_records

        scan_records(np.frombuffer(b'a,b\n"1",2\n', np.uint8).copy(), 2, 10, True)
    return len(compiled), time.perf_counter() - start
