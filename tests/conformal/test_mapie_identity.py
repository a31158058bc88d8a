"""The same sets as MAPIE 1.6 on the same probabilities (LAC, APS, top-k)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skrobust.conformal import ConformalClassifier

mapie = pytest.importorskip("mapie")
from mapie.classification import SplitConformalClassifier  # noqa: E402
from mapie.conformity_scores import APSConformityScore  # noqa: E402


class NonRandomAPS(APSConformityScore):
    """MAPIE's APS with the calibration scores it documents as non-randomised:
    the cumulative mass up to and including the true label."""

    def get_conformity_scores(self, y, y_pred, y_enc=None, **kwargs):
        scores, self.cutoff = self.get_true_label_cumsum_proba(y, y_pred, self.classes)
        return scores


def dirichlet_problem(n_classes, seed, n_cal=500, n_test=2000):
    rng = np.random.default_rng(seed)
    n = n_cal + n_test
    true = rng.integers(0, n_classes, n)
    proba = np.array([rng.dirichlet(1.0 + 4.0 * np.eye(n_classes)[t]) for t in true])
    return proba, true, n_cal


def both_sets(model, index, labels, n_cal, alphas, score, **options):
    cal, test = index[:n_cal], index[n_cal:]
    ours = ConformalClassifier(
        model,
        alpha=list(alphas),
        conformity_score=score,
        method="prefit",
        randomized=False,
        **options,
    ).fit(cal, labels[:n_cal])
    mapie_score = NonRandomAPS() if score == "aps" else score
    theirs = SplitConformalClassifier(
        model,
        confidence_level=[1 - a for a in alphas],
        conformity_score=mapie_score,
        prefit=True,
    ).conformalize(cal, labels[:n_cal])
    params = (
        {"include_last_label": options.get("include_last_label", True)}
        if score == "aps"
        else None
    )
    _, mapie_sets = theirs.predict_set(test, conformity_score_params=params)
    return ours.predict_set(test), mapie_sets


@pytest.mark.parametrize("n_classes", [3, 10])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "score, options",
    [
        ("lac", {}),
        ("top_k", {}),
        ("aps", {"include_last_label": True}),
        ("aps", {"include_last_label": False}),
    ],
)
def test_same_sets_as_mapie_on_dirichlet_probabilities(
    stored_model, n_classes, seed, score, options
):
    proba, labels, n_cal = dirichlet_problem(n_classes, seed)
    model, index = stored_model(proba)
    ours, theirs = both_sets(
        model, index, labels, n_cal, [0.05, 0.1, 0.2], score, **options
    )
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.fixture(scope="module")
def digits_proba():
    """Real probabilities: a logistic regression on digits, many near 0 and 1."""
    X, y = load_digits(return_X_y=True)
    X_fit, X_rest, y_fit, y_rest = train_test_split(X / 16, y, random_state=0)
    return LogisticRegression(max_iter=200).fit(X_fit, y_fit).predict_proba(
        X_rest
    ), y_rest


@pytest.mark.parametrize("score", ["lac", "top_k", "aps"])
def test_same_sets_as_mapie_on_a_fitted_model(stored_model, digits_proba, score):
    proba, y_rest = digits_proba
    model, index = stored_model(proba)
    ours, theirs = both_sets(model, index, y_rest, 200, [0.05, 0.1, 0.2], score)
    np.testing.assert_array_equal(ours, theirs)
