"""Defenses against label-flip attacks: clean-test accuracy after poisoning.

For each data set, budget and attack (skrobust.poisoning, attacker model
RBF SVC C=1 gamma='scale'), the training labels are poisoned and each
defense is scored on the clean test split; mean over seeds. Defenses:
sklearn's SVC, RobustSVC (noise-rate correction), FloralSVC with the paper's
settings (last iterate, step 1e-4, 501 rounds, 5% flips per round, C=10),
FloralSVC's default (model chosen on a held-out share of the poisoned
labels, each weighted by the estimated probability that it is right, from
its neighbours' labels), the same weighing them by the plain SVM's scores
(``holdout_labels="posterior"``) or taking them as given, the default
given a small trusted validation set (``--n-val`` clean samples, kept out of
the test split), sklearn's SVC with (C, gamma) chosen on that trusted set
(a 5 x 5 grid: C 0.01-100, gamma 0.1-10 times 'scale'; the fair baseline
for the trusted column), and LN-SVM (Biggio et al. 2011: off-diagonal
kernel entries times 1 - 4 mu (1 - mu), mu = 0.05). Features are
standardised; gamma='scale' elsewhere.

    python benchmarks/poisoning_defenses.py --data ../shared/data
"""

import argparse
import itertools

import numpy as np
from _data import data_dir, load_keel
from sklearn.datasets import make_moons
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skrobust.poisoning import (
    alfa_attack,
    greedy_flip_attack,
    random_flip_attack,
    support_vector_flip_attack,
)
from skrobust.svm import FloralSVC, RobustSVC

GAMMA_FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)
ATTACKS = {
    "random": random_flip_attack,
    "ALFA": alfa_attack,
    "greedy": greedy_flip_attack,
    "top-k SV": support_vector_flip_attack,
}


class LNSVM:
    """Label-noise robust SVM of Biggio et al. (2011) on an RBF kernel."""

    def __init__(self, mu=0.05, C=1.0):
        self.shrink = 1.0 - 4.0 * mu * (1.0 - mu)
        self.C = C

    def fit(self, X, y, **_):
        self.X_, self.gamma_ = X, 1.0 / (X.shape[1] * X.var())
        K = rbf_kernel(X, gamma=self.gamma_) * self.shrink
        np.fill_diagonal(K, 1.0)
        self.svc_ = SVC(C=self.C, kernel="precomputed").fit(K, y)
        return self

    def score(self, X, y):
        K = rbf_kernel(X, self.X_, gamma=self.gamma_) * self.shrink
        return self.svc_.score(K, y)


class Trusting:
    """A FloralSVC that is handed the trusted validation set."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y, X_val, y_val):
        self.model.fit(X, y, X_val=X_val, y_val=y_val)
        return self

    def score(self, X, y):
        return self.model.score(X, y)


class TunedOnValidation:
    """sklearn's SVC with the (C, gamma) of a grid most accurate on the
    trusted validation set (the first on ties)."""

    def fit(self, X, y, X_val, y_val):
        scale = 1.0 / (X.shape[1] * X.var())
        best = -1.0
        for C, gamma in itertools.product(np.logspace(-2, 2, 5), GAMMA_FACTORS):
            model = SVC(C=C, gamma=gamma * scale).fit(X, y)
            if (accuracy := model.score(X_val, y_val)) > best:
                self.model, best = model, accuracy
        return self

    def score(self, X, y):
        return self.model.score(X, y)


class Plain:
    """Any estimator, ignoring the trusted validation set."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y, **_):
        self.model.fit(X, y)
        return self

    def score(self, X, y):
        return self.model.score(X, y)


def defenses(seed):
    paper = dict(selection="last", learning_rate=1e-4, n_rounds=501)
    return {
        "SVC": Plain(SVC()),
        "RobustSVC": Plain(RobustSVC(random_state=seed)),
        "FloralSVC (paper)": Plain(FloralSVC(random_state=seed, **paper)),
        "FloralSVC": Plain(FloralSVC(random_state=seed)),
        "FloralSVC, held-out labels weighed by the SVM": Plain(
            FloralSVC(holdout_labels="posterior", random_state=seed)
        ),
        "FloralSVC, held-out labels as given": Plain(
            FloralSVC(holdout_labels="given", random_state=seed)
        ),
        "FloralSVC + trusted val": Trusting(FloralSVC(random_state=seed)),
        "SVC tuned on trusted val": TunedOnValidation(),
        "LN-SVM": LNSVM(),
    }


def datasets(root, n_train):
    X, y = make_moons(3 * n_train, noise=0.2, random_state=0)
    yield "moons", X, y
    for name in ("banana", "australian"):
        if root is not None and (data := load_keel(root, name)) is not None:
            yield f"KEEL {name}", *data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=500)
    parser.add_argument("--n-val", type=int, default=100)
    parser.add_argument(
        "--budgets", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.2, 0.3, 0.4]
    )
    args = parser.parse_args()

    names = list(defenses(0))
    for name, X, y in datasets(data_dir(args.data), args.n_train):
        print(f"\n{name}\n\n| attack | budget | " + " | ".join(names) + " |")
        print("|---" * (len(names) + 2) + "|")
        for attack_name, attack in ATTACKS.items():
            budgets = args.budgets if attack_name == "random" else args.budgets[1:]
            for budget in budgets:
                scores = {model: [] for model in names}
                for seed in range(args.seeds):
                    X_train, X_rest, y_train, y_rest = train_test_split(
                        X, y, train_size=args.n_train, stratify=y, random_state=seed
                    )
                    X_val, X_test, y_val, y_test = train_test_split(
                        X_rest,
                        y_rest,
                        train_size=args.n_val,
                        stratify=y_rest,
                        random_state=seed,
                    )
                    scale = StandardScaler().fit(X_train).transform
                    X_train, X_val, X_test = scale(X_train), scale(X_val), scale(X_test)
                    poisoned, _ = attack(X_train, y_train, budget, random_state=seed)
                    for model_name, model in defenses(seed).items():
                        model.fit(X_train, poisoned, X_val=X_val, y_val=y_val)
                        scores[model_name].append(model.score(X_test, y_test))
                cells = " | ".join(f"{np.mean(scores[m]):.3f}" for m in names)
                print(f"| {attack_name} | {budget:.0%} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
