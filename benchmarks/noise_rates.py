"""Error of the two flip-rate estimators against the true rates.

Out-of-fold scores of a plain linear SVM (the most accurate of C = 1, 0.1,
0.01 on the noisy labels, as RobustLinearSVC does) feed
``estimate_noise_rates`` with method "anchor" and "likelihood"; the table
gives the largest absolute error over (rho_neg, rho_pos), per data set and
true rates, averaged over seeds.

    python benchmarks/noise_rates.py --data ../shared/data
"""

import argparse

import numpy as np
from _data import data_dir, load_tweets
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from skrobust.noise import estimate_noise_rates, flip_labels
from skrobust.svm import RobustLinearSVC

RATES = [(0.0, 0.0), (0.2, 0.2), (0.3, 0.3), (0.4, 0.4), (0.1, 0.3), (0.2, 0.0)]


def gaussian(n, d, seed):
    """Linear ground truth with label noise-free overlap (a sparse weight vector)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = np.zeros(d)
    w[:10] = rng.normal(size=10)
    return X, (X @ w + 0.3 * rng.normal(size=n) > 0).astype(int)


def out_of_fold_scores(X, y, seed):
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    best = None
    for C in (1.0, 0.1, 0.01):
        scores = cross_val_predict(
            RobustLinearSVC(C=C, noise_rates=None),
            X,
            y,
            cv=folds,
            method="decision_function",
        )
        accuracy = np.mean((scores > 0) == y)
        if best is None or accuracy > best[0]:
            best = (accuracy, scores)
    return best[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    root = data_dir(args.data)
    sets = {
        "Gaussian 600 x 200": lambda s: gaussian(600, 200, s),
        "Gaussian 2000 x 50": lambda s: gaussian(2000, 50, s),
        "Gaussian 3000 x 20": lambda s: gaussian(3000, 20, s),
    }
    if root is not None and (tweets := load_tweets(root)) is not None:
        sets["tweets TF-IDF"] = lambda s: tweets
    print("| data | true (rho_neg, rho_pos) | anchor error | likelihood error |")
    print("|---|---|---|---|")
    totals = {"anchor": [], "likelihood": []}
    for name, make in sets.items():
        for rates in RATES:
            errors = {"anchor": [], "likelihood": []}
            for seed in range(args.seeds):
                X, y = make(seed)
                T = np.array([[1 - rates[0], rates[0]], [rates[1], 1 - rates[1]]])
                y_noisy, _ = flip_labels(y, T, random_state=seed + 100)
                scores = out_of_fold_scores(X, y_noisy, seed)
                for method in errors:
                    estimate = estimate_noise_rates(y_noisy, scores, method=method)
                    errors[method].append(np.abs(estimate - rates).max())
            for method, values in errors.items():
                totals[method] += values
            print(
                f"| {name} | {rates} | {np.mean(errors['anchor']):.3f} | "
                f"{np.mean(errors['likelihood']):.3f} |",
                flush=True,
            )
    for method, values in totals.items():
        print(f"{method}: mean error {np.mean(values):.3f}, worst {np.max(values):.3f}")


if __name__ == "__main__":
    main()
