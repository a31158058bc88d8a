"""Time and memory of find_label_issues against cleanlab on the same input.

Synthetic out-of-sample probabilities (Dirichlet rows peaked at the true
class, 20% of labels flipped) at 1e6 x 10 and 1e5 x 1000. Each call runs in
a fresh process (so that peak memory can be read) after one warm-up call
on small data; the table gives the best of ``--repeats`` wall times, the
ratio skrobust / cleanlab, the peak memory the call added beyond its input,
and whether both flagged the same samples. cleanlab runs with its default
n_jobs (all cores), skrobust's kernels with all cores too.

    python benchmarks/label_issues_speed.py
"""

import argparse
import json
import subprocess
import sys

SNIPPET = r"""
import json, resource, time, warnings
import numpy as np
n, k, library, filter_by, repeats = {n}, {k}, {library!r}, {filter_by!r}, {repeats}
rng = np.random.default_rng(0)
true = rng.integers(0, k, n)
proba = rng.gamma(1.0, size=(n, k))
proba[np.arange(n), true] += rng.gamma(3.0, size=n) * k / 4
proba /= proba.sum(axis=1, keepdims=True)
labels = true.copy()
flip = rng.random(n) < 0.2
labels[flip] = (labels[flip] + rng.integers(1, k, flip.sum())) % k
if library == "cleanlab":
    from cleanlab.filter import find_label_issues
else:
    from skrobust.cleaning import find_label_issues
warnings.simplefilter("ignore")
warm = np.column_stack([proba[:5000, 0], 1 - proba[:5000, 0]])
find_label_issues(labels[:5000] % 2, warm, filter_by=filter_by)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
best = np.inf
for _ in range(repeats):
    start = time.perf_counter()
    mask = find_label_issues(labels, proba, filter_by=filter_by)
    best = min(best, time.perf_counter() - start)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.save({out!r}, mask)
print(json.dumps({{"seconds": best, "extra_mb": (after - before) / 1024}}))
"""


def run(n, k, library, filter_by, repeats, out):
    snippet = SNIPPET.format(
        n=n, k=k, library=library, filter_by=filter_by, repeats=repeats, out=out
    )
    result = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    import tempfile
    from pathlib import Path

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--filters",
        nargs="+",
        default=["prune_by_noise_rate", "prune_by_class", "confident_learning"],
    )
    args = parser.parse_args()
    print(
        "| n x K | filter_by | cleanlab (s) | skrobust (s) | ratio | cleanlab peak "
        "extra (MB) | skrobust peak extra (MB) | same flags |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, k in ((1_000_000, 10), (100_000, 1000)):
            for filter_by in args.filters:
                times = {}
                for library in ("cleanlab", "skrobust"):
                    out = str(Path(tmp) / f"{library}.npy")
                    times[library] = run(n, k, library, filter_by, args.repeats, out)
                same = np.array_equal(
                    np.load(Path(tmp) / "cleanlab.npy"),
                    np.load(Path(tmp) / "skrobust.npy"),
                )
                c, s = times["cleanlab"], times["skrobust"]
                print(
                    f"| {n:.0e} x {k} | {filter_by} | {c['seconds']:.2f} | "
                    f"{s['seconds']:.2f} | {s['seconds'] / c['seconds']:.2f} | "
                    f"{c['extra_mb']:.0f} | {s['extra_mb']:.0f} | {same} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
