"""RobustSVC against sklearn's SVC, its options, and its noise correction."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from skrobust.noise import flip_labels
from skrobust.svm import RobustSVC


def svc_dual_objective(svc, X, y, kernel_params):
    """``0.5 a' Q a - sum(a)`` of a fitted binary SVC."""
    a = np.zeros(len(y))
    a[svc.support_] = np.abs(svc.dual_coef_[0])
    signs = np.where(y == svc.classes_[1], 1.0, -1.0)
    K = pairwise_kernels(X, metric=svc.kernel, filter_params=True, **kernel_params)
    return 0.5 * (a * signs) @ K @ (a * signs) - a.sum()


@pytest.fixture(scope="module")
def binary_split():
    X, y = make_classification(
        n_samples=1200, n_features=12, flip_y=0.1, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, random_state=0)


@pytest.mark.parametrize(
    "kernel, params",
    [
        ("rbf", {"gamma": 0.05}),
        ("linear", {}),
        ("poly", {"gamma": 0.05, "degree": 3, "coef0": 1.0}),
    ],
)
@pytest.mark.parametrize("C", [0.1, 10.0])
def test_plain_model_matches_svc(binary_split, kernel, params, C):
    X_train, X_test, y_train, _ = binary_split
    svc = SVC(C=C, kernel=kernel, **params).fit(X_train, y_train)
    ours = RobustSVC(C=C, kernel=kernel, noise_rates=None, **params).fit(
        X_train, y_train
    )
    reference = svc_dual_objective(svc, X_train, y_train, params)
    assert abs(ours.dual_objective_[0] - reference) <= 1e-3 * abs(reference)
    assert np.mean(ours.predict(X_test) == svc.predict(X_test)) >= 0.995


def test_dual_objective_attribute_is_the_objective_of_the_coefficients(binary_split):
    X_train, _, y_train, _ = binary_split
    model = RobustSVC(noise_rates=None, gamma=0.05).fit(X_train, y_train)
    a = np.zeros(len(y_train))
    a[model.support_] = model.dual_coef_[0]  # signed: a_i * y_i
    K = pairwise_kernels(X_train, metric="rbf", gamma=0.05)
    expected = 0.5 * a @ K @ a - np.abs(a).sum()
    np.testing.assert_allclose(model.dual_objective_[0], expected, rtol=1e-9)


def test_multiclass_matches_svc_one_vs_one():
    X, y = load_iris(return_X_y=True)
    svc = SVC(C=10.0).fit(X, y)
    ours = RobustSVC(C=10.0, noise_rates=None).fit(X, y)
    assert ours.dual_coef_.shape[0] == 3  # the class pairs
    np.testing.assert_array_equal(ours.predict(X), svc.predict(X))
    np.testing.assert_allclose(
        ours.decision_function(X), svc.decision_function(X), atol=1e-2
    )
    ovo = ours.set_params(decision_function_shape="ovo").decision_function(X)
    np.testing.assert_allclose(
        ovo,
        SVC(C=10.0, decision_function_shape="ovo").fit(X, y).decision_function(X),
        atol=1e-2,
    )
    np.testing.assert_array_equal(np.sort(ours.support_), np.sort(svc.support_))
    np.testing.assert_array_equal(ours.n_support_, svc.n_support_)


def test_weights_match_svc(binary_split):
    X_train, X_test, y_train, _ = binary_split
    weight = np.random.default_rng(0).uniform(0.2, 3.0, len(y_train))
    params = dict(C=2.0, gamma=0.05, class_weight={0: 1.0, 1: 3.0})
    svc = SVC(**params).fit(X_train, y_train, sample_weight=weight)
    ours = RobustSVC(noise_rates=None, **params).fit(
        X_train, y_train, sample_weight=weight
    )
    assert np.mean(ours.predict(X_test) == svc.predict(X_test)) >= 0.995
    np.testing.assert_allclose(
        ours.decision_function(X_test), svc.decision_function(X_test), atol=1e-2
    )


def test_sparse_and_precomputed_inputs_give_the_dense_model(binary_split):
    X_train, X_test, y_train, _ = binary_split
    dense = RobustSVC(noise_rates=None, gamma=0.05).fit(X_train, y_train)
    sparse = RobustSVC(noise_rates=None, gamma=0.05).fit(
        sp.csr_matrix(X_train), y_train
    )
    np.testing.assert_allclose(
        sparse.decision_function(sp.csr_matrix(X_test)),
        dense.decision_function(X_test),
        atol=1e-8,
    )
    gram = pairwise_kernels(X_train, metric="rbf", gamma=0.05)
    precomputed = RobustSVC(kernel="precomputed", noise_rates=None).fit(gram, y_train)
    test_gram = pairwise_kernels(X_test, X_train, metric="rbf", gamma=0.05)
    np.testing.assert_allclose(
        precomputed.decision_function(test_gram),
        dense.decision_function(X_test),
        atol=1e-8,
    )


