"""Defenses against label-flip attacks: clean-test accuracy after poisoning.

For each data set, budget and attack (skrobust.poisoning's random, ALFA,
greedy and support-vector attacks, and one written here: flipping the
correctly classified rows farthest from a clean SVC's boundary; attacker
model RBF SVC C=1 gamma='scale'), the training labels are poisoned and each
defense is scored on the clean test split; mean over seeds, then a table of
each defense's mean gain over sklearn's SVC under attack and on clean
labels. Multi-class sets are made binary (the first half of the sorted
classes against the rest). Defenses with trusted labels:
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
kernel entries times 1 - 4 mu (1 - mu), mu = 0.05). Defenses without any
trusted label, besides FloralSVC's: kNN label sanitisation (Paudice et al.
2018, FLORAL's baseline: a label becomes its 20 neighbours' majority where
that holds 75% of them, until nothing changes) then SVC; SEVER (Diakonikolas
et al. 2019: hinge gradients on 300 Nystroem features of the RBF kernel,
4 rounds dropping the 5% of rows with the largest projection on their top
singular direction) then SVC; skrobust's certified models used as
classifiers (k nearest neighbours with k the odd number nearest sqrt(n),
label spreading at its defaults, Deep Partition Aggregation of SVCs on 10
partitions); and a majority vote of RobustSVC, that kNN and label spreading
with alpha=0.9 on 10 neighbours. Features are standardised; gamma='scale'
elsewhere.

    python benchmarks/poisoning_defenses.py --data ../shared/data --n-jobs 2
"""

import argparse
import itertools

import numpy as np
from _data import data_dir, load_keel
from joblib import Parallel, delayed
from sklearn.datasets import make_moons
from sklearn.dummy import DummyClassifier
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skrobust.certified import (
    CertifiedKNeighborsClassifier,
    CertifiedLabelSpreadingClassifier,
    PartitionAggregationClassifier,
)
from skrobust.poisoning import (
    alfa_attack,
    greedy_flip_attack,
    random_flip_attack,
    support_vector_flip_attack,
)
from skrobust.svm import FloralSVC, RobustSVC

GAMMA_FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)


def farthest_flip_attack(X, y, budget, random_state=None):
    """Flip the correctly classified rows farthest from a clean SVC's
    boundary (a share ``budget`` of all rows; not in skrobust.poisoning)."""
    scores = SVC().fit(X, y).decision_function(X)
    margin = np.where(y == np.unique(y)[1], scores, -scores)
    flipped = np.argsort(-margin)[: int(np.ceil(budget * len(y)))]
    flipped = flipped[margin[flipped] > 0]
    poisoned = y.copy()
    poisoned[flipped] = np.where(y[flipped] == np.unique(y)[1], *np.unique(y))
    return poisoned, np.sort(flipped)


ATTACKS = {
    "random": random_flip_attack,
    "ALFA": alfa_attack,
    "greedy": greedy_flip_attack,
    "top-k SV": support_vector_flip_attack,
    "farthest": farthest_flip_attack,
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


class Sanitised:
    """SVC on the rows and labels ``clean(X, y)`` keeps (a mask of rows, the
    labels); the majority class alone when the cleaning leaves one class."""

    def __init__(self, clean):
        self.clean = clean

    def fit(self, X, y, **_):
        kept, y = self.clean(X, y)
        X, y = X[kept], y[kept]
        one_class = len(np.unique(y)) < 2
        self.model = (DummyClassifier() if one_class else SVC()).fit(X, y)
        return self

    def score(self, X, y):
        return self.model.score(X, y)


def knn_sanitise(X, y, n_neighbors=20, share=0.75):
    """Paudice et al.'s label sanitisation, repeated until nothing changes."""
    nearest = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X)
    nearest = nearest.kneighbors(X, return_distance=False)[:, 1:]
    classes = np.unique(y)
    y = y.copy()
    for _ in range(100):
        votes = (y[nearest][:, :, None] == classes).mean(axis=1)
        majority = votes.max(axis=1) >= share
        new = np.where(majority, classes[votes.argmax(axis=1)], y)
        if np.array_equal(new, y):
            break
        y = new
    return np.ones(len(y), dtype=bool), y


def sever(X, y, rounds=4, drop=0.05):
    """SEVER's filter for a hinge-loss SVM on Nystroem features of the RBF
    kernel: drop the rows whose centred gradient projects most on the top
    singular direction, refit, repeat; the rows kept and the labels."""
    features = Nystroem(n_components=300, random_state=0).fit_transform(X)
    signed = np.where(y == np.unique(y)[1], 1.0, -1.0)
    keep = np.ones(len(y), dtype=bool)
    for _ in range(rounds):
        scores = SVC().fit(X[keep], y[keep]).decision_function(X)
        gradients = -(signed * (signed * scores < 1))[:, None] * features
        centred = gradients - gradients[keep].mean(axis=0)
        direction = _top_direction(centred[keep])
        outlier = (centred @ direction) ** 2
        outlier[~keep] = -np.inf
        keep[np.argsort(-outlier)[: int(drop * len(y))]] = False
    return keep, y


def _top_direction(A, n_iter=50):
    """Top right singular vector of ``A`` by power iteration."""
    v = np.random.default_rng(0).standard_normal(A.shape[1])
    for _ in range(n_iter):
        v = A.T @ (A @ v)
        v /= np.linalg.norm(v) or 1.0
    return v


