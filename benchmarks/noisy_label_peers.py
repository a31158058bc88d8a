"""skrobust's noisy-label defaults against what a careful user would pick instead.

Training labels are corrupted (symmetric 20/30/40%: a label moves to a
uniformly drawn other class; one-way 30%: on two-class data, class 1 -> 0;
pair 30%: on multi-class data, class k -> k + 1), test labels are clean;
70/30 stratified splits, ``--seeds`` noise draws. Columns: scikit-learn's
LinearSVC, LinearSVC with C chosen by 5-fold grid search on the noisy
labels, LogisticRegressionCV, cleanlab's CleanLearning(LogisticRegression),
RobustLinearSVC(), skrobust's CleanLearningClassifier() and
RobustLossClassifier(), each at its defaults. Dense sets are standardised,
text sets are TF-IDF. The last columns: RobustLinearSVC() minus the better of
the two peers (the grid-searched LinearSVC and CleanLearning), and the
ratio of its fit time to CleanLearning's.

    python benchmarks/noisy_label_peers.py --data ../shared/data
    python benchmarks/noisy_label_peers.py --data ../shared/data --sets tweets --seeds 1
"""

import argparse
import time
import warnings

import numpy as np
from _data import data_dir, load_keel, load_sms, load_tweets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.cleaning import CleanLearningClassifier
from skrobust.linear_model import RobustLossClassifier
from skrobust.noise import flip_labels, pair_noise, symmetric_noise
from skrobust.svm import RobustLinearSVC

C_GRID = {"C": np.logspace(-3, 2, 6)}
SETS = ["tweets", "sms", "twonorm", "german", "australian", "satimage", "segment",
        "optdigits"]  # fmt: skip


def models():
    from cleanlab.classification import CleanLearning

    return {
        "LinearSVC": lambda: LinearSVC(),
        "LinearSVC, C by CV": lambda: GridSearchCV(LinearSVC(), C_GRID, cv=5),
        "LogisticRegressionCV": lambda: LogisticRegressionCV(max_iter=1000),
        "cleanlab CleanLearning": lambda: CleanLearning(
            LogisticRegression(max_iter=1000), verbose=False
        ),
        "RobustLinearSVC()": lambda: RobustLinearSVC(random_state=0),
        "CleanLearningClassifier()": lambda: CleanLearningClassifier(random_state=0),
        "RobustLossClassifier()": lambda: RobustLossClassifier(),
    }


def datasets(root, names):
    for name in names:
        if name == "tweets":
            data = load_tweets(root)
        elif name == "sms":
            data = load_sms(root)
        else:
            data = load_keel(root, name)
            if data is not None:
                data = StandardScaler().fit_transform(data[0]), data[1]
        if data is not None:
            # cleanlab takes the classes as 0..K-1
            yield name, data[0], np.unique(data[1], return_inverse=True)[1]


def settings(n_classes):
    yield "clean", None
    for rate in (0.2, 0.3, 0.4):
        yield (
            f"symmetric {rate:.0%}",
            lambda y, s, r=rate: symmetric_noise(y, r, random_state=s)[0],
        )
    if n_classes == 2:
        one_way = np.array([[1.0, 0.0], [0.3, 0.7]])
        yield "one-way 30%", lambda y, s: flip_labels(y, one_way, random_state=s)[0]
    else:
        yield "pair 30%", lambda y, s: pair_noise(y, 0.3, random_state=s)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--sets", nargs="+", default=SETS)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    makers = models()
    names = list(makers)
    print("| data | noise | " + " | ".join(names) + " | RobustLinearSVC - best peer "
          "| time / CleanLearning |")  # fmt: skip
    print("|---" * (len(names) + 4) + "|")
    seconds = {m: [] for m in names}
    for name, X, y in datasets(data_dir(args.data), args.sets):
        # the split is fixed; the seeds draw the noise
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=0
        )
        for setting, corrupt in settings(len(np.unique(y))):
            scores = {m: [] for m in names}
            times = {m: [] for m in names}
            for seed in range(args.seeds):
                y_noisy = y_train if corrupt is None else corrupt(y_train, seed)
                for model_name, make in makers.items():
                    model = make()
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        # LinearSVC stops at max_iter on some sets; its accuracy
                        # is what a user of the defaults gets
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        # LogisticRegressionCV announces changes of its defaults
                        warnings.simplefilter("ignore", FutureWarning)
                        model.fit(X_train, y_noisy)
                    times[model_name].append(time.perf_counter() - start)
                    scores[model_name].append(np.mean(model.predict(X_test) == y_test))
            means = {m: np.mean(s) for m, s in scores.items()}
            for m in names:
                seconds[m] += times[m]
            peer = max(means["LinearSVC, C by CV"], means["cleanlab CleanLearning"])
            ratio = np.mean(times["RobustLinearSVC()"]) / np.mean(
                times["cleanlab CleanLearning"]
            )
            cells = " | ".join(f"{means[m]:.3f}" for m in names)
            print(
                f"| {name} | {setting} | {cells} | "
                f"{100 * (means['RobustLinearSVC()'] - peer):+.1f} | {ratio:.2f} |",
                flush=True,
            )
    print("\nmean fit time, s: " + ", ".join(
        f"{m} {np.mean(t):.2f}" for m, t in seconds.items()))  # fmt: skip


if __name__ == "__main__":
    main()
