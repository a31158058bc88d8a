"""PartitionAggregationClassifier: certificates against the published
formulas, against brute force, and its edge cases."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import KNeighborsClassifier

from skrobust.certified import (
    CertifiedKernelRidgeClassifier,
    CertifiedKNeighborsClassifier,
    CertifiedLabelSpreadingClassifier,
    CertifiedRidgeClassifier,
    PartitionAggregationClassifier,
    certified_accuracy,
)
from skrobust.certified._hash import row_hashes
from skrobust.certified._partition import certify_votes


def dpa_reference(predictions, n_classes):
    """DPA's certificate as published: floor((n_a - n_b - [b < a]) / 2), b
    the strongest rival counting the tie rule."""
    out = []
    for row in predictions:
        votes = np.bincount(row, minlength=n_classes)
        a = int(np.argmax(votes))
        out.append(
            min(
                (votes[a] - votes[c] - (c < a)) // 2 for c in range(n_classes) if c != a
            )
        )
    return np.array(out)


def fa_reference(predictions, n_classes, shifts):
    """Finite Aggregation's certificate, written as in its paper: per rival,
    the number of largest bucket closings the gap absorbs."""
    n_learners = predictions.shape[1]
    out = []
    for row in predictions:
        votes = np.bincount(row, minlength=n_classes)
        a = int(np.argmax(votes))
        best = None
        for c in range(n_classes):
            if c == a:
                continue
            gap = votes[a] - votes[c] - (c < a)
            closings = []
            for h in range(n_learners):
                learners = [(h + s) % n_learners for s in shifts]
                closings.append(
                    sum(1 + (row[l] == a) - (row[l] == c) for l in learners)
                )
            total, count = 0, 0
            for value in sorted(closings, reverse=True):
                if total + value > gap:
                    break
                total, count = total + value, count + 1
            best = count if best is None else min(best, count)
        out.append(best)
    return np.array(out)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_certificates_match_the_published_formulas(n_classes):
    rng = np.random.default_rng(n_classes)
    predictions = rng.integers(0, n_classes, size=(200, 12))
    # skew the votes so that certificates spread over their range
    predictions[:100, :7] = 0
    dpa = certify_votes(predictions, n_classes, np.array([0]))
    np.testing.assert_array_equal(dpa, dpa_reference(predictions, n_classes))
    shifts = np.array([0, 3, 7])
    fa = certify_votes(predictions, n_classes, shifts)
    np.testing.assert_array_equal(fa, fa_reference(predictions, n_classes, shifts))


def check_by_brute_force(model, X, y, X_test, n_classes):
    """Refit ``model`` under every flip set (any rows, to any other class) of
    up to one more than the largest certificate: assert that no prediction
    certified at r changes under r flips; return which rows some set of one
    flip more than their certificate changes."""
    prediction, flips = model.fit(X, y).predict(X_test), model.certified_flips(X_test)
    assert flips.max() >= 1  # the check is not vacuous
    changed = np.zeros(len(X_test), dtype=bool)
    for size in range(flips.max() + 2):
        for rows in itertools.combinations(range(len(y)), size):
            for new in itertools.product(range(n_classes), repeat=size):
                if any(y[i] == c for i, c in zip(rows, new, strict=True)):
                    continue
                flipped = y.copy()
                flipped[list(rows)] = new
                if len(np.unique(flipped)) < 2:
                    continue  # no classifier fits one class
                moved = clone(model).fit(X, flipped).predict(X_test) != prediction
                assert not np.any(moved & (flips >= size))
                changed |= moved & (flips == size - 1)
    return changed


def small_problem(n_samples, n_features, n_classes, seed, class_sep=1.0):
    X, y = make_classification(
        n_samples, n_features, n_informative=2, n_redundant=0, n_classes=n_classes,
        n_clusters_per_class=1, class_sep=class_sep, random_state=seed,
    )  # fmt: skip
    X_test = X[:6] + np.random.default_rng(seed).normal(scale=0.3, size=(6, n_features))
    return X, y, X_test


@pytest.mark.parametrize("n_shifts", [1, 2])
def test_partition_certificate_is_sound_by_brute_force(n_shifts):
    X, y, _ = small_problem(13, 2, 3, 4)
    X_test = np.array([[0.0, 0.0], [1.5, -1.0], [-2.0, 1.0], [2.0, 2.0]])
    model = PartitionAggregationClassifier(
        KNeighborsClassifier(1), n_partitions=3, n_shifts=n_shifts, random_state=0
    )
    check_by_brute_force(model, X, y, X_test, 3)


def test_partitions_follow_the_features_only():
    X, y = make_classification(300, 5, random_state=2)
    X[10] = X[3]
    hashes = row_hashes(X)
    assert hashes[10] == hashes[3]
    np.testing.assert_array_equal(row_hashes(sp.csr_matrix(X)), hashes)
    # flipping labels leaves every learner's rows in place: same predictions
    # where no flipped row fed the learner
    a = PartitionAggregationClassifier(n_partitions=10).fit(X, y)
    b = PartitionAggregationClassifier(n_partitions=10).fit(X, 1 - y)
    assert np.mean(a.predict(X) != b.predict(X)) > 0.9


def test_edge_cases_are_said():
    X, y = make_classification(40, 4, random_state=0)
    with pytest.raises(ValueError, match="50 buckets for 40 rows"):
        PartitionAggregationClassifier().fit(X, y)
    with pytest.raises(NotFittedError):
        PartitionAggregationClassifier().certified_flips(X)
    with pytest.raises(ValueError, match="at least 2 classes"):
        PartitionAggregationClassifier(n_partitions=2).fit(X, np.zeros(40))
    # the share of bucket 0 holds one class: its learner votes for it
    y_one = np.where(row_hashes(X) % np.uint64(4) == 0, 1, y)
    clf = PartitionAggregationClassifier(n_partitions=4).fit(X, y_one)
    assert clf.estimators_[0] == 1
    assert clf.certified_flips(X).shape == (40,)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_certificate_is_sound_and_exact_by_brute_force(weights):
    X, y, _ = small_problem(12, 2, 3, 7)
    # between the classes, where distance weights leave votes to flip
    X_test = np.array([[0.0, 0.0], [1.0, -1.0], [-1.5, 1.0], [2.0, 0.5], [-0.5, -2.0]])
    model = CertifiedKNeighborsClassifier(n_neighbors=5, weights=weights)
    changed = check_by_brute_force(model, X, y, X_test, 3)
    # uniform weights: the certificate is exact, one flip more can win
    if weights == "uniform":
        assert changed.all()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_ridge_certificate_is_sound_and_exact_by_brute_force(n_classes):
    X, y, X_test = small_problem(10, 3, n_classes, 5, class_sep=3.0)
    model = CertifiedRidgeClassifier(alpha=1.0).fit(X, y)
    # the scores are the linear smoother the certificate reads
    targets = np.where(y[:, None] == np.arange(n_classes), 1.0, -1.0)
    smoothed = model._label_weights(X_test).T @ (
        targets[:, 1] if n_classes == 2 else targets
    )
    np.testing.assert_allclose(smoothed, model.decision_function(X_test), atol=1e-10)
    assert check_by_brute_force(model, X, y, X_test, n_classes).all()  # exact


def test_ridge_certificate_is_refused_where_scores_are_not_linear_in_labels():
    X, y = make_classification(50, 3, n_informative=2, n_redundant=0, random_state=0)
    clf = CertifiedRidgeClassifier().fit(X, y, sample_weight=np.ones(50))
    with pytest.raises(ValueError, match="linear in the labels"):
        clf.certified_flips(X)


def test_certified_accuracy_counts_rows_right_and_certified():
    radii, accuracy = certified_accuracy([0, 1, 1, 0], [0, 1, 0, 0], [2, 0, 5, 1])
    np.testing.assert_array_equal(radii, np.arange(6))
    np.testing.assert_allclose(accuracy, [0.75, 0.5, 0.25, 0.0, 0.0, 0.0])
    _, at = certified_accuracy([0, 1], [0, 1], [4, 1], radii=[0, 2])
    np.testing.assert_allclose(at, [1.0, 0.5])
    with pytest.raises(ValueError, match="one entry per row"):
        certified_accuracy([0, 1], [0], [1, 1])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_kernel_ridge_certificate_is_sound_and_exact_by_brute_force(n_classes):
    X, y, X_test = small_problem(10, 2, n_classes, 8, class_sep=2.5)
    model = CertifiedKernelRidgeClassifier(alpha=0.5, gamma=0.05)
    assert check_by_brute_force(model, X, y, X_test, n_classes).all()  # exact


@pytest.mark.parametrize("kernel", ["knn", "rbf"])
def test_label_spreading_certificate_is_sound_and_exact_by_brute_force(kernel):
    X, y, X_test = small_problem(10, 2, 3, 8, class_sep=2.5)
    model = CertifiedLabelSpreadingClassifier(
        kernel, n_neighbors=3, gamma=0.5, alpha=0.5
    )
    assert check_by_brute_force(model, X, y, X_test, 3).all()  # exact


MODELS = {
    "knn": lambda: CertifiedKNeighborsClassifier(n_neighbors=3),
    "knn_distance": lambda: CertifiedKNeighborsClassifier(
        n_neighbors=4, weights="distance"
    ),
    "ridge": lambda: CertifiedRidgeClassifier(alpha=1.0),
    "kernel_ridge": lambda: CertifiedKernelRidgeClassifier(alpha=0.5, gamma=0.1),
    "spreading": lambda: CertifiedLabelSpreadingClassifier(
        "knn", n_neighbors=3, alpha=0.5
    ),
    "partition": lambda: PartitionAggregationClassifier(
        KNeighborsClassifier(1), n_partitions=3, n_shifts=2, random_state=0
    ),
}


@settings(max_examples=15, deadline=None)
@given(
    name=st.sampled_from(sorted(MODELS)),
    seed=st.integers(0, 2**31 - 1),
    n_classes=st.integers(2, 3),
    class_sep=st.floats(0.5, 3.0),
)
def test_certificates_never_exceed_brute_force_on_random_problems(
    name, seed, n_classes, class_sep
):
    X, y, X_test = small_problem(9, 2, n_classes, seed % 1000, class_sep=class_sep)
    model = MODELS[name]()
    flips = model.fit(X, y).certified_flips(X_test)
    assume(flips.max() >= 1)
    # asserts inside that no prediction certified at r changes under r flips;
    # exactness (its return value) is claimed only for some models above
    check_by_brute_force(model, X, y, X_test, n_classes)
