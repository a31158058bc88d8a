"""
======================================================
Certified accuracy: how many flips each model survives
======================================================

A certified defense says, for every prediction, how many training labels an
adversary could flip (any rows, to any classes) without changing it. The
*certified accuracy* at ``r`` is the share of test rows that are both
predicted right and certified against ``r`` flips; at 0 it is the accuracy.

Four certified models from :mod:`skrobust.certified` on the same data:

- :class:`~skrobust.certified.PartitionAggregationClassifier` with
  ``n_shifts=1``: Deep Partition Aggregation, 50 logistic regressions on
  hashed shares of the rows;
- the same with ``n_shifts=4``: Finite Aggregation;
- :class:`~skrobust.certified.CertifiedKNeighborsClassifier` with 101
  neighbours;
- :class:`~skrobust.certified.CertifiedRidgeClassifier`.
"""

# %%
# Data and models
# ---------------
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from skrobust.certified import (
    CertifiedKNeighborsClassifier,
    CertifiedRidgeClassifier,
    PartitionAggregationClassifier,
    certified_accuracy,
)

X, y = make_classification(
    6000, 10, n_informative=6, class_sep=1.2, flip_y=0.02, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=1000, random_state=0
)
models = {
    "DPA (50 partitions)": PartitionAggregationClassifier(n_partitions=50),
    "FA (50 partitions, 4 shifts)": PartitionAggregationClassifier(
        n_partitions=50, n_shifts=4, random_state=0
    ),
    "kNN (101 neighbours)": CertifiedKNeighborsClassifier(n_neighbors=101),
    "ridge": CertifiedRidgeClassifier(alpha=1.0),
}

# %%
# Certified accuracy against the number of flipped training labels
# -----------------------------------------------------------------
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, model in models.items():
    model.fit(X_train, y_train)
    radii, accuracy = certified_accuracy(
        y_test, model.predict(X_test), model.certified_flips(X_test)
    )
    ax.step(radii, accuracy, where="post", label=name)
ax.set_xscale("symlog", linthresh=10)
ax.set_xlabel("flipped training labels (of 5000)")
ax.set_ylabel("certified accuracy")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The partition methods are bounded by their number of learners: a flip
# corrupts at most one learner's share (DPA) or the few learners its bucket
# feeds (FA), so no prediction survives more than about half of them. The
# kNN vote is bounded by half its neighbours. The ridge certificate has no
# such cap: every training row moves the score by its own weight, and rows
# far from the test point weigh little.
