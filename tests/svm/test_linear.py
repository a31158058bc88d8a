import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.svm import LinearSVC

from skrobust.noise import flip_labels, pair_transition_matrix, symmetric_noise
from skrobust.svm import RobustLinearSVC


def _primal_objective(X, y, coef, intercept, C, loss, sample_weight=None):
    """liblinear's primal: the intercept is regularised with the weights."""
    signed = np.where(y == np.unique(y)[1], 1.0, -1.0)
    slack = np.maximum(0.0, 1.0 - signed * (X @ coef + intercept))
    if loss == "squared_hinge":
        slack = slack**2
    weight = np.ones(len(y)) if sample_weight is None else sample_weight
    return 0.5 * (coef @ coef + intercept**2) + C * weight @ slack


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        n_samples=1500, n_features=20, n_informative=8, flip_y=0.05, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, random_state=0)


# the hinge loss has only the dual solver
@pytest.mark.parametrize(
    "loss, dual", [("hinge", True), ("squared_hinge", True), ("squared_hinge", False)]
)
@pytest.mark.parametrize("layout", ["dense64", "dense32", "csr"])
def test_plain_svm_matches_liblinear(binary_data, loss, dual, layout):
    X_train, X_test, y_train, _ = binary_data
    convert = {
        "dense64": lambda A: A,
        "dense32": lambda A: A.astype(np.float32),
        "csr": sp.csr_matrix,
    }[layout]
    params = dict(C=0.5, loss=loss, tol=1e-6, max_iter=20000)
    ours = RobustLinearSVC(noise_rates=None, dual=dual, random_state=0, **params)
    ours.fit(convert(X_train), y_train)
    ref = LinearSVC(dual=dual, random_state=0, **params).fit(X_train, y_train)

    agree = np.mean(ours.predict(convert(X_test)) == ref.predict(X_test))
    assert agree >= 0.995
    ours_obj = _primal_objective(
        X_train, y_train, ours.coef_.ravel(), ours.intercept_[0], 0.5, loss
    )
    ref_obj = _primal_objective(
        X_train, y_train, ref.coef_.ravel(), ref.intercept_[0], 0.5, loss
    )
    assert abs(ours_obj - ref_obj) <= 1e-3 * abs(ref_obj)


def test_plain_multiclass_matches_liblinear_ovr():
    X, y = make_classification(
        n_samples=1200, n_features=15, n_informative=10, n_classes=4, random_state=1
    )
    X = StandardScaler().fit_transform(X)
    ours = RobustLinearSVC(noise_rates=None, tol=1e-6, max_iter=10000).fit(X, y)
    ref = LinearSVC(tol=1e-6, max_iter=10000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape == (4, 15)
    assert np.mean(ours.predict(X) == ref.predict(X)) >= 0.995
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-3, atol=1e-4)


