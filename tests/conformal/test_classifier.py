"""ConformalClassifier: coverage, noisy and poisoned labels, PAC, the sklearn API."""

import itertools
import pickle
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.conformal import (
    ConformalClassifier,
    class_conditional_coverage,
    coverage_score,
    mean_set_size,
)
from skrobust.conformal._quantile import conformal_rank, minimum_calibration_size
from skrobust.exceptions import CalibrationSizeWarning
from skrobust.noise import fit_transition_matrix, flip_labels, symmetric_noise


def dirichlet_problem(n, n_classes, seed, peak=3.0):
    """Exchangeable (probabilities, true label) pairs: each label is drawn from
    its row, so the model is calibrated and every score is informative."""
    rng = np.random.default_rng(seed)
    centre = rng.integers(0, n_classes, n)
    proba = np.array([rng.dirichlet(1.0 + peak * np.eye(n_classes)[c]) for c in centre])
    cumulative = proba.cumsum(axis=1)
    labels = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    return proba, np.minimum(labels, n_classes - 1)


def coverage_over_splits(stored_model, n_cal, n_splits, alpha, seed=0, **options):
    proba, labels = dirichlet_problem(n_cal * n_splits * 4, 4, seed)
    model, index = stored_model(proba)
    clf = ConformalClassifier(
        model, alpha=alpha, method="prefit", random_state=0, **options
    )
    covered, per_class = [], []
    for s in range(n_splits):
        block = slice(4 * s * n_cal, 4 * (s + 1) * n_cal)
        rows, y = index[block], labels[block]
        clf.fit(rows[:n_cal], y[:n_cal])
        sets = clf.predict_set(rows[n_cal:])
        covered.append(coverage_score(y[n_cal:], sets))
        per_class.append(class_conditional_coverage(y[n_cal:], sets))
    return np.array(covered), np.array(per_class)


@pytest.mark.parametrize(
    "options",
    [
        {"conformity_score": "lac"},
        {"conformity_score": "aps", "randomized": True},
        {
            "conformity_score": "raps",
            "randomized": True,
            "raps_lambda": 0.1,
            "raps_k": 1,
        },
    ],
)
def test_coverage_is_exact_over_calibration_draws(stored_model, options):
    """Mean coverage over 200 calibration draws lies in
    [1 - alpha, 1 - alpha + 1/(n+1)], up to three Monte-Carlo standard errors."""
    n_cal, alpha = 100, 0.1
    covered, _ = coverage_over_splits(stored_model, n_cal, 200, alpha, **options)
    error = 3 * covered.std() / np.sqrt(covered.size)
    assert 1 - alpha - error <= covered.mean() <= 1 - alpha + 1 / (n_cal + 1) + error


@pytest.mark.parametrize(
    "options",
    [
        {"conformity_score": "top_k"},
        {"conformity_score": "aps"},
        {"conformity_score": "aps", "randomized": False},
        {"conformity_score": "raps", "raps_lambda": 0.1, "raps_k": 1},
    ],
)
def test_discrete_and_unrandomised_scores_cover_at_least(stored_model, options):
    covered, _ = coverage_over_splits(stored_model, 100, 100, 0.1, **options)
    assert covered.mean() >= 0.9 - 3 * covered.std() / 10


def test_class_conditional_coverage_holds_per_class(stored_model):
    n_cal, alpha = 400, 0.1
    _, per_class = coverage_over_splits(
        stored_model, n_cal, 100, alpha, mondrian="class"
    )
    error = 3 * per_class.std(axis=0) / np.sqrt(per_class.shape[0])
    assert np.all(per_class.mean(axis=0) >= 1 - alpha - error)


def test_category_coverage_holds_per_category(stored_model):
    """A callable Mondrian taxonomy: coverage within each category."""
    proba, labels = dirichlet_problem(20_000, 4, 3)
    model, index = stored_model(proba)
    # category 1: the rows whose top probability is low, where LAC's one
    # threshold over-covers (and so under-covers the confident rows)
    categories = (proba.max(axis=1) < 0.45).astype(int)
    hard = lambda rows: categories[rows[:, 0]]  # noqa: E731
    plain = ConformalClassifier(model, method="prefit").fit(index[:4000], labels[:4000])
    mondrian = ConformalClassifier(model, method="prefit", mondrian=hard)
    mondrian.fit(index[:4000], labels[:4000])
    test = slice(4000, None)
    coverage = {}
    for name, clf in [("plain", plain), ("mondrian", mondrian)]:
        sets = clf.predict_set(index[test])
        for category in (0, 1):
            rows = categories[test] == category
            coverage[name, category] = coverage_score(labels[test][rows], sets[rows])
    assert max(abs(coverage["plain", c] - 0.9) for c in (0, 1)) > 0.025
    assert all(abs(coverage["mondrian", c] - 0.9) < 0.015 for c in (0, 1))
    np.testing.assert_array_equal(mondrian.categories_, [0, 1])


