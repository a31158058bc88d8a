"""
==========================================
Instance AUC against the size of the bags
==========================================

Only the share of positives of each bag is known for training; every
model is scored by its instance-level AUC on labelled test rows. The bags
are random (shuffled rows cut into blocks) or feature-correlated (rows
sorted by one feature first, as when bags are regions or days). As bags
grow, their proportions carry less about single rows, and the methods fall
from the supervised line (logistic regression on the instance labels), at
different paces: EasyLLP's soft labels are unbiased only for random bags,
and the figures printed below say which method holds up where on this
data (the measured comparison on real data sets is in the benchmarks).
``LLPClassifier``, the one to start with, fits DLLP, EasyLLP and LLP-BP
on four fifths of the bags, keeps the one whose scores best explain the
positive counts of the held-out bags, and refits it on all of them. With
eleven bags of 512 rows it warns that the held-out bags cannot tell the
methods apart, and falls back on DLLP: LLP-BP's lead there does not show
in the held-out bags.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skrobust.llp import (
    DLLPClassifier,
    EasyLLPClassifier,
    InvCalClassifier,
    LLPBeliefPropagation,
    LLPClassifier,
    make_bags,
)

X, y = make_classification(
    8000, 10, n_informative=5, weights=[0.8], class_sep=1.0, random_state=0
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0
)

supervised_model = LogisticRegression().fit(X_train, y_train)
supervised = roc_auc_score(y_test, supervised_model.decision_function(X_test))
models = {
    "LLPClassifier": LLPClassifier,
    "DLLP": DLLPClassifier,
    "EasyLLP": EasyLLPClassifier,
    "InvCal": InvCalClassifier,
    "LLP-BP": LLPBeliefPropagation,
}
bag_sizes = [8, 32, 128, 512]
kinds = {"random bags": None, "feature-correlated bags": 0}

# %%
# Fit every model on the bags of every size
# ------------------------------------------
aucs = {kind: {name: [] for name in models} for kind in kinds}
for kind, feature in kinds.items():
    for size in bag_sizes:
        bags, proportions = make_bags(
            y_train, size, X=X_train, feature=feature, random_state=0
        )
        for name, Model in models.items():
            model = Model().fit(X_train, proportions, bags=bags)
            aucs[kind][name].append(
                roc_auc_score(y_test, model.decision_function(X_test))
            )
        latest = [f"{name} {aucs[kind][name][-1]:.3f}" for name in models]
        print(f"{kind}, {size:4d} rows per bag: " + ", ".join(latest))

# %%
# Plot
# ----
fig, axes = plt.subplots(
    2, 1, figsize=(7, 7.5), sharex=True, sharey=True, layout="constrained"
)
for ax, kind in zip(axes, kinds, strict=True):
    for name in models:
        ax.plot(bag_sizes, aucs[kind][name], marker="o", label=name)
    ax.axhline(supervised, color="black", linestyle="--", label="supervised")
    ax.set_xscale("log", base=2)
    ax.set_ylabel("instance-level test AUC")
    ax.set_title(kind)
axes[1].set_xlabel("rows per bag")
axes[1].legend(loc="lower left")
plt.show()
