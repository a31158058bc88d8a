"""The main job: every part of skrobust on scikit-learn's bundled data.

Run with ``python -m skrobust demo``. Each part prints a table and saves a
plot in the output folder:

1. Label noise: the labels of the training split are corrupted at several
   rates and every model is scored on the clean test split. Linear SVMs face
   symmetric noise; the multi-class losses face pair flips (digit k labelled
   k + 1); the kernel SVM faces one-sided flips (positives labelled
   negative), the class-conditional noise that moves a kernel SVM's boundary
   (symmetric noise barely does).
2. Noise estimation: the flip rates RobustLinearSVC estimates from noisy
   breast-cancer labels, against the true ones.
3. Poisoning: a kernel SVM and FloralSVC (with and without 100 trusted
   labels) trained on moons whose labels FLORAL's support-vector attack
   flipped, scored on clean labels.
4. Conformal sets on digits calibrated on labels with the noise rates of
   part 1: plain split conformal against the noise-corrected thresholds.
5. Learning from label proportions: only each bag's share of positives is
   known; instance-level AUC of DLLP and LLP-BP against logistic regression
   on the instance labels.
"""

import time
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_moons,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from threadpoolctl import threadpool_limits

from .conformal import ConformalClassifier, coverage_score, mean_set_size
from .linear_model import RobustLossClassifier
from .llp import DLLPClassifier, LLPBeliefPropagation, make_bags
from .noise import flip_labels, pair_noise, symmetric_noise
from .noise._correction import binary_transition_matrix
from .poisoning import support_vector_flip_attack
from .svm import FloralSVC, RobustLinearSVC, RobustSVC

NOISE_RATES = (0.0, 0.2, 0.3, 0.4)
# (rho_neg, rho_pos): P(labelled positive | negative), P(labelled negative | positive)
FLIP_RATES = ((0.0, 0.0), (0.1, 0.3), (0.2, 0.2), (0.3, 0.1), (0.0, 0.4))
POISONING_BUDGETS = (0.0, 0.1, 0.2)
BAG_SIZES = (8, 64)


def _moons():
    return make_moons(n_samples=1000, noise=0.25, random_state=0)


def _one_sided(y, rate, random_state):
    return _class_conditional(y, (0.0, rate), random_state)


def _class_conditional(y, rates, random_state):
    return flip_labels(y, binary_transition_matrix(*rates), random_state=random_state)


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


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label(ax, title, xlabel, ylabel):
    """Title, axis labels, grid and legend of one panel."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)


def plot(results, path):
    """Save accuracy against noise rate, one panel per dataset."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4))
    for ax, (dataset, models) in zip(np.atleast_1d(axes), results.items(), strict=True):
        for model, accuracies in models.items():
            ax.plot(NOISE_RATES, accuracies, marker="o", label=model)
        _label(
            ax,
            dataset,
            "share of flipped training labels",
            "accuracy on clean test labels",
        )
    _save(fig, path)


def conformal_table(n_seeds=3, alpha=0.1):
    """Conformal sets calibrated on noisy labels: clean-label coverage and mean
    set size on digits, plain split conformal against the noise-corrected
    thresholds (``noise_rates`` = the flip rate).

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
                    noise_rates=rate if corrected else None,
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


def plot_conformal(results, path):
    """Save coverage and mean set size against the calibration noise rate."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax in zip(("coverage", "size"), axes, strict=True):
        for name, values in results.items():
            ax.plot(NOISE_RATES, values[key], marker="o", label=name)
        ax.set_xlabel("share of flipped calibration labels")
        ax.grid(alpha=0.3)
    axes[0].axhline(0.9, color="black", linestyle=":", label="target (alpha = 0.1)")
    axes[0].set_ylabel("coverage of the true test labels")
    axes[1].set_ylabel("mean set size (of 10 classes)")
    axes[0].legend()
    fig.suptitle("Conformal sets on digits calibrated on noisy labels")
    _save(fig, path)


def noise_rate_table(n_seeds=3):
    """Flip rates estimated by the default RobustLinearSVC on breast cancer
    labels flipped at the class-conditional rates of ``FLIP_RATES``.

    Returns a list of ``(true_rates, mean_estimate)`` pairs of
    ``(rho_neg, rho_pos)`` tuples, the estimates averaged over seeds.
    """
    X, y = load_breast_cancer(return_X_y=True)
    rows = []
    for rates in FLIP_RATES:
        estimates = []
        for seed in range(n_seeds):
            y_noisy, _ = _class_conditional(y, rates, random_state=seed)
            model = RobustLinearSVC(random_state=seed)
            make_pipeline(StandardScaler(), model).fit(X, y_noisy)
            estimates.append(model.noise_rates_[0])
        rows.append((rates, tuple(float(v) for v in np.mean(estimates, axis=0))))
    return rows


