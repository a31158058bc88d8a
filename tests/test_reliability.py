"""Inputs that used to end in an internal error, a silent bad model or a long
hang: features whose squares overflow, dual boxes too large for float64,
``probability=True`` on the kernel SVMs."""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification

from skrobust.certified import (
    CertifiedKernelRidgeClassifier,
    CertifiedLabelSpreadingClassifier,
)
from skrobust.linear_model import RobustLossClassifier
from skrobust.llp import (
    DLLPClassifier,
    EasyLLPClassifier,
    InvCalClassifier,
    LLPBeliefPropagation,
    LLPClassifier,
    make_bags,
)
from skrobust.svm import FloralSVC, RobustLinearSVC, RobustSVC


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(96, 4, n_informative=3, n_redundant=0, random_state=0)
    return X, y


SUPERVISED = [
    RobustSVC(),
    FloralSVC(random_state=0),
    RobustLinearSVC(),
    RobustLossClassifier(),
    CertifiedKernelRidgeClassifier(),
    CertifiedLabelSpreadingClassifier(),
]
FROM_BAGS = [
    LLPBeliefPropagation(),
    InvCalClassifier(),
    DLLPClassifier(),
    EasyLLPClassifier(),
    LLPClassifier(),
]


@pytest.mark.parametrize("scale", [1e160, 1e200])
@pytest.mark.parametrize("estimator", SUPERVISED + FROM_BAGS, ids=type)
def test_features_whose_squares_overflow_are_named(data, estimator, scale):
    X, y = data
    X = X.copy()
    X[:, 2] *= scale
    fit = {}
    if estimator in FROM_BAGS:
        fit["bags"], y = make_bags(y, 8, random_state=0)
    name = type(estimator).__name__
    with pytest.raises(ValueError, match=rf"^{name}: column 2 of X .* scale your"):
        estimator.fit(X, y, **fit)


def test_float32_features_are_checked_at_float32_range(data):
    X, y = data
    with pytest.raises(ValueError, match="overflow float32"):
        RobustLinearSVC().fit((X * 1e25).astype(np.float32), y)
    RobustLinearSVC().fit((X * 1e5).astype(np.float32), y)  # fine


@pytest.mark.parametrize(
    "estimator", [RobustSVC(), FloralSVC(random_state=0)], ids=type
)
def test_an_ill_posed_dual_box_is_refused_at_once(data, estimator):
    """C * sample_weight of 1e20 on 96 rows ran the noise correction's solver
    to its step cap for two minutes; now it is an error before any solve."""
    X, y = data
    name = type(estimator).__name__
    too_large = rf"^{name}: C \* sample_weight reaches 1e\+20"
    with pytest.raises(ValueError, match=too_large):
        estimator.fit(X, y, sample_weight=np.full(len(y), 1e20))
    estimator.fit(X, y, sample_weight=np.full(len(y), 1e6))  # large, still posed


@pytest.mark.parametrize("estimator", [RobustSVC, FloralSVC])
def test_probability_true_points_to_calibration(data, estimator):
    X, y = data
    with pytest.raises(ValueError, match=r"CalibratedClassifierCV\(.*ensemble=False"):
        estimator(probability=True).fit(X, y)
    model = estimator(random_state=0)
    calibrated = CalibratedClassifierCV(model, ensemble=False).fit(X, y)
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Platt scaling keeps the model's accuracy (FloralSVC's varies with the
    # seed on these 96 rows: compare with the same model, not a constant)
    accuracy = np.mean(model.fit(X, y).predict(X) == y)
    assert np.mean(calibrated.predict(X) == y) >= accuracy - 0.05
