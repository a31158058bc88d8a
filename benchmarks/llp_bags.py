"""Instance-level test AUC of the LLP estimators against bag size.

Bags are formed from the training rows (random bags, and feature-correlated
bags: rows sorted by one feature, ``--feature``, before cutting) with
``skrobust.llp.make_bags``; every estimator sees only each row's bag
proportion and is scored by its instance-level AUC on the labelled test
rows. "supervised" is LogisticRegression on the instance labels (the upper
bound). Estimators run with their defaults; no instance label is used to
tune anything (LLP-BP also with ``init="dllp"``, its opt-in first prior).
Means over ``--seeds`` bag draws, with the fit time of the last.

Data: Bank Marketing as preprocessed by the LLP-BP authors (from the data
folder: ``--data DIR`` or SKROBUST_DATA), KEEL twonorm (the first class as
negative; 70/30 split) and a synthetic set (``make_classification``, 30k
rows, 20 features, 12% positives).

    python benchmarks/llp_bags.py --data ../shared/data
"""

import argparse
import time
from functools import partial

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
    InvCalClassifier,
    LLPBeliefPropagation,
    make_bags,
)

BAG_SIZES = [8, 32, 128, 512, 2048]
ESTIMATORS = {
    "DLLP": DLLPClassifier,
    "EasyLLP": EasyLLPClassifier,
    "InvCal": InvCalClassifier,
    "LLP-BP": LLPBeliefPropagation,
    "LLP-BP init=dllp": partial(LLPBeliefPropagation, init="dllp"),
}


def datasets(root):
    if root is not None and (bank := load_bank_marketing(root)) is not None:
        yield "bank_marketing", bank
    if root is not None and (twonorm := load_keel(root, "twonorm")) is not None:
        X, y = twonorm
        y = (y != np.unique(y)[0]).astype(int)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        yield (
            "twonorm",
            ((scaler.transform(X_train), y_train), (scaler.transform(X_test), y_test)),
        )
    X, y = make_classification(
        30_000, 20, n_informative=8, weights=[0.88], random_state=0
    )
    yield "synthetic", ((X[:20_000], y[:20_000]), (X[20_000:], y[20_000:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--feature", type=int, default=0)
    parser.add_argument("--bag-sizes", type=int, nargs="+", default=BAG_SIZES)
    args = parser.parse_args()
    root = data_dir(args.data)
    print(
        "| data | bags | bag size | " + " | ".join(["supervised", *ESTIMATORS]) + " |"
    )
    print("|---|---|---|" + "---|" * (len(ESTIMATORS) + 1))
    for name, ((X, y), (X_test, y_test)) in datasets(root):
        supervised = roc_auc_score(
            y_test,
            LogisticRegression(max_iter=1000).fit(X, y).decision_function(X_test),
        )
        for kind in ("random", "feature"):
            for size in args.bag_sizes:
                if size > len(y) // 4:
                    continue
                aucs = {key: [] for key in ESTIMATORS}
                times = {}
                for seed in range(args.seeds):
                    bags, proportions = make_bags(
                        y,
                        size,
                        X=X,
                        feature=args.feature if kind == "feature" else None,
                        random_state=seed,
                    )
                    for key, Estimator in ESTIMATORS.items():
                        start = time.perf_counter()
                        model = Estimator().fit(X, proportions, bags=bags)
                        times[key] = time.perf_counter() - start
                        aucs[key].append(
                            roc_auc_score(y_test, model.decision_function(X_test))
                        )
                cells = " | ".join(
                    f"{np.mean(aucs[key]):.3f} ({times[key]:.1f} s)"
                    for key in ESTIMATORS
                )
                print(
                    f"| {name} | {kind} | {size} | {supervised:.3f} | {cells} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