@pytest.mark.parametrize(
    "params",
    [{"cache_size": 0.01}, {"shrinking": False}],
    ids=["tiny cache", "no shrinking"],
)
def test_cache_and_shrinking_do_not_change_the_solution(binary_split, params):
    X_train, X_test, y_train, _ = binary_split
    reference = RobustSVC(noise_rates=None, gamma=0.05, tol=1e-6).fit(X_train, y_train)
    other = RobustSVC(noise_rates=None, gamma=0.05, tol=1e-6, **params).fit(
        X_train, y_train
    )
    np.testing.assert_allclose(
        other.decision_function(X_test), reference.decision_function(X_test), atol=1e-4
    )


def test_noise_correction_wins_back_accuracy_on_moons():
    # class-conditional noise moves the plain SVM's boundary; symmetric noise
    # would not (a kernel SVM tolerates it), so that is not the test here
    X, y = make_moons(n_samples=1500, noise=0.25, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    transition = np.array([[1.0, 0.0], [0.4, 0.6]])
    y_noisy, _ = flip_labels(y_train, transition, random_state=0)
    plain = RobustSVC(noise_rates=None).fit(X_train, y_noisy)
    robust = RobustSVC(random_state=0).fit(X_train, y_noisy)
    assert robust.score(X_test, y_test) >= plain.score(X_test, y_test) + 0.03
    rho_neg, rho_pos = robust.noise_rates_[0]
    assert rho_neg < 0.1 and abs(rho_pos - 0.4) < 0.1


def test_zero_noise_rates_give_the_plain_model(binary_split):
    X_train, X_test, y_train, _ = binary_split
    plain = RobustSVC(noise_rates=None, gamma=0.05).fit(X_train, y_train)
    zero = RobustSVC(noise_rates=(0.0, 0.0), gamma=0.05).fit(X_train, y_train)
    np.testing.assert_allclose(
        zero.decision_function(X_test), plain.decision_function(X_test), atol=1e-9
    )


def test_corrected_multiclass_is_one_vs_rest():
    X, y = load_iris(return_X_y=True)
    model = RobustSVC(noise_rates=0.1, random_state=0).fit(X, y)
    assert model.dual_coef_.shape[0] == 3
    assert model.decision_function(X).shape == (150, 3)
    assert model.score(X, y) > 0.9
    with pytest.raises(ValueError, match="decision_function_shape='ovo'"):
        RobustSVC(decision_function_shape="ovo").fit(X, y)


def test_same_random_state_gives_identical_models():
    X, y = make_moons(n_samples=300, noise=0.3, random_state=1)
    first = RobustSVC(random_state=3).fit(X, y)
    second = RobustSVC(random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.dual_coef_, second.dual_coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)


def test_max_iter_warns(binary_split):
    X_train, _, y_train, _ = binary_split
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        RobustSVC(noise_rates=None, max_iter=5).fit(X_train, y_train)


def test_threads_give_the_same_scores(binary_split):
    X_train, X_test, y_train, _ = binary_split
    X_big = np.repeat(X_test, 8, axis=0)  # several scoring blocks
    model = RobustSVC(noise_rates=None).fit(X_train, y_train)
    one = model.decision_function(X_big)
    two = model.set_params(n_jobs=2).decision_function(X_big)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"gamma": 0.0}, ValueError, r"'gamma' parameter .* range \(0.0, inf\)"),
        ({"gamma": -1.0}, ValueError, r"'gamma' parameter .* range \(0.0, inf\)"),
        ({"gamma": "large"}, ValueError, "gamma"),
        ({"C": 0.0}, ValueError, "C"),
        ({"kernel": "cosine"}, ValueError, "kernel"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"decision_function_shape": "ovx"}, ValueError, "decision_function_shape"),
        ({"coef0": "1"}, TypeError, "coef0"),
    ],
)
def test_bad_parameters_are_named(params, error, match):
    X, y = make_moons(n_samples=40, random_state=0)
    with pytest.raises(error, match=match):
        RobustSVC(**params).fit(X, y)