@pytest.fixture(scope="module")
def digits_probabilities():
    """Real data: a logistic regression fitted once on 600 digits, and its
    probabilities for the other 1197."""
    X, y = load_digits(return_X_y=True)
    X_fit, X_rest, y_fit, y_rest = train_test_split(
        X / 16, y, train_size=600, stratify=y, random_state=0
    )
    return LogisticRegression(max_iter=500).fit(X_fit, y_fit).predict_proba(
        X_rest
    ), y_rest


@pytest.mark.parametrize("mondrian", [None, "class"])
def test_coverage_over_200_splits_of_real_data(
    stored_model, digits_probabilities, mondrian
):
    """Digits: mean coverage over 200 random calibration/test splits lies in
    [1 - alpha, 1 - alpha + 1/(n + 1)] up to three Monte-Carlo standard
    errors, marginally and (Mondrian) for every class."""
    proba, labels = digits_probabilities
    model, index = stored_model(proba)
    clf = ConformalClassifier(model, alpha=0.1, method="prefit", mondrian=mondrian)
    rng = np.random.default_rng(0)
    n_cal, covered, per_class, class_sizes = 500, [], [], []
    for _ in range(200):
        order = rng.permutation(len(labels))
        cal, test = order[:n_cal], order[n_cal:]
        sets = clf.fit(index[cal], labels[cal]).predict_set(index[test])
        covered.append(coverage_score(labels[test], sets))
        per_class.append(class_conditional_coverage(labels[test], sets))
        class_sizes.append(np.bincount(labels[cal], minlength=10))
    if mondrian is None:
        values, n = np.array(covered)[:, None], np.array([n_cal])
    else:
        values, n = np.array(per_class), np.mean(class_sizes, axis=0)
    error = 3 * values.std(axis=0) / np.sqrt(values.shape[0])
    mean = values.mean(axis=0)
    assert np.all(mean >= 0.9 - error)
    assert np.all(mean <= 0.9 + 1 / (n + 1) + error)


def test_pvalues_give_the_sets(stored_model):
    proba, labels = dirichlet_problem(3000, 5, 1)
    model, index = stored_model(proba)
    for options in [{}, {"mondrian": "class"}, {"conformity_score": "top_k"}]:
        clf = ConformalClassifier(model, alpha=0.2, method="prefit", **options)
        clf.fit(index[:1000], labels[:1000])
        pvalues = clf.predict_pvalues(index[1000:])
        assert np.all((pvalues > 0) & (pvalues <= 1))
        np.testing.assert_array_equal(pvalues > 0.2, clf.predict_set(index[1000:]))


def test_pvalues_at_exactly_alpha_agree_with_the_sets(stored_model):
    """n = 99, alpha = 0.05: (n + 1) alpha is an integer, so some p-values
    equal alpha exactly; they must not round above it."""
    proba, labels = dirichlet_problem(2099, 2, 3)
    model, index = stored_model(proba)
    for mondrian in (None, "class"):
        n = 99 if mondrian is None else 198  # about 99 per class
        clf = ConformalClassifier(model, alpha=0.05, method="prefit", mondrian=mondrian)
        clf.fit(index[:n], labels[:n])
        pvalues = clf.predict_pvalues(index[n:])
        np.testing.assert_array_equal(pvalues > 0.05, clf.predict_set(index[n:]))
        if mondrian is None:
            assert np.any(pvalues == 0.05)