class Vote:
    """Majority vote of three classifiers (binary labels)."""

    def __init__(self, models):
        self.models = models

    def fit(self, X, y, **_):
        for model in self.models:
            model.fit(X, y)
        return self

    def score(self, X, y):
        predictions = np.array([model.predict(X) for model in self.models])
        classes = self.models[0].classes_
        winner = (predictions == classes[1]).sum(axis=0) > len(self.models) / 2
        return np.mean(np.where(winner, classes[1], classes[0]) == y)


def sqrt_neighbors(n):
    """The odd number of neighbours nearest sqrt(n)."""
    return int(np.sqrt(n)) // 2 * 2 + 1


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


# the defenses given the trusted labels, and the variants documented
# alongside them in the user guide
TRUSTING = {
    "FloralSVC (paper)",
    "FloralSVC, held-out labels weighed by the SVM",
    "FloralSVC, held-out labels as given",
    "FloralSVC + trusted val",
    "SVC tuned on trusted val",
}


def defenses(seed, n):
    paper = dict(selection="last", learning_rate=1e-4, n_rounds=501)
    k = sqrt_neighbors(n)
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
        "kNN sanitisation + SVC": Sanitised(knn_sanitise),
        "SEVER + SVC": Sanitised(sever),
        "kNN, k ~ sqrt(n)": Plain(CertifiedKNeighborsClassifier(k)),
        "label spreading": Plain(CertifiedLabelSpreadingClassifier()),
        "DPA of SVCs": Plain(
            PartitionAggregationClassifier(SVC(), n_partitions=10, random_state=seed)
        ),
        "vote: RobustSVC, kNN, spreading": Vote(
            [
                RobustSVC(random_state=seed),
                CertifiedKNeighborsClassifier(k),
                CertifiedLabelSpreadingClassifier(n_neighbors=10, alpha=0.9),
            ]
        ),
    }


def datasets(root, names):
    for name in names:
        if name == "moons":
            yield name, *make_moons(3000, noise=0.2, random_state=0)
        elif root is not None and (data := load_keel(root, name)) is not None:
            X, y = data
            classes = np.unique(y)
            yield f"KEEL {name}", X, np.isin(y, classes[: len(classes) // 2])


def split_scores(X, y, seed, args):
    """Every defense's test accuracy on every (attack, budget) of one split."""
    n_train = min(args.n_train, len(y) // 2)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=n_train, stratify=y, random_state=seed
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest,
        y_rest,
        train_size=args.n_val,
        test_size=min(args.n_test, len(y_rest) - args.n_val),
        stratify=y_rest,
        random_state=seed,
    )
    scale = StandardScaler().fit(X_train).transform
    X_train, X_val, X_test = scale(X_train), scale(X_val), scale(X_test)
    scores = {}
    for attack_name, attack in ATTACKS.items():
        for budget in args.budgets:
            if budget == 0 and attack_name != "random":
                continue
            poisoned, _ = attack(X_train, y_train, budget, random_state=seed)
            for name, model in defenses(seed, n_train).items():
                if args.no_trust and name in TRUSTING:
                    continue
                model.fit(X_train, poisoned, X_val=X_val, y_val=y_val)
                scores[attack_name, budget, name] = model.score(X_test, y_test)
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--n-val", type=int, default=100)
    parser.add_argument(
        "--budgets", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3]
    )
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["moons", "banana", "twonorm", "australian", "german", "satimage"],
    )
    parser.add_argument(
        "--no-trust",
        action="store_true",
        help="only the defenses that use no trusted label (quicker)",
    )
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()

    names = [n for n in defenses(0, 100) if not (args.no_trust and n in TRUSTING)]
    gains = {}
    for data_name, X, y in datasets(data_dir(args.data), args.sets):
        runs = Parallel(n_jobs=args.n_jobs)(
            delayed(split_scores)(X, y, seed, args) for seed in range(args.seeds)
        )
        print(f"\n{data_name}\n\n| attack | budget | " + " | ".join(names) + " |")
        print("|---" * (len(names) + 2) + "|")
        for attack_name, budget in dict.fromkeys((a, b) for a, b, _ in runs[0]):
            mean = {
                m: np.mean([run[attack_name, budget, m] for run in runs]) for m in names
            }
            cells = " | ".join(f"{mean[m]:.3f}" for m in names)
            print(f"| {attack_name} | {budget:.0%} | {cells} |", flush=True)
            setting = (
                "clean"
                if budget == 0
                else "random flips"
                if attack_name == "random"
                else "attacks"
            )
            for m in names:
                gains.setdefault((data_name, setting, m), []).append(
                    mean[m] - mean["SVC"]
                )
    print(
        "\nMean gain over SVC: clean labels, random flips, and the four "
        "attacks (ALFA, greedy, top-k SV, farthest) at every budget above 0\n"
    )
    print("| data | setting | " + " | ".join(names[1:]) + " |")
    print("|---" * (len(names) + 1) + "|")
    for data_name, setting in dict.fromkeys((d, s) for d, s, _ in gains):
        cells = " | ".join(
            f"{np.mean(gains[data_name, setting, m]):+.3f}" for m in names[1:]
        )
        print(f"| {data_name} | {setting} | {cells} |")


if __name__ == "__main__":
    main()
