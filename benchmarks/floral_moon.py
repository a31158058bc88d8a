"""FLORAL on the paper's own Moon data, and the cost of its rounds.

Part 1: train on each training sheet of the authors' Moon file (clean,
their poisoned ``train_adv_*`` and ``train_adv_*_lfa``) and score on the
clean ``test`` sheet: sklearn's SVC, RobustSVC (noise correction),
FloralSVC with the paper's shipped settings (last iterate, C=10, gamma=0.5,
step 1e-4, 501 rounds, 25 flips per round), and FloralSVC's default
(C=10, gamma=0.5) choosing its model on a held-out share of the poisoned
labels or on the file's clean ``validation`` sheet; mean ± std over seeds.

Part 2: time per round of FloralSVC's Numba game against a straightforward
numpy implementation of the same rounds (dense product, bisection
projection, argsort attacker), on make_moons at several sizes.

    python benchmarks/floral_moon.py --data ../shared/data
"""

import argparse
import time

import numpy as np
from _data import data_dir
from sklearn.datasets import make_moons
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC

from skrobust._kernels.floral import floral_rounds
from skrobust.svm import FloralSVC, RobustSVC

SHEETS = [
    "train",
    "train_adv_5",
    "train_adv_10",
    "train_adv_15",
    "train_adv_20",
    "train_adv_25",
    "train_adv_5_lfa",
    "train_adv_10_lfa",
    "train_adv_25_lfa",
]


def load_sheet(root, name):
    table = np.loadtxt(root / "floral_moon" / f"{name}.csv", delimiter=",", skiprows=1)
    return table[:, :2], table[:, 2]


def accuracy_table(root, seeds):
    X_test, y_test = load_sheet(root, "test")
    X_val, y_val = load_sheet(root, "validation")
    print(
        "| training sheet | SVC | RobustSVC | FloralSVC (paper settings) "
        "| FloralSVC | FloralSVC + validation sheet |"
    )
    print("|---|---|---|---|---|---|")
    paper = dict(selection="last", learning_rate=1e-4, n_rounds=501, budget=25)
    for sheet in SHEETS:
        X, y = load_sheet(root, sheet)
        svc = SVC(C=10.0, gamma=0.5).fit(X, y).score(X_test, y_test)
        robust = RobustSVC(C=10.0, gamma=0.5, random_state=0).fit(X, y)
        runs = {"paper": [], "held out": [], "validation sheet": []}
        for seed in range(seeds):
            model = FloralSVC(C=10.0, gamma=0.5, random_state=seed, **paper)
            runs["paper"].append(model.fit(X, y).score(X_test, y_test))
            model = FloralSVC(C=10.0, gamma=0.5, random_state=seed)
            runs["held out"].append(model.fit(X, y).score(X_test, y_test))
            model.fit(X, y, X_val=X_val, y_val=y_val)
            runs["validation sheet"].append(model.score(X_test, y_test))
        cells = " | ".join(f"{np.mean(v):.3f} ± {np.std(v):.3f}" for v in runs.values())
        print(
            f"| {sheet} | {svc:.3f} | {robust.score(X_test, y_test):.3f} | {cells} |",
            flush=True,
        )


def numpy_rounds(K, y, upper, eta, k, n_rounds, rng):
    lam, labels = np.zeros(len(y)), y.copy()
    for _ in range(1, n_rounds):
        v = lam - eta * (labels * (K @ (labels * lam)) - 1.0)
        low, high = -np.abs(v).max() - upper.max(), np.abs(v).max() + upper.max()
        for _ in range(60):
            mu = 0.5 * (low + high)
            if labels @ np.clip(v - mu * labels, 0.0, upper) > 0:
                low = mu
            else:
                high = mu
        lam = np.clip(v - mu * labels, 0.0, upper)
        support = np.flatnonzero(lam > 1e-5)
        pool = support[np.argsort(-lam[support], kind="stable")[: 2 * k]]
        labels = y.copy()
        labels[rng.choice(pool, min(k, len(pool)), replace=False)] *= -1
    return lam


def round_costs(sizes, n_rounds):
    print("\n| n | Numba round (ms) | numpy round (ms) | ratio |")
    print("|---|---|---|---|")
    for n in sizes:
        X, y = make_moons(n, noise=0.2, random_state=0)
        y = np.where(y == 1, 1.0, -1.0)
        K, upper, k = rbf_kernel(X, gamma=0.5), np.full(n, 10.0), n // 20
        floral_rounds(K, False, y, upper, np.zeros(n), 1e-4, k, 2, 0, 0)  # compile
        start = time.perf_counter()
        floral_rounds(K, False, y, upper, np.zeros(n), 1e-4, k, n_rounds, 0, 0)
        ours = (time.perf_counter() - start) / (n_rounds - 1)
        start = time.perf_counter()
        numpy_rounds(K, y, upper, 1e-4, k, n_rounds, np.random.default_rng(0))
        plain = (time.perf_counter() - start) / (n_rounds - 1)
        print(f"| {n} | {1e3 * ours:.3f} | {1e3 * plain:.3f} | {ours / plain:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--rounds", type=int, default=101)
    args = parser.parse_args()
    root = data_dir(args.data)
    if root is not None and (root / "floral_moon").exists():
        accuracy_table(root, args.seeds)
    round_costs(args.sizes, args.rounds)


if __name__ == "__main__":
    main()