def test_probabilities_that_are_not_probabilities_are_refused(stored_model):
    proba, labels = dirichlet_problem(300, 3, 4)
    model, index = stored_model(proba)
    clf = ConformalClassifier(model, method="prefit").fit(index, labels)
    for bad in (np.nan, np.inf, 1.5, -0.2):
        broken = proba.copy()
        broken[7, 1] = bad
        broken_model, _ = stored_model(broken)
        clf.set_params(estimator=broken_model)
        with pytest.raises(ValueError, match="not probabilities"):
            clf.fit(index, labels)
        clf.set_params(estimator=model).fit(index, labels)
        clf.estimator_ = broken_model
        for score in ("lac", "aps"):
            clf.score_function_ = replace(clf.score_function_, name=score)
            with pytest.raises(ValueError, match="1 values that are not probabilities"):
                clf.predict_set(index)
        with pytest.raises(ValueError, match="not probabilities"):
            clf.predict_pvalues(index)


def test_several_levels_give_nested_sets(stored_model):
    proba, labels = dirichlet_problem(2000, 6, 2)
    model, index = stored_model(proba)
    alphas = [0.05, 0.1, 0.3]
    clf = ConformalClassifier(model, alpha=alphas, method="prefit")
    sets = clf.fit(index[:500], labels[:500]).predict_set(index[500:])
    assert sets.shape == (1500, 6, 3)
    assert np.all(sets[:, :, 0] >= sets[:, :, 1]) and np.all(
        sets[:, :, 1] >= sets[:, :, 2]
    )
    single = ConformalClassifier(model, alpha=0.1, method="prefit")
    single.fit(index[:500], labels[:500])
    np.testing.assert_array_equal(single.predict_set(index[500:]), sets[:, :, 1])


def test_split_cross_and_prefit_cover_on_real_data():
    X, y = make_classification(
        3000, 10, n_informative=6, n_classes=4, n_clusters_per_class=1, random_state=0
    )
    X_fit, y_fit, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]
    model = LogisticRegression().fit(X_fit[:1000], y_fit[:1000])
    for method, estimator in [("split", None), ("cross", None), ("prefit", model)]:
        clf = ConformalClassifier(estimator, alpha=0.1, method=method, random_state=0)
        X_cal, y_cal = (
            (X_fit[1000:], y_fit[1000:]) if method == "prefit" else (X_fit, y_fit)
        )
        sets = clf.fit(X_cal, y_cal).predict_set(X_test)
        assert coverage_score(y_test, sets) >= 0.87, method
        assert 1.0 <= mean_set_size(sets) < 3.0
    assert len(clf.estimator_.coef_) == 4


def test_identity_transition_matrix_is_split_conformal(stored_model):
    proba, labels = dirichlet_problem(3000, 4, 4)
    model, index = stored_model(proba)
    for mondrian in (None, "class"):
        plain = ConformalClassifier(model, method="prefit", mondrian=mondrian)
        plain.fit(index[:800], labels[:800])
        for noise in (np.eye(4), 0.0):
            corrected = ConformalClassifier(
                model, method="prefit", mondrian=mondrian, noise_rates=noise
            ).fit(index[:800], labels[:800])
            np.testing.assert_array_equal(corrected.thresholds_, plain.thresholds_)


@pytest.mark.parametrize("mondrian", [None, "class"])
def test_noisy_calibration_labels_recover_clean_coverage(stored_model, mondrian):
    """Class-dependent noise (diagonal 0.7): plain conformal over-covers the
    clean labels with larger sets; the correction is back at 1 - alpha."""
    rng = np.random.default_rng(0)
    K, n = 5, 30_000
    P = 0.7 * np.eye(K) + 0.3 * rng.dirichlet(np.ones(K), size=K) * (1 - np.eye(K))
    P /= P.sum(axis=1, keepdims=True)
    proba, labels = dirichlet_problem(n, K, 5)
    noisy, _ = flip_labels(labels, P, random_state=1)
    model, index = stored_model(proba)
    cal, test = slice(0, 10_000), slice(10_000, None)
    clean = ConformalClassifier(model, method="prefit", mondrian=mondrian)
    plain = clone(clean).fit(index[cal], noisy[cal])
    corrected = clone(clean).set_params(noise_rates=P).fit(index[cal], noisy[cal])
    clean.fit(index[cal], labels[cal])
    result = {}
    for name, clf in [("clean", clean), ("plain", plain), ("corrected", corrected)]:
        sets = clf.predict_set(index[test])
        result[name] = coverage_score(labels[test], sets), mean_set_size(sets)
        if mondrian:
            per_class = class_conditional_coverage(labels[test], sets)
            assert (per_class.min() < 0.95) if name != "plain" else True
    assert result["plain"][0] > 0.95
    assert abs(result["corrected"][0] - 0.9) < 0.015
    assert result["corrected"][1] < 0.8 * result["plain"][1]
    assert abs(result["corrected"][1] - result["clean"][1]) < 0.1 * result["clean"][1]


