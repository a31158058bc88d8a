"""Instance-level test AUC of the LLP estimators against bag size and kind.

Bags are formed from the training rows (random bags, and feature-correlated
bags: rows sorted by one feature, ``--feature``, before cutting) with
``skrobust.llp.make_bags``, at every size that leaves at least 4 bags; every
estimator sees only each row's bag proportion and is scored by its
instance-level AUC on the labelled test rows. "supervised" is
LogisticRegression on the instance labels (the ceiling of a linear model).
Estimators run with their defaults; no instance label is used to tune
anything. "default" is ``LLPClassifier()``, which chooses among DLLP,
EasyLLP and LLP-BP on held-out bags (the candidate it chose most often is
named); the last two columns are its gap to the better of DLLP and EasyLLP
and to LLP-BP, in AUC points. Means over ``--seeds`` bag draws, with the
fit time of the last.

Data (70/30 splits unless the set has its own): Bank Marketing as
preprocessed by the LLP-BP authors, KEEL twonorm, satimage, segment and
penbased (the first class against the rest, for the multi-class ones),
twonorm-exp (twonorm with each standardised column through exp: heavy
tails), sms57 (spambase's 57 features computed on the SMS spam collection:
48 word and 6 character frequencies in percent, 3 capital-run lengths;
sparse, heavy-tailed counts), and a synthetic set (``make_classification``,
30k rows, 20 features, 12% positives).

    python benchmarks/llp_bags.py --data ../shared/data
    python benchmarks/llp_bags.py --data ../shared/data --sets segment --seeds 1
"""

import argparse
import re
import time
import warnings
from collections import Counter

import numpy as np
from _data import data_dir, load_bank_marketing, load_keel
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobust.llp import (
    DLLPClassifier,
    EasyLLPClassifier,
    LLPBeliefPropagation,
    LLPClassifier,
    make_bags,
)

BAG_SIZES = [8, 32, 128, 512, 2048]
BASELINES = {
    "DLLP": DLLPClassifier,
    "EasyLLP": EasyLLPClassifier,
    "LLP-BP": LLPBeliefPropagation,
}
KEEL_SETS = ["twonorm", "twonorm-exp", "satimage", "segment", "penbased"]


def _split(X, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    return (X_train, y_train), (X_test, y_test)


def _keel(root, name):
    loaded = load_keel(root, name.removesuffix("-exp"))
    if loaded is None:
        return None
    X, labels = loaded
    first = np.unique(labels)[0]
    # twonorm's two classes are balanced: its second is the positive one
    y = (labels != first if name.startswith("twonorm") else labels == first).astype(int)
    if name.endswith("-exp"):
        X = np.exp(StandardScaler().fit_transform(X))
    return _split(X, y)


def _sms57(root):
    """Spambase's features (Hopkins et al.) computed on the SMS messages."""
    import pandas as pd

    file = root / "sms_spam" / "sms_spam_collection.tsv"
    if not file.exists():
        return None
    frame = pd.read_csv(file, sep="\t", quoting=3)
    texts = frame.SMS.astype(str).tolist()
    words = [re.findall(r"[a-z0-9']+", text.lower()) for text in texts]
    vocabulary = [w for w, _ in Counter(w for ws in words for w in ws).most_common(48)]
    X = np.zeros((len(texts), 57))
    for i, (text, ws) in enumerate(zip(texts, words, strict=True)):
        counts = Counter(ws)
        X[i, :48] = [100 * counts[w] / max(len(ws), 1) for w in vocabulary]
        X[i, 48:54] = [100 * text.count(c) / max(len(text), 1) for c in ";([!$#"]
        runs = [len(r) for r in re.findall(r"[A-Z]+", text)] or [0]
        X[i, 54:] = np.mean(runs), max(runs), sum(runs)
    return _split(X, (frame.Label == "spam").to_numpy().astype(int))


def datasets(root, names):
    loaders = {
        "bank": lambda: load_bank_marketing(root),
        **{name: (lambda name=name: _keel(root, name)) for name in KEEL_SETS},
        "sms57": lambda: _sms57(root),
    }
    for name in names:
        if name == "synthetic":
            X, y = make_classification(
                30_000, 20, n_informative=8, weights=[0.88], random_state=0
            )
            yield name, ((X[:20_000], y[:20_000]), (X[20_000:], y[20_000:]))
        elif root is not None and (data := loaders[name]()) is not None:
            yield name, data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--feature", type=int, default=0)
    parser.add_argument("--bag-sizes", type=int, nargs="+", default=BAG_SIZES)
    parser.add_argument("--kinds", nargs="+", default=["random", "feature"])
    parser.add_argument(
        "--sets", nargs="+", default=["bank", *KEEL_SETS, "sms57", "synthetic"]
    )
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()
    root = data_dir(args.data)
    names = ["supervised", *BASELINES, "default"]
    print(
        "| data | bags | size | n bags | "
        + " | ".join(names)
        + " | chosen | vs best of DLLP/EasyLLP | vs LLP-BP |"
    )
    print("|---|---|---|---|" + "---|" * (len(names) + 3))
    for name, ((X, y), (X_test, y_test)) in datasets(root, args.sets):
        supervised = roc_auc_score(
            y_test,
            LogisticRegression(max_iter=5000).fit(X, y).decision_function(X_test),
        )
        for kind in args.kinds:
            for size in args.bag_sizes:
                if size > len(y) // 4:
                    continue
                aucs = {key: [] for key in names[1:]}
                times, chosen = {}, Counter()
                for seed in range(args.seeds):
                    bags, proportions = make_bags(
                        y,
                        size,
                        X=X,
                        feature=args.feature if kind == "feature" else None,
                        random_state=seed,
                    )
                    models = {key: cls() for key, cls in BASELINES.items()}
                    models["default"] = LLPClassifier(
                        n_jobs=args.n_jobs, random_state=seed
                    )
                    for key, model in models.items():
                        start = time.perf_counter()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            model.fit(X, proportions, bags=bags)
                        times[key] = time.perf_counter() - start
                        aucs[key].append(
                            roc_auc_score(y_test, model.decision_function(X_test))
                        )
                    chosen[models["default"].best_name_] += 1
                mean = {key: np.mean(values) for key, values in aucs.items()}
                best = max(mean["DLLP"], mean["EasyLLP"])
                cells = " | ".join(
                    f"{mean[key]:.3f} ({times[key]:.1f} s)" for key in names[1:]
                )
                print(
                    f"| {name} | {kind} | {size} | {len(y) // size} | "
                    f"{supervised:.3f} | {cells} | "
                    f"{chosen.most_common(1)[0][0]} | "
                    f"{100 * (mean['default'] - best):+.1f} | "
                    f"{100 * (mean['default'] - mean['LLP-BP']):+.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
