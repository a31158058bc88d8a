"""Conformal sets under adversarial input perturbations: coverage and size.

Each test point is moved within the l2 ball of radius epsilon to raise the
base model's LAC score of its true class (lower its probability) the most:
for a binary linear model exactly (a step against the true class's weight
direction), otherwise by projected gradient ascent (40 steps, step 2.5
epsilon / 40, from the point and from the exact linear step). Features are
standardised. Methods, all at alpha = 0.1 on the same fitted model and
calibration split: plain split conformal (``ConformalClassifier``), RSCP+
(``RobustConformalClassifier(method="smoothing")``, 1024 draws, sigma = 2
epsilon), RSCP+ with PTT, both with the LAC and the APS score, and the
exact bound (``method="exact"``, for
models that have it). Printed: coverage of the attacked points (with
3 standard errors of a binomial at alpha = 0.1 on the test rows), mean set
size under attack, and the plain sets' clean size; means over seeds. Then
the cost of smoothing 10,000 rows x 1024 draws on a skrobust linear model,
Numba kernel against the same computation in NumPy batches.

    python benchmarks/robust_conformal.py --data ../shared/data
"""

import argparse
import time

import numpy as np
from _data import data_dir, load_keel
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skrobust.conformal import ConformalClassifier, RobustConformalClassifier
from skrobust.svm import RobustLinearSVC

ALPHA = 0.1
EPSILONS = (0.05, 0.1, 0.25)


def logits_and_gradient(model, X, labels):
    """The model's logits and the gradient of the true class's log-probability
    (linear softmax / sigmoid models and binary RBF SVMs)."""
    if isinstance(model, SVC):
        diff = X[:, None, :] - model.support_vectors_[None]
        kernel = np.exp(-model._gamma * (diff**2).sum(axis=2))
        weights = model.dual_coef_[0] * kernel
        f = weights.sum(axis=1) + model.intercept_[0]
        grad_f = -2 * model._gamma * (weights[:, :, None] * diff).sum(axis=1)
        W_grad = np.stack([np.zeros_like(grad_f), grad_f], axis=1)  # (n, 2, d)
        Z = np.column_stack([np.zeros(len(f)), f])
    else:
        W = model.coef_
        b = model.intercept_
        if W.shape[0] == 1:
            W, b = np.vstack([np.zeros_like(W), W]), np.r_[0.0, b]
        Z = X @ W.T + b
        W_grad = np.broadcast_to(W, (len(X), *W.shape))
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    rows = np.arange(len(X))
    # d log p_y / dx = grad z_y - sum_k p_k grad z_k
    gradient = W_grad[rows, labels] - np.einsum("nk,nkd->nd", P, W_grad)
    return P[rows, labels], gradient


def attack(model, X, labels, epsilon, steps=40):
    """Points within epsilon of X with the lowest true-class probability found."""
    best_x, best_p = X.copy(), logits_and_gradient(model, X, labels)[0]
    starts = [X]
    if hasattr(model, "coef_") and model.coef_.shape[0] == 1:
        w = model.coef_[0] / np.linalg.norm(model.coef_[0])
        starts.append(X + epsilon * np.where(labels == 1, -1.0, 1.0)[:, None] * w)
    for start in starts:
        x = start.copy()
        for _ in range(steps + 1):
            p, gradient = logits_and_gradient(model, x, labels)
            better = p < best_p
            best_x[better], best_p[better] = x[better], p[better]
            norm = np.linalg.norm(gradient, axis=1, keepdims=True)
            x = x - 2.5 * epsilon / steps * gradient / np.maximum(norm, 1e-12)
            offset = x - X
            length = np.linalg.norm(offset, axis=1, keepdims=True)
            x = X + offset * np.minimum(1.0, epsilon / np.maximum(length, 1e-12))
    return best_x


def datasets(root):
    for name in ("banana", "twonorm", "satimage", "penbased"):
        if root is not None and (data := load_keel(root, name)) is not None:
            yield name, *data


def models(n_classes):
    yield "LogisticRegression", LogisticRegression(max_iter=1000)
    if n_classes == 2:
        yield "SVC (RBF)", SVC()


