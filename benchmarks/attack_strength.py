"""How much each label-flip attack hurts a plain SVC, against random flips.

For each data set and budget, the training labels are poisoned by each
attack (attacker's model: RBF SVC with C=1, gamma='scale', the learner's
own settings) and an sklearn SVC trained on them is scored on the clean
test split. Mean over seeds of the clean-test accuracy; the last column
of each attack is its margin over random flips (negative: it hurts more).

    python benchmarks/attack_strength.py --data ../shared/data
"""

import argparse
import time

import numpy as np
from _data import data_dir, load_keel
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skrobust.poisoning import (
    alfa_attack,
    greedy_flip_attack,
    random_flip_attack,
    support_vector_flip_attack,
)

ATTACKS = {
    "random": random_flip_attack,
    "ALFA": alfa_attack,
    "greedy (LFA)": greedy_flip_attack,
    "top-k SV (FLORAL, once)": lambda X, y, budget, **kw: support_vector_flip_attack(
        X, y, budget, target=None, n_steps=1, **kw
    ),
    "top-k SV (one class, 10 steps)": support_vector_flip_attack,
}


def datasets(root, n_train):
    X, y = make_moons(3 * n_train, noise=0.2, random_state=0)
    yield "moons", X, y
    for name in ("banana", "twonorm"):
        if root is not None and (data := load_keel(root, name)) is not None:
            yield f"KEEL {name}", *data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=500)
    parser.add_argument("--budgets", type=float, nargs="+", default=[0.1, 0.2])
    args = parser.parse_args()

    print("| data | budget | " + " | ".join(ATTACKS) + " | attack time (s) |")
    print("|---" * (len(ATTACKS) + 3) + "|")
    for name, X, y in datasets(data_dir(args.data), args.n_train):
        for budget in args.budgets:
            scores = {attack: [] for attack in ATTACKS}
            seconds = {attack: 0.0 for attack in ATTACKS}
            for seed in range(args.seeds):
                X_train, X_test, y_train, y_test = train_test_split(
                    X, y, train_size=args.n_train, stratify=y, random_state=seed
                )
                scaler = StandardScaler().fit(X_train)
                X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
                for attack, function in ATTACKS.items():
                    start = time.perf_counter()
                    poisoned, _ = function(X_train, y_train, budget, random_state=seed)
                    seconds[attack] += time.perf_counter() - start
                    model = SVC().fit(X_train, poisoned)
                    scores[attack].append(model.score(X_test, y_test))
            random = np.mean(scores["random"])
            cells = [
                f"{np.mean(s):.3f}"
                + ("" if attack == "random" else f" ({np.mean(s) - random:+.3f})")
                for attack, s in scores.items()
            ]
            timing = ", ".join(f"{seconds[a] / args.seeds:.1f}" for a in ATTACKS)
            print(f"| {name} | {budget:.0%} | " + " | ".join(cells) + f" | {timing} |")


if __name__ == "__main__":
    main()
