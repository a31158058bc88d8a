"""Saving and loading fitted estimators, and predicting from several threads.

Every public estimator, fitted on small data suited to it, must: give the same
outputs after a pickle, joblib or skops round trip; hold no Numba object;
load and predict in a fresh process without fitting again; warn when loaded
under another skrobust version; and give from four threads at once the
results it gives serially.
"""

import dataclasses
import io
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import sklearn
from estimator_cases import ESTIMATORS, METHODS, NAMES, case_data, case_estimator
from numba.core.caching import NullCache
from numba.core.dispatcher import Dispatcher
from sklearn.base import BaseEstimator
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning
from threadpoolctl import threadpool_limits

import skrobust
from skrobust._kernels import conformal_sets, label_powerset
from skrobust.exceptions import InconsistentVersionWarning
from skrobust.utils._persistence import PickleVersionMixin

# What skops does not trust by default in a skrobust model: the estimator
# classes and the helper types some of them store (the user guide's
# "Persistence" section lists the same).
SKOPS_HELPER_TYPES = {
    "skrobust.svm._kernel_functions.KernelSpec",
    "skrobust.conformal._calibration.Calibration",
    "skrobust.conformal._scores.ScoreFunction",
    # RobustConformalClassifier's closed form of its model's logits
    "skrobust.conformal._perturbation.LinearView",
    "skrobust.conformal._perturbation.RBFView",
    # CertifiedKNeighborsClassifier's neighbour search (scikit-learn's own
    # KNeighborsClassifier stores the same)
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
}

# Numba entry points of the predict paths (the helpers they call run inside
# them): the conformal set, p-value and label-set region kernels. The other
# estimators predict with NumPy, BLAS or scikit-learn.
PREDICT_KERNELS = [
    conformal_sets.prediction_sets,
    conformal_sets.calibration_positions,
    label_powerset.region_sizes,
    label_powerset.fill_regions,
    label_powerset.label_certainty,
]


_FITTED = {}


def _fitted(name):
    """The fitted estimator and its test inputs, fitted once per session."""
    if name not in _FITTED:
        X, y, fit_params, X_test = case_data(name)
        # one BLAS thread: the tiny fits are much slower with several on a
        # loaded machine
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator = case_estimator(name).fit(X, y, **fit_params)
        _FITTED[name] = estimator, X_test
    return _FITTED[name]


def _methods(estimator):
    return [method for method in METHODS if hasattr(estimator, method)]


def _outputs(estimator, X):
    return {method: getattr(estimator, method)(X) for method in _methods(estimator)}


def _assert_same(actual, expected):
    """Exact equality of outputs: arrays, or lists of arrays (label-set regions)."""
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            _assert_same(actual[key], expected[key])
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            _assert_same(a, e)
    else:
        np.testing.assert_array_equal(actual, expected, strict=True)


def _round_trip(estimator, fmt, tmp_path):
    if fmt == "pickle":
        return pickle.loads(pickle.dumps(estimator))
    if fmt == "joblib":
        joblib.dump(estimator, tmp_path / "model.joblib")
        return joblib.load(tmp_path / "model.joblib")
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(estimator)
    untrusted = sio.get_untrusted_types(data=data)
    skrobust_estimators = {f"{c.__module__}.{c.__name__}" for c in ESTIMATORS.values()}
    assert set(untrusted) <= skrobust_estimators | SKOPS_HELPER_TYPES
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data)
    return sio.loads(data, trusted=untrusted)


