"""
====================================================
Multi-class losses under pair flips: which one holds
====================================================

Every loss of :class:`~skrobust.linear_model.RobustLossClassifier` is a
function of the score differences. The first plot shows each loss of a
two-class problem against the margin ``f_y - f_other``: the convex losses
(cross-entropy, Crammer-Singer hinge, LDR-KL, ALDR-KL) grow without bound
when the model confidently disagrees with the label, so a wrong label keeps
pulling; the generalised cross-entropy (GCE, comp-sum with ``tau = 1.7``) is
bounded and lets it go.

The second plot trains each loss on scikit-learn's digits whose training
labels were moved from digit k to k + 1 with a growing probability, and
scores on the clean test labels.
"""

# %%
# The losses against the margin
# -----------------------------
# With two classes every loss is a function of the margin ``m = f_y - f_other``
# (temperature 1, margin 0.1 for LDR-KL and ALDR-KL, 1 for the hinge).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobust.linear_model import RobustLossClassifier
from skrobust.noise import pair_noise


def ldr_kl(m, lam, c=0.1):
    """lam * log(mean(exp(z / lam))) with z = (0, c - m)."""
    return lam * np.log(0.5 * (1.0 + np.exp((c - m) / lam)))


def aldr_kl(m, lam0=1.0, alpha=2.0):
    """LDR-KL at the best temperature in [lam0 (1 - 1/alpha), lam0]."""
    a = alpha * np.log(2) / lam0
    lams = np.linspace(lam0 * (1 - 1 / alpha), lam0, 501)[:, None]
    return np.max(ldr_kl(m, lams) - 0.5 * a * (lams - lam0) ** 2, axis=0)


margins = np.linspace(-6, 6, 241)
p_y = 1.0 / (1.0 + np.exp(-margins))
curves = {
    "cross-entropy": -np.log(p_y),
    "Crammer-Singer hinge": np.maximum(0.0, 1.0 - margins),
    "LDR-KL": ldr_kl(margins, 1.0),
    "ALDR-KL": aldr_kl(margins),
    "GCE (tau 1.7)": (1.0 - p_y**0.7) / 0.7,
}
fig, ax = plt.subplots(figsize=(6, 4))
for name, values in curves.items():
    ax.plot(margins, values, label=name)
ax.set_xlabel("margin f_y - f_other")
ax.set_ylabel("loss")
ax.set_ylim(-0.5, 7)
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

# %%
# Accuracy under pair flips
# -------------------------
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
rates = [0.0, 0.1, 0.2, 0.3, 0.4]
models = {
    "LogisticRegression": lambda: LogisticRegression(),
    "cross-entropy": lambda: RobustLossClassifier("log_loss"),
    # liblinear's own default tolerance for this dual solver is 0.1
    "Crammer-Singer": lambda: RobustLossClassifier(
        "crammer_singer", tol=1e-2, max_iter=5000, random_state=0
    ),
    "ALDR-KL": lambda: RobustLossClassifier("aldr_kl"),
    "GCE (default)": lambda: RobustLossClassifier(random_state=0),
}
accuracy = {name: [] for name in models}
for rate in rates:
    y_noisy, _ = pair_noise(y_train, rate, random_state=0)
    for name, make in models.items():
        pipe = make_pipeline(StandardScaler(), make()).fit(X_train, y_noisy)
        accuracy[name].append(pipe.score(X_test, y_test))

fig, ax = plt.subplots(figsize=(6, 4))
for name, values in accuracy.items():
    ax.plot(rates, values, marker="o", label=name)
ax.set_xlabel("probability that digit k is labelled k + 1")
ax.set_ylabel("accuracy on clean test labels")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The bounded loss keeps most of its accuracy as the flips grow; the convex
# ones, ALDR-KL included, follow the wrong labels. For a linear model with an
# L2 penalty the temperature of LDR-KL only rescales ``C``; what ALDR-KL adds
# is a temperature per sample, which softens ambiguous samples but, its
# loss still growing linearly, does not let a confidently wrong label go.
# That is why GCE is the default loss.
