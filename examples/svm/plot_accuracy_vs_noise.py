"""
==========================================
Accuracy of a linear SVM under label noise
==========================================

The training labels of scikit-learn's handwritten digits (10 classes) are
corrupted with symmetric noise: each label is replaced by a uniformly drawn
other digit with probability 0, 0.1, 0.2, 0.3 or 0.4. Three models are trained
on the noisy labels and scored on the clean test labels:

- :class:`sklearn.svm.LinearSVC`, which takes the labels at face value;
- :class:`~skrobust.svm.RobustLinearSVC` with its default
  ``noise_rates="auto"``, which estimates the flip rates from out-of-fold
  scores;
- :class:`~skrobust.svm.RobustLinearSVC` told the true noise rate.

The features are standardised inside a pipeline, so the scaler is fitted on
the training split only.
"""

# %%
# Corrupt the training labels and fit the three models
# -----------------------------------------------------
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.noise import symmetric_noise
from skrobust.svm import RobustLinearSVC

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)

noise_levels = [0.0, 0.1, 0.2, 0.3, 0.4]
rows = []
for rate in noise_levels:
    y_noisy, flipped = symmetric_noise(y_train, rate, random_state=0)
    models = {
        "LinearSVC": LinearSVC(),
        "RobustLinearSVC (auto)": RobustLinearSVC(random_state=0),
        "RobustLinearSVC (true rate)": RobustLinearSVC(
            noise_rates=rate, random_state=0
        ),
    }
    row = {"noise rate": rate, "flipped": flipped.mean()}
    for name, model in models.items():
        pipe = make_pipeline(StandardScaler(), model).fit(X_train, y_noisy)
        row[name] = pipe.score(X_test, y_test)
    rows.append(row)

results = pd.DataFrame(rows).set_index("noise rate")
results.round(3)  # shown as a table

# %%
# Clean test accuracy against the noise rate
# ------------------------------------------
model_names = [name for name in results.columns if name != "flipped"]
fig, ax = plt.subplots(figsize=(6, 4))
for name, marker in zip(model_names, "osD", strict=True):
    ax.plot(results.index, results[name], marker=marker, label=name)
ax.set_xlabel("share of flipped training labels")
ax.set_ylabel("accuracy on clean test labels")
ax.set_title("Digits, symmetric label noise")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
