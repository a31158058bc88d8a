"""
===========================================
Finding the flipped labels of a digits set
===========================================

A fifth of the training labels of scikit-learn's handwritten digits are
moved to the next digit (pair flips). Out-of-sample probabilities of a
logistic regression, cross-fitted with
:func:`~skrobust.cleaning.cross_val_proba`, feed
:func:`~skrobust.cleaning.find_label_issues`, whose flags are compared to
the flips we made; :class:`~skrobust.cleaning.CleanLearningClassifier`
then refits without them.
"""

# %%
# Flag the suspicious labels
# --------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobust.cleaning import (
    CleanLearningClassifier,
    cross_val_proba,
    find_label_issues,
    label_quality_scores,
)
from skrobust.noise import estimate_transition_matrix, pair_noise

X, y = load_digits(return_X_y=True)
images = X.reshape(-1, 8, 8)
X_train, X_test, y_train, y_test, img_train, _ = train_test_split(
    X, y, images, test_size=0.4, stratify=y, random_state=0
)
y_noisy, flipped = pair_noise(y_train, 0.2, random_state=0)

model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
proba = cross_val_proba(model, X_train, y_noisy, random_state=0)
issues = find_label_issues(y_noisy, proba)
print(f"flipped: {flipped.sum()}, flagged: {issues.sum()}")
precision = flipped[issues].mean()
recall = issues[flipped].mean()
print(f"precision: {precision:.2f}, recall: {recall:.2f}")

transition, prior = estimate_transition_matrix(y_noisy, proba)
print(
    "estimated P(label k + 1 | true k):",
    np.round(np.diag(np.roll(transition, -1, 1)), 2),
)

# %%
# The eight least trustworthy labels
# ----------------------------------
quality = label_quality_scores(y_noisy, proba)
worst = np.argsort(quality)[:8]
fig, axes = plt.subplots(2, 4, figsize=(6, 4.6))
for ax, i in zip(axes.flat, worst, strict=True):
    ax.imshow(img_train[i], cmap="gray_r")
    ax.set_title(f"label {y_noisy[i]}\ntrue {y_train[i]}")
    ax.axis("off")
fig.tight_layout()

# %%
# Refit without them
# ------------------
plain = model.fit(X_train, y_noisy).score(X_test, y_test)
cleaned = CleanLearningClassifier(model, random_state=0).fit(X_train, y_noisy)
cleaned_score = cleaned.score(X_test, y_test)
print(f"clean-test accuracy: plain {plain:.3f}, cleaned {cleaned_score:.3f}")
plt.show()
