"""Fit time of CleanLearningClassifier against cleanlab's CleanLearning.

Both wrap the same ``LogisticRegression(max_iter=1000)`` with their default
5 folds (the same folds: cleanlab's ``seed=0``, skrobust's
``random_state=0``), on labels with 30% of one class flipped to the other (synthetic
sets, shaped like the gamma-telescope and e-mail-spam sets: 9,500 x 10 and
2,300 x 57) or 30% symmetric noise (the tweets' TF-IDF and KEEL satimage,
from the data folder when given). Each library runs in a fresh process, as
a user's script would: the table gives the import, the first fit (what a
user waits for) and the best of ``--repeats`` later fits, the ratios
skrobust / cleanlab, and whether both kept the same samples.

    python benchmarks/clean_learning_speed.py --data ../shared/data
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

SNIPPET = r"""
import json, sys, time, warnings
sys.path.insert(0, {bench!r})
warnings.simplefilter("ignore")
import numpy as np
from sklearn.linear_model import LogisticRegression
from clean_learning_speed import load
X, y = load({name!r}, {data!r})
start = time.perf_counter()
if {library!r} == "cleanlab":
    from cleanlab.classification import CleanLearning
    make = lambda: CleanLearning(
        LogisticRegression(max_iter=1000), verbose=False, seed=0)
else:
    from skrobust.cleaning import CleanLearningClassifier
    make = lambda: CleanLearningClassifier(
        LogisticRegression(max_iter=1000), random_state=0)
imported = time.perf_counter()
model = make().fit(X, y)
first = time.perf_counter() - imported
later = []
for _ in range({repeats}):
    start_fit = time.perf_counter()
    make().fit(X, y)
    later.append(time.perf_counter() - start_fit)
issues = model.label_issues_ if hasattr(model, "label_issues_") else (
    model.label_issues_df["is_label_issue"].to_numpy())
np.save({out!r}, issues)
print(json.dumps({{"import": imported - start, "first": first, "later": min(later)}}))
"""


def load(name, data):
    """(X, y) of a set: y with 30% noise, classes 0..K-1."""
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    # the noise is drawn here, not by skrobust: its import is timed
    rng = np.random.default_rng(0)
    if name.startswith("synthetic"):
        n, d = (9500, 10) if name.endswith("10") else (2300, 57)
        X, y = make_classification(n, d, n_informative=min(d, 8), random_state=0)
        return StandardScaler().fit_transform(X), y * (rng.random(n) >= 0.3)
    from _data import load_keel, load_tweets

    X, y = load_tweets(Path(data)) if name == "tweets" else load_keel(Path(data), name)
    if name != "tweets":
        X = StandardScaler().fit_transform(X)
    y = np.unique(y, return_inverse=True)[1]
    k = y.max() + 1
    flip = rng.random(len(y)) < 0.3
    y[flip] = (y[flip] + rng.integers(1, k, flip.sum())) % k
    return X, y


def run(name, data, library, repeats, out):
    snippet = SNIPPET.format(
        bench=str(Path(__file__).parent), name=name, data=data, library=library,
        repeats=repeats, out=out,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    import tempfile

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from _data import data_dir

    root = data_dir(args.data)
    names = ["synthetic 9500x10", "synthetic 2300x57"]
    if root is not None:
        names += ["tweets", "satimage"]
    print(
        "| data | cleanlab import / first fit / later fit (s) | skrobust import / "
        "first fit / later fit (s) | first-fit ratio | later-fit ratio | same kept |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            times = {}
            for library in ("cleanlab", "skrobust"):
                times[library] = run(
                    name, str(root), library, args.repeats, f"{tmp}/{library}.npy"
                )
            same = np.array_equal(
                np.load(f"{tmp}/cleanlab.npy"), np.load(f"{tmp}/skrobust.npy")
            )
            c, s = times["cleanlab"], times["skrobust"]
            cells = [
                " / ".join(f"{t[k]:.3f}" for k in ("import", "first", "later"))
                for t in (c, s)
            ]
            print(
                f"| {name} | {cells[0]} | {cells[1]} | {s['first'] / c['first']:.2f} "
                f"| {s['later'] / c['later']:.2f} | {same} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
