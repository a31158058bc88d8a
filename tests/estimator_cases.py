"""Every public estimator, with small data suited to it, for the tests that
run them all (persistence, compile cost)."""

from sklearn.datasets import make_blobs, make_multilabel_classification

from skrobust.linear_model import RobustLossClassifier
from skrobust.llp import make_bags
from skrobust.utils.discovery import all_estimators

ESTIMATORS = dict(all_estimators())
NAMES = sorted(ESTIMATORS)
METHODS = (
    "predict",
    "predict_proba",
    "decision_function",
    "predict_set",
    "predict_pvalues",
    "region_sizes",
    "label_certainty",
)
LLP = {
    "DLLPClassifier",
    "EasyLLPClassifier",
    "InvCalClassifier",
    "LLPBeliefPropagation",
    "LLPClassifier",
}


def case_estimator(name):
    cls = ESTIMATORS[name]
    params = {"random_state": 0} if "random_state" in cls().get_params() else {}
    if name == "ConformalClassifier":
        # a skrobust model inside, so that nested skrobust state is saved too
        params.update(estimator=RobustLossClassifier(random_state=0), alpha=0.2)
    return cls(**params)


def case_data(name):
    """``(X_train, y_train, fit_params, X_test)`` suited to the estimator."""
    if name == "ConformalMultiLabelClassifier":
        X, Y = make_multilabel_classification(260, 5, n_classes=3, random_state=0)
        return X[:200], Y[:200], {}, X[200:]
    if name in LLP:
        X, y = make_blobs(180, 4, centers=2, cluster_std=2.5, random_state=0)
        bags, proportions = make_bags(y[:120], 8, random_state=0)
        return X[:120], proportions, {"bags": bags}, X[120:]
    X, y = make_blobs(180, 4, centers=3, cluster_std=2.0, random_state=0)
    return X[:120], y[:120], {}, X[120:]
