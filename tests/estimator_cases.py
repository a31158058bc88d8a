"""Every public estimator, with small data suited to it, for the tests that
run them all (persistence, compile cost)."""

from skrobust._warmup import METHODS, case_data
from skrobust.linear_model import RobustLossClassifier
from skrobust.utils.discovery import all_estimators

ESTIMATORS = dict(all_estimators())
NAMES = sorted(ESTIMATORS)
__all__ = ["ESTIMATORS", "METHODS", "NAMES", "case_data", "case_estimator"]


def case_estimator(name):
    cls = ESTIMATORS[name]
    params = {"random_state": 0} if "random_state" in cls().get_params() else {}
    if name == "ConformalClassifier":
        # a skrobust model inside, so that nested skrobust state is saved too
        params.update(estimator=RobustLossClassifier(random_state=0), alpha=0.2)
    return cls(**params)