def format_noise_rate_table(rows):
    """Render :func:`noise_rate_table` as a plain-text table."""
    header = (
        f"{'true rho_neg':>14}{'estimated':>11}{'true rho_pos':>16}{'estimated':>11}"
    )
    lines = [
        "Flip rates of noisy breast cancer labels estimated by RobustLinearSVC "
        "(rho_neg: negatives labelled positive, rho_pos: positives labelled "
        "negative).",
        header,
        "-" * len(header),
    ]
    for (true_neg, true_pos), (est_neg, est_pos) in rows:
        lines.append(
            f"{true_neg:>14.2f}{est_neg:>11.3f}{true_pos:>16.2f}{est_pos:>11.3f}"
        )
    errors = [abs(t - e) for true, est in rows for t, e in zip(true, est, strict=True)]
    lines.append(f"mean absolute error: {np.mean(errors):.3f}")
    return "\n".join(lines)


def plot_noise_rates(rows, path):
    """Save estimated against true flip rates."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for k, (name, marker) in enumerate([("rho_neg", "o"), ("rho_pos", "s")]):
        ax.scatter(
            [true[k] for true, _ in rows],
            [estimate[k] for _, estimate in rows],
            marker=marker,
            label=name,
        )
    ax.plot([0, 0.5], [0, 0.5], color="black", linewidth=1, linestyle=":")
    _label(
        ax,
        "Breast cancer, class-conditional flips",
        "true flip rate",
        "estimated by RobustLinearSVC",
    )
    _save(fig, path)


def poisoning_table(n_seeds=3, n_train=500, n_trusted=100):
    """Clean-test accuracy on moons after FLORAL's support-vector attack
    flipped ``POISONING_BUDGETS`` of the training labels: SVC, FloralSVC, and
    FloralSVC picking its model on ``n_trusted`` clean labels.

    Returns ``{model: [accuracy per budget]}``, averaged over seeds.
    """
    X, y = make_moons(n_samples=1500, noise=0.2, random_state=0)
    trusted = f"FloralSVC + {n_trusted} trusted"
    scores = {"SVC": [], "FloralSVC": [], trusted: []}
    for seed in range(n_seeds):
        X_train, X_rest, y_train, y_rest = train_test_split(
            X, y, train_size=n_train, stratify=y, random_state=seed
        )
        X_val, X_test, y_val, y_test = train_test_split(
            X_rest, y_rest, train_size=n_trusted, stratify=y_rest, random_state=seed
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_val, X_test = map(scaler.transform, (X_train, X_val, X_test))
        row = {name: [] for name in scores}
        for budget in POISONING_BUDGETS:
            y_poisoned = y_train
            if budget > 0:
                y_poisoned, _ = support_vector_flip_attack(
                    X_train, y_train, budget, random_state=seed
                )
            models = {
                "SVC": (SVC(), {}),
                "FloralSVC": (FloralSVC(random_state=seed), {}),
                trusted: (
                    FloralSVC(random_state=seed),
                    {"X_val": X_val, "y_val": y_val},
                ),
            }
            for name, (model, fit_params) in models.items():
                model.fit(X_train, y_poisoned, **fit_params)
                row[name].append(model.score(X_test, y_test))
        for name, values in row.items():
            scores[name].append(values)
    return {name: np.mean(values, axis=0).tolist() for name, values in scores.items()}


def _model_table(title, columns, results):
    """A title, then one line per model with its value in each column."""
    header = f"{'model':<30}" + "".join(f"{column:>12}" for column in columns)
    lines = [title, header, "-" * len(header)]
    for name, values in results.items():
        lines.append(f"{name:<30}" + "".join(f"{v:>12.3f}" for v in values))
    return "\n".join(lines)


def format_poisoning_table(results):
    """Render :func:`poisoning_table` as a plain-text table."""
    return _model_table(
        "Moons, training labels flipped by FLORAL's support-vector attack: "
        "accuracy on clean test labels.",
        [f"budget {budget:.0%}" for budget in POISONING_BUDGETS],
        results,
    )


def plot_poisoning(results, path):
    """Save clean accuracy against the poisoning budget."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, accuracies in results.items():
        ax.plot(POISONING_BUDGETS, accuracies, marker="o", label=name)
    _label(
        ax,
        "Moons, support-vector attack",
        "poisoning budget (share of flipped training labels)",
        "accuracy on clean test labels",
    )
    _save(fig, path)


