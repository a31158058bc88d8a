"""The plumbing shared by the meta-estimators that wrap ``estimator``."""

from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data


class WrappedEstimatorMixin:
    """The default model, the check of ``X`` after ``fit`` and the input
    tags of a meta-estimator whose model is ``self.estimator``; subclasses
    give ``_default_estimator``."""

    def _base(self):
        """``estimator``, or the default model when it is None (unfitted)."""
        return self._default_estimator() if self.estimator is None else self.estimator

    def _base_estimator(self):
        """``_base()``, refused unless it gives class scores (what the
        conformal classifiers build their sets from)."""
        estimator = self._base()
        if not (
            hasattr(estimator, "predict_proba")
            or hasattr(estimator, "decision_function")
        ):
            raise TypeError(
                f"{type(estimator).__name__} has neither predict_proba nor "
                f"decision_function: {type(self).__name__} needs class scores."
            )
        return estimator

    def _check_fitted_input(self, X):
        """``X`` checked against the fit (feature count and names); the
        wrapped model validates its values."""
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            ensure_all_finite=False,
            dtype=None,
            reset=False,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = get_tags(self._base())
        tags.input_tags.sparse = base.input_tags.sparse
        tags.input_tags.allow_nan = base.input_tags.allow_nan
        tags.input_tags.string = base.input_tags.string
        return tags