def test_estimated_transition_matrix_recovers_the_rate_and_errs_on_the_safe_side():
    """'estimate' fits a symmetric rate by maximum likelihood under the
    model's probabilities (its lower 95% bound): right for a model trained
    on clean labels; for one trained on the noisy labels it under-states
    the noise (larger sets, coverage kept), never the reverse."""
    X, y = make_classification(
        8000, 10, n_informative=8, n_redundant=0, n_classes=4, random_state=0
    )
    noisy, _ = symmetric_noise(y, 0.2, random_state=1)
    cal, test = slice(3000, 5000), slice(5000, None)
    for trained_on, train_labels in [("clean", y), ("noisy", noisy)]:
        model = FrozenEstimator(LogisticRegression().fit(X[:3000], train_labels[:3000]))
        clf = ConformalClassifier(model, method="prefit", noise_rates="auto")
        sets = clf.fit(X[cal], noisy[cal]).predict_set(X[test])
        plain = ConformalClassifier(model, method="prefit").fit(X[cal], noisy[cal])
        plain_sets = plain.predict_set(X[test])
        np.testing.assert_allclose(clf.transition_matrix_.sum(axis=1), 1.0)
        coverage = coverage_score(y[test], sets)
        if trained_on == "clean":
            assert abs(np.diag(clf.transition_matrix_).mean() - 0.8) < 0.04
            assert abs(coverage - 0.9) < 0.02
            assert mean_set_size(sets) < 0.7 * mean_set_size(plain_sets)
        else:
            assert np.diag(clf.transition_matrix_).mean() > 0.85
            assert coverage >= 0.9
            assert mean_set_size(sets) < mean_set_size(plain_sets)


def test_estimate_does_not_read_a_many_class_model_s_confusion_as_noise():
    """26 classes, a logistic regression of accuracy 0.66 and clean
    calibration labels: a full transition matrix fitted by maximum
    likelihood finds 5% of flips and under-covers by 3 points; the
    symmetric rate's lower bound stays near 0 and near the clean sets."""
    X, y = make_classification(
        9000, 20, n_informative=14, n_redundant=0, n_classes=26,
        n_clusters_per_class=1, class_sep=1.5, random_state=0,
    )  # fmt: skip
    model = FrozenEstimator(LogisticRegression(max_iter=1000).fit(X[:4000], y[:4000]))
    cal, test = slice(4000, 6000), slice(6000, None)
    full = fit_transition_matrix(y[cal], model.predict_proba(X[cal]))
    coverage = {}
    for name, noise in [("clean", None), ("estimate", "auto"), ("full", full)]:
        clf = ConformalClassifier(model, method="prefit", noise_rates=noise)
        coverage[name] = coverage_score(
            y[test], clf.fit(X[cal], y[cal]).predict_set(X[test])
        )
        if name == "estimate":
            assert 1 - np.diag(clf.transition_matrix_).mean() < 0.02
    assert 1 - np.diag(full).mean() > 0.03
    assert coverage["full"] < coverage["clean"] - 0.025
    assert coverage["estimate"] > coverage["clean"] - 0.015


def worst_flips(scores, labels, n_flips, n_classes):
    """Every way to flip ``n_flips`` labels, as label vectors."""
    for rows in itertools.combinations(range(len(labels)), n_flips):
        for new in itertools.product(range(n_classes), repeat=n_flips):
            if all(labels[r] != c for r, c in zip(rows, new, strict=True)):
                poisoned = labels.copy()
                poisoned[list(rows)] = new
                yield poisoned


