"""Label-issue finding against cleanlab on real data with injected flips.

For each data set and noise setting (symmetric or pair flips of the
training labels at 10/20/40%), out-of-sample probabilities come from a
5-fold cross-fit of LogisticRegression on standardised features; on those
same probabilities skrobust's and cleanlab's ``find_label_issues`` run
with their defaults. Columns: how many samples the two flag differently,
precision and recall of the flags against the injected flips, the
Frobenius error of the estimated transition matrix P(label | true) against
the true one, and the clean-test accuracy of LogisticRegression, of
CleanLearningClassifier and of cleanlab's CleanLearning with the same base
model and folds. Mean over seeds.

    python benchmarks/label_issues_quality.py --data ../shared/data
"""

import argparse
import warnings

import numpy as np
from _data import data_dir, load_keel
from cleanlab.classification import CleanLearning
from cleanlab.filter import find_label_issues as cleanlab_find_label_issues
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobust.cleaning import (
    CleanLearningClassifier,
    cross_val_proba,
    find_label_issues,
)
from skrobust.noise import (
    estimate_transition_matrix,
    pair_noise,
    pair_transition_matrix,
    symmetric_noise,
    symmetric_transition_matrix,
)

SETTINGS = [
    ("symmetric", symmetric_noise, symmetric_transition_matrix, rate)
    for rate in (0.1, 0.2, 0.4)
] + [("pair", pair_noise, pair_transition_matrix, rate) for rate in (0.1, 0.2, 0.4)]


def datasets(root):
    yield "digits", *load_digits(return_X_y=True)
    for name in ("satimage", "penbased", "segment"):
        if root is not None and (data := load_keel(root, name)) is not None:
            yield name, *data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    base = LogisticRegression(max_iter=1000)
    print(
        "| data | noise | flagged differently | precision | recall | "
        "transition error | LogisticRegression | CleanLearningClassifier | "
        "cleanlab CleanLearning |"
    )
    print("|---" * 9 + "|")
    for name, X, y in datasets(data_dir(args.data)):
        classes, y = np.unique(y, return_inverse=True)
        for kind, noise, matrix, rate in SETTINGS:
            rows = []
            for seed in range(args.seeds):
                X_train, X_test, y_train, y_test = train_test_split(
                    X, y, test_size=0.3, stratify=y, random_state=seed
                )
                scaler = StandardScaler().fit(X_train)
                X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
                y_noisy, flipped = noise(y_train, rate, random_state=seed)
                proba = cross_val_proba(base, X_train, y_noisy, random_state=seed)
                ours = find_label_issues(y_noisy, proba)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = cleanlab_find_label_issues(y_noisy, proba)
                    # CleanLearning fits the object it is given: hand it a clone
                    cleanlab_model = CleanLearning(clone(base), seed=seed).fit(
                        X_train, y_noisy
                    )
                transition, _ = estimate_transition_matrix(y_noisy, proba)
                truth = matrix(len(classes), rate)
                ours_model = CleanLearningClassifier(base, random_state=seed)
                ours_model.fit(X_train, y_noisy)
                plain = clone(base).fit(X_train, y_noisy).score(X_test, y_test)
                rows.append(
                    [
                        np.count_nonzero(ours != theirs),
                        np.mean(flipped[ours]) if ours.any() else np.nan,
                        np.mean(ours[flipped]),
                        np.linalg.norm(transition - truth),
                        plain,
                        ours_model.score(X_test, y_test),
                        cleanlab_model.score(X_test, y_test),
                    ]
                )
            m = np.nanmean(rows, axis=0)
            print(
                f"| {name} | {kind} {rate:.0%} | {m[0]:.1f} | {m[1]:.3f} | "
                f"{m[2]:.3f} | {m[3]:.3f} | {m[4]:.3f} | {m[5]:.3f} | {m[6]:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
