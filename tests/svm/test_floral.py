"""FloralSVC: its options, its determinism, its guards."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_moons
from sklearn.metrics.pairwise import rbf_kernel

from skrobust.svm import FloralSVC, RobustSVC


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=200, noise=0.2, random_state=0)


def test_same_seed_gives_bit_identical_models(moons):
    X, y = moons
    first = FloralSVC(random_state=5, n_rounds=50, learning_rate=1e-2).fit(X, y)
    second = FloralSVC(random_state=5, n_rounds=50, learning_rate=1e-2).fit(X, y)
    np.testing.assert_array_equal(first.dual_coef_, second.dual_coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    other = FloralSVC(random_state=6, n_rounds=50, learning_rate=1e-2).fit(X, y)
    assert not np.array_equal(first.adversarial_labels_, other.adversarial_labels_)


def test_model_is_feasible_for_its_labels(moons):
    X, y = moons
    model = FloralSVC(C=2.0, n_rounds=100, learning_rate=1e-2, random_state=0).fit(X, y)
    lam = np.zeros(len(y))
    labels = model.adversarial_labels_[0]
    lam[model.support_] = model.dual_coef_[0] * labels[model.support_]
    assert np.all(lam >= 0) and np.all(lam <= 2.0 + 1e-12)
    assert abs(labels @ lam) < 1e-6  # dropping lam <= 1e-5 moves the sum a little
    flipped = labels != np.where(y == 1, 1.0, -1.0)
    assert flipped.sum() <= np.ceil(0.05 * len(y))


def test_no_rounds_from_the_svm_solution_is_the_svm(moons):
    X, y = moons
    floral = FloralSVC(C=3.0, init="svm", n_rounds=1, bias="free_sv").fit(X, y)
    svm = RobustSVC(C=3.0, noise_rates=None).fit(X, y)
    np.testing.assert_allclose(
        floral.decision_function(X), svm.decision_function(X), atol=5e-3
    )


def test_given_decision_labels_use_the_given_labels(moons):
    X, y = moons
    model = FloralSVC(
        n_rounds=30, learning_rate=1e-2, decision_labels="given", random_state=0
    ).fit(X, y)
    signs = np.where(y == 1, 1.0, -1.0)[model.support_]
    assert np.all(np.sign(model.dual_coef_[0]) == signs)


def test_precomputed_kernel_gives_the_same_model(moons):
    X, y = moons
    params = dict(n_rounds=40, learning_rate=1e-2, random_state=0)
    direct = FloralSVC(gamma=0.5, **params).fit(X, y)
    gram = FloralSVC(kernel="precomputed", **params).fit(rbf_kernel(X, gamma=0.5), y)
    np.testing.assert_allclose(
        gram.decision_function(rbf_kernel(X, gamma=0.5)),
        direct.decision_function(X),
        atol=1e-10,
    )


def test_multiclass_plays_one_game_per_class():
    X, y = load_iris(return_X_y=True)
    model = FloralSVC(n_rounds=100, learning_rate=1e-2, random_state=0).fit(X, y)
    assert model.dual_coef_.shape[0] == 3
    assert model.decision_function(X).shape == (150, 3)
    assert model.score(X, y) > 0.8


def test_kernel_matrix_size_guard(moons):
    X, y = moons
    with pytest.raises(ValueError, match="max_gram_mb"):
        FloralSVC(max_gram_mb=0.1).fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"budget": 1.0}, ValueError, r"\[0, 1\)"),
        ({"budget": -2}, ValueError, "budget"),
        ({"budget": 500}, ValueError, "200"),
        ({"budget": "5%"}, TypeError, "budget"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"n_rounds": 0}, ValueError, "n_rounds"),
        ({"init": "random"}, ValueError, "init"),
        ({"bias": "mean"}, ValueError, "bias"),
        ({"gamma": -1.0}, ValueError, "gamma"),
        ({"C": -1.0}, ValueError, "C"),
    ],
)
def test_bad_parameters_are_named(moons, params, error, match):
    X, y = moons
    with pytest.raises(error, match=match):
        FloralSVC(**params).fit(X, y)


def test_bad_precomputed_kernel_is_rejected(moons):
    X, y = moons
    with pytest.raises(ValueError, match="square kernel matrix"):
        FloralSVC(kernel="precomputed").fit(rbf_kernel(X)[:, :50], y)


def test_nystroem_game_needs_no_kernel_matrix():
    X, y = make_moons(n_samples=3000, noise=0.2, random_state=0)
    model = FloralSVC(
        n_components=100, max_gram_mb=1, learning_rate=1e-3, random_state=0
    ).fit(X, y)  # the exact matrix would need 69 MB
    assert model.score(X, y) > 0.8
    np.testing.assert_array_equal(
        model.predict(X[:50]), model.classes_[(model.decision_function(X[:50]) > 0) * 1]
    )
    with pytest.raises(ValueError, match="n_components"):
        FloralSVC(max_gram_mb=1).fit(X, y)
    with pytest.raises(ValueError, match="precomputed"):
        FloralSVC(kernel="precomputed", n_components=10).fit(
            X[:20, :1] @ X[:20, :1].T, y[:20]
        )


def test_nystroem_game_from_the_svm_solution(moons):
    X, y = moons
    model = FloralSVC(n_components=50, init="svm", n_rounds=1, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9
