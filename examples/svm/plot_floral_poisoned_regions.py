"""
=====================================================
A kernel SVM against labels poisoned region by region
=====================================================

An attacker relabels whole regions of the training data: here the two tips
of scikit-learn's moons carry the other class's label. No sample there has a
correctly labelled neighbour, so a plain SVM learns the poison.
:class:`~skrobust.svm.FloralSVC` trains against an adversary that flips the
labels of its strongest support vectors, and keeps, among plain SVMs and the
game's iterates, the model most accurate on a small set of trusted labels
(100 samples here). Both are scored on clean test labels.
"""

# %%
# Poison the tips of the moons
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.svm import SVC

from skrobust.svm import FloralSVC

X, y = make_moons(n_samples=1700, noise=0.2, random_state=0)
X_train, y_clean = X[:600], y[:600]
X_val, y_val = X[600:700], y[600:700]  # trusted labels
X_test, y_test = X[700:], y[700:]
y_train = y_clean.copy()
y_train[(y_clean == 1) & (X_train[:, 0] > 1.5)] = 0
y_train[(y_clean == 0) & (X_train[:, 0] < -0.5)] = 1
print(f"{np.mean(y_train != y_clean):.0%} of the training labels are poisoned")

# %%
# Fit and score
# -------------
svc = SVC(C=10.0, gamma=0.5).fit(X_train, y_train)
floral = FloralSVC(gamma=0.5, random_state=0).fit(
    X_train, y_train, X_val=X_val, y_val=y_val
)
print(f"SVC        clean test accuracy: {svc.score(X_test, y_test):.3f}")
print(f"FloralSVC  clean test accuracy: {floral.score(X_test, y_test):.3f}")
chosen = floral.selected_round_[0]
print(f"FloralSVC chose round {chosen} of its game (0: a plain SVM)")

# %%
# Decision boundaries
# -------------------
xs = np.linspace(-1.8, 2.8, 200)
ys = np.linspace(-1.2, 1.7, 150)
grid_x, grid_y = np.meshgrid(xs, ys)
grid = np.stack([grid_x, grid_y], axis=-1).reshape(-1, 2)
fig, axes = plt.subplots(
    2, 1, figsize=(7, 7.5), sharex=True, sharey=True, layout="constrained"
)
models = [("SVC", svc), ("FloralSVC", floral)]
for ax, (name, model) in zip(axes, models, strict=True):
    scores = model.decision_function(grid).reshape(150, 200)
    ax.contourf(
        grid_x,
        grid_y,
        scores > 0,
        alpha=0.2,
        cmap="coolwarm",
    )
    poisoned = y_train != y_clean
    ax.scatter(
        *X_train[~poisoned].T,
        c=y_train[~poisoned],
        cmap="coolwarm",
        s=8,
    )
    ax.scatter(
        *X_train[poisoned].T,
        c=y_train[poisoned],
        cmap="coolwarm",
        s=30,
        marker="x",
        label="poisoned label",
    )
    accuracy = model.score(X_test, y_test)
    ax.set_title(f"{name}: clean test accuracy {accuracy:.3f}")
    ax.legend(loc="lower left")
plt.show()
