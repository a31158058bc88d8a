"""Coverage of the true labels when the calibration labels are noisy.

On each data set a LogisticRegression (on standardised features) is fitted
once on a stratified training part (clean labels; with ``--noisy-training``
the training labels carry the same noise as the calibration labels); the
remaining rows are split at random ``--splits`` times (default 100) into
``n_cal`` calibration rows and a test set of the rest. The calibration
labels get symmetric noise at rate r = 0.1, 0.2, 0.3
(``skrobust.noise.symmetric_noise``: a flipped label moves to a uniformly
drawn *other* class, the matrix ``symmetric_transition_matrix(K, r)``); the
test labels stay clean. At alpha = 0.1 ``ConformalClassifier(model,
method="prefit")`` is calibrated by

- clean: on the clean calibration labels (the reference set size; also
  "clean + PAC" and "clean + Mondrian", the references of the last two);
- plain: split conformal on the noisy labels, no correction;
- known r: ``noise_rates=r`` (the true matrix);
- estimated: ``noise_rates="auto"`` (the lower 95% confidence bound
  of the symmetric flip rate that makes the noisy labels most likely given
  the model's probabilities taken as clean-label posteriors,
  ``skrobust.noise.fit_symmetric_rate``);
- ML matrix: ``noise_rates`` set to the maximum-likelihood transition
  matrix (``skrobust.noise.fit_transition_matrix``), passed as an array:
  what "estimate" (now "auto") used before, for comparison;
- confident learning: ``noise_rates`` set to confident learning's
  estimate on the calibration probabilities
  (``skrobust.noise.estimate_transition_matrix``), passed as an array: what
  "estimate" used before that;
- known r + PAC: ``noise_rates=r, guarantee="pac"`` (delta = 0.1);
- known r + Mondrian: ``noise_rates=r, mondrian="class"``;

each with the LAC and the randomised APS score. The model's probabilities
on the pool are computed once and served by a stub classifier (the sets
are those of the model itself, at a fraction of the time).

The first table gives means over splits: the clean-label test coverage
(and its Monte-Carlo standard error), the smallest over classes of the
per-class coverage (each class's coverage averaged over splits first), the
mean set size and its ratio to the clean reference of the same score (and
guarantee: "clean + PAC" for PAC, "clean + Mondrian" for Mondrian). The
target of the noise correction: coverage >= 1 - alpha (up to 3 standard
errors) and size <= 1.1 x clean. A configuration the library refuses (too
few samples for the requested guarantee) is reported with its error.

The second table looks for the cause of any miss. For known-r LAC it
recomputes the threshold with the target ``(1 - alpha) n`` instead of the
library's ``(1 - alpha)(n + 1)`` (``skrobust.conformal._calibration``
internals) and gives the oracle threshold (the clean-label LAC quantile of
the *test* rows at exactly 1 - alpha: the smallest sets with that
coverage). For the estimates it gives the mean flip rate of the matrix
used (1 - mean of its diagonal), also on clean calibration labels (r = 0).

Data: sklearn's digits, a synthetic set of 26 classes
(``make_classification``, 14 informative of 20 features, class_sep 1.5:
a logistic regression of about 0.67 accuracy, like one on the letters of
a 26-letter alphabet) and, from the data folder (``--data DIR`` or
SKROBUST_DATA), KEEL satimage and penbased (skipped when absent).

    python benchmarks/conformal_noisy_calibration.py --data ../shared/data
    python benchmarks/conformal_noisy_calibration.py --data ../shared/data \
        --noisy-training
"""

import argparse
import time
import warnings

import numpy as np
from _data import data_dir, load_keel
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits, make_classification
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
from skrobust.conformal._calibration import _segment, _threshold
from skrobust.noise import (
    estimate_transition_matrix,
    fit_symmetric_rate,
    fit_transition_matrix,
    symmetric_noise,
    symmetric_transition_matrix,
)