@pytest.mark.parametrize("fmt", ["pickle", "joblib", "skops"])
@pytest.mark.parametrize("name", NAMES)
def test_round_trip_gives_identical_outputs(name, fmt, tmp_path):
    estimator, X_test = _fitted(name)
    expected = _outputs(estimator, X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        loaded = _round_trip(estimator, fmt, tmp_path)
    assert type(loaded) is type(estimator)
    assert "_skrobust_version" not in vars(loaded)
    _assert_same(_outputs(loaded, X_test), expected)


def _numba_objects(obj, path="estimator", seen=None):
    """Paths of the Numba objects reachable from ``obj``: attributes of
    objects, dataclass fields, items of lists, tuples, sets and dicts, and
    entries of object arrays."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type(None))):
        return []
    seen.add(id(obj))
    if isinstance(obj, Dispatcher) or type(obj).__module__.split(".")[0] == "numba":
        return [path]
    if isinstance(obj, np.ndarray):
        items = enumerate(obj.ravel()) if obj.dtype == object else []
    elif isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = enumerate(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = ((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = vars(obj).items()
    else:
        items = []
    found = []
    for key, value in items:
        found += _numba_objects(value, f"{path}[{key!r}]", seen)
    return found


class _RecordingUnpickler(pickle.Unpickler):
    """Records the module of every global a pickle refers to."""

    def find_class(self, module, name):
        self.modules.add(module)
        return super().find_class(module, name)


@pytest.mark.parametrize("name", NAMES)
def test_fitted_estimator_holds_no_numba_object(name):
    estimator, _ = _fitted(name)
    assert _numba_objects(estimator) == []
    unpickler = _RecordingUnpickler(io.BytesIO(pickle.dumps(estimator)))
    unpickler.modules = set()
    unpickler.load()
    assert not {m for m in unpickler.modules if m.split(".")[0] == "numba"}


def test_numba_scan_finds_a_kernel():
    # the scan above would see a kernel stored anywhere in a model
    estimator, _ = _fitted("RobustLossClassifier")
    fake = {"solver": [conformal_sets.prediction_sets]}
    assert _numba_objects({"model": estimator, "extra": fake}) == [
        "estimator['extra']['solver'][0]"
    ]


_LOAD_AND_PREDICT = textwrap.dedent(
    """
    import pickle
    import sys
    import warnings

    import sklearn.base
    from numba.core.dispatcher import Dispatcher

    from skrobust.exceptions import InconsistentVersionWarning

    warnings.simplefilter("error", InconsistentVersionWarning)


    def refit(*args, **kwargs):
        raise AssertionError("a loaded model was fitted again")


    # every scikit-learn fit checks its parameters first
    sklearn.base.BaseEstimator._validate_params = refit
    with open(sys.argv[1], "rb") as f:
        models, inputs, methods = pickle.load(f)
    for model in models.values():
        type(model).fit = refit
    outputs = {
        name: {m: getattr(model, m)(inputs[name]) for m in methods[name]}
        for name, model in models.items()
    }
    # the kernels that ran (loaded from the cache or compiled) have signatures
    used = {
        f"{module_name}.{attr}": value.targetoptions.get("nogil", False)
        for module_name, module in list(sys.modules.items())
        if module_name.startswith("skrobust._kernels.")
        for attr, value in vars(module).items()
        if isinstance(value, Dispatcher) and value.signatures
    }
    with open(sys.argv[2], "wb") as f:
        pickle.dump((outputs, used), f)
    """
)


def test_loads_and_predicts_in_a_fresh_process_without_refit(tmp_path):
    models, inputs, methods, expected = {}, {}, {}, {}
    for name in NAMES:
        estimator, X_test = _fitted(name)
        models[name], inputs[name] = estimator, X_test
        methods[name] = _methods(estimator)
        expected[name] = _outputs(estimator, X_test)
    with open(tmp_path / "models.pkl", "wb") as f:
        pickle.dump((models, inputs, methods), f)
    subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_AND_PREDICT,
            str(tmp_path / "models.pkl"),
            str(tmp_path / "outputs.pkl"),
        ],
        check=True,
        timeout=120,
        cwd=tmp_path,  # not the repository: the installed skrobust
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )
    with open(tmp_path / "outputs.pkl", "rb") as f:
        outputs, used_kernels = pickle.load(f)
    _assert_same(outputs, expected)
    # the Numba kernels that served predict in that process release the GIL
    assert used_kernels, "no kernel ran: the kernel lookup is broken"
    assert all(used_kernels.values()), used_kernels


@pytest.mark.parametrize("name", NAMES)
def test_version_mismatch_warns(name):
    estimator, X_test = _fitted(name)
    data = pickle.dumps(estimator)
    version = skrobust.__version__.encode()
    # a version string of the same length keeps the pickle valid
    other = b"9" * len(version)
    assert data.count(version) >= 1
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = pickle.loads(data.replace(version, other))
    # a nested skrobust estimator warns too, the outer one last
    warning = record[-1].message
    assert name in str(warning)
    assert warning.estimator_name == name
    assert warning.current_skrobust_version == skrobust.__version__
    assert warning.original_skrobust_version == other.decode()
    _assert_same(_outputs(loaded, X_test), _outputs(estimator, X_test))


@pytest.mark.parametrize("name", NAMES)
def test_same_version_does_not_warn(name):
    estimator, _ = _fitted(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(pickle.dumps(estimator))


def test_state_saved_without_a_version_warns():
    estimator, _ = _fitted("RobustLinearSVC")
    state = estimator.__getstate__()
    assert state["_skrobust_version"] == skrobust.__version__
    del state["_skrobust_version"]
    loaded = type(estimator).__new__(type(estimator))
    with pytest.warns(InconsistentVersionWarning, match="saved with skrobust unknown"):
        loaded.__setstate__(state)


def test_warning_pickles():
    warning = InconsistentVersionWarning("RobustSVC", "0.2", "0.1")
    copy = pickle.loads(pickle.dumps(warning))
    assert str(copy) == str(warning)
    assert copy.original_skrobust_version == "0.1"


@pytest.mark.parametrize("name", NAMES)
def test_version_mixin_runs_before_scikit_learns_state_methods(name):
    # the mixin calls scikit-learn's __getstate__/__setstate__ through super()
    mro = ESTIMATORS[name].__mro__
    assert PickleVersionMixin in mro
    assert mro.index(PickleVersionMixin) < mro.index(BaseEstimator)


def test_nested_scikit_learn_version_check_still_runs():
    estimator, _ = _fitted("CleanLearningClassifier")
    data = pickle.dumps(estimator)
    version = sklearn.__version__.encode()
    other = b"0" * len(version)
    with pytest.warns(SklearnVersionWarning):
        pickle.loads(data.replace(version, other))


@pytest.mark.parametrize("kernel", PREDICT_KERNELS, ids=lambda k: k.py_func.__name__)
def test_predict_kernels_release_the_gil(kernel):
    assert kernel.targetoptions.get("nogil") is True
    assert not isinstance(kernel._cache, NullCache)  # cache=True


def _large(X, n=4100):
    """``n`` rows around those of ``X``: enough rows for the row kernels to
    split the work over threads themselves (2048 rows per thread)."""
    rng = np.random.RandomState(0)
    rows = X[rng.randint(X.shape[0], size=n)]
    return rows + 0.01 * rng.standard_normal(rows.shape)


@pytest.mark.parametrize("name", NAMES)
def test_concurrent_predict_matches_serial(name):
    estimator, X_test = _fitted(name)
    n_threads = 4
    blocks = np.array_split(X_test, n_threads)  # different inputs per thread
    large = _large(X_test)  # the same input for every thread
    barrier = threading.Barrier(n_threads, timeout=60)

    def call(method, X):
        barrier.wait()  # start together
        return getattr(estimator, method)(X)

    with threadpool_limits(1), ThreadPoolExecutor(n_threads) as pool:
        for method in _methods(estimator):
            serial_blocks = [getattr(estimator, method)(X) for X in blocks]
            serial_large = getattr(estimator, method)(large)
            for _ in range(2):
                concurrent = list(pool.map(call, [method] * n_threads, blocks))
                _assert_same(concurrent, serial_blocks)
            concurrent = list(pool.map(call, [method] * n_threads, [large] * 4))
            _assert_same(concurrent, [serial_large] * n_threads)
