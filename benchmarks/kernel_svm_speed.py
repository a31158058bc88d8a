"""Fit and predict time of RobustSVC(noise_rates=None) against sklearn's SVC.

RBF kernel, same C, gamma, tolerance and cache size; both solve the same
dual, so the table also prints the relative gap of the dual objectives and
the agreement of the predictions. Each time is the best of ``--repeat``
runs after a warm-up (Numba compilation is not counted). RobustSVC scores
with ``n_jobs=-1`` (all cores); SVC has no such option.

    python benchmarks/kernel_svm_speed.py
"""

import argparse
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skrobust.svm import RobustSVC


def best_time(repeat, function, *args):
    function(*args)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def svc_dual_objective(svc, X, y, gamma):
    coef = np.zeros(len(y))
    coef[svc.support_] = svc.dual_coef_[0]
    K = rbf_kernel(X[svc.support_], gamma=gamma)
    a = coef[svc.support_]
    return 0.5 * a @ K @ a - np.abs(a).sum()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--C", type=float, default=1.0)
    args = parser.parse_args()

    print(
        "| n train | fit SVC (s) | fit ours (s) | fit ratio | predict SVC (s) "
        "| predict ours (s) | predict ratio | agreement | dual gap |"
    )
    print("|---" * 9 + "|")
    for n in args.sizes:
        X, y = make_classification(
            2 * n, 20, n_informative=10, flip_y=0.05, random_state=0
        )
        X = StandardScaler().fit_transform(X)
        X_train, X_test, y_train = X[:n], X[n:], y[:n]
        gamma = 1.0 / X.shape[1]
        params = dict(C=args.C, gamma=gamma, tol=1e-3, cache_size=200)
        repeat = args.repeat if n <= 5000 else 1
        svc_fit, svc = best_time(repeat, SVC(**params).fit, X_train, y_train)
        ours_model = RobustSVC(noise_rates=None, n_jobs=-1, **params)
        ours_fit, ours = best_time(repeat, ours_model.fit, X_train, y_train)
        svc_predict, svc_labels = best_time(repeat, svc.predict, X_test)
        ours_predict, ours_labels = best_time(repeat, ours.predict, X_test)
        reference = svc_dual_objective(svc, X_train, y_train, gamma)
        gap = (ours.dual_objective_[0] - reference) / abs(reference)
        print(
            f"| {n} | {svc_fit:.2f} | {ours_fit:.2f} | {ours_fit / svc_fit:.2f} "
            f"| {svc_predict:.2f} | {ours_predict:.2f} "
            f"| {ours_predict / svc_predict:.2f} "
            f"| {np.mean(svc_labels == ours_labels):.2%} | {gap:+.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