@pytest.mark.parametrize("mondrian", [None, "class"])
def test_poisoning_bound_holds_against_every_flip(stored_model, mondrian):
    """Exhaustively: whichever m labels an adversary flips, the threshold
    computed with n_poisoned=m from the poisoned labels is at least the clean
    threshold, for every class."""
    n, alpha = (14, 0.3) if mondrian is None else (18, 0.45)
    proba, _ = dirichlet_problem(n, 3, 7, peak=1.0)
    labels = np.tile([0, 1, 2], 8)[:n]
    model, index = stored_model(proba)
    m = 2
    clean = ConformalClassifier(model, alpha=alpha, method="prefit", mondrian=mondrian)
    clean.fit(index, labels)
    robust = clone(clean).set_params(n_poisoned=m)
    poisoned_thresholds = []
    for poisoned in worst_flips(None, labels, m, 3):
        with warnings.catch_warnings():
            # a class left with too few labels to certify keeps every row
            warnings.simplefilter("ignore", CalibrationSizeWarning)
            robust.fit(index, poisoned)
        poisoned_thresholds.append(robust.thresholds_)
        assert np.all(robust.thresholds_ >= clean.thresholds_ - 1e-12)
    assert len(poisoned_thresholds) > 100
    # the bound is not vacuous: without it, some flips lower a threshold
    naive = clone(clean)
    lowered = False
    for poisoned in worst_flips(None, labels, m, 3):
        try:
            naive.fit(index, poisoned)
        except ValueError:
            continue
        lowered |= bool(np.any(naive.thresholds_ < clean.thresholds_))
    assert lowered


def test_poisoned_rank_shifts_by_the_number_of_flips():
    assert conformal_rank(99, 0.1, n_poisoned=3) == conformal_rank(99, 0.1) + 3 == 93
    assert minimum_calibration_size(0.1, n_poisoned=3) == 39


@pytest.mark.parametrize(
    "n, alpha, delta, allowed_errors",
    [
        (1000, 0.1, 0.05, 84),
        (500, 0.1, 0.1, 40),
        (100, 0.1, 0.1, 5),
        (5000, 0.05, 0.01, 214),
    ],
)
def test_pac_rank_matches_the_binomial_rule(n, alpha, delta, allowed_errors):
    """The largest error count k with P(Binom(n, alpha) <= k) <= delta (values
    from Park et al.'s Clopper-Pearson form)."""
    assert conformal_rank(n, alpha, guarantee="pac", delta=delta) == n - allowed_errors
    assert minimum_calibration_size(0.1, guarantee="pac", delta=0.1) == 22


def test_pac_guarantee_over_calibration_draws(stored_model):
    """Miscoverage above alpha in at most a delta share of calibration draws."""
    n_cal, n_draws, alpha, delta = 200, 300, 0.1, 0.1
    proba, labels = dirichlet_problem(n_cal * n_draws + 10_000, 4, 8)
    model, index = stored_model(proba)
    test = slice(n_cal * n_draws, None)
    clf = ConformalClassifier(
        model, alpha=alpha, method="prefit", guarantee="pac", delta=delta
    )
    marginal = clone(clf).set_params(guarantee="marginal")
    failures, marginal_failures = 0, 0
    for d in range(n_draws):
        cal = slice(d * n_cal, (d + 1) * n_cal)
        for model_, count in [(clf, "pac"), (marginal, "marginal")]:
            model_.fit(index[cal], labels[cal])
            miss = 1 - coverage_score(labels[test], model_.predict_set(index[test]))
            if miss > alpha:
                if count == "pac":
                    failures += 1
                else:
                    marginal_failures += 1
    assert failures / n_draws <= delta + 0.03
    assert marginal_failures / n_draws > 0.25  # the marginal rule fails often


def test_pac_guarantee_with_noisy_calibration_labels(stored_model):
    """The grid-and-Hoeffding rule: over calibration draws with 10% symmetric
    noise, the clean-label miscoverage exceeds alpha in at most a delta share
    (here never: the margin is conservative), and the sets stay informative."""
    proba, labels = dirichlet_problem(60_000, 6, 11, peak=8.0)
    noisy, _ = symmetric_noise(labels, 0.1, random_state=0)
    model, index = stored_model(proba)
    test = slice(50_000, None)
    clf = ConformalClassifier(
        model, method="prefit", noise_rates=0.1, guarantee="pac", delta=0.1
    )
    misses, sizes = [], []
    for draw in range(25):
        cal = slice(2000 * draw, 2000 * (draw + 1))
        sets = clf.fit(index[cal], noisy[cal]).predict_set(index[test])
        misses.append(1 - coverage_score(labels[test], sets))
        sizes.append(mean_set_size(sets))
    assert np.mean(np.array(misses) > 0.1) <= 0.1
    assert np.mean(sizes) < 5  # of 6 classes
    assert np.all(np.isin(clf.thresholds_, clf.score_function_.grid(6)))