def covered(sets, labels):
    return sets[np.arange(len(labels)), labels]


def run(X, y, model, epsilon, seed, n_train):
    X_fit, X_rest, y_fit, y_rest = train_test_split(
        X, y, train_size=n_train, stratify=y, random_state=seed
    )
    X_cal, X_test, y_cal, y_test = train_test_split(
        X_rest,
        y_rest,
        train_size=n_train // 2,
        test_size=1000,
        stratify=y_rest,
        random_state=seed,
    )
    model = model.fit(X_fit, y_fit)
    labels = np.searchsorted(model.classes_, y_test)
    attacked = attack(model, X_test, labels, epsilon)
    frozen = FrozenEstimator(model)
    out = {}
    plain = ConformalClassifier(frozen, method="prefit").fit(X_cal, y_cal)
    out["plain, clean size"] = (np.nan, plain.predict_set(X_test).sum(axis=1).mean())
    sets = plain.predict_set(attacked)
    out["split conformal"] = (covered(sets, labels).mean(), sets.sum(axis=1).mean())
    methods = {
        "RSCP+": dict(method="smoothing"),
        "RSCP+ PTT": dict(method="smoothing", ptt=True),
        "RSCP+ APS": dict(method="smoothing", conformity_score="aps"),
        "RSCP+ APS PTT": dict(method="smoothing", conformity_score="aps", ptt=True),
        "exact": dict(method="exact"),
    }
    for name, params in methods.items():
        robust = RobustConformalClassifier(
            frozen, epsilon=epsilon, random_state=seed, **params
        )
        try:
            robust.fit(X_cal, y_cal)
        except ValueError:  # no closed form for this model
            continue
        sets = robust.predict_set(attacked)
        out[name] = (covered(sets, labels).mean(), sets.sum(axis=1).mean())
    return out


def timing(seed=0):
    """Smoothed scores of 10,000 rows x 1024 draws: Numba against NumPy."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((12000, 20))
    y = (X[:, :3].sum(axis=1) + rng.standard_normal(12000) > 0).astype(int)
    clf = RobustConformalClassifier(
        RobustLinearSVC(), method="smoothing", random_state=seed
    ).fit(X[:2000], y[:2000])
    clf._smoothed(X[:10])  # compile outside the timing
    start = time.perf_counter()
    fast = clf._smoothed(X[2000:])
    numba_time = time.perf_counter() - start
    view, clf._view = clf._view, None  # NumPy batches of the noisy copies
    start = time.perf_counter()
    slow = clf._smoothed(X[2000:])
    numpy_time = time.perf_counter() - start
    clf._view = view
    assert np.allclose(fast, slow, atol=1e-9)
    return numba_time, numpy_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=1000)
    args = parser.parse_args()
    se = 3 * np.sqrt(ALPHA * (1 - ALPHA) / (1000 * args.seeds))
    print(f"alpha = {ALPHA}; 3 standard errors of the mean coverage: {se:.3f}")
    print("\n| data | model | epsilon | method | coverage under attack | size |")
    print("|---|---|---|---|---|---|")
    for name, X, y in datasets(data_dir(args.data)):
        X = StandardScaler().fit_transform(X)
        for model_name, model in models(len(np.unique(y))):
            for epsilon in EPSILONS:
                runs = [
                    run(X, y, model, epsilon, seed, args.n_train)
                    for seed in range(args.seeds)
                ]
                for method in runs[0]:
                    values = np.array([r[method] for r in runs])
                    size = values[:, 1].mean()
                    coverage = values[:, 0]
                    coverage = (
                        "-" if np.isnan(coverage[0]) else f"{coverage.mean():.3f}"
                    )
                    print(
                        f"| {name} | {model_name} | {epsilon} | {method} | "
                        f"{coverage} | {size:.2f} |",
                        flush=True,
                    )
    numba_time, numpy_time = timing()
    print(
        f"\nSmoothing 10,000 rows x 1024 draws (RobustLinearSVC, 20 features): "
        f"Numba {numba_time:.2f} s, NumPy batches {numpy_time:.2f} s, "
        f"ratio {numba_time / numpy_time:.2f}"
    )


if __name__ == "__main__":
    main()
