"""Time and memory of conformal prediction sets against MAPIE 1.6 on the same input.

Both libraries wrap the same "prefit" stub classifier whose predict_proba
returns stored rows of a probability matrix (a view, not a copy, for a
contiguous block of rows), so the model costs nothing and only the
conformal overhead is measured: skrobust's ``ConformalClassifier(stub,
method="prefit")`` against MAPIE's ``SplitConformalClassifier(stub,
prefit=True)``, one confidence level (alpha = 0.1), n_cal = 10_000
calibration rows, n_test = 1e5 and 1e6 test rows, K = 10 and 100 classes,
scores LAC and APS. The probabilities are synthetic Dirichlet-like rows
(gamma(1) noise plus a gamma(3) bump at the true class, weighted by
``--bump`` times log10(K)), about 76% top-1 accuracy at both K at the
default weight; ``--bump 0.1`` gives flat rows and sets of tens of classes.
There MAPIE's sets may hold one class more in a few rows: it counts
probabilities within 1e-8 of the last kept class as tied with it, skrobust
only equal ones (2 of 20,000 checked rows at 1e6 x 100).

MAPIE's APS is its stock score (randomised calibration scores, prediction
with ``include_last_label=True``, the default); skrobust's is
``conformity_score="aps", randomized=False`` (``include_last_label=True``).
The randomisation changes the threshold, not the work, so the timings
compare. The "same sets" column checks 20_000 random test rows: for LAC the
timed outputs themselves, for APS skrobust's timed output against MAPIE
calibrated with the non-randomised APS score it documents (the true-label
cumulative mass, as in tests/conformal/test_mapie_identity.py).

Each (library, case) runs in a fresh process. It first calibrates and
predicts once on small data, so Numba's compilation (or the loading of its
on-disk cache) and MAPIE's first-call imports are not timed, then times
``fit`` / ``conformalize`` on the 10_000 calibration rows and
``predict_set`` on the test rows, best of ``--repeats`` each.

Peak memory is the process's peak resident set size (``ru_maxrss``) during
the ``predict_set`` calls minus the resident size just before them, i.e.
beyond the input probabilities (and the libraries): the high-water mark is
reset right before the calls by writing 5 to /proc/self/clear_refs (Linux),
so that nothing earlier (data generation, warm-up) can hide the peak; the
before/after difference of ``ru_maxrss`` alone is used where that file is
not writable. RSS rather than tracemalloc because it counts every
allocation the OS backs, whatever allocator made it (numpy, Numba's
runtime, BLAS, scratch buffers in Numba's threads), and costs nothing
while timing; tracemalloc only sees allocations that report to Python and
slows Python-level allocations in the timed code. The extra memory
includes the returned boolean sets (n_test x K bytes: 100 MB at 1e6 x 100)
and, for MAPIE, its predicted labels. skrobust's kernels run in threads on
all cores (one thread per 2048 rows at most); MAPIE's numpy code is
single-threaded. ``--cpus 1`` pins both processes to one CPU, for a
comparison per core.

    python benchmarks/conformal_speed.py
"""

import argparse
import json
import os
import subprocess
import sys

SNIPPET = r"""
import json, resource, time, warnings
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

n_cal, n_test, k, library, score = {n_cal}, {n_test}, {k}, {library!r}, {score!r}
bump = {bump}
repeats, out, n_check = {repeats}, {out!r}, {n_check}
warnings.simplefilter("ignore")
if library == "mapie":
    from mapie.classification import SplitConformalClassifier
    from mapie.conformity_scores import APSConformityScore

    class NonRandomAPS(APSConformityScore):
        def get_conformity_scores(self, y, y_pred, y_enc=None, **kwargs):
            scores, self.cutoff = self.get_true_label_cumsum_proba(
                y, y_pred, self.classes
            )
            return scores
else:
    from skrobust.conformal import ConformalClassifier


class StoredProba(ClassifierMixin, BaseEstimator):
    # rows of a stored matrix, looked up by the index in the single feature
    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.arange(self.proba.shape[1])
        return self

    def predict_proba(self, X):
        index = np.asarray(X)[:, 0].astype(np.int64)
        first, last = index[0], index[-1]
        if last - first + 1 == index.size and np.all(np.diff(index) == 1):
            return self.proba[first : last + 1]  # a view: no copy
        return self.proba[index]

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


def problem(n, k, seed):
    # built in place: no temporary as large as the matrix
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    proba = np.empty((n, k))
    rng.standard_gamma(1.0, out=proba)
    proba[np.arange(n), true] += rng.standard_gamma(3.0, size=n) * bump * np.log10(k)
    proba /= proba.sum(axis=1, keepdims=True)
    return proba, true


def calibrate(model, X, y, score):
    if library == "skrobust":
        return ConformalClassifier(
            model, alpha=0.1, conformity_score=score, method="prefit", randomized=False
        ).fit(X, y)
    return SplitConformalClassifier(
        model, confidence_level=0.9, conformity_score=score, prefit=True
    ).conformalize(X, y)


def predict_set(cp, X):
    if library == "skrobust":
        return cp.predict_set(X)
    return cp.predict_set(X)[1][:, :, 0]


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        return True
    except OSError:
        return False


small, small_true = problem(3000, k, seed=1)
warm = StoredProba(small).fit(None, None)
X_small = np.arange(3000, dtype=float)[:, None]
predict_set(calibrate(warm, X_small[:2000], small_true[:2000], score), X_small[2000:])
del small, warm

proba, true = problem(n_cal + n_test, k, seed=0)
model = StoredProba(proba).fit(None, None)
X = np.arange(n_cal + n_test, dtype=float)[:, None]
X_cal, y_cal, X_test = X[:n_cal], true[:n_cal], X[n_cal:]

fit_best = np.inf
for _ in range(repeats):
    start = time.perf_counter()
    cp = calibrate(model, X_cal, y_cal, score)
    fit_best = min(fit_best, time.perf_counter() - start)

reset = reset_peak()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
best, sets = np.inf, None
for _ in range(repeats):
    sets = None
    start = time.perf_counter()
    sets = predict_set(cp, X_test)
    best = min(best, time.perf_counter() - start)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

check = np.sort(np.random.default_rng(2).choice(n_test, n_check, replace=False))
if library == "mapie" and score == "aps":
    nonrandom = SplitConformalClassifier(
        model, confidence_level=0.9, conformity_score=NonRandomAPS(), prefit=True
    ).conformalize(X_cal, y_cal)
    check_sets = nonrandom.predict_set(X_test[check])[1][:, :, 0]
else:
    check_sets = sets[check]
np.save(out, check_sets)
print(json.dumps({{
    "fit": fit_best, "seconds": best, "extra_mb": (after - before) / 1024,
    "size": float(sets.sum(axis=1).mean()), "peak_reset": reset,
}}))
"""


