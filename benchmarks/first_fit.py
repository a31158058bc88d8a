"""Import time and the first fit in a fresh Python process, cold and warm cache.

Every public estimator (``skrobust.utils.discovery.all_estimators()``) is
fitted once, then predicts once, in a new interpreter: "cold" points
``NUMBA_CACHE_DIR`` at an empty folder (every kernel the call uses compiles),
"warm" reuses the folder the cold run filled. The data are 2000 x 20
(``make_classification``; 2000 x 20 with 5 labels for the multi-label
estimator; bags of 16 rows for the label-proportion ones). Each figure is the
median of ``--repeat`` runs, each cold run on its own empty folder. The
"compiled" column counts the Numba functions the cold fit and predict
compiled (a ``numba:compile`` event listener) and their compile time.

The import table times ``import <module>`` in a fresh interpreter (the
interpreter's own start-up excluded), splits it with ``python -X importtime``
into skrobust's own modules and the packages they import (scikit-learn with
the scipy and pandas modules it loads, Numba), and checks that the import
compiled nothing (no Numba function of skrobust has a compiled signature
after it).

    python benchmarks/first_fit.py --repeat 3
    python benchmarks/first_fit.py --only RobustSVC --profile
    python benchmarks/first_fit.py --no-fits --repeat 5

``--profile`` prints, for each cold case, the compile time of every Numba
function (exclusive of the functions it calls, which compile inside it).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

IMPORTS = [
    "numpy",
    "scipy.sparse",
    "numba",
    "sklearn",
    "skrobust",
    "skrobust.cleaning",
    "skrobust.conformal",
    "skrobust.linear_model",
    "skrobust.llp",
    "skrobust.noise",
    "skrobust.poisoning",
    "skrobust.svm",
    "skrobust.utils",
]

IMPORT_SNIPPET = r"""
import json, sys, time
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
compiled = 0
for name, mod in list(sys.modules.items()):
    if not name.startswith("skrobust") or mod is None:
        continue
    for obj in list(vars(mod).values()):
        overloads = getattr(obj, "overloads", None)
        if isinstance(overloads, dict) and hasattr(obj, "py_func"):
            compiled += len(overloads)
print(json.dumps({{"import": elapsed, "compiled": compiled}}))
"""

# (module, estimator, parameters, data, predict method)
CASES = [
    ("svm", "RobustLinearSVC", "", "dense", "predict"),
    ("svm", "RobustLinearSVC", "noise_rates=None, dual=True", "dense", "predict"),
    ("svm", "RobustLinearSVC", "loss='hinge'", "sparse", "predict"),
    ("svm", "RobustSVC", "noise_rates=None", "dense", "predict"),
    ("svm", "RobustSVC", "noise_rates=None", "sparse", "predict"),
    ("svm", "RobustSVC", "", "dense", "predict"),
    ("svm", "FloralSVC", "", "dense", "predict"),
    ("linear_model", "RobustLossClassifier", "", "dense", "predict"),
    ("linear_model", "RobustLossClassifier", "'log_loss'", "dense", "predict"),
    ("linear_model", "RobustLossClassifier", "'crammer_singer'", "sparse", "predict"),
    ("cleaning", "CleanLearningClassifier", "", "dense", "predict"),
    ("conformal", "ConformalClassifier", "", "dense", "predict_set"),
    (
        "conformal",
        "ConformalClassifier",
        "skrobust.svm.RobustLinearSVC(), conformity_score='aps'",
        "dense",
        "predict_set",
    ),
    ("conformal", "ConformalMultiLabelClassifier", "", "multilabel", "predict_set"),
    ("llp", "DLLPClassifier", "", "bags", "predict"),
    ("llp", "EasyLLPClassifier", "", "bags", "predict"),
    ("llp", "InvCalClassifier", "", "bags", "predict"),
    ("llp", "LLPBeliefPropagation", "", "bags", "predict"),
]

FIT_SNIPPET = r"""
import json, threading, time
start = time.perf_counter()
import numpy as np, scipy.sparse as sp
import skrobust.{module}
{extra_import}
imported = time.perf_counter()
import numba.core.event as ev
from sklearn.datasets import make_classification, make_multilabel_classification

kind = {kind!r}
fit_kwargs = {{}}
if kind == "multilabel":
    X, y = make_multilabel_classification(
        n_samples=2000, n_features=20, n_classes=5, random_state=0
    )
else:
    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
if kind == "sparse":
    X = sp.csr_matrix(X)
if kind == "bags":
    bags, y = skrobust.llp.make_bags(y, 16, random_state=0)
    fit_kwargs = {{"bags": bags}}


class Compiles(ev.Listener):
    # per function: compile time without the functions compiled inside it
    def __init__(self):
        self.stack = threading.local()
        self.own = {{}}
        self.total = 0.0
        self.cpu = 0.0  # thread CPU time: less sensitive to load

    def on_start(self, event):
        frames = getattr(self.stack, "frames", None)
        if frames is None:
            frames = self.stack.frames = []
        frames.append([time.perf_counter(), time.thread_time(), 0.0])

    def on_end(self, event):
        begin, begin_cpu, children = self.stack.frames.pop()
        spent = time.perf_counter() - begin
        if self.stack.frames:
            self.stack.frames[-1][2] += spent
        else:
            self.total += spent
            self.cpu += time.thread_time() - begin_cpu
        dispatcher = event.data["dispatcher"]
        name = dispatcher.py_func.__module__ + "." + dispatcher.py_func.__qualname__
        sig = ", ".join(str(a) for a in event.data["args"])
        self.own[name + "(" + sig + ")"] = spent - children


