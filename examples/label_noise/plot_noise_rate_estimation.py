"""
=====================================================
Estimating flip rates and finding the flipped labels
=====================================================

Binary labels are corrupted with class-conditional noise: a true negative is
labelled positive with probability ``rho_neg`` and a true positive is labelled
negative with probability ``rho_pos``. From the noisy labels and out-of-fold
scores alone, :func:`~skrobust.noise.estimate_noise_rates` recovers the two
rates, and :func:`~skrobust.noise.clean_label_posterior` gives every sample the
probability that its label is the true one.

The scores come from a plain linear SVM
(:class:`~skrobust.svm.RobustLinearSVC` with ``noise_rates=None``) through
:func:`sklearn.model_selection.cross_val_predict`, so that no sample is scored
by a model that saw its (possibly wrong) label.
"""

# %%
# Flip the labels at several rate pairs and estimate the rates
# ------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.model_selection import cross_val_predict

from skrobust.noise import (
    clean_label_posterior,
    estimate_noise_rates,
    flip_labels,
)
from skrobust.svm import RobustLinearSVC

# one Gaussian cluster per class, so that a linear model ranks the samples
# well; flip_y=0 so that make_classification adds no label noise of its own
X, y = make_classification(
    n_samples=4000,
    n_features=20,
    n_informative=10,
    n_clusters_per_class=1,
    flip_y=0.0,
    random_state=0,
)

rate_pairs = [
    (0.0, 0.0),
    (0.1, 0.1),
    (0.2, 0.05),
    (0.05, 0.3),
    (0.3, 0.3),
    (0.4, 0.1),
]
rows = []
runs = {}
for seed, (rho_neg, rho_pos) in enumerate(rate_pairs):
    T = [[1 - rho_neg, rho_neg], [rho_pos, 1 - rho_pos]]
    y_noisy, flipped = flip_labels(y, T, random_state=seed)
    scores = cross_val_predict(
        RobustLinearSVC(noise_rates=None),
        X,
        y_noisy,
        cv=5,
        method="decision_function",
    )
    # the truth: the share of each true class that was actually flipped
    true_rates = (flipped[y == 0].mean(), flipped[y == 1].mean())
    anchor = estimate_noise_rates(y_noisy, scores, method="anchor")
    likelihood = estimate_noise_rates(y_noisy, scores, method="likelihood")
    runs[rho_neg, rho_pos] = y_noisy, flipped, scores, anchor
    rows.append(
        {
            "true rho_neg": true_rates[0],
            "true rho_pos": true_rates[1],
            "anchor rho_neg": anchor[0],
            "anchor rho_pos": anchor[1],
            "likelihood rho_neg": likelihood[0],
            "likelihood rho_pos": likelihood[1],
        }
    )

results = pd.DataFrame(rows)
results.round(3)  # shown as a table

# %%
# Estimated against true rates
# ----------------------------
# Points on the diagonal are exact estimates. Each rate pair gives two points
# per method: ``rho_neg`` (circles) and ``rho_pos`` (triangles).
fig, ax = plt.subplots(figsize=(5, 5))
for method, color in (("anchor", "tab:blue"), ("likelihood", "tab:orange")):
    for rate, marker in (("rho_neg", "o"), ("rho_pos", "^")):
        ax.scatter(
            results[f"true {rate}"],
            results[f"{method} {rate}"],
            color=color,
            marker=marker,
            label=f"{method}, {rate}",
        )
ax.plot([0, 0.5], [0, 0.5], color="gray", linestyle="--", linewidth=1)
ax.set_xlim(-0.02, 0.5)
ax.set_ylim(-0.02, 0.5)
ax.set_xlabel("true flip rate")
ax.set_ylabel("estimated flip rate")
ax.set_title("estimate_noise_rates on out-of-fold scores")
ax.legend(loc="upper left")
fig.tight_layout()

# %%
# Which labels were flipped?
# --------------------------
# With the estimated rates, :func:`~skrobust.noise.clean_label_posterior`
# fits a noise-aware sigmoid to the scores and returns, for every sample, the
# probability that its given label is correct. Flipped labels get low values.
y_noisy, flipped, scores, anchor = runs[0.3, 0.3]
posterior = clean_label_posterior(y_noisy, scores, anchor)
print(
    f"mean posterior: flipped {posterior[flipped].mean():.2f}, "
    f"kept {posterior[~flipped].mean():.2f}"
)

fig, ax = plt.subplots(figsize=(6, 4))
bins = np.linspace(0, 1, 26)
ax.hist(posterior[~flipped], bins=bins, alpha=0.6, label="kept labels")
ax.hist(posterior[flipped], bins=bins, alpha=0.6, label="flipped labels")
ax.set_xlabel("clean_label_posterior")
ax.set_ylabel("number of samples")
ax.set_title("rho_neg = rho_pos = 0.3")
ax.legend()
fig.tight_layout()
plt.show()
