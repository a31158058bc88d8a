"""LLPBeliefPropagation: graph, pseudo-labels, instance quality, the sklearn idiom."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_score

from skrobust.llp import LLPBeliefPropagation, make_bag_scorer, make_bags
from skrobust.llp._graph import knn_edges


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        2400, 6, n_informative=4, weights=[0.75], class_sep=1.2, random_state=0
    )
    return X, y


def test_knn_edges_are_unique_undirected_pairs():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 4))
    edge_i, edge_j, distance = knn_edges(Z, 5)
    assert np.all(edge_i < edge_j)
    assert len({(a, b) for a, b in zip(edge_i, edge_j, strict=True)}) == len(edge_i)
    np.testing.assert_allclose(distance, np.linalg.norm(Z[edge_i] - Z[edge_j], axis=1))
    # every row reaches its 5 cosine neighbours: at least 5 edges touch it
    degree = np.bincount(np.concatenate([edge_i, edge_j]), minlength=200)
    assert degree.min() >= 5


def test_pseudo_labels_respect_bag_counts_and_rank_instances(data):
    X, y = data
    bags, proportions = make_bags(y[:1600], 8, random_state=0)
    truth = np.bincount(bags, weights=y[:1600])
    # without the similarity term each bag is one factor: exact marginals
    alone = LLPBeliefPropagation(n_rounds=1, em_steps=1, similarity_lambda=0.0)
    alone.fit(X[:1600], proportions, bags=bags)
    counts = np.bincount(bags, weights=alone.pseudo_labels_)
    np.testing.assert_allclose(counts, truth, atol=1e-3)
    # with it, neighbours may outweigh a unit of count, and the marginals
    # rank the rows: the bags' counts spread over the right rows
    clf = LLPBeliefPropagation(n_rounds=1, em_steps=1, similarity_lambda=1.0)
    clf.fit(X[:1600], proportions, bags=bags)
    counts = np.bincount(bags, weights=clf.pseudo_labels_)
    assert np.abs(counts - truth).max() <= 1.05
    assert abs(counts.sum() - truth.sum()) < 0.02 * truth.sum()
    assert roc_auc_score(y[:1600], clf.pseudo_labels_) > 0.95


@pytest.mark.parametrize("pseudo_labels", ["soft", "hard"])
def test_instance_auc_close_to_supervised(data, pseudo_labels):
    X, y = data
    bags, proportions = make_bags(y[:1600], 16, random_state=1)
    clf = LLPBeliefPropagation(pseudo_labels=pseudo_labels)
    clf.fit(X[:1600], proportions, bags=bags)
    supervised = LogisticRegression().fit(X[:1600], y[:1600])
    auc = roc_auc_score(y[1600:], clf.decision_function(X[1600:]))
    best = roc_auc_score(y[1600:], supervised.decision_function(X[1600:]))
    assert auc > best - 0.05
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_em_steps_spread_the_learner_where_the_graph_says_little():
    """Two Gaussians in 20 dimensions, bags of 8 cut along one feature: the
    neighbours say little beyond the bags, and one BP + learner step per
    round stays well below supervised; repeated steps on each graph (an EM)
    reach it."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    X = rng.normal(size=(3000, 20)) + (2 * y[:, None] - 1) * (2 / np.sqrt(20))
    bags, proportions = make_bags(y[:2000], 8, X=X[:2000], feature=0, random_state=0)
    supervised = LogisticRegression().fit(X[:2000], y[:2000])
    best = roc_auc_score(y[2000:], supervised.decision_function(X[2000:]))
    aucs = {}
    for steps in (1, 2):
        clf = LLPBeliefPropagation(em_steps=steps)
        clf.fit(X[:2000], proportions, bags=bags)
        aucs[steps] = roc_auc_score(y[2000:], clf.decision_function(X[2000:]))
    assert aucs[1] < best - 0.03
    assert aucs[2] > best - 0.02
    # without the learner's prior every step would repeat the first
    no_prior = LLPBeliefPropagation(prior=None, em_steps=1)
    no_prior.fit(X[:2000], proportions, bags=bags)
    repeated = LLPBeliefPropagation(prior=None, em_steps=3)
    repeated.fit(X[:2000], proportions, bags=bags)
    np.testing.assert_array_equal(no_prior.pseudo_labels_, repeated.pseudo_labels_)


