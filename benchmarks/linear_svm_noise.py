"""Clean-test accuracy of linear SVMs trained on noisy labels.

Labels of the training split are corrupted (symmetric noise at 0/20/30/40%;
on two-class data, one-sided flips of the positive class at 10/20/30%; on
multi-class data, pair flips k -> k+1 at 10/20/30%); models are scored on
the untouched test split, 5 seeds per setting. Models: sklearn's LinearSVC,
RobustLinearSVC with the default noise_rates="auto", RobustLinearSVC given
the true transition matrix, and (two classes) the classic Liu-Tao importance
reweighting of a LinearSVC. "recovered" is the share of the accuracy that
LinearSVC loses to the noise which the default RobustLinearSVC wins back.

    python benchmarks/linear_svm_noise.py --data ../shared/data
"""

import argparse
import time
import warnings

import numpy as np
from _data import data_dir, load_keel, load_tweets
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.noise import (
    estimate_noise_rates,
    flip_labels,
    importance_weights,
    pair_transition_matrix,
    symmetric_transition_matrix,
)
from skrobust.svm import RobustLinearSVC


def settings(n_classes):
    yield "clean", np.eye(n_classes)
    for rate in (0.2, 0.3, 0.4):
        yield f"symmetric {rate:.0%}", symmetric_transition_matrix(n_classes, rate)
    for rate in (0.1, 0.2, 0.3):
        if n_classes == 2:
            yield f"one-sided {rate:.0%}", np.array([[1.0, 0.0], [rate, 1.0 - rate]])
        else:
            yield f"pair {rate:.0%}", pair_transition_matrix(n_classes, rate)


def liu_tao(X, y_noisy, seed):
    """Importance reweighting (Liu & Tao 2016) of a plain LinearSVC."""
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    scores = cross_val_predict(
        LinearSVC(), X, y_noisy, cv=folds, method="decision_function"
    )
    rates = estimate_noise_rates(y_noisy, scores)
    weights = importance_weights(y_noisy, scores, rates)
    return LinearSVC().fit(X, y_noisy, sample_weight=weights)


def fitters(transition, seed, n_classes):
    """The compared models, each as a function ``(X, y) -> fitted model``."""
    models = {
        "LinearSVC": LinearSVC().fit,
        "RobustLinearSVC": RobustLinearSVC(random_state=seed).fit,
        "RobustLinearSVC, true T": RobustLinearSVC(
            noise_rates=transition, random_state=seed
        ).fit,
    }
    if n_classes == 2:
        models["Liu-Tao reweighting"] = lambda X, y: liu_tao(X, y, seed)
    return models


def evaluate(X, y, n_seeds):
    classes = np.unique(y)
    table = {}
    for name, transition in settings(len(classes)):
        scores = {}
        for seed in range(n_seeds):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            y_noisy, _ = flip_labels(y_train, transition, random_state=seed)
            for model_name, fit in fitters(transition, seed, len(classes)).items():
                start = time.perf_counter()
                model = fit(X_train, y_noisy)
                seconds = time.perf_counter() - start
                scores.setdefault(model_name, []).append(
                    (model.score(X_test, y_test), seconds)
                )
        table[name] = {m: np.array(v) for m, v in scores.items()}
        cells = "  ".join(f"{m} {v[:, 0].mean():.3f}" for m, v in table[name].items())
        print(f"  {name:<15} {cells}", flush=True)
    return table


def datasets(root):
    if root is not None and (tweets := load_tweets(root)) is not None:
        yield "tweets TF-IDF (text, 2 classes)", *tweets
    X, y = load_digits(return_X_y=True)
    yield "digits (10 classes)", StandardScaler().fit_transform(X), y
    for name in ("satimage", "segment"):
        if root is not None and (data := load_keel(root, name)) is not None:
            X, y = data
            yield (
                f"KEEL {name} ({len(np.unique(y))} classes)",
                (StandardScaler().fit_transform(X)),
                y,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    for name, X, y in datasets(data_dir(args.data)):
        print(f"\n{name}: {X.shape[0]} x {X.shape[1]}", flush=True)
        table = evaluate(X, y, args.seeds)
        models = list(next(iter(table.values())))
        print("\n| noise | " + " | ".join(models) + " | recovered |")
        print("|---" * (len(models) + 2) + "|")
        clean = table["clean"]["LinearSVC"][:, 0].mean()
        for setting, scores in table.items():
            cells = [
                f"{s[:, 0].mean():.3f} ± {s[:, 0].std():.3f}" for s in scores.values()
            ]
            plain = scores["LinearSVC"][:, 0].mean()
            robust = scores["RobustLinearSVC"][:, 0].mean()
            recovered = (
                f"{(robust - plain) / (clean - plain):.1%}"
                if clean - plain > 0.005
                else ""
            )
            print(f"| {setting} | " + " | ".join(cells) + f" | {recovered} |")
        seconds = {
            m: np.mean([scores[m][:, 1].mean() for scores in table.values()])
            for m in models
        }
        print(
            "mean fit time (s): "
            + ", ".join(f"{m} {t:.2f}" for m, t in seconds.items())
        )


if __name__ == "__main__":
    main()
