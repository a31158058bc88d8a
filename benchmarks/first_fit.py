"""Time of the first fit in a fresh Python process, cold and warm Numba cache.

Each run starts a new interpreter that imports skrobust and fits once on a
small problem; "cold" points NUMBA_CACHE_DIR at an empty folder (every kernel
compiles), "warm" reuses the folder the cold run filled.

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
import skrobust.svm
imported = time.perf_counter()
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
data = {{"dense": X, "sparse": sp.csr_matrix(X)}}[{kind!r}]
t = time.perf_counter()
skrobust.svm.{estimator}({params}).fit(data, y)
fitted = time.perf_counter()
print(json.dumps({{"import": imported - start, "fit": fitted - t}}))
"""


def run(estimator, kind, params, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    snippet = SNIPPET.format(estimator=estimator, kind=kind, params=params)
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
        "| input (2000 x 20) | estimator | import skrobust.svm (s) "
        "| first fit, cold cache (s) | first fit, warm cache (s) |"
    )
    print("|---|---|---|---|---|")
    configs = [
        ("RobustLinearSVC", kind, f"noise_rates=None, dual=True, loss={loss!r}")
        for kind in ("dense", "sparse")
        for loss in ("squared_hinge", "hinge")
    ]
    configs += [
        ("RobustLinearSVC", "dense", ""),
        ("RobustLinearSVC", "sparse", "loss='hinge'"),
        ("RobustSVC", "dense", "noise_rates=None"),
        ("RobustSVC", "sparse", "noise_rates=None"),
        ("RobustSVC", "dense", ""),
        ("FloralSVC", "dense", ""),
    ]
    for estimator, kind, params in configs:
        with tempfile.TemporaryDirectory() as cache_dir:
            cold = run(estimator, kind, params, cache_dir)
            warm = run(estimator, kind, params, cache_dir)
        print(
            f"| {kind} | {estimator}({params}) | {warm['import']:.2f} | "
            f"{cold['fit']:.2f} | {warm['fit']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