def run(n_test, k, library, score, args, out):
    snippet = SNIPPET.format(
        n_cal=args.n_cal,
        n_test=n_test,
        k=k,
        library=library,
        score=score,
        repeats=args.repeats,
        out=out,
        n_check=min(20_000, n_test),
        bump=args.bump,
    )

    def pin():
        if args.cpus:
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cpus])

    result = subprocess.run(
        [sys.executable, "-c", snippet],
        capture_output=True,
        text=True,
        preexec_fn=pin,
    )
    if result.returncode:
        sys.exit(f"{library} {score} {n_test:.0e} x {k} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    import tempfile
    from pathlib import Path

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-cal", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--classes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--scores", nargs="+", default=["lac", "aps"])
    parser.add_argument(
        "--cpus", type=int, help="pin each measured process to this many CPUs"
    )
    parser.add_argument(
        "--bump",
        type=float,
        default=1.25,
        help="weight of the true class's gamma(3) bump, times log10(K); 1.25 "
        "gives about 76%% top-1 accuracy, 0.1 flat rows and large sets",
    )
    args = parser.parse_args()
    print(
        "| n_test x K | score | MAPIE fit (s) | skrobust fit (s) | MAPIE predict_set "
        "(s) | skrobust predict_set (s) | ratio | MAPIE peak extra (MB) | skrobust "
        "peak extra (MB) | mean size MAPIE / skrobust | same sets |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    reset, different = True, []
    with tempfile.TemporaryDirectory() as tmp:
        for n_test in args.n_test:
            for k in args.classes:
                for score in args.scores:
                    res = {}
                    for library in ("mapie", "skrobust"):
                        out = str(Path(tmp) / f"{library}.npy")
                        res[library] = run(n_test, k, library, score, args, out)
                        reset &= res[library]["peak_reset"]
                    mapie_sets = np.load(Path(tmp) / "mapie.npy")
                    rows = (mapie_sets != np.load(Path(tmp) / "skrobust.npy")).any(1)
                    same = "yes" if not rows.any() else f"{rows.sum()} rows differ"
                    # MAPIE counts probabilities within 1e-8 as tied, skrobust
                    # only equal ones: flat rows of 100 classes hold such
                    # near-ties, peaked ones (the default) do not
                    if rows.any() and args.bump == 1.25:
                        different.append(f"{n_test:.0e} x {k} {score}")
                    m, s = res["mapie"], res["skrobust"]
                    print(
                        f"| {n_test:.0e} x {k} | {score} | {m['fit']:.3f} | "
                        f"{s['fit']:.3f} | {m['seconds']:.3f} | {s['seconds']:.3f} | "
                        f"{s['seconds'] / m['seconds']:.2f} | {m['extra_mb']:.0f} | "
                        f"{s['extra_mb']:.0f} | {m['size']:.2f} / {s['size']:.2f} | "
                        f"{same} |",
                        flush=True,
                    )
    if not reset:
        print("(peak RSS could not be reset: memory is the plain ru_maxrss increase)")
    assert not different, f"MAPIE and skrobust sets differ: {different}"


if __name__ == "__main__":
    main()
