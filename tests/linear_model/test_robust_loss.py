"""RobustLossClassifier: agreement with scikit-learn, links, options, errors."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrobust.linear_model import RobustLossClassifier
from skrobust.noise import pair_noise


@pytest.fixture(scope="module")
def multiclass():
    X, y = make_classification(
        n_samples=600, n_features=12, n_informative=6, n_classes=4,
        flip_y=0.1, random_state=0,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def cross_entropy_objective(X, y, coef, intercept, C):
    scores = X @ coef.T + intercept
    loss = logsumexp(scores, axis=1) - scores[np.arange(len(y)), y]
    return C * loss.sum() + 0.5 * np.sum(coef**2)


def hinge_objective(X, y, coef, intercept, C):
    """Crammer-Singer primal, intercept penalised as the weight of a 1-feature."""
    scores = X @ coef.T + intercept
    z = scores - scores[np.arange(len(y)), y][:, None] + (np.arange(4) != y[:, None])
    return C * z.max(axis=1).sum() + 0.5 * (np.sum(coef**2) + np.sum(intercept**2))


@pytest.mark.parametrize("sparse", [False, True])
def test_log_loss_reaches_the_logistic_regression_optimum(multiclass, sparse):
    X, y = multiclass
    data = sp.csr_matrix(X) if sparse else X
    ours = RobustLossClassifier("log_loss", C=0.5).fit(data, y)
    ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(X, y)
    f_ours = cross_entropy_objective(X, y, ours.coef_, ours.intercept_, 0.5)
    f_ref = cross_entropy_objective(X, y, ref.coef_, ref.intercept_, 0.5)
    assert abs(f_ours - f_ref) <= 1e-4 * f_ref
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-3)


def test_binary_log_loss_is_logistic_regression_at_twice_c():
    # two score vectors share the penalty: w1 = -w0 = v / 2 gives ||v||^2 / 4
    X, y = make_classification(n_samples=300, n_features=6, random_state=1)
    ours = RobustLossClassifier("log_loss", C=0.3, tol=1e-8).fit(X, y)
    ref = LogisticRegression(C=0.6, tol=1e-10).fit(X, y)
    assert ours.coef_.shape == (1, 6)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5)
    np.testing.assert_allclose(
        ours.decision_function(X), ref.decision_function(X), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("sparse", [False, True])
def test_crammer_singer_reaches_the_linear_svc_optimum(multiclass, sparse):
    X, y = multiclass
    data = sp.csr_matrix(X) if sparse else X
    ours = RobustLossClassifier("crammer_singer", C=0.1, max_iter=5000, random_state=0)
    ours.fit(data, y)
    ref = LinearSVC(
        C=0.1, multi_class="crammer_singer", tol=1e-8, max_iter=100_000, random_state=0
    )
    ref.fit(X, y)
    f_ours = hinge_objective(X, y, ours.coef_, ours.intercept_, 0.1)
    f_ref = hinge_objective(X, y, ref.coef_, ref.intercept_, 0.1)
    assert abs(f_ours - f_ref) <= 1e-3 * f_ref
    # at a tight tolerance the two models make the same predictions
    ours.set_params(tol=1e-6, max_iter=50_000).fit(data, y)
    assert np.mean(ours.predict(X) == ref.predict(X)) >= 0.99


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "log_loss"},
        {"loss": "comp_sum", "tau": 0.5},
        {"loss": "comp_sum", "tau": 1.5},
        {"loss": "ldr_kl", "margin": 0.0, "temperature": 3.0},
    ],
)
def test_probabilities_invert_the_loss_minimiser(params):
    # with no usable feature only the (unpenalised) intercepts are fitted: the
    # loss's minimiser must map back to the class frequencies
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X = np.zeros((100, 1))
    model = RobustLossClassifier(**params, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(
        model.predict_proba(X[:1])[0], [0.5, 0.3, 0.2], rtol=1e-6
    )
    np.testing.assert_allclose(
        model.predict_log_proba(X[:1]), np.log(model.predict_proba(X[:1]))
    )


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "aldr_kl"},
        {"loss": "crammer_singer"},
        {"loss": "ldr_kl", "margin": 0.1},
        {"loss": "comp_sum", "tau": 2.0},
    ],
)
def test_no_probabilities_where_the_loss_gives_none(params):
    model = RobustLossClassifier(**params)
    assert not hasattr(model, "predict_proba")
    assert not hasattr(model, "predict_log_proba")


def test_aldr_temperatures_rise_on_ambiguous_samples(multiclass):
    X, y = multiclass
    model = RobustLossClassifier("aldr_kl", C=10.0).fit(X, y)
    temps = model.temperatures_
    assert temps.shape == (len(y),)
    assert np.all((temps >= 5.0) & (temps <= 10.0))
    # samples the model gets wrong are the ambiguous ones
    wrong = model.predict(X) != y
    assert temps[wrong].mean() > temps[~wrong].mean()
    assert RobustLossClassifier("log_loss").fit(X, y).temperatures_ is None


def test_warm_start_continues_from_the_previous_fit(multiclass):
    X, y = multiclass
    model = RobustLossClassifier("ldr_kl", warm_start=True, tol=1e-8).fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ <= 1
    np.testing.assert_allclose(model.coef_, first, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="classes of the previous fit"):
        model.fit(X[y < 3], y[y < 3])


def test_binary_warm_start_starts_at_the_optimum():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    model = RobustLossClassifier(warm_start=True, tol=1e-8).fit(X, y)
    model.fit(X, y)
    assert model.n_iter_ <= 1


def test_auto_init_is_one_of_the_two_starts(multiclass):
    X, y = multiclass
    auto = RobustLossClassifier(random_state=0).fit(X, y)
    fits = [RobustLossClassifier(init=i).fit(X, y) for i in ("zeros", "log_loss")]
    assert any(np.array_equal(auto.coef_, fit.coef_) for fit in fits)
    # the convex losses ignore it
    a, b = (
        RobustLossClassifier("log_loss", init=i).fit(X, y)
        for i in ("zeros", "log_loss")
    )
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_default_keeps_clean_accuracy_and_resists_pair_noise():
    # digits: the cross-entropy start fits the pair flips, the zero start
    # does not; on clean labels both are logistic regression's equal
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    train, test = np.arange(0, len(y), 2), np.arange(1, len(y), 2)
    noisy = pair_noise(y[train], 0.3, random_state=0)[0]
    for labels, margin in ((y[train], -0.01), (noisy, 0.05)):
        ours = RobustLossClassifier(random_state=0).fit(X[train], labels)
        ref = LogisticRegression(max_iter=1000).fit(X[train], labels)
        assert ours.score(X[test], y[test]) >= ref.score(X[test], y[test]) + margin


def test_dual_solver_is_deterministic_and_leaves_input_alone(multiclass):
    X, y = multiclass
    X_before, y_before = X.copy(), y.copy()
    a = RobustLossClassifier("crammer_singer", C=0.1, random_state=3, max_iter=5000)
    b = RobustLossClassifier("crammer_singer", C=0.1, random_state=3, max_iter=5000)
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_class_weight_equals_repeated_rows():
    X, y = load_iris(return_X_y=True)
    # one start for both: init="auto" draws its folds from different rows
    weighted = RobustLossClassifier(
        class_weight={0: 1, 1: 2, 2: 1}, tol=1e-10, init="log_loss"
    )
    repeated = RobustLossClassifier(tol=1e-10, init="log_loss")
    weighted.fit(X, y)
    repeated.fit(np.vstack([X, X[y == 1]]), np.concatenate([y, y[y == 1]]))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"loss": "gce"}, ValueError, "'loss' parameter of RobustLossClassifier"),
        ({"temperature": 0.0}, ValueError, "'temperature' parameter"),
        ({"temperature": -1.0}, ValueError, "'temperature' parameter"),
        ({"tau": 2.5}, ValueError, r"'tau' parameter .* range \[0.0, 2.0\]"),
        ({"tau": -0.1}, ValueError, r"'tau' parameter .* range \[0.0, 2.0\]"),
        ({"adaptivity": 1.0}, ValueError, "'adaptivity' parameter"),
        ({"margin": -0.1}, ValueError, "'margin' parameter"),
        ({"C": 0}, ValueError, "'C' parameter"),
        ({"max_iter": 0}, ValueError, "'max_iter' parameter"),
        ({"fit_intercept": "yes"}, TypeError, "'fit_intercept' parameter"),
        ({"init": "random"}, ValueError, "'init' parameter"),
    ],
)
def test_bad_parameters_are_named(multiclass, params, error, match):
    X, y = multiclass
    with pytest.raises(error, match=match):
        RobustLossClassifier(**params).fit(X, y)


def test_a_class_without_weight_is_refused(multiclass):
    X, y = multiclass
    with pytest.raises(ValueError, match="class 2 has none"):
        RobustLossClassifier().fit(X, y, sample_weight=(y != 2).astype(float))
    with pytest.raises(ValueError, match="not in class"):
        RobustLossClassifier(class_weight={0: 1, 7: 2}).fit(X, y)


def test_predict_needs_the_training_features(multiclass):
    X, y = multiclass
    model = RobustLossClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :5])


def test_alpha_is_the_deprecated_name_of_adaptivity(multiclass):
    X, y = multiclass
    new = RobustLossClassifier("aldr_kl", adaptivity=3.0).fit(X, y)
    with pytest.warns(FutureWarning, match="alpha was renamed adaptivity"):
        old = RobustLossClassifier("aldr_kl", alpha=3.0).fit(X, y)
    np.testing.assert_array_equal(old.coef_, new.coef_)
    default = RobustLossClassifier("aldr_kl").fit(X, y)
    assert not np.array_equal(default.coef_, new.coef_)