def test_sklearn_integration():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    clf = ConformalClassifier(pipe, alpha=0.2, random_state=0)
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.mean() > 0.8
    search = GridSearchCV(clf, {"estimator__logisticregression__C": [0.01, 1.0]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["estimator__logisticregression__C"] == 1.0
    fitted = clone(clf).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_set(X), fitted.predict_set(X))
    np.testing.assert_array_equal(
        restored.predict_pvalues(X), fitted.predict_pvalues(X)
    )


def test_decision_function_models_are_wrapped():
    X, y = load_iris(return_X_y=True)
    clf = ConformalClassifier(LinearSVC(), alpha=0.2, random_state=0).fit(X, y)
    assert clf.predict_set(X).shape == (150, 3)
    binary = ConformalClassifier(LinearSVC(), alpha=0.2, random_state=0)
    assert binary.fit(X[50:], y[50:]).predict_set(X[50:]).shape == (100, 2)


class WeightRecorder(ClassifierMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.weight_sum_ = (
            None if sample_weight is None else float(np.sum(sample_weight))
        )
        self.n_fit_ = len(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))


def test_fit_params_reach_the_estimator_with_and_without_routing():
    X, y = load_iris(return_X_y=True)
    weights = np.full(150, 2.0)
    clf = ConformalClassifier(WeightRecorder(), alpha=0.2, random_state=0)
    clf.fit(X, y, sample_weight=weights)
    assert clf.estimator_.weight_sum_ == 2.0 * clf.estimator_.n_fit_
    with config_context(enable_metadata_routing=True):
        base = WeightRecorder().set_fit_request(sample_weight=True)
        clf = ConformalClassifier(base, alpha=0.2, random_state=0)
        clf.fit(X, y, sample_weight=weights)
        assert clf.estimator_.weight_sum_ == 2.0 * clf.estimator_.n_fit_


class LabelsOnly(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_bad_input_gets_clear_errors(stored_model):
    proba, labels = dirichlet_problem(200, 3, 9)
    model, index = stored_model(proba)
    X_before, y_before = index.copy(), labels.copy()

    def fit(**params):
        return ConformalClassifier(model, method="prefit", **params).fit(index, labels)

    for alpha in (0, 1, -0.1, 1.5):
        with pytest.raises(
            ValueError, match="'alpha' parameter of ConformalClassifier"
        ):
            fit(alpha=alpha)
    with pytest.raises(ValueError, match="alpha must lie in"):
        fit(alpha=[0.1, 2.0])  # a list: each level in turn
    with pytest.raises(TypeError, match="'alpha' parameter"):
        fit(alpha="0.1")
    # too few calibration samples for the level: the conformal answer is the
    # full label set, said in a warning
    with pytest.warns(
        CalibrationSizeWarning,
        match=r"has 150 samples; alpha=0\.005 needs at least 199",
    ):
        small = ConformalClassifier(model, method="prefit", alpha=0.005)
        small.fit(index[:150], labels[:150])
    assert small.predict_set(index[:50]).all()
    with pytest.warns(
        CalibrationSizeWarning,
        match=r"class 0 has 11 samples; alpha=0\.05 needs at least 19",
    ):
        per_class = ConformalClassifier(
            model, method="prefit", mondrian="class", alpha=0.05
        ).fit(index[:60], labels[:60])
    assert per_class.predict_set(index[:50])[:, 0].all()
    with pytest.raises(ValueError, match="'conformity_score' parameter"):
        fit(conformity_score="hinge")
    with pytest.raises(TypeError, match="neither predict_proba nor decision_function"):
        ConformalClassifier(LabelsOnly()).fit(index, labels)
    with pytest.raises(ValueError, match="never saw"):
        two_class, _ = stored_model(
            proba[:, :2] / proba[:, :2].sum(axis=1, keepdims=True)
        )
        ConformalClassifier(two_class, method="prefit").fit(index, labels)
    with pytest.raises(ValueError, match="rows must sum to 1"):
        fit(noise_rates=np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="not invertible"):
        fit(noise_rates=np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"must have shape \(3, 3\)"):
        fit(noise_rates=np.eye(2))
    with pytest.raises(ValueError, match="noise rate must lie in"):
        fit(noise_rates=0.9)
    with pytest.raises(ValueError, match="'delta' parameter"):
        fit(guarantee="pac", delta=1.0)
    with pytest.raises(ValueError, match="'n_poisoned' parameter"):
        fit(n_poisoned=-1)
    with pytest.raises(ValueError, match="1 class"):
        ConformalClassifier().fit(np.ones((20, 2)), np.zeros(20))
    with pytest.raises(ValueError, match="needs include_last_label=True"):
        fit(conformity_score="aps", include_last_label=False)
    with pytest.raises(ValueError, match="'randomized' parameter"):
        fit(randomized="always")
    with pytest.raises(ValueError, match="clean labels only"):
        ConformalClassifier(method="cross", noise_rates=0.1).fit(index, labels)
    clf = fit(mondrian=lambda X: X[:, 0] % 2)
    with pytest.raises(ValueError, match="not seen at calibration"):
        clf.set_params(mondrian=lambda X: X[:, 0] % 3).predict_set(index)
    with pytest.raises(ValueError, match="p-values are defined"):
        fit(n_poisoned=1).predict_pvalues(index)
    np.testing.assert_array_equal(index, X_before)
    np.testing.assert_array_equal(labels, y_before)


def test_sets_keep_the_levels_they_were_calibrated_for(stored_model):
    """set_params(alpha=...) after fit changes no set until the next fit,
    for "split" as for "cross"."""
    proba, labels = dirichlet_problem(2000, 4, 3)
    model, index = stored_model(proba)
    for method in ("prefit", "cross"):
        estimator = model if method == "prefit" else LogisticRegression()
        X = index if method == "prefit" else proba
        clf = ConformalClassifier(estimator, method=method, alpha=0.1, random_state=0)
        clf.fit(X[:1000], labels[:1000])
        before = clf.predict_set(X[1000:])
        clf.set_params(alpha=0.3)
        np.testing.assert_array_equal(clf.predict_set(X[1000:]), before)
        assert clf.alpha_ == 0.1
        assert (
            clf.fit(X[:1000], labels[:1000]).predict_set(X[1000:]).sum() < before.sum()
        )


def test_predict_with_sets_is_the_three_methods_in_one_pass(stored_model):
    proba, labels = dirichlet_problem(600, 4, 5)
    model, index = stored_model(proba)
    clf = ConformalClassifier(model, method="prefit", alpha=[0.1, 0.2])
    clf.fit(index[:300], labels[:300])
    y_pred, probabilities, sets = clf.predict_with_sets(index[300:])
    np.testing.assert_array_equal(y_pred, clf.predict(index[300:]))
    np.testing.assert_array_equal(probabilities, clf.predict_proba(index[300:]))
    np.testing.assert_array_equal(sets, clf.predict_set(index[300:]))


def test_noise_matrix_is_the_deprecated_name_of_noise_rates(stored_model):
    proba, labels = dirichlet_problem(1000, 3, 4)
    noisy, _ = symmetric_noise(labels, 0.2, random_state=0)
    model, index = stored_model(proba)
    new = ConformalClassifier(model, method="prefit", noise_rates="auto")
    new.fit(index, noisy)
    with pytest.warns(FutureWarning, match="noise_matrix was renamed noise_rates"):
        old = ConformalClassifier(model, method="prefit", noise_matrix="estimate")
        old.fit(index, noisy)
    np.testing.assert_array_equal(old.thresholds_, new.thresholds_)
    with pytest.warns(FutureWarning, match="transition_matrix_"):
        np.testing.assert_array_equal(old.noise_matrix_, new.transition_matrix_)


def test_binary_flip_rates_as_the_svms_take_them(stored_model):
    proba, labels = dirichlet_problem(2000, 2, 6)
    model, index = stored_model(proba)
    pair = ConformalClassifier(model, method="prefit", noise_rates=(0.1, 0.3))
    pair.fit(index, labels)
    np.testing.assert_allclose(pair.transition_matrix_, [[0.9, 0.1], [0.3, 0.7]])


def test_empty_calibration_data_is_named_as_such():
    empty = "needs calibration samples; X and y are empty"
    with pytest.raises(ValueError, match=empty):
        ConformalClassifier(LogisticRegression()).fit(np.empty((0, 2)), np.empty(0))


def test_messages_name_the_parameter_the_user_gave():
    X, y = make_classification(200, 4, random_state=0)
    bad = np.array([[0.5, 0.6], [0.1, 0.9]])
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="noise_matrix"):
        ConformalClassifier(LogisticRegression(), noise_matrix=bad).fit(X, y)
    with pytest.warns(CalibrationSizeWarning, match="with n_poisoned=1000000 needs"):
        ConformalClassifier(LogisticRegression(), n_poisoned=10**6).fit(X, y)
