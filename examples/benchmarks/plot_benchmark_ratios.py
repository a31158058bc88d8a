"""
=====================================================
Speed against scikit-learn and cleanlab, measured now
=====================================================

Each pair below does the same job, once with skrobust's Numba solvers and
once with the reference implementation, on the same small problem, here and
now: the bars are measured when the example runs (on the machine that
builds these pages), not copied from a table. A bar is skrobust's time over
the reference's: below 1, skrobust is faster.

- fits of :class:`~skrobust.svm.RobustLinearSVC` with ``noise_rates=None``
  (the plain linear SVM) against :class:`~sklearn.svm.LinearSVC`, and of
  :class:`~skrobust.svm.RobustSVC` with ``noise_rates=None`` against
  :class:`~sklearn.svm.SVC`, and the kernel SVMs' ``decision_function``;
- :class:`~skrobust.linear_model.RobustLossClassifier` with the
  cross-entropy loss against :class:`~sklearn.linear_model.LogisticRegression`;
- :func:`skrobust.cleaning.find_label_issues` against cleanlab's, on the same
  probabilities, when cleanlab is installed.

Every time is the best of three runs after a warm-up run, so that Numba's
compilation is not counted. The problems are small so that the page builds
quickly; ``docs/benchmarks.rst`` has larger ones and the scripts behind them.
"""

# %%
# The pairs
# ---------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from skrobust.cleaning import find_label_issues
from skrobust.linear_model import RobustLossClassifier
from skrobust.svm import RobustLinearSVC, RobustSVC


def best_time(run, repeat=3):
    """Best wall time of ``run()`` over ``repeat`` calls, after a warm-up."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


X_wide, y_wide = make_classification(
    20_000,
    50,
    n_informative=20,
    random_state=0,
)
X_wide = StandardScaler().fit_transform(X_wide)
X_digits, y_digits = load_digits(return_X_y=True)
X_digits = StandardScaler().fit_transform(X_digits)
X_kernel, y_kernel = X_wide[:3000, :20], y_wide[:3000]
X_multi, y_multi = make_classification(
    5000, 20, n_informative=10, n_classes=5, random_state=0
)
X_multi = StandardScaler().fit_transform(X_multi)

# name: (skrobust's job, the reference's job)
pairs = {
    "RobustLinearSVC fit\n20k x 50, 2 classes": (
        lambda: RobustLinearSVC(noise_rates=None).fit(X_wide, y_wide),
        lambda: LinearSVC().fit(X_wide, y_wide),
    ),
    "RobustLinearSVC fit\ndigits, 10 classes": (
        lambda: RobustLinearSVC(noise_rates=None).fit(X_digits, y_digits),
        lambda: LinearSVC().fit(X_digits, y_digits),
    ),
    "RobustSVC fit (rbf)\n3k x 20": (
        lambda: RobustSVC(noise_rates=None).fit(X_kernel, y_kernel),
        lambda: SVC().fit(X_kernel, y_kernel),
    ),
    "RobustLossClassifier fit\ncross-entropy, 5k x 20, 5 classes": (
        lambda: RobustLossClassifier("log_loss").fit(X_multi, y_multi),
        lambda: LogisticRegression(max_iter=1000).fit(X_multi, y_multi),
    ),
}

# the kernel SVMs' scoring, on 5k new rows
robust_svc = RobustSVC(noise_rates=None).fit(X_kernel, y_kernel)
svc = SVC().fit(X_kernel, y_kernel)
X_score = X_wide[-5000:, :20]
pairs["kernel SVM decision_function\n5k rows, 3k-row model"] = (
    lambda: robust_svc.decision_function(X_score),
    lambda: svc.decision_function(X_score),
)

# confident learning on the same out-of-sample probabilities
try:
    from cleanlab.filter import find_label_issues as cleanlab_find_label_issues
except ImportError:
    print("cleanlab is not installed: no label-issue pair")
else:
    rng = np.random.default_rng(0)
    n, k = 200_000, 10
    true = rng.integers(0, k, n)
    proba = rng.gamma(1.0, size=(n, k))
    proba[np.arange(n), true] += rng.gamma(3.0, size=n) * k / 4
    proba /= proba.sum(axis=1, keepdims=True)
    labels = np.where(rng.random(n) < 0.2, rng.integers(0, k, n), true)
    pairs["find_label_issues\n200k x 10 probabilities"] = (
        lambda: find_label_issues(labels, proba),
        lambda: cleanlab_find_label_issues(labels, proba),
    )

# %%
# Time them
# ---------
rows = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, (ours, reference) in pairs.items():
        ours_s, reference_s = best_time(ours), best_time(reference)
        rows.append(
            {
                "job": name.replace("\n", ", "),
                "skrobust (s)": ours_s,
                "reference (s)": reference_s,
                "ratio": ours_s / reference_s,
            }
        )
results = pd.DataFrame(rows)
results.round(4).set_index("job")  # shown as a table

# %%
# Time ratios
# -----------
# Bars grow from 1 on a log scale, so that twice as fast and twice as slow
# are bars of the same length.
ratios = results["ratio"].to_numpy()
reach = 10.0 ** np.ceil(np.abs(np.log10(ratios)).max() + 0.05)
fig, ax = plt.subplots(figsize=(7.5, 4.5))
ax.barh(
    list(pairs),
    ratios - 1.0,
    left=1.0,
    color=np.where(ratios < 1.0, "tab:green", "tab:red"),
)
ax.axvline(1.0, color="black", linewidth=1)
ax.set_xscale("log")
ax.set_xlim(1.0 / reach, reach)
ax.invert_yaxis()
for row, ratio in enumerate(ratios):
    ax.annotate(
        f"{ratio:.2f}",
        (ratio, row),
        xytext=(4 if ratio >= 1.0 else -4, 0),
        textcoords="offset points",
        ha="left" if ratio >= 1.0 else "right",
        va="center",
        fontsize=8,
    )
ax.set_xlabel("skrobust time / reference time (below 1: skrobust faster)")
ax.set_title("Measured in this run")
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
plt.show()