ALPHA = 0.1
RATES = [0.1, 0.2, 0.3]
SCORES = {
    "LAC": {"conformity_score": "lac"},
    "APS rand.": {"conformity_score": "aps", "randomized": True},
}
METHODS = {
    "clean": {},
    "plain": {},
    "known r": {"noise_rates": "rate"},
    "estimated": {"noise_rates": "auto"},
    "ML matrix": {"noise_rates": "ml"},
    "confident learning": {"noise_rates": "cl"},
    "clean + PAC": {"guarantee": "pac"},
    "known r + PAC": {"noise_rates": "rate", "guarantee": "pac"},
    "clean + Mondrian": {"mondrian": "class"},
    "known r + Mondrian": {"noise_rates": "rate", "mondrian": "class"},
}
ESTIMATES = ["estimated", "ML matrix", "confident learning"]
# the clean-label run whose set size a method is compared with
REFERENCE = {
    "clean + PAC": "clean + PAC",
    "known r + PAC": "clean + PAC",
    "clean + Mondrian": "clean + Mondrian",
    "known r + Mondrian": "clean + Mondrian",
}
# data set: (rows for the model, calibration rows)
SIZES = {
    "digits": (500, 1000),
    "synthetic 26": (6000, 2000),
    "satimage": (2000, 2000),
    "penbased": (2000, 2000),
}


