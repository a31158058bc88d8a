"""scikit-learn's estimator checks on every public skrobust estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skrobust.utils.discovery import all_estimators

# A reason a reviewer would accept for every check an estimator is expected to fail.
EXPECTED_FAILURES = {}


def _instances():
    for _, cls in all_estimators():
        yield cls(random_state=0) if "random_state" in cls().get_params() else cls()


@parametrize_with_checks(
    list(_instances()),
    expected_failed_checks=lambda est: EXPECTED_FAILURES.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
