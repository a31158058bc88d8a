"""The main job: plain against noise-robust estimators on scikit-learn's data.

Run with ``python -m skrobust demo``. Labels of the training split are
corrupted at several rates; every model is scored on the clean test split.
"""

import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from .noise import symmetric_noise
from .svm import RobustLinearSVC

NOISE_RATES = (0.0, 0.2, 0.3, 0.4)
DATASETS = {
    "breast_cancer (2 classes)": load_breast_cancer,
    "digits (10 classes)": load_digits,
}


def _models(seed):
    return {
        "LinearSVC": LinearSVC(),
        "RobustLinearSVC": RobustLinearSVC(random_state=seed),
    }


def noise_table(n_seeds=3):
    """Mean clean-test accuracy per dataset, noise rate and model.

    Returns a dict ``{dataset: {model: [accuracy per noise rate]}}``.
    """
    results = {}
    for name, load in DATASETS.items():
        X, y = load(return_X_y=True)
        scores = {}
        for rate in NOISE_RATES:
            for seed in range(n_seeds):
                X_train, X_test, y_train, y_test = train_test_split(
                    X, y, test_size=0.3, stratify=y, random_state=seed
                )
                y_noisy, _ = symmetric_noise(y_train, rate, random_state=seed)
                for model_name, model in _models(seed).items():
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
    header = f"{'dataset':<26}{'model':<18}" + "".join(
        f"{f'noise {rate:.0%}':>11}" for rate in NOISE_RATES
    )
    lines = [header, "-" * len(header)]
    for dataset, models in results.items():
        for model, accuracies in models.items():
            lines.append(
                f"{dataset:<26}{model:<18}" + "".join(f"{a:>11.3f}" for a in accuracies)
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


def run(output="skrobust_demo", n_seeds=3):
    """Run the demo: print the table and save the plot.

    Returns the results of :func:`noise_table` and the plot's path (None
    without matplotlib).
    """
    start = time.perf_counter()
    print("Training on noisy labels, scoring on clean test labels (symmetric noise).")
    results = noise_table(n_seeds)
    print(format_table(results))
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
