"""Time of the first fit in a fresh Python process, cold and warm Numba cache.

Each run starts a new interpreter that imports the estimator's skrobust
module and fits once on a small problem; "cold" points NUMBA_CACHE_DIR at an
empty folder (every kernel compiles), "warm" reuses the folder the cold run
filled.

    python benchmarks/first_fit.py
"""

import json
import os
import subprocess
import sys
import tempfile

SNIPPET = r"""
import json, time
start = time.perf_counter()
import numpy as np, scipy.sparse as sp
import skrobust.{module}
imported = time.perf_counter()
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
data = {{"dense": X, "sparse": sp.csr_matrix(X)}}[{kind!r}]
t = time.perf_counter()
skrobust.{module}.{estimator}({params}).fit(data, y)
fitted = time.perf_counter()
print(json.dumps({{"import": imported - start, "fit": fitted - t}}))
"""


def run(module, estimator, kind, params, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    snippet = SNIPPET.format(
        module=module, estimator=estimator, kind=kind, params=params
    )
    out = subprocess.run(
        [sys.executable, "-c", snippet],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    print(
        "| input (2000 x 20) | estimator | import skrobust.<module> (s) "
        "| first fit, cold cache (s) | first fit, warm cache (s) |"
    )
    print("|---|---|---|---|---|")
    configs = [
        ("svm", "RobustLinearSVC", kind, f"noise_rates=None, dual=True, loss={loss!r}")
        for kind in ("dense", "sparse")
        for loss in ("squared_hinge", "hinge")
    ]
    configs += [
        ("svm", "RobustLinearSVC", "dense", ""),
        ("svm", "RobustLinearSVC", "sparse", "loss='hinge'"),
        ("svm", "RobustSVC", "dense", "noise_rates=None"),
        ("svm", "RobustSVC", "sparse", "noise_rates=None"),
        ("svm", "RobustSVC", "dense", ""),
        ("svm", "FloralSVC", "dense", ""),
        ("linear_model", "RobustLossClassifier", "dense", ""),
        ("linear_model", "RobustLossClassifier", "sparse", "'crammer_singer'"),
        ("conformal", "ConformalClassifier", "dense", "conformity_score='aps'"),
        ("conformal", "ConformalMultiLabelClassifier", "dense", ""),
    ]
    for module, estimator, kind, params in configs:
        with tempfile.TemporaryDirectory() as cache_dir:
            cold = run(module, estimator, kind, params, cache_dir)
            warm = run(module, estimator, kind, params, cache_dir)
        print(
            f"| {kind} | {estimator}({params}) | {warm['import']:.2f} | "
            f"{cold['fit']:.2f} | {warm['fit']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
