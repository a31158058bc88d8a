"""Empirical coverage of ConformalClassifier over random calibration/test splits.

On each data set a LogisticRegression (on standardised features) is fitted
once on a stratified training part; the remaining rows are then split at
random ``--splits`` times (default 200) into a calibration set of
``n_cal`` rows and a test set of the rest. For each split
``ConformalClassifier(model, method="prefit")`` is calibrated at
alpha = 0.1 and 0.05 (one fit, a list of levels) and its test coverage
recorded. Conditionally on the pool of rows, calibration and test rows are
exchangeable, so split conformal prediction promises a mean coverage in
``[1 - alpha, 1 - alpha + 1/(n + 1)]`` (the upper end for continuous,
untied scores); the table gives the mean over splits, its Monte-Carlo
standard error (std over splits / sqrt(splits)), that band (``n`` is the
number of calibration rows behind the threshold: RAPS sets 20% of them
aside to tune its penalty) and whether the mean lies in it up to 3
standard errors ("ok", "low", "high").

Scores: LAC; APS randomised (exact coverage); APS non-randomised with
``include_last_label=True`` (the default) and ``False``; RAPS randomised and
non-randomised; top-k. Non-randomised cumulative scores and top-k add
classes or tie, so only the lower end of their band is promised ("conservative"
in the guarantee column). Mondrian class-conditional LAC (``mondrian="class"``)
promises the band ``[1 - alpha, 1 - alpha + 1/(n_c + 1)]`` for every class c
(``n_c`` its calibration rows, averaged over splits): its row gives the
smallest and largest per-class mean coverage and how many classes lie in
their own band up to 3 of their standard errors; the row "LAC (per class)"
shows the same per-class numbers for marginal LAC, for contrast.

Data: sklearn's digits and, from the data folder (``--data DIR`` or
SKROBUST_DATA), KEEL satimage and penbased (skipped when absent).

    python benchmarks/conformal_validity.py --data ../shared/data
"""

import argparse
import time
import warnings

import numpy as np
from _data import data_dir, load_keel
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobust.conformal import (
    ConformalClassifier,
    class_conditional_coverage,
    coverage_score,
    mean_set_size,
)

ALPHAS = [0.1, 0.05]
# name, options, exact (band's upper end promised)
METHODS = [
    ("LAC", {"conformity_score": "lac"}, True),
    ("APS randomised", {"conformity_score": "aps", "randomized": True}, True),
    ("APS (default)", {"conformity_score": "aps"}, False),
    ("APS not randomised", {"conformity_score": "aps", "randomized": False}, False),
    (
        "APS no last label",
        {"conformity_score": "aps", "randomized": False, "include_last_label": False},
        False,
    ),
    ("RAPS randomised", {"conformity_score": "raps", "randomized": True}, True),
    ("RAPS (default)", {"conformity_score": "raps"}, False),
    ("top-k", {"conformity_score": "top_k"}, False),
    ("Mondrian LAC", {"conformity_score": "lac", "mondrian": "class"}, True),
]
# data set: (rows for the model, calibration rows)
SIZES = {"digits": (600, 500), "satimage": (2000, 1000), "penbased": (2000, 1000)}


def datasets(root):
    X, y = load_digits(return_X_y=True)
    yield "digits", X, y
    for name in ("satimage", "penbased"):
        if root is not None and (data := load_keel(root, name)) is not None:
            yield name, *data