def llp_table(n_seeds=3, n_samples=2500, n_train=2000):
    """Instance-level test AUC when only bag proportions are known, for bags
    of ``BAG_SIZES`` rows, against logistic regression on the instance labels.

    Returns ``{model: [AUC per bag size]}``, averaged over seeds.
    """
    X, y = make_classification(
        n_samples, 10, n_informative=5, weights=[0.7], random_state=0
    )
    X = StandardScaler().fit_transform(X)
    names = ("LogisticRegression (labels)", "DLLPClassifier", "LLPBeliefPropagation")
    auc = {name: np.zeros(len(BAG_SIZES)) for name in names}
    for seed in range(n_seeds):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, train_size=n_train, stratify=y, random_state=seed
        )
        supervised = LogisticRegression().fit(X_train, y_train)
        supervised_auc = roc_auc_score(y_test, supervised.decision_function(X_test))
        for b, bag_size in enumerate(BAG_SIZES):
            bags, proportions = make_bags(y_train, bag_size, random_state=seed)
            auc[names[0]][b] += supervised_auc
            for name, model in zip(
                names[1:],
                (DLLPClassifier(), LLPBeliefPropagation(random_state=seed)),
                strict=True,
            ):
                model.fit(X_train, proportions, bags=bags)
                auc[name][b] += roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    return {name: (total / n_seeds).tolist() for name, total in auc.items()}


def format_llp_table(results):
    """Render :func:`llp_table` as a plain-text table."""
    return _model_table(
        "Learning from label proportions (make_classification, 2000 training "
        "rows): test AUC, from bag proportions only, against the instance labels.",
        [f"bags of {size}" for size in BAG_SIZES],
        results,
    )


def plot_llp(results, path):
    """Save test AUC against bag size."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, values in results.items():
        style = ":" if "labels" in name else "-"
        ax.plot(BAG_SIZES, values, marker="o", linestyle=style, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(BAG_SIZES, [str(size) for size in BAG_SIZES])
    ax.set_ylim(0.5, 1.0)  # 0.5: chance
    _label(ax, "Learning from label proportions", "bag size", "test AUC")
    _save(fig, path)


# part: (intro, table, format, plot, file name)
PARTS = {
    "noise": (
        "Training on noisy labels, scoring on clean test labels (symmetric noise; "
        "pair flips for the multi-class losses; one-sided flips of the positives "
        "for the kernel SVM).",
        noise_table,
        format_table,
        plot,
        "accuracy_vs_noise.png",
    ),
    "noise_rates": (
        None,
        noise_rate_table,
        format_noise_rate_table,
        plot_noise_rates,
        "noise_rate_estimates.png",
    ),
    "poisoning": (
        None,
        poisoning_table,
        format_poisoning_table,
        plot_poisoning,
        "accuracy_vs_poisoning_budget.png",
    ),
    "conformal": (
        None,
        conformal_table,
        format_conformal_table,
        plot_conformal,
        "conformal_coverage_and_size.png",
    ),
    "llp": (None, llp_table, format_llp_table, plot_llp, "llp_auc_vs_bag_size.png"),
}


def run(output="skrobust_demo", n_seeds=3):
    """Run the demo: print every part's table and save its plot.

    Returns ``(tables, plots)``: the results of each part's table function
    and the path of each part's plot (empty without matplotlib), both keyed
    by the names of ``PARTS``.
    """
    start = time.perf_counter()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        plotting = False
        print("matplotlib is not installed: no plots (pip install 'skrobust[plot]').")
    else:
        plotting = True
        Path(output).mkdir(parents=True, exist_ok=True)
    tables, plots = {}, {}
    # the problems are small: BLAS threads add nothing, and on a busy machine
    # their spinning made the demo several times slower (4 s for a 0.1 s fit)
    with threadpool_limits(limits=1, user_api="blas"):
        for name, (intro, table, render, draw, filename) in PARTS.items():
            part_start = time.perf_counter()
            if intro:
                print(intro)
            tables[name] = table(n_seeds)
            print(render(tables[name]))
            if plotting:
                plots[name] = Path(output) / filename
                draw(tables[name], plots[name])
                print(f"Plot saved to {plots[name]}")
            print(f"({time.perf_counter() - part_start:.1f} s)")
            print()
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return tables, plots