def test_no_intercept_matches_liblinear(binary_data):
    X_train, _, y_train, _ = binary_data
    ours = RobustLinearSVC(noise_rates=None, fit_intercept=False, tol=1e-6)
    ref = LinearSVC(fit_intercept=False, tol=1e-6, max_iter=10000)
    ours.fit(X_train, y_train)
    ref.fit(X_train, y_train)
    np.testing.assert_array_equal(ours.intercept_, [0.0])
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("dual", [True, False])
def test_integer_sample_weight_equals_repetition(binary_data, dual):
    X, _, y, _ = binary_data
    weight = np.random.default_rng(0).integers(0, 3, size=len(y))
    # the dual solver's tol bounds the objective's relative distance to its
    # minimum, which bounds the coefficients' distance by sqrt(2 tol P)
    params = dict(noise_rates=None, dual=dual, tol=1e-10, max_iter=50000)
    weighted = RobustLinearSVC(**params).fit(X, y, sample_weight=weight)
    repeated = RobustLinearSVC(**params).fit(
        np.repeat(X, weight, 0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
def test_binary_class_weight_matches_liblinear(binary_data, loss):
    X, _, y, _ = binary_data
    class_weight = {0: 3.0, 1: 0.5}
    params = dict(loss=loss, class_weight=class_weight, tol=1e-4, max_iter=100_000)
    ours = RobustLinearSVC(noise_rates=None, dual=True, **params).fit(X, y)
    ref = LinearSVC(dual=True, **params).fit(X, y)
    weight = np.where(y == 0, 3.0, 0.5)
    objectives = [
        _primal_objective(X, y, m.coef_.ravel(), m.intercept_[0], 1.0, loss, weight)
        for m in (ours, ref)
    ]
    assert objectives[0] == pytest.approx(objectives[1], rel=1e-3)
    assert np.mean(ours.predict(X) == ref.predict(X)) >= 0.995


def test_same_seed_gives_identical_model(binary_data):
    X, _, y, _ = binary_data
    y_noisy, _ = symmetric_noise(y, 0.2, random_state=0)
    params = dict(loss="hinge", tol=1e-2, random_state=3)
    a = RobustLinearSVC(**params).fit(X, y_noisy)
    b = RobustLinearSVC(**params).fit(X, y_noisy)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.noise_rates_, b.noise_rates_)


def test_convergence_warning():
    X, y = make_classification(n_samples=300, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        RobustLinearSVC(noise_rates=None, dual=True, max_iter=2, tol=1e-12).fit(X, y)


def _bag_of_words(n_samples, n_words=3000, words_per_doc=20, seed=0):
    """Short documents whose word frequencies differ between two classes.

    As with real text, there are more features than samples, so a plain SVM
    can fit every flipped label.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_samples)
    frequencies = rng.dirichlet(np.full(n_words, 0.1)) * np.exp(
        rng.normal(0.0, 0.6, size=(2, n_words))
    )
    frequencies /= frequencies.sum(axis=1, keepdims=True)
    words = np.concatenate(
        [rng.choice(n_words, words_per_doc, p=frequencies[c]) for c in y]
    )
    rows = np.repeat(np.arange(n_samples), words_per_doc)
    X = sp.csr_matrix((np.ones(len(words)), (rows, words)), shape=(n_samples, n_words))
    X.sum_duplicates()
    X.data = np.log1p(X.data)
    return normalize(X), y


@pytest.mark.parametrize("noise", ["symmetric", "asymmetric"])
def test_auto_correction_beats_plain_svm_on_noisy_text(noise):
    X, y = _bag_of_words(3000)
    X_train, X_test, y_train, y_test = X[:1500], X[1500:], y[:1500], y[1500:]
    transition = (
        [[0.7, 0.3], [0.3, 0.7]] if noise == "symmetric" else [[0.9, 0.1], [0.35, 0.65]]
    )
    y_noisy, _ = flip_labels(y_train, transition, random_state=0)
    # every model seeded: the plain one's shuffle alone moves the symmetric
    # case's share recovered between 0.750 and 0.753 (seeds 0-5)
    plain = RobustLinearSVC(noise_rates=None, random_state=0).fit(X_train, y_noisy)
    robust = RobustLinearSVC(random_state=0).fit(X_train, y_noisy)
    clean = RobustLinearSVC(noise_rates=None, random_state=0).fit(X_train, y_train)
    lost = clean.score(X_test, y_test) - plain.score(X_test, y_test)
    assert lost > 0.05
    recovered = robust.score(X_test, y_test) - plain.score(X_test, y_test)
    assert recovered >= 0.75 * lost


def test_known_rates_and_auto_estimates_are_close():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 20))
    y = (X[:, :5] @ rng.normal(size=5) + 0.3 * rng.normal(size=3000) > 0).astype(int)
    y_noisy, _ = symmetric_noise(y, 0.3, random_state=1)
    robust = RobustLinearSVC(random_state=0).fit(X, y_noisy)
    np.testing.assert_allclose(robust.noise_rates_, [[0.3, 0.3]], atol=0.06)
    known = RobustLinearSVC(noise_rates=0.3).fit(X, y_noisy)
    np.testing.assert_allclose(known.noise_rates_, [[0.3, 0.3]])


def test_noise_rate_forms_agree():
    X, y = make_classification(n_samples=400, random_state=0)
    as_float = RobustLinearSVC(noise_rates=0.2, random_state=0).fit(X, y)
    as_pair = RobustLinearSVC(noise_rates=(0.2, 0.2), random_state=0).fit(X, y)
    matrix = [[0.8, 0.2], [0.2, 0.8]]
    as_matrix = RobustLinearSVC(noise_rates=matrix, random_state=0).fit(X, y)
    np.testing.assert_allclose(as_float.coef_, as_pair.coef_)
    np.testing.assert_allclose(as_float.coef_, as_matrix.coef_)


def test_multiclass_transition_matrix_gives_ovr_rates():
    X, y = make_classification(
        n_samples=900, n_classes=3, n_informative=6, random_state=0
    )
    clf = RobustLinearSVC(noise_rates=0.3, random_state=0).fit(X, y)
    # each class keeps 70% of its labels and receives 15% of the others'
    np.testing.assert_allclose(clf.noise_rates_[:, 1], 0.3)
    np.testing.assert_allclose(clf.noise_rates_[:, 0], 0.15, atol=0.02)


def test_auto_on_clean_data_stays_close_to_plain(binary_data):
    X_train, X_test, y_train, y_test = binary_data
    plain = RobustLinearSVC(noise_rates=None).fit(X_train, y_train)
    robust = RobustLinearSVC(random_state=0).fit(X_train, y_train)
    assert robust.score(X_test, y_test) >= plain.score(X_test, y_test) - 0.01


def test_string_labels_dataframe_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(n_samples=300, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = pd.Series(np.where(y == 1, "spam", "ham"))
    clf = RobustLinearSVC(random_state=0).fit(frame, labels)
    np.testing.assert_array_equal(clf.classes_, ["ham", "spam"])
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert set(clf.predict(frame)) <= {"ham", "spam"}
    assert clf.score(frame, labels) > 0.8


def test_input_arrays_are_not_modified(binary_data):
    X, _, y, _ = binary_data
    X_copy, y_copy = X.copy(), y.copy()
    weight = np.ones(len(y))
    RobustLinearSVC(random_state=0).fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(weight, 1.0)


def test_pickle_round_trip_and_grid_search(binary_data):
    X_train, X_test, y_train, _ = binary_data
    pipe = make_pipeline(StandardScaler(), RobustLinearSVC(random_state=0))
    search = GridSearchCV(pipe, {"robustlinearsvc__C": [0.1, 1.0]}, cv=3).fit(
        X_train, y_train
    )
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(
        restored.decision_function(X_test),
        search.best_estimator_.decision_function(X_test),
    )


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), [0, 1], ValueError, "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), [0, 1], ValueError, "infinity"),
        (np.arange(4.0), [0, 1, 0, 1], ValueError, "2D array"),
        (np.ones((4, 2)), [0, 1, 0], ValueError, "inconsistent numbers of samples"),
        (np.ones((4, 2)), [1, 1, 1, 1], ValueError, "at least 2 classes"),
        (np.empty((0, 2)), [], ValueError, "0 sample"),
        (np.array([["a", "b"], ["c", "d"]]), [0, 1], ValueError, "convert"),
        (np.ones((4, 2)), [0.5, 1.5, 0.5, 2.5], ValueError, "Unknown label type"),
    ],
)
def test_bad_input_is_rejected(X, y, error, match):
    with pytest.raises(error, match=match):
        RobustLinearSVC().fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"noise_rates": (0.5, 0.1)}, ValueError, r"\[0, 0.5\)"),
        ({"noise_rates": (-0.1, 0.1)}, ValueError, r"\[0, 0.5\)"),
        ({"noise_rates": 0.6}, ValueError, "symmetric noise rate"),
        ({"noise_rates": "estimate"}, ValueError, "noise_rates"),
        ({"noise_rates": [[0.4, 0.6], [0.6, 0.4]]}, ValueError, "no signal"),
        ({"noise_rates": [[0.9, 0.2], [0.1, 0.9]]}, ValueError, "sum to 1"),
        ({"noise_rates": np.eye(3)}, ValueError, r"shape \(2, 2\)"),
        ({"C": 0}, ValueError, "'C' parameter of RobustLinearSVC"),
        ({"C": "1"}, TypeError, "'C' parameter of RobustLinearSVC"),
        ({"loss": "log"}, ValueError, "'loss' parameter"),
        ({"dual": False, "loss": "hinge"}, ValueError, "dual=False"),
        ({"cv": 1}, ValueError, "'cv' parameter"),
        ({"tol": -1.0}, ValueError, "'tol' parameter"),
        ({"max_iter": 0}, ValueError, "'max_iter' parameter"),
        ({"n_jobs": 1.5}, TypeError, "'n_jobs' parameter"),
    ],
)
def test_bad_parameters_are_rejected(params, error, match):
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(error, match=match):
        RobustLinearSVC(**params).fit(X, y)


def test_correction_needs_two_samples_per_class():
    X = np.arange(10.0).reshape(5, 2)
    y = [0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match="at least 2 samples of every class"):
        RobustLinearSVC().fit(X, y)
    RobustLinearSVC(noise_rates=None).fit(X, y)


def test_threads_give_the_same_multiclass_model():
    X, y = make_classification(
        n_samples=600, n_classes=4, n_informative=6, random_state=0
    )
    one = RobustLinearSVC(random_state=0, n_jobs=1).fit(X, y)
    two = RobustLinearSVC(random_state=0, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)


def test_sample_weight_is_routed_through_a_pipeline():
    X, y = make_classification(n_samples=300, random_state=0)
    weight = np.where(y == 1, 5.0, 1.0)
    with config_context(enable_metadata_routing=True):
        svc = RobustLinearSVC(noise_rates=None).set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = make_pipeline(scaler, svc).fit(X, y, sample_weight=weight)
    scaled = StandardScaler().fit_transform(X)
    direct = RobustLinearSVC(noise_rates=None).fit(scaled, y, sample_weight=weight)
    np.testing.assert_allclose(pipe[-1].coef_, direct.coef_)


def test_auto_estimates_a_pair_noise_transition_matrix():
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=10,
        n_classes=4,
        class_sep=2.0,
        random_state=0,
    )
    y_noisy, _ = flip_labels(y, pair_transition_matrix(4, 0.25), random_state=0)
    clf = RobustLinearSVC(random_state=0).fit(X, y_noisy)
    T = clf.transition_matrix_
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    assert np.all(np.diag(T) > 0.6)
    # in every row the largest off-diagonal entry is the class the pair flips to
    off_diagonal = T - np.diag(np.diag(T))
    np.testing.assert_array_equal(off_diagonal.argmax(axis=1), [1, 2, 3, 0])
    binary = RobustLinearSVC(noise_rates=(0.1, 0.2)).fit(X[y < 2], y[y < 2])
    np.testing.assert_allclose(binary.transition_matrix_, [[0.9, 0.1], [0.2, 0.8]])


def test_a_fully_shrunk_epoch_between_two_gap_checks_is_harmless():
    """Shrinking can leave no coordinate active, so two duality-gap checks
    may see the same amount of work; the extrapolation divided by zero."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 20)), rng.integers(0, 2, 40)
    for seed in (4, 8):  # seeds whose coordinate order hit the division
        model = RobustLinearSVC(
            noise_rates=None,
            loss="hinge",
            C=1e4,
            tol=1e-12,
            max_iter=10**6,
            random_state=seed,
        ).fit(X, y)
        assert np.all(np.isfinite(model.coef_))