def test_bad_precomputed_kernels_are_rejected():
    X, y = make_moons(n_samples=40, random_state=0)
    gram = X @ X.T
    with pytest.raises(ValueError, match="square kernel matrix"):
        RobustSVC(kernel="precomputed").fit(gram[:, :30], y)
    model = RobustSVC(kernel="precomputed", noise_rates=None).fit(gram, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(gram[:, :30])


def test_one_class_is_rejected():
    X, _ = make_moons(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        RobustSVC().fit(X, np.zeros(40))


def test_nystroem_approximation_follows_the_exact_model():
    X, y = make_moons(n_samples=2000, noise=0.25, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    exact = RobustSVC(noise_rates=None).fit(X_train, y_train)
    approximate = RobustSVC(noise_rates=None, n_components=200, random_state=0).fit(
        X_train, y_train
    )
    assert not hasattr(approximate, "support_")
    assert approximate.nystroem_.n_components == 200
    agreement = np.mean(approximate.predict(X_test) == exact.predict(X_test))
    assert agreement > 0.97
    assert approximate.score(X_test, y_test) > exact.score(X_test, y_test) - 0.02


def test_nystroem_approximation_keeps_the_correction_and_classes():
    X, y = load_iris(return_X_y=True)
    model = RobustSVC(n_components=40, noise_rates=0.1, random_state=0).fit(X, y)
    assert model.decision_function(X).shape == (150, 3)
    assert model.transition_matrix_.shape == (3, 3)
    assert model.score(X, y) > 0.9
    with pytest.raises(ValueError, match="n_components"):
        RobustSVC(n_components=40, decision_function_shape="ovo").fit(X, y)
    with pytest.raises(ValueError, match="precomputed"):
        RobustSVC(kernel="precomputed", n_components=5).fit(X @ X.T, y)


def test_offset_is_finite_when_one_class_has_no_box():
    # the noise correction's weights can leave one class a box of zero width
    # in a fold; libsvm's middle of the feasible interval is then infinite
    from skrobust._kernels.kernel_rows import PRECOMPUTED
    from skrobust._kernels.rows import EMPTY_INDEX
    from skrobust._kernels.smo import smo

    y = np.array([1.0, 1.0, -1.0, -1.0])
    upper = np.array([0.0, 0.0, 1.0, 1.0])
    p = -np.ones(4)
    gram = np.eye(4)
    alpha, rho, _, _ = smo(
        gram, EMPTY_INDEX, EMPTY_INDEX, 0, gram, np.ones(4),
        (PRECOMPUTED, 0.0, 0.0, 0.0), np.arange(4), y, upper, p,
        1e-3, -1, True, 4, np.zeros(1, np.uint8),
    )  # fmt: skip
    # no positive can move, so neither can a negative (sum y alpha = 0): G is
    # p, and positives at their (zero) upper bound and negatives at zero
    # both bound rho from below, the smallest feasible offset being max(y G)
    np.testing.assert_array_equal(alpha, 0.0)
    assert rho == pytest.approx(max(y * p))


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_samples=st.integers(10, 80),
    C=st.floats(0.01, 100.0),
    kernel=st.sampled_from(["rbf", "linear", "poly"]),
    weighted=st.booleans(),
    shrinking=st.booleans(),
    steps=st.lists(st.integers(1, 200), min_size=2, max_size=4, unique=True),
)
# stopped by max_iter while shrunk: the objective once used stale gradients
@example(
    seed=0, n_samples=60, C=2.0, kernel="rbf", weighted=False, shrinking=True,
    steps=[49, 73],
)  # fmt: skip
def test_dual_objective_never_increases_with_more_steps(
    seed, n_samples, C, kernel, weighted, shrinking, steps
):
    # the plain SVM: with noise_rates, max_iter also changes the out-of-fold
    # posteriors, hence the problem solved
    X, y = make_classification(
        n_samples, 4, n_informative=2, n_redundant=0, flip_y=0.2, random_state=seed
    )
    rng = np.random.default_rng(seed)
    weight = rng.uniform(0.1, 3.0, n_samples) if weighted else None
    objectives = []
    for max_iter in sorted(steps):
        model = RobustSVC(
            C=C, kernel=kernel, gamma=0.5, noise_rates=None, shrinking=shrinking,
            max_iter=max_iter,
        )  # fmt: skip
        with warnings.catch_warnings():
            # stopping after max_iter steps is the point here
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y, sample_weight=weight)
        objectives.append(model.dual_objective_[0])
    objectives = np.array(objectives)
    assert np.all(np.diff(objectives) <= 1e-10 * np.abs(objectives[:-1]).max())
