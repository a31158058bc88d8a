"""FloralSVC: its options, its determinism, its guards."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs, make_moons
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
from sklearn.utils import check_random_state

from skrobust.poisoning import support_vector_flip_attack
from skrobust.svm import FloralSVC, RobustSVC
from skrobust.svm._floral import _label_posteriors, _nearest_others, _vote


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=200, noise=0.2, random_state=0)


def test_same_seed_gives_bit_identical_models(moons):
    X, y = moons
    first = FloralSVC(
        selection="last", random_state=5, n_rounds=50, learning_rate=1e-2
    ).fit(X, y)
    second = FloralSVC(
        selection="last", random_state=5, n_rounds=50, learning_rate=1e-2
    ).fit(X, y)
    np.testing.assert_array_equal(first.dual_coef_, second.dual_coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    other = FloralSVC(
        selection="last", random_state=6, n_rounds=50, learning_rate=1e-2
    ).fit(X, y)
    assert not np.array_equal(first.adversarial_labels_, other.adversarial_labels_)


def test_model_is_feasible_for_its_labels(moons):
    X, y = moons
    model = FloralSVC(
        C=2.0, selection="last", n_rounds=100, learning_rate=1e-2, random_state=0
    ).fit(X, y)
    lam = np.zeros(len(y))
    labels = model.adversarial_labels_[0]
    lam[model.support_] = model.dual_coef_[0] * labels[model.support_]
    assert np.all(lam >= 0) and np.all(lam <= 2.0 + 1e-12)
    assert abs(labels @ lam) < 1e-6  # dropping lam <= 1e-5 moves the sum a little
    flipped = labels != np.where(y == 1, 1.0, -1.0)
    assert flipped.sum() <= np.ceil(0.05 * len(y))


def test_no_rounds_from_the_svm_solution_is_the_svm(moons):
    X, y = moons
    floral = FloralSVC(
        C=3.0, init="svm", n_rounds=1, bias="free_sv", selection="last"
    ).fit(X, y)
    svm = RobustSVC(C=3.0, noise_rates=None).fit(X, y)
    np.testing.assert_allclose(
        floral.decision_function(X), svm.decision_function(X), atol=5e-3
    )


def test_given_decision_labels_use_the_given_labels(moons):
    X, y = moons
    model = FloralSVC(
        n_rounds=30,
        learning_rate=1e-2,
        decision_labels="given",
        selection="last",
        random_state=0,
    ).fit(X, y)
    signs = np.where(y == 1, 1.0, -1.0)[model.support_]
    assert np.all(np.sign(model.dual_coef_[0]) == signs)


def test_precomputed_kernel_gives_the_same_model(moons):
    X, y = moons
    params = dict(n_rounds=40, learning_rate=1e-2, random_state=0)
    direct = FloralSVC(gamma=0.5, **params).fit(X, y)
    gram = FloralSVC(kernel="precomputed", **params).fit(rbf_kernel(X, gamma=0.5), y)
    assert direct.selected_round_[0] == gram.selected_round_[0] == 0
    # the same candidate; its refit on all rows solves the same dual, from the
    # given Gram matrix or (direct kernel) from kernel rows the solver computes
    # with its own rounding, so the two stop at different points within the
    # solver's tolerance (tol=1e-3 on the dual gradient)
    np.testing.assert_allclose(
        gram.decision_function(rbf_kernel(X, gamma=0.5)),
        direct.decision_function(X),
        atol=1e-2,
    )
    np.testing.assert_array_equal(
        gram.predict(rbf_kernel(X, gamma=0.5)), direct.predict(X)
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
        ({"budget": 1.0}, ValueError, "'budget' parameter"),
        ({"budget": -2}, ValueError, "budget"),
        ({"budget": 500}, ValueError, "500"),
        ({"budget": "5%"}, TypeError, "budget"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"n_rounds": 0}, ValueError, "n_rounds"),
        ({"init": "random"}, ValueError, "init"),
        ({"bias": "mean"}, ValueError, "bias"),
        ({"gamma": -1.0}, ValueError, "gamma"),
        ({"C": -1.0}, ValueError, "C"),
        ({"holdout_labels": "trusted"}, ValueError, "holdout_labels"),
        ({"gamma_scales": ()}, ValueError, "gamma_scales"),
        ({"gamma_scales": (1.0, 0.0)}, ValueError, "gamma_scales"),
        ({"corrected_svm": "yes"}, TypeError, "corrected_svm"),
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


def region_poisoned_moons(seed):
    """Moons whose crescent tips carry the other class's label in training
    (the kind of attack that leaves no local evidence), with clean
    validation and test samples."""
    X, y = make_moons(n_samples=1600, noise=0.2, random_state=seed)
    y_train = y[:600].copy()
    X_train = X[:600]
    y_train[(y[:600] == 1) & (X_train[:, 0] > 1.5)] = 0
    y_train[(y[:600] == 0) & (X_train[:, 0] < -0.5)] = 1
    return X_train, y_train, X[600:800], y[600:800], X[800:], y[800:]


def test_trusted_validation_picks_a_model_that_beats_the_svm_on_poisoned_regions():
    X, y, X_val, y_val, X_test, y_test = region_poisoned_moons(0)
    svc = SVC(C=10.0, gamma=0.5).fit(X, y)
    floral = FloralSVC(gamma=0.5, random_state=0).fit(X, y, X_val=X_val, y_val=y_val)
    assert floral.selected_round_[0] > 0
    assert floral.score(X_test, y_test) >= svc.score(X_test, y_test) + 0.1


def test_selection_is_never_worse_on_validation_than_the_last_iterate(moons):
    X, y = moons
    X_val, y_val = make_moons(n_samples=200, noise=0.2, random_state=1)
    params = dict(n_rounds=301, eval_every=25, random_state=3)
    chosen = FloralSVC(**params).fit(X, y, X_val=X_val, y_val=y_val)
    last = FloralSVC(selection="last", **params).fit(X, y)
    assert chosen.selected_round_[0] in {0, 300} | set(range(25, 301, 25))
    assert chosen.score(X_val, y_val) >= last.score(X_val, y_val)


def test_equally_accurate_candidates_are_told_apart_by_hinge_loss():
    # two distant blobs: every candidate classifies every validation sample
    # right, so accuracy alone would keep the first one, the SVM at C
    blobs = dict(centers=[[-2.0, 0.0], [2.0, 0.0]], cluster_std=0.5)
    X, y = make_blobs(n_samples=200, random_state=0, **blobs)
    X_val, y_val = make_blobs(n_samples=100, random_state=1, **blobs)
    params = dict(gamma=0.5, corrected_svm=False, n_rounds=101, random_state=0)
    model = FloralSVC(**params).fit(X, y, X_val=X_val, y_val=y_val)

    def hinge(scores):
        return np.maximum(0.0, 1.0 - np.where(y_val == 1, 1.0, -1.0) * scores).mean()

    plain = [
        SVC(C=C, gamma=gamma).fit(X, y)
        for gamma in (0.5, 0.25, 1.0)
        for C in (1.0, 0.1, 10.0)
    ]
    assert all(svm.score(X_val, y_val) == 1.0 for svm in plain)
    assert model.score(X_val, y_val) == 1.0
    chosen = hinge(model.decision_function(X_val))
    assert chosen <= min(hinge(svm.decision_function(X_val)) for svm in plain) + 1e-6
    assert chosen < 0.75 * hinge(plain[0].decision_function(X_val))


def test_trusted_validation_searches_the_gamma_scales(moons):
    X, y = moons
    X_val, y_val = make_moons(n_samples=200, noise=0.2, random_state=1)
    params = dict(gamma=0.5, n_rounds=301, random_state=3)
    one = FloralSVC(gamma_scales=(1.0,), **params).fit(X, y, X_val=X_val, y_val=y_val)
    three = FloralSVC(**params).fit(X, y, X_val=X_val, y_val=y_val)
    assert one.selected_gamma_ == 0.5
    assert three.selected_gamma_ in {0.25, 0.5, 1.0}
    # the candidates at gamma are among those at the three gammas
    assert three.score(X_val, y_val) >= one.score(X_val, y_val)
    other = FloralSVC(gamma_scales=(4.0,), **params).fit(X, y, X_val=X_val, y_val=y_val)
    assert other.selected_gamma_ == 2.0
    np.testing.assert_array_equal(
        other.predict(X_val), other.decision_function(X_val) > 0
    )


def test_trusted_validation_considers_the_corrected_svm_on_one_sided_noise():
    gains = []
    for seed in range(4):
        X, y = make_moons(n_samples=1400, noise=0.2, random_state=seed)
        y_train = y[:400].copy()
        flipped = (y_train == 1) & (np.random.default_rng(seed).random(400) < 0.4)
        y_train[flipped] = 0  # 40% of the positives labelled negative
        val = dict(X_val=X[400:500], y_val=y[400:500])
        params = dict(n_rounds=201, random_state=0)
        floral = FloralSVC(**params).fit(X[:400], y_train, **val)
        without = FloralSVC(corrected_svm=False, **params).fit(X[:400], y_train, **val)
        X_val, y_val = val.values()
        assert floral.score(X_val, y_val) >= without.score(X_val, y_val)
        svc = SVC().fit(X[:400], y_train)
        gains.append(floral.score(X[500:], y[500:]) - svc.score(X[500:], y[500:]))
    assert np.mean(gains) > 0.05


def test_without_trusted_labels_the_corrected_svm_is_not_a_candidate(moons):
    X, y = moons
    y = y.copy()
    y[(y == 1) & (np.arange(len(y)) % 3 == 0)] = 0
    params = dict(n_rounds=101, random_state=0)
    with_it = FloralSVC(**params).fit(X, y)
    without = FloralSVC(corrected_svm=False, **params).fit(X, y)
    np.testing.assert_array_equal(
        with_it.decision_function(X), without.decision_function(X)
    )


def test_without_trusted_labels_gamma_is_not_searched(moons):
    X, y = moons
    model = FloralSVC(gamma=0.5, n_rounds=101, random_state=0).fit(X, y)
    assert model.selected_gamma_ == 0.5


def test_without_trusted_labels_the_choice_is_refitted_on_all_data(moons):
    X, y = moons
    model = FloralSVC(n_rounds=101, random_state=0).fit(X, y)
    assert np.all(model.adversarial_labels_[0] != 0)  # every sample in the model
    assert model.selected_round_[0] == 0  # clean labels: a plain SVM wins
    # one of the plain SVMs (C, C / 10, 10 C) fitted on all the data
    gaps = [
        np.abs(
            model.decision_function(X)
            - RobustSVC(noise_rates=None, C=C).fit(X, y).decision_function(X)
        ).max()
        for C in (1.0, 0.1, 10.0)
    ]
    assert min(gaps) < 2e-3


def test_held_out_labels_that_say_too_little_keep_the_plain_svm():
    """45% random flips: the held-out flip rates sum past 0.6, and the plain
    SVM at C, refitted on all the data, is kept whatever the candidates'
    held-out accuracies."""
    X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    flipped = np.random.default_rng(0).random(300) < 0.45
    noisy = np.where(flipped, 1 - y, y)
    model = FloralSVC(n_rounds=101, random_state=0).fit(X, noisy)
    assert model.selected_round_[0] == 0
    plain = RobustSVC(noise_rates=None).fit(X, noisy).decision_function(X)
    np.testing.assert_allclose(model.decision_function(X), plain, atol=2e-3)


@pytest.mark.parametrize(
    "fit_params, params, match",
    [
        ({"X_val": np.zeros((5, 2))}, {}, "both X_val and y_val"),
        (
            {"X_val": np.zeros((5, 2)), "y_val": np.zeros(5)},
            {"selection": "last"},
            "selection",
        ),
        ({"X_val": np.zeros((5, 3)), "y_val": np.zeros(5)}, {}, "columns"),
        ({"X_val": np.zeros((5, 2)), "y_val": np.full(5, 7)}, {}, "not in y"),
        ({}, {"validation_fraction": 1.0}, "validation_fraction"),
    ],
)
def test_bad_validation_input_is_named(moons, fit_params, params, match):
    X, y = moons
    with pytest.raises(ValueError, match=match):
        FloralSVC(n_rounds=11, **params).fit(X, y, **fit_params)


def test_validation_set_is_routed_through_a_pipeline(moons):
    from sklearn import config_context
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = moons
    X_val, y_val = make_moons(n_samples=100, noise=0.2, random_state=1)
    with config_context(enable_metadata_routing=True):
        floral = FloralSVC(n_rounds=101, random_state=0).set_fit_request(
            X_val=True, y_val=True
        )
        pipe = make_pipeline(StandardScaler(), floral)
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    assert np.all(pipe[-1].adversarial_labels_[0] != 0)  # nothing held out


def test_held_out_labels_the_scores_contradict_weigh_less():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=400) * 3.0
    positive = scores + rng.normal(size=400) > 0
    flipped = rng.random(400) < 0.25
    positive[flipped & ~positive] = True  # one-sided: negatives labelled positive
    right, rates = _label_posteriors(positive, scores)
    suspicious = positive & (scores < -2)
    assert right[suspicious].mean() < 0.5 < right[positive & (scores > 2)].mean()
    # a held-out share with one class carries no rates: every label counts fully
    right, rates = _label_posteriors(np.ones(5, bool), scores[:5])
    np.testing.assert_array_equal(right, 1)
    np.testing.assert_array_equal(rates, 0)


def test_neighbour_votes_leave_the_row_out_in_either_kernel_form():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    X[7] = X[3]  # a duplicate may not stand in for the row itself twice
    rows = np.array([0, 3, 7, 20, 59])
    found = _nearest_others(X, False, rows, k=5)
    distance = np.linalg.norm(X[rows, None] - X[None], axis=2)
    distance[np.arange(len(rows)), rows] = np.inf
    expected = np.sort(np.argsort(distance, axis=1)[:, :5], axis=1)
    np.testing.assert_array_equal(np.sort(found, axis=1), expected)
    # an RBF kernel's distance orders the neighbours as the Euclidean one
    gram = _nearest_others(rbf_kernel(X, gamma=0.3), True, rows, k=5)
    np.testing.assert_array_equal(np.sort(gram, axis=1), expected)


def test_neighbours_weigh_randomly_flipped_held_out_labels_less():
    X, y = make_moons(n_samples=600, noise=0.15, random_state=0)
    rng = np.random.default_rng(0)
    flipped = rng.random(600) < 0.2
    noisy = np.where(flipped, 1 - y, y)
    rows = np.arange(0, 600, 5)
    nearest = _nearest_others(X, False, rows)
    votes = _vote(noisy[nearest] == 1, np.ones(nearest.shape))
    right, _ = _label_posteriors(noisy[rows] == 1, votes)
    assert right[flipped[rows]].mean() + 0.3 < right[~flipped[rows]].mean()


def test_held_out_labels_as_given_is_the_unweighted_choice(moons):
    X, y = moons
    given = FloralSVC(n_rounds=101, holdout_labels="given", random_state=0).fit(X, y)
    weighted = FloralSVC(n_rounds=101, random_state=0).fit(X, y)
    # clean labels: both keep the plain SVM
    assert given.selected_round_[0] == weighted.selected_round_[0] == 0


def test_weightless_rows_neither_vote_nor_count_on_the_held_out_share():
    agrees = np.array([[True, True, False], [False, False, True], [True, False, False]])
    weight = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 1.0, 1.0]])
    np.testing.assert_allclose(_vote(agrees, weight), [-1 / 3, 0.0, 0.2])
    rng = np.random.default_rng(0)
    scores = rng.normal(size=300) * 3.0
    positive = scores + rng.normal(size=300) > 0
    positive[rng.random(300) < 0.2] ^= True
    weight = np.where(np.arange(300) < 100, 0.0, 1.0)
    relabelled = positive.copy()
    relabelled[:100] = rng.random(100) < 0.5
    right, rates = _label_posteriors(positive, scores, weight)
    right_relabelled, rates_relabelled = _label_posteriors(relabelled, scores, weight)
    _, rates_without = _label_posteriors(positive[100:], scores[100:])
    np.testing.assert_allclose(rates, rates_relabelled)
    np.testing.assert_allclose(right[100:], right_relabelled[100:])
    np.testing.assert_allclose(rates, rates_without, atol=1e-5)
    # one class among the rows that weigh: no rates to fit
    right, rates = _label_posteriors(positive, scores, np.where(positive, 1.0, 0.0))
    np.testing.assert_array_equal(rates, 0)


def test_a_weightless_held_out_share_keeps_the_plain_svm(moons):
    X, y = moons
    poisoned, _ = support_vector_flip_attack(X, y, 0.3, random_state=0)
    # the held-out rows FloralSVC(random_state=0) draws: its first seed
    seed = check_random_state(0).randint(np.iinfo(np.int32).max)
    _, held_out = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=poisoned, random_state=seed
    )
    counted = FloralSVC(n_rounds=101, random_state=0).fit(X, poisoned)
    assert counted.selected_round_[0] > 0  # the held-out labels choose an iterate
    weight = np.ones(len(y))
    weight[held_out] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = FloralSVC(n_rounds=101, random_state=0).fit(
            X, poisoned, sample_weight=weight
        )
    assert model.selected_round_[0] == 0
    assert not np.isin(held_out, model.support_).any()


def test_old_spelling_of_neighbors_warns_and_fits_the_same_model():
    X, y = make_moons(200, noise=0.2, random_state=0)
    new = FloralSVC(n_rounds=51, holdout_labels="neighbors", random_state=0).fit(X, y)
    with pytest.warns(FutureWarning, match='renamed "neighbors"'):
        old = FloralSVC(n_rounds=51, holdout_labels="neighbours", random_state=0)
        old.fit(X, y)
    np.testing.assert_array_equal(old.decision_function(X), new.decision_function(X))


def test_trusted_labels_reach_floral_through_a_pipeline():
    # X_val is routed to FloralSVC and transformed by the steps before it
    import sklearn
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_moons(300, noise=0.2, random_state=0)
    X = 100 * X + 5
    X_val, y_val = X[:50], y[:50]
    model = FloralSVC(n_rounds=51, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [("scale", StandardScaler()),
             ("floral", clone(model).set_fit_request(X_val=True, y_val=True))],
            transform_input=["X_val"],
        )  # fmt: skip
        pipe.fit(X[50:], y[50:], X_val=X_val, y_val=y_val)
        scaler = StandardScaler().fit(X[50:])
        direct = clone(model).fit(
            scaler.transform(X[50:]), y[50:],
            X_val=scaler.transform(X_val), y_val=y_val,
        )  # fmt: skip
    np.testing.assert_array_equal(
        pipe.decision_function(X), direct.decision_function(scaler.transform(X))
    )