def verdict(mean, se, low, high, exact):
    if mean < low - 3 * se:
        return "low"
    if exact and mean > high + 3 * se:
        return "high"
    return "ok"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--splits", type=int, default=200)
    args = parser.parse_args()

    print(
        "| data | n_cal | alpha | method | guarantee | mean coverage | MC s.e. | band "
        "| in band (3 s.e.) | mean size |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    for name, X, y in datasets(data_dir(args.data)):
        n_fit, n_cal = SIZES[name]
        X_fit, X_pool, y_fit, y_pool = train_test_split(
            X, y, train_size=n_fit, stratify=y, random_state=0
        )
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(X_fit, y_fit)
        classes = model.classes_
        coverage = {m: [] for m, _, _ in METHODS}  # per split: (n_alphas,)
        per_class = {m: [] for m in ("LAC", "Mondrian LAC")}  # (n_alphas, K)
        class_counts, sizes, n_used = [], {m: [] for m, _, _ in METHODS}, {}
        rng = np.random.default_rng(0)
        for split in range(args.splits):
            order = rng.permutation(len(y_pool))
            cal, test = order[:n_cal], order[n_cal:]
            class_counts.append(np.array([(y_pool[cal] == c).sum() for c in classes]))
            for method, options, _ in METHODS:
                cp = ConformalClassifier(
                    model, alpha=ALPHAS, method="prefit", random_state=split, **options
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cp.fit(X_pool[cal], y_pool[cal])
                n_used[method] = cp.n_calibration_
                sets = cp.predict_set(X_pool[test])
                coverage[method].append(
                    [
                        coverage_score(y_pool[test], sets[:, :, a], classes=classes)
                        for a in range(len(ALPHAS))
                    ]
                )
                sizes[method].append(
                    [mean_set_size(sets[:, :, a]) for a in range(len(ALPHAS))]
                )
                if method in per_class:
                    per_class[method].append(
                        [
                            class_conditional_coverage(
                                y_pool[test], sets[:, :, a], classes=classes
                            )
                            for a in range(len(ALPHAS))
                        ]
                    )
        counts = np.array(class_counts)
        for a, alpha in enumerate(ALPHAS):
            for method, _, exact in METHODS:
                cov = np.array(coverage[method])[:, a]
                mean, se = cov.mean(), cov.std(ddof=1) / np.sqrt(len(cov))
                low, high = 1 - alpha, 1 - alpha + 1 / (n_used[method] + 1)
                size = np.mean(np.array(sizes[method])[:, a])
                if method == "Mondrian LAC":
                    mean_cls, se_cls, band, check = class_summary(
                        per_class[method], counts, a, alpha
                    )
                    print(
                        f"| {name} | {n_cal} | {alpha:g} | {method} | per class | "
                        f"{mean_cls.min():.4f} - {mean_cls.max():.4f} | "
                        f"{se_cls.max():.4f} (max) | {band} | {check} | {size:.2f} |"
                    )
                    continue
                guarantee = "exact" if exact else "conservative"
                print(
                    f"| {name} | {n_cal} | {alpha:g} | {method} | {guarantee} | "
                    f"{mean:.4f} | {se:.4f} | [{low:.3f}, {high:.4f}] | "
                    f"{verdict(mean, se, low, high, exact)} | {size:.2f} |"
                )
                if method == "LAC":
                    mean_cls, se_cls, band, check = class_summary(
                        per_class["LAC"], counts, a, alpha
                    )
                    print(
                        f"| {name} | {n_cal} | {alpha:g} | LAC (per class) | "
                        f"marginal only | {mean_cls.min():.4f} - "
                        f"{mean_cls.max():.4f} | {se_cls.max():.4f} (max) | "
                        f"{band} | {check} | {size:.2f} |"
                    )
        print(f"| {name}: {time.perf_counter() - start:.0f} s so far |", flush=True)


def class_summary(per_class, counts, a, alpha):
    """Per-class mean coverage and s.e., the band of the smallest and largest
    class, and how many classes lie in their own band up to 3 s.e."""
    values = np.array(per_class)[:, a, :]  # (splits, K)
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    high = 1 - alpha + np.mean(1.0 / (counts + 1), axis=0)
    inside = (mean >= 1 - alpha - 3 * se) & (mean <= high + 3 * se)
    band = f"[{1 - alpha:.3f}, {high.min():.4f} .. {high.max():.4f}]"
    return mean, se, band, f"{inside.sum()}/{len(mean)} classes"


if __name__ == "__main__":
    main()
