"""Fit time of RobustLossClassifier against LogisticRegression (lbfgs, saga).

A dense multi-class problem (default 100k samples x 100 features x 20
classes, standardised). Every model is fitted at the same ``tol`` and C;
the table gives the seconds, the ratio to each LogisticRegression solver
(< 1: skrobust is faster) and the penalised cross-entropy objective
``C * sum_i loss_i + ||W||^2 / 2`` each reached, so that equal tolerance
can be checked to mean equal accuracy (for the cross-entropy models). The
robust losses are timed too.

    python benchmarks/multiclass_speed.py
"""

import argparse
import time
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skrobust.linear_model import RobustLossClassifier


def objective(model, X, y, C):
    scores = X @ model.coef_.T + model.intercept_
    loss = logsumexp(scores, axis=1) - scores[np.arange(len(y)), y]
    return C * loss.sum() + 0.5 * np.sum(model.coef_**2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--n-classes", type=int, default=20)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    X, y = make_classification(
        n_samples=args.n_samples,
        n_features=args.n_features,
        n_informative=args.n_features // 2,
        n_classes=args.n_classes,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    # compile the kernels outside the timings
    RobustLossClassifier("log_loss").fit(X[:200], y[:200])
    RobustLossClassifier("aldr_kl").fit(X[:200], y[:200])

    common = {"C": args.C, "tol": args.tol}
    models = {
        "LogisticRegression lbfgs": LogisticRegression(**common, max_iter=10_000),
        "LogisticRegression saga": LogisticRegression(
            **common, solver="saga", max_iter=10_000
        ),
        "RobustLossClassifier log_loss": RobustLossClassifier(
            "log_loss", **common, max_iter=10_000
        ),
        "RobustLossClassifier aldr_kl": RobustLossClassifier(**common, max_iter=10_000),
        "RobustLossClassifier comp_sum": RobustLossClassifier(
            "comp_sum", **common, max_iter=10_000
        ),
    }
    print(
        f"{args.n_samples} x {args.n_features}, {args.n_classes} classes, "
        f"tol={args.tol}, C={args.C}, best of {args.repeats}\n"
    )
    print("| model | fit (s) | vs lbfgs | vs saga | n_iter | cross-entropy objective |")
    print("|---|---|---|---|---|---|")
    # round robin over the models, so that a slow spell of a shared machine
    # does not fall on one model's repeats only
    results = dict.fromkeys(models, np.inf)
    for _ in range(args.repeats):
        for name, model in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
            results[name] = min(results[name], time.perf_counter() - start)
    lbfgs = results["LogisticRegression lbfgs"]
    saga = results["LogisticRegression saga"]
    for name, model in models.items():
        best = results[name]
        cross_entropy = (
            f"{objective(model, X, y, args.C):.6g}"
            if getattr(model, "loss", "log_loss") == "log_loss"
            else "-"
        )
        print(
            f"| {name} | {best:.2f} | {best / lbfgs:.2f} | {best / saga:.2f} | "
            f"{int(np.max(model.n_iter_))} | {cross_entropy} |"
        )


if __name__ == "__main__":
    main()