def test_unsettled_belief_propagation_warns(data):
    """A similarity term far stronger than the counts freezes BP (its last
    message change stays large): the user is told, not given silent labels."""
    X, y = data
    bags, proportions = make_bags(y[:1600], 128, random_state=0)
    with pytest.warns(ConvergenceWarning, match="did not settle"):
        clf = LLPBeliefPropagation(n_rounds=1, similarity_lambda=50.0)
        clf.fit(X[:1600], proportions, bags=bags)
    assert clf.bp_residual_.max() > 0.1
    assert clf.bp_iterations_.tolist() == [clf.max_bp_iter] * 2
    settled = LLPBeliefPropagation(n_rounds=1, similarity_lambda=1.0)
    settled.fit(X[:1600], proportions, bags=bags)
    # every step reported, each stopped once settled
    assert settled.bp_residual_.shape == (2,)
    assert np.all(settled.bp_residual_ <= 1e-3)
    assert np.all(settled.bp_iterations_ < settled.max_bp_iter)


def test_without_bags_it_is_the_learner(data):
    X, y = data
    clf = LLPBeliefPropagation().fit(X, y)
    reference = LogisticRegression(max_iter=1000).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), reference.predict_proba(X))


def test_bags_route_through_cross_validation(data):
    X, y = data
    bags, proportions = make_bags(y, 32, random_state=2)
    with config_context(enable_metadata_routing=True):
        model = LLPBeliefPropagation(n_rounds=1).set_fit_request(bags=True)
        scores = cross_val_score(
            model,
            X,
            proportions,
            cv=GroupKFold(3),
            scoring=make_bag_scorer(),
            params={"bags": bags, "groups": bags},
        )
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_bad_input_gets_clear_errors(data):
    X, y = data
    bags, proportions = make_bags(y, 32, random_state=0)
    with pytest.raises(ValueError, match="'n_neighbors' parameter"):
        LLPBeliefPropagation(n_neighbors=0).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'em_steps' parameter"):
        LLPBeliefPropagation(em_steps=0).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'damping' parameter"):
        LLPBeliefPropagation(damping=1.0).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'bag_lambda' parameter"):
        LLPBeliefPropagation(bag_lambda=-1.0).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'pseudo_labels' parameter"):
        LLPBeliefPropagation(pseudo_labels="fuzzy").fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'prior' parameter"):
        LLPBeliefPropagation(prior="zero").fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'init' parameter"):
        LLPBeliefPropagation(init="zero").fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        LLPBeliefPropagation(n_jobs=0).fit(X, proportions, bags=bags)
    with pytest.raises(ValueError, match=r"proportions must lie in \[0, 1\]"):
        LLPBeliefPropagation().fit(X, proportions + 1, bags=bags)
    none_positive = np.zeros_like(proportions)
    with pytest.raises(ValueError, match="one class only"):
        LLPBeliefPropagation(pseudo_labels="hard").fit(X, none_positive, bags=bags)


def test_learner_prior_separates_rows_the_graph_cannot():
    """Bags of similar rows (sorted by one feature) of two overlapping
    Gaussians: neighbours share a bag, so BP alone has little to spread;
    starting round 2 from the learner's log-odds (an EM step) recovers much
    of the instance signal (0.822 -> 0.901 when written)."""
    rng = np.random.default_rng(0)
    y = rng.integers(2, size=3000)
    X = rng.normal(size=(3000, 20)) + np.where(y[:, None] == 1, 0.35, -0.35)
    bags, proportions = make_bags(y[:2000], 8, X=X[:2000], feature=0, random_state=0)
    auc = {}
    for prior in (None, "learner"):
        clf = LLPBeliefPropagation(prior=prior).fit(X[:2000], proportions, bags=bags)
        auc[prior] = roc_auc_score(y[2000:], clf.decision_function(X[2000:]))
    assert auc["learner"] > auc[None] + 0.05


def test_dllp_init_is_used_only_when_identified():
    """The first round starts from DLLP's log-odds when there are more bags
    than parameters of a linear model, and from zero otherwise."""
    rng = np.random.default_rng(0)
    y = rng.integers(2, size=3000)
    X = rng.normal(size=(3000, 20)) + np.where(y[:, None] == 1, 0.35, -0.35)
    bags, proportions = make_bags(y[:2000], 50, random_state=0)  # 40 bags
    auc = {}
    for init in (None, "dllp"):
        clf = LLPBeliefPropagation(init=init, n_rounds=1)
        clf.fit(X[:2000], proportions, bags=bags)
        assert clf.init_ == init
        auc[init] = roc_auc_score(y[2000:], clf.decision_function(X[2000:]))
    assert auc["dllp"] > auc[None]
    # 20 bags for 21 parameters: DLLP is not identified, the field is zero
    bags, proportions = make_bags(y[:2000], 100, random_state=0)
    few = LLPBeliefPropagation(init="dllp", n_rounds=1)
    with pytest.warns(UserWarning, match="starts from zero"):
        few.fit(X[:2000], proportions, bags=bags)
    zero = LLPBeliefPropagation(init=None, n_rounds=1)
    zero.fit(X[:2000], proportions, bags=bags)
    assert few.init_ is None
    np.testing.assert_allclose(few.pseudo_labels_, zero.pseudo_labels_)