compiles = Compiles()
ev.register("numba:compile", compiles)
model = skrobust.{module}.{estimator}({params})
t = time.perf_counter()
model.fit(X, y, **fit_kwargs)
fitted = time.perf_counter()
getattr(model, {predict!r})(X)
predicted = time.perf_counter()
print(json.dumps({{
    "import": imported - start,
    "fit": fitted - t,
    "predict": predicted - fitted,
    "n_compiled": len(compiles.own),
    "compile": compiles.total,
    "compile cpu": compiles.cpu,
    "own": compiles.own,
}}))
"""


def _python(snippet, cache_dir, flags=()):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONWARNINGS="ignore")
    out = subprocess.run(
        [sys.executable, *flags, "-c", snippet],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    if flags:
        return out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_shares(module):
    """Seconds of ``import module`` spent in skrobust's own modules, in Numba
    (and llvmlite) and in every other package (scikit-learn, scipy, numpy,
    pandas...): the modules' own times from one ``python -X importtime`` run."""
    with tempfile.TemporaryDirectory() as cache_dir:
        snippet = f"import sys; print('start', file=sys.stderr); import {module}"
        log = _python(snippet, cache_dir, ("-X", "importtime"))
    shares = {"skrobust": 0.0, "numba": 0.0, "other": 0.0}
    # the interpreter's start-up imports come before the marker
    for line in log.split("start\n", 1)[1].splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, _, name = line[len("import time:") :].split("|")
        package = name.strip().split(".")[0]
        if package == "llvmlite":
            package = "numba"
        shares[package if package in shares else "other"] += int(self_us) / 1e6
    return shares["skrobust"], shares["numba"], shares["other"]


def time_import(module, repeat):
    """Median import time over ``repeat`` fresh interpreters (cold cache)."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache_dir:
            runs.append(_python(IMPORT_SNIPPET.format(module=module), cache_dir))
    return (
        statistics.median(r["import"] for r in runs),
        max(r["compiled"] for r in runs),
    )


def time_fit(case, repeat):
    """Median cold and warm runs of one case, and the last cold run."""
    module, estimator, params, kind, predict = case
    extra = "import skrobust.svm" if "skrobust.svm" in params else ""
    snippet = FIT_SNIPPET.format(
        module=module,
        estimator=estimator,
        params=params,
        kind=kind,
        predict=predict,
        extra_import=extra,
    )
    cold, warm = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as cache_dir:
            cold.append(_python(snippet, cache_dir))
            warm.append(_python(snippet, cache_dir))

    def median(runs, key):
        return statistics.median(r[key] for r in runs)

    return {
        "import": median(warm, "import"),
        "cold fit": median(cold, "fit"),
        "cold predict": median(cold, "predict"),
        "warm fit": median(warm, "fit"),
        "warm predict": median(warm, "predict"),
        "compile": median(cold, "compile"),
        "compile cpu": median(cold, "compile cpu"),
        "n_compiled": cold[-1]["n_compiled"],
        "warm compiles": max(r["n_compiled"] for r in warm),
        "own": cold[-1]["own"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure")
    parser.add_argument("--only", help="estimators whose name contains this")
    parser.add_argument("--no-imports", action="store_true", help="skip imports")
    parser.add_argument("--no-fits", action="store_true", help="imports only")
    parser.add_argument(
        "--profile", action="store_true", help="compile time of every function"
    )
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) at start: {load}\n")

    if not args.no_imports and not args.only:
        print(
            "| import | time (s) | skrobust's modules (s) | Numba (s) "
            "| other packages (s) | Numba functions compiled |"
        )
        print("|---|---|---|---|---|---|")
        for module in IMPORTS:
            seconds, compiled = time_import(module, args.repeat)
            own, numba, other = import_shares(module)
            print(
                f"| {module} | {seconds:.2f} | {own:.2f} | {numba:.2f} "
                f"| {other:.2f} | {compiled} |",
                flush=True,
            )
        print()
    if args.no_fits:
        return

    print(
        "| estimator | input | import (s) | first fit, cold (s) "
        "| first predict, cold (s) | first fit, warm (s) "
        "| first predict, warm (s) | compiled: functions, time (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    profiles = []
    for case in CASES:
        module, estimator, params, kind, predict = case
        if args.only and args.only not in estimator:
            continue
        r = time_fit(case, args.repeat)
        label = f"{estimator}({params})"
        if predict != "predict":
            label += f", {predict}"
        print(
            f"| {label} | {kind} | {r['import']:.2f} | {r['cold fit']:.2f} "
            f"| {r['cold predict']:.2f} | {r['warm fit']:.2f} "
            f"| {r['warm predict']:.2f} | {r['n_compiled']}, {r['compile']:.1f} "
            f"({r['compile cpu']:.1f} CPU) |",
            flush=True,
        )
        if r["warm compiles"]:
            print(f"  warm run compiled {r['warm compiles']} functions", flush=True)
        profiles.append((label, kind, r["own"]))

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average (1, 5, 15 min) at end: {load}")
    if args.profile:
        for label, kind, own in profiles:
            print(f"\n{label}, {kind}: compile time per function (s)")
            for name, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
                print(f"  {seconds:6.2f}  {name}")


if __name__ == "__main__":
    main()