class StoredProba(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are rows of a stored matrix,
    looked up by the index held in the single feature."""

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X=None, y=None):
        self.classes_ = self.classes
        return self

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def datasets(root):
    X, y = load_digits(return_X_y=True)
    yield "digits", X, y
    X, y = make_classification(
        14_000, 20, n_informative=14, n_redundant=0, n_classes=26,
        n_clusters_per_class=1, class_sep=1.5, random_state=0,
    )  # fmt: skip
    yield "synthetic 26", X, y
    for name in ("satimage", "penbased"):
        if root is not None and (data := load_keel(root, name)) is not None:
            yield name, *data


def evaluate(model, options, X_cal, y_cal, X_test, y_test, seed):
    """(coverage, per-class coverages, mean size, estimated flip rate), or
    the error message when the library refuses the configuration."""
    cp = ConformalClassifier(
        model, alpha=ALPHA, method="prefit", random_state=seed, **options
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cp.fit(X_cal, y_cal)
    except ValueError as exc:
        return str(exc).split(":")[0]
    sets = cp.predict_set(X_test)
    classes = cp.classes_
    flip = np.nan
    if cp.transition_matrix_ is not None:
        flip = 1.0 - np.diag(cp.transition_matrix_).mean()
    return (
        coverage_score(y_test, sets, classes=classes),
        class_conditional_coverage(y_test, sets, classes=classes),
        mean_set_size(sets),
        flip,
    )


def lac_thresholds(proba_cal, labels, proba_test, test_labels, rate):
    """Coverage and size of the known-r LAC threshold with the target
    (1 - alpha)(n + 1) (the library's) and (1 - alpha) n, and of the oracle."""
    n, K = proba_cal.shape
    W = np.linalg.inv(symmetric_transition_matrix(K, rate))
    scores, counts = _segment((1 - proba_cal).ravel(), W[labels].ravel())
    test_scores = 1 - proba_test
    true_scores = test_scores[np.arange(len(test_labels)), test_labels]
    oracle = np.quantile(true_scores, 1 - ALPHA, method="higher")
    out = []
    for q in (
        _threshold(scores, counts, (1 - ALPHA) * (n + 1)),
        _threshold(scores, counts, (1 - ALPHA) * n),
        oracle,
    ):
        out += [np.mean(true_scores <= q), np.mean((test_scores <= q).sum(axis=1))]
    return out


def run_dataset(name, X, y, args):
    """Results per (rate, score, method) and the diagnostics per rate."""
    n_fit, n_cal = SIZES[name]
    X_fit, X_pool, y_fit, y_pool = train_test_split(
        X, y, train_size=n_fit, stratify=y, random_state=0
    )
    index = np.arange(len(y_pool))[:, None]
    results, diagnostics = {}, {}
    for rate in RATES:
        y_train = y_fit
        if args.noisy_training:
            y_train = symmetric_noise(y_fit, rate, random_state=int(100 * rate))[0]
        fitted = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        fitted.fit(X_fit, y_train)
        classes = fitted.classes_
        proba = fitted.predict_proba(X_pool)
        model = StoredProba(proba, classes).fit()
        labels_pool = np.searchsorted(classes, y_pool)
        rng = np.random.default_rng(0)
        rows = []
        for split in range(args.splits):
            order = rng.permutation(len(y_pool))
            cal, test = order[:n_cal], order[n_cal:]
            test_data = (index[test], y_pool[test])
            y_noisy = symmetric_noise(
                y_pool[cal], rate, random_state=1000 * split + int(100 * rate)
            )[0]
            noisy_codes = np.searchsorted(classes, y_noisy)
            cl_matrix, _ = estimate_transition_matrix(noisy_codes, proba[cal])
            ml_matrix = fit_transition_matrix(noisy_codes, proba[cal])
            for score, score_options in SCORES.items():
                for method, method_options in METHODS.items():
                    options = {**score_options, **method_options}
                    if options.get("noise_rates") == "rate":
                        options["noise_rates"] = rate
                    elif options.get("noise_rates") == "cl":
                        options["noise_rates"] = cl_matrix
                    elif options.get("noise_rates") == "ml":
                        options["noise_rates"] = ml_matrix
                    y_cal = y_pool[cal] if method.startswith("clean") else y_noisy
                    results.setdefault((rate, score, method), []).append(
                        evaluate(model, options, index[cal], y_cal, *test_data, split)
                    )
            clean_rate = fit_symmetric_rate(
                labels_pool[cal], proba[cal], confidence=0.95
            )
            clean_matrix = fit_transition_matrix(labels_pool[cal], proba[cal])
            finite = lac_thresholds(
                proba[cal],
                np.searchsorted(classes, y_noisy),
                proba[test],
                labels_pool[test],
                rate,
            )
            rows.append([*finite, clean_rate, 1.0 - np.diag(clean_matrix).mean()])
        diagnostics[rate] = np.mean(rows, axis=0)
    return results, diagnostics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of the real data (or SKROBUST_DATA)")
    parser.add_argument("--splits", type=int, default=100)
    parser.add_argument(
        "--noisy-training",
        action="store_true",
        help="train the model on labels with the same noise as the calibration",
    )
    args = parser.parse_args()

    training = "noisy" if args.noisy_training else "clean"
    print(f"Model trained on {training} labels; alpha = {ALPHA}\n")
    print(
        "| data | n_cal | noise r | score | method | clean coverage | MC s.e. | "
        "min class coverage | mean size | size / clean | target met |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    start = time.perf_counter()
    all_diagnostics = {}
    for name, X, y in datasets(data_dir(args.data)):
        results, all_diagnostics[name] = run_dataset(name, X, y, args)
        flips = {}  # (rate, method) -> mean flip rate of the matrix used
        for rate in RATES:
            for score in SCORES:
                for method in METHODS:
                    clean_runs = results[(rate, score, REFERENCE.get(method, "clean"))]
                    reference = np.mean(
                        [r[2] for r in clean_runs if not isinstance(r, str)]
                    )
                    runs = results[(rate, score, method)]
                    errors = [r for r in runs if isinstance(r, str)]
                    head = f"| {name} | {SIZES[name][1]} | {rate:g} | {score} |"
                    head += f" {method} |"
                    if errors:
                        print(
                            f"{head} {len(errors)}/{len(runs)} splits refused: "
                            f"{errors[0]} | | | | | |"
                        )
                        continue
                    cov = np.array([r[0] for r in runs])
                    per_class = np.nanmean([r[1] for r in runs], axis=0)
                    size = np.mean([r[2] for r in runs])
                    flips[(rate, method)] = np.mean([r[3] for r in runs])
                    se = cov.std(ddof=1) / np.sqrt(len(cov))
                    ratio = size / reference
                    met = cov.mean() >= 1 - ALPHA - 3 * se and ratio <= 1.1
                    print(
                        f"{head} {cov.mean():.4f} | {se:.4f} | {per_class.min():.3f} | "
                        f"{size:.2f} | {ratio:.2f} | {'yes' if met else 'no'} |"
                    )
        for rate in RATES:
            all_diagnostics[name][rate] = np.append(
                all_diagnostics[name][rate],
                [flips.get((rate, m), np.nan) for m in ESTIMATES],
            )
        print(f"| {name}: {time.perf_counter() - start:.0f} s so far |", flush=True)

    print(
        "\nKnown-r LAC: threshold target (1 - alpha)(n + 1) (the library's) vs "
        "(1 - alpha) n vs the oracle; 'estimated': mean flip rate of the matrix\n"
    )
    print(
        "| data | noise r | coverage (n + 1) | size (n + 1) | coverage n | size n | "
        "oracle coverage | oracle size | flip rate 'estimate', clean labels | "
        "flip rate ML matrix, clean labels | flip rate 'estimate', noisy labels | "
        "flip rate ML matrix, noisy labels | "
        "flip rate confident learning, noisy labels |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, by_rate in all_diagnostics.items():
        for rate, values in by_rate.items():
            cells = " | ".join(
                f"{v:.2f}" if i in (1, 3, 5) else f"{v:.4f}"
                for i, v in enumerate(values)
            )
            print(f"| {name} | {rate:g} | {cells} |")


if __name__ == "__main__":
    main()
