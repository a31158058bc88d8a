"""Fit time of RobustLinearSVC(noise_rates=None) against sklearn's LinearSVC.

Same C, loss and tolerance; both with their default solver choice
(``dual="auto"``: the primal solver for the squared hinge when there are more
samples than features). Each time is the best of ``--repeat`` fits after one
warm-up fit (so Numba compilation is not counted; see first_fit.py for that).
Also prints the agreement of the predictions and, for two classes, the
relative gap of the primal objectives, and the cost of one epoch of dual
coordinate descent against liblinear's on the first one-vs-rest problem:
``(t(11 epochs) - t(1 epoch)) / 10`` for both, with a tolerance neither
reaches and skrobust's duality-gap checks off, so that the setup and
liblinear's copy of the data cancel out.

    python benchmarks/linear_svm_speed.py --data ../shared/data
"""

import argparse
import time
import warnings

import numpy as np
from _data import data_dir, load_keel, load_sms, load_tweets, make_text
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust._kernels.dual_cd import HINGE, SQUARED_HINGE, dual_coordinate_descent
from skrobust._kernels.rows import as_triple
from skrobust.svm import RobustLinearSVC


def best_time(make_model, X, y, repeat):
    make_model().fit(X, y)
    times = []
    for _ in range(repeat):
        model = make_model()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times), model


def epoch_ratio(X, y, loss, C, repeat):
    """Time of one dual epoch, skrobust's kernel over liblinear's."""
    positive = y == np.unique(y)[0]
    y_signed = np.where(positive, 1.0, -1.0)
    cost, zero = np.full(len(y), C), np.zeros(len(y))
    code = HINGE if loss == "hinge" else SQUARED_HINGE
    triple = as_triple(X)

    def ours(n_epochs):
        dual_coordinate_descent(
            *triple, X.shape[1], y_signed, cost, zero, code, 1.0, 1e-12, 0.0,
            n_epochs, True, 0, np.zeros(1, np.uint8),
        )  # fmt: skip

    def liblinear(n_epochs):
        LinearSVC(C=C, loss=loss, dual=True, tol=1e-12, max_iter=n_epochs).fit(
            X, positive
        )

    per_epoch = []
    for solve in (ours, liblinear):
        solve(1)
        times = []
        for n_epochs in (1, 11):
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                solve(n_epochs)
                runs.append(time.perf_counter() - start)
            times.append(min(runs))
        per_epoch.append((times[1] - times[0]) / 10)
    return per_epoch[0] / per_epoch[1]


def primal_objective(model, X, y, C, loss):
    signed = np.where(y == model.classes_[1], 1.0, -1.0)
    slack = np.maximum(0.0, 1.0 - signed * model.decision_function(X))
    slack = slack**2 if loss == "squared_hinge" else slack
    w = np.append(model.coef_.ravel(), model.intercept_)
    return 0.5 * w @ w + C * slack.sum()


def datasets(root):
    X, y = make_text(200_000)
    yield "synthetic text 200k x 50k (sparse)", X, y
    if root is not None and (tweets := load_tweets(root)) is not None:
        yield "tweets TF-IDF 8.6k x 22.5k (sparse)", *tweets
    if root is not None and (sms := load_sms(root)) is not None:
        yield "SMS spam TF-IDF 5.6k x 15.0k (sparse)", *sms
    X, y = make_classification(100_000, 50, n_informative=20, random_state=0)
    yield "make_classification 100k x 50", X, y
    for name in ("twonorm", "satimage", "penbased"):
        if root is not None and (data := load_keel(root, name)) is not None:
            X, y = data
            n_classes = len(np.unique(y))
            yield (
                f"KEEL {name} {X.shape[0] / 1000:.1f}k x {X.shape[1]}, {n_classes} cl.",
                StandardScaler().fit_transform(X),
                y,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    rows = []
    for name, X, y in datasets(data_dir(args.data)):
        for loss in ("squared_hinge", "hinge"):
            params = dict(C=args.C, loss=loss, tol=args.tol)
            ours_time, ours = best_time(
                lambda p=params: RobustLinearSVC(noise_rates=None, random_state=0, **p),
                X,
                y,
                args.repeat,
            )
            ref_time, ref = best_time(
                lambda p=params: LinearSVC(random_state=0, **p), X, y, args.repeat
            )
            agree = np.mean(ours.predict(X) == ref.predict(X))
            epoch = epoch_ratio(X, y, loss, args.C, max(args.repeat, 5))
            gap = ""
            if len(ours.classes_) == 2:
                ours_obj = primal_objective(ours, X, y, args.C, loss)
                ref_obj = primal_objective(ref, X, y, args.C, loss)
                gap = f"{(ours_obj - ref_obj) / ref_obj:+.1e}"
            ratio = ours_time / ref_time
            rows.append((name, loss, ours_time, ref_time, ratio, agree, gap, epoch))
            print(
                f"{name:<42} {loss:<14} ours {ours_time:7.3f} s  LinearSVC "
                f"{ref_time:7.3f} s  ratio {ratio:5.2f}  agree {agree:.4f}  "
                f"objective gap {gap}  epoch ratio {epoch:.2f}",
                flush=True,
            )

    print(
        "\n| data | loss | RobustLinearSVC (s) | LinearSVC (s) | ratio "
        "| same predictions | objective gap | dual epoch ratio |"
        "\n|---|---|---|---|---|---|---|---|"
    )
    for name, loss, ours_time, ref_time, ratio, agree, gap, epoch in rows:
        print(
            f"| {name} | {loss} | {ours_time:.3f} | {ref_time:.3f} | {ratio:.2f} | "
            f"{agree:.2%} | {gap or 'n/a'} | {epoch:.2f} |"
        )


if __name__ == "__main__":
    main()
