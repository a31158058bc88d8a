"""The main job: plain against noise-robust estimators on scikit-learn's data.

Run with ``python -m skrobust demo``. Labels of the training split are
corrupted at several rates; every model is scored on the clean test split.
Linear SVMs face symmetric noise; the multi-class losses face pair flips
(digit k labelled k + 1); the kernel SVM faces one-sided flips (positives
labelled negative), the class-conditional noise that moves a kernel SVM's
boundary (symmetric noise barely does). Then conformal prediction sets on
digits calibrated on labels with the same noise rates: plain split conformal
against the noise-corrected thresholds.
"""

import time
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, make_moons
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from .conformal import ConformalClassifier, coverage_score, mean_set_size
from .linear_model import RobustLossClassifier
from .noise import flip_labels, pair_noise, symmetric_noise
from .svm import RobustLinearSVC, RobustSVC

NOISE_RATES = (0.0, 0.2, 0.3, 0.4)


def _moons():
    return make_moons(n_samples=1000, noise=0.25, random_state=0)


def _one_sided(y, rate, random_state):
    transition = np.array([[1.0, 0.0], [rate, 1.0 - rate]])
    return flip_labels(y, transition, random_state=random_state)


def _linear_models(seed):
    return {
        "LinearSVC": LinearSVC(),
        "RobustLinearSVC": RobustLinearSVC(random_state=seed),
    }


def _loss_models(seed):
    return {
        "LogisticRegression": LogisticRegression(),
        "GCE (comp_sum)": RobustLossClassifier("comp_sum"),
    }


def _kernel_models(seed):
    return {"SVC": SVC(), "RobustSVC": RobustSVC(random_state=seed)}


# name: (loader, noise, models); in each, the plain model first, then the robust one
DATASETS = {
    "breast_cancer (2 classes)": (
        partial(load_breast_cancer, return_X_y=True),
        symmetric_noise,
        _linear_models,
    ),
    "digits (10 classes)": (
        partial(load_digits, return_X_y=True),
        symmetric_noise,
        _linear_models,
    ),
    "digits, pair flips (losses)": (
        partial(load_digits, return_X_y=True),
        pair_noise,
        _loss_models,
    ),
    "moons, one-sided (kernel)": (_moons, _one_sided, _kernel_models),
}


def noise_table(n_seeds=3):
    """Mean clean-test accuracy per dataset, noise rate and model.

    Returns a dict ``{dataset: {model: [accuracy per noise rate]}}``.
    """
    results = {}
    for name, (load, corrupt, models) in DATASETS.items():
        X, y = load()
        scores = {}
        for rate in NOISE_RATES:
            for seed in range(n_seeds):
                X_train, X_test, y_train, y_test = train_test_split(
                    X, y, test_size=0.3, stratify=y, random_state=seed
                )
                y_noisy, _ = corrupt(y_train, rate, random_state=seed)
                for model_name, model in models(seed).items():
                    pipe = make_pipeline(StandardScaler(), model).fit(X_train, y_noisy)
                    scores.setdefault(model_name, {}).setdefault(rate, []).append(
                        pipe.score(X_test, y_test)
                    )
        results[name] = {
            model: [float(np.mean(per_rate[rate])) for rate in NOISE_RATES]
            for model, per_rate in scores.items()
        }
    return results


def format_table(results):
    """Render :func:`noise_table` as a plain-text table."""
    header = f"{'dataset':<30}{'model':<18}" + "".join(
        f"{f'noise {rate:.0%}':>11}" for rate in NOISE_RATES
    )
    lines = [header, "-" * len(header)]
    for dataset, models in results.items():
        for model, accuracies in models.items():
            lines.append(
                f"{dataset:<30}{model:<18}" + "".join(f"{a:>11.3f}" for a in accuracies)
            )
    return "\n".join(lines)


def plot(results, path):
    """Save accuracy against noise rate, one panel per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4))
    for ax, (dataset, models) in zip(np.atleast_1d(axes), results.items(), strict=True):
        for model, accuracies in models.items():
            ax.plot(NOISE_RATES, accuracies, marker="o", label=model)
        ax.set_title(dataset)
        ax.set_xlabel("share of flipped training labels")
        ax.set_ylabel("accuracy on clean test labels")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def conformal_table(n_seeds=3, alpha=0.1):
    """Conformal sets calibrated on noisy labels: clean-label coverage and mean
    set size on digits, plain split conformal against the noise-corrected
    thresholds (``noise_matrix`` = the flip rate).

    Returns ``{method: {"coverage": [...], "size": [...]}}``, one value per
    noise rate of the calibration labels.
    """
    X, y = load_digits(return_X_y=True)
    X = X / 16
    methods = {"split conformal": False, "noise-corrected": True}
    sums = {name: np.zeros((2, len(NOISE_RATES))) for name in methods}
    for seed in range(n_seeds):
        X_fit, X_rest, y_fit, y_rest = train_test_split(
            X, y, train_size=0.3, stratify=y, random_state=seed
        )
        X_cal, X_test, y_cal, y_test = train_test_split(
            X_rest, y_rest, train_size=0.5, stratify=y_rest, random_state=seed
        )
        model = FrozenEstimator(LogisticRegression(C=0.05).fit(X_fit, y_fit))
        for r, rate in enumerate(NOISE_RATES):
            y_noisy, _ = symmetric_noise(y_cal, rate, random_state=seed)
            for name, corrected in methods.items():
                clf = ConformalClassifier(
                    model,
                    alpha=alpha,
                    method="prefit",
                    noise_matrix=rate if corrected else None,
                )
                sets = clf.fit(X_cal, y_noisy).predict_set(X_test)
                sums[name][0, r] += coverage_score(y_test, sets, classes=clf.classes_)
                sums[name][1, r] += mean_set_size(sets)
    return {
        name: {
            "coverage": (total[0] / n_seeds).tolist(),
            "size": (total[1] / n_seeds).tolist(),
        }
        for name, total in sums.items()
    }


def format_conformal_table(results, alpha=0.1):
    """Render :func:`conformal_table` as a plain-text table."""
    header = f"{'calibration':<30}{'':<18}" + "".join(
        f"{f'noise {rate:.0%}':>11}" for rate in NOISE_RATES
    )
    lines = [
        f"Conformal sets on digits at alpha = {alpha}: coverage of the true test "
        "labels, and mean set size (10 classes), against the share of flipped "
        "calibration labels.",
        header,
        "-" * len(header),
    ]
    for name, values in results.items():
        for key in ("coverage", "size"):
            lines.append(
                f"{name:<30}{key:<18}" + "".join(f"{v:>11.3f}" for v in values[key])
            )
    return "\n".join(lines)


def run(output="skrobust_demo", n_seeds=3):
    """Run the demo: print the table and save the plot.

    Returns the results of :func:`noise_table` and the plot's path (None
    without matplotlib).
    """
    start = time.perf_counter()
    print(
        "Training on noisy labels, scoring on clean test labels (symmetric noise; "
        "pair flips for the multi-class losses; one-sided flips of the positives "
        "for the kernel SVM)."
    )
    results = noise_table(n_seeds)
    print(format_table(results))
    print()
    print(format_conformal_table(conformal_table(n_seeds)))
    path = None
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'skrobust[plot]').")
    else:
        Path(output).mkdir(parents=True, exist_ok=True)
        path = Path(output) / "accuracy_vs_noise.png"
        plot(results, path)
        print(f"Plot saved to {path}")
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return results, path
