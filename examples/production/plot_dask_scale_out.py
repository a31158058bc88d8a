"""
=================================================
Grid search and batch scoring on a Dask cluster
=================================================

skrobust's estimators are plain scikit-learn estimators, so two jobs scale
out on a `Dask <https://www.dask.org>`_ cluster without new code:

- **model selection**: :class:`~sklearn.model_selection.GridSearchCV` (and
  ``cross_val_score``) dispatch their fits through joblib; inside
  ``joblib.parallel_backend("dask")`` each fit runs as a task on a worker;
- **batch scoring**: :func:`skrobust.batch.score_frame` scores one pandas
  DataFrame, so ``map_partitions`` applies it to every partition of a
  ``dask.dataframe`` on the workers.

The cluster here is a ``distributed.LocalCluster`` with two workers in
this process, so that the example runs anywhere; on a real cluster, connect
with ``Client("tcp://scheduler-address:8786")`` instead and the rest of the
code stays as it is.
"""

# %%
# A cluster, and training labels with 20% of them flipped
# -------------------------------------------------------
import time
from functools import partial

import dask.dataframe as dd
import joblib
import matplotlib.pyplot as plt
import pandas as pd
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobust.batch import score_frame
from skrobust.noise import symmetric_noise
from skrobust.svm import RobustLinearSVC

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)

X, y = make_classification(
    n_samples=6000, n_features=20, n_informative=8, random_state=0
)
columns = [f"x{i}" for i in range(X.shape[1])]
X = pd.DataFrame(X, columns=columns)
X_train, X_new, y_train, y_new = train_test_split(
    X,
    y,
    train_size=1500,
    random_state=0,
)
y_noisy, _ = symmetric_noise(y_train, 0.2, random_state=0)

# %%
# Grid search, one fit per task
# -----------------------------
# Every candidate estimates the flip rates from its own out-of-fold scores.
search = GridSearchCV(
    make_pipeline(StandardScaler(), RobustLinearSVC(cv=3, random_state=0)),
    {"robustlinearsvc__C": [0.01, 0.1, 1.0]},
    cv=3,
)
start = time.perf_counter()
with joblib.parallel_backend("dask"):
    search.fit(X_train, y_noisy)
print(f"grid search: {time.perf_counter() - start:.1f} s on the cluster")
results = pd.DataFrame(search.cv_results_)[
    ["param_robustlinearsvc__C", "mean_test_score", "std_test_score"]
]
print(results.round(3).to_string(index=False))
model = search.best_estimator_
print("best C:", search.best_params_["robustlinearsvc__C"])
print("estimated flip rates:", model[-1].noise_rates_.round(3))

# %%
# Batch scoring of a dask.dataframe
# ---------------------------------
# ``map_partitions`` passes each partition first, so the model is bound with
# ``partial``; ``meta`` (the output's columns and dtypes) is the output for
# the empty frame.
new = dd.from_pandas(X_new, npartitions=8)
score = partial(score_frame, model)
scores = new.map_partitions(score, meta=score(new._meta))
start = time.perf_counter()
scored = scores.compute()
print(
    f"scored {len(scored)} rows in {scores.npartitions} partitions "
    f"in {time.perf_counter() - start:.1f} s"
)
print(scored.head().round(3).to_string())
# ``from_pandas`` sorts the partitions by index: match the labels by index
labels = pd.Series(y_new, index=X_new.index).reindex(scored.index)
accuracy = (scored["prediction"] == labels).mean()
print(f"accuracy on the clean labels of the new rows: {accuracy:.3f}")

client.close()
cluster.close()

# %%
# Cross-validated accuracy against C
# ----------------------------------
# Scored on the noisy labels of the held-out folds, which is what the search
# sees; the clean accuracy of the chosen model is printed above.
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(
    results["param_robustlinearsvc__C"].astype(float),
    results["mean_test_score"],
    yerr=results["std_test_score"],
    marker="o",
    capsize=3,
)
ax.set_xscale("log")
ax.set_xlabel("C")
ax.set_ylabel("accuracy on noisy held-out labels")
ax.set_title("RobustLinearSVC, 3-fold grid search on the Dask cluster")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
