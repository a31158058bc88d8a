"""scikit-learn's parameter validation on every public estimator."""

import pytest
from sklearn.utils.estimator_checks import check_param_validation

from skrobust.utils.discovery import all_estimators

ESTIMATORS = dict(all_estimators())


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_parameters_are_validated_by_scikit_learn(name):
    estimator = ESTIMATORS[name]()
    # every __init__ parameter has a constraint
    assert set(estimator._parameter_constraints) == set(estimator.get_params())
    check_param_validation(name, estimator)
