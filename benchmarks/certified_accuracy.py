"""Certified accuracy of skrobust's certified classifiers on real data.

For each set (standardised features, 70/30 stratified split, KEEL sets from
the data folder) the certified accuracy (right and certified) at r = 0,
0.25%, 0.5%, 1% and 2% of the training rows flipped, for Deep Partition
Aggregation and Finite Aggregation (logistic regression in each of
``--partitions`` learners; FA with 4 shifts), k nearest neighbours (k = 2 *
partitions + 1, so that both are capped near the same number of flips) and
the ridge classifier, and kernel ridge (rbf, on sets of at most 6,000
training rows: it holds the n x n Gram matrix and its factor); then their
fit and certification times. The certificates hold against any flips of
that many training labels.

    python benchmarks/certified_accuracy.py --data ../shared/data
"""

import argparse
import time
import warnings

import numpy as np
from _data import data_dir, load_keel
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobust.certified import (
    CertifiedKernelRidgeClassifier,
    CertifiedKNeighborsClassifier,
    CertifiedRidgeClassifier,
    PartitionAggregationClassifier,
    certified_accuracy,
)

SETS = ["twonorm", "banana", "australian", "german", "satimage", "segment", "penbased"]
SHARES = [0.0, 0.0025, 0.005, 0.01, 0.02]
MAX_GRAM_ROWS = 6000


def models(partitions):
    return {
        "DPA": PartitionAggregationClassifier(n_partitions=partitions),
        "FA": PartitionAggregationClassifier(
            n_partitions=partitions, n_shifts=4, random_state=0
        ),
        "kNN": CertifiedKNeighborsClassifier(n_neighbors=2 * partitions + 1),
        "ridge": CertifiedRidgeClassifier(),
        "kernel ridge": CertifiedKernelRidgeClassifier(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--sets", nargs="+", default=SETS)
    parser.add_argument("--partitions", type=int, default=25)
    args = parser.parse_args()
    root = data_dir(args.data)
    shares = " | ".join(f"r = {s:.2%}" for s in SHARES)
    print(f"| data | n train | model | {shares} | fit (s) | certify (s) |")
    print("|---" * (len(SHARES) + 5) + "|")
    for name in args.sets:
        loaded = load_keel(root, name) if root is not None else None
        if loaded is None:
            continue
        X, y = loaded
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        radii = [int(np.floor(s * len(y_train))) for s in SHARES]
        for model_name, model in models(args.partitions).items():
            if model_name == "kernel ridge" and len(y_train) > MAX_GRAM_ROWS:
                continue
            start = time.perf_counter()
            with warnings.catch_warnings():
                # logistic regressions on small shares may stop at max_iter
                warnings.simplefilter("ignore")
                model.fit(X_train, y_train)
            fitted = time.perf_counter()
            flips = model.certified_flips(X_test)
            certified = time.perf_counter()
            _, accuracy = certified_accuracy(
                y_test, model.predict(X_test), flips, radii=radii
            )
            cells = " | ".join(
                f"{a:.3f} ({r})" for a, r in zip(accuracy, radii, strict=True)
            )
            print(
                f"| {name} | {len(y_train)} | {model_name} | {cells} | "
                f"{fitted - start:.2f} | {certified - fitted:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
