"""
====================================================
Conformal sets under adversarial input perturbations
====================================================

Split conformal sets hold the true class with probability ``1 - alpha`` for
test points drawn like the calibration points. An adversary who may move
each test point by a small l2 distance ``epsilon`` can push the true class
out of the set. :class:`~skrobust.conformal.RobustConformalClassifier`
keeps the guarantee for every point of the ball: with the exact bound of a
linear model (no Monte Carlo), or with RSCP+ randomised smoothing, with or
without PTT's score transform.

Here a logistic regression on the standardised digits is attacked by
projected gradient steps that lower the true class's probability, and the
four kinds of sets are compared as ``epsilon`` grows.
"""

# %%
# A model, a calibration split, and an attack
# -------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobust.conformal import (
    ConformalClassifier,
    RobustConformalClassifier,
    coverage_score,
    mean_set_size,
)

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_fit, X_rest, y_fit, y_rest = train_test_split(
    X, y, train_size=0.4, stratify=y, random_state=0
)
X_cal, X_test, y_cal, y_test = train_test_split(
    X_rest, y_rest, train_size=0.5, stratify=y_rest, random_state=0
)
model = FrozenEstimator(LogisticRegression(max_iter=2000).fit(X_fit, y_fit))


def attack(X, y, epsilon, steps=20):
    """Projected gradient descent on the true class's log-probability."""
    W = model.coef_
    x = X.copy()
    for _ in range(steps):
        proba = model.predict_proba(x)
        gradient = W[y] - proba @ W  # d log p_y / dx
        norm = np.linalg.norm(gradient, axis=1, keepdims=True)
        x = x - 2.5 * epsilon / steps * gradient / np.maximum(norm, 1e-12)
        offset = x - X
        length = np.linalg.norm(offset, axis=1, keepdims=True)
        x = X + offset * np.minimum(1.0, epsilon / np.maximum(length, 1e-12))
    return x


# %%
# Coverage under attack and set size against epsilon
# --------------------------------------------------
# The plain sets lose coverage as the attack grows; the robust ones keep it
# (the dashed line is ``1 - alpha``). The exact bound's sets grow least:
# it bounds the model itself, while smoothing pays for the Monte-Carlo
# error and a noisier score; PTT narrows the smoothed sets.
epsilons = [0.05, 0.1, 0.2, 0.3]
methods = {
    "split conformal": None,
    "RSCP+": dict(method="smoothing"),
    "RSCP+ with PTT": dict(method="smoothing", ptt=True),
    "exact bound": dict(method="exact"),
}
plain = ConformalClassifier(model, method="prefit").fit(X_cal, y_cal)
results = {name: [] for name in methods}
for epsilon in epsilons:
    attacked = attack(X_test, y_test, epsilon)
    for name, params in methods.items():
        if params is None:
            clf = plain
        else:
            clf = RobustConformalClassifier(
                model, epsilon=epsilon, random_state=0, **params
            ).fit(X_cal, y_cal)
        sets = clf.predict_set(attacked)
        results[name].append(
            (
                coverage_score(y_test, sets, classes=clf.classes_),
                mean_set_size(sets),
            )
        )

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
for name, values in results.items():
    coverage, size = np.array(values).T
    left.plot(epsilons, coverage, marker="o", label=name)
    right.plot(epsilons, size, marker="o", label=name)
left.axhline(0.9, color="gray", linestyle="--")
xlabel = "epsilon (l2, standardised features)"
left.set(xlabel=xlabel, ylabel="coverage under attack")
right.set(xlabel=xlabel, ylabel="mean set size")
right.legend()
fig.tight_layout()
plt.show()
