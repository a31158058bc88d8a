"""Warnings and errors specific to skrobust."""

__all__ = ["CalibrationSizeWarning", "InconsistentVersionWarning"]


class InconsistentVersionWarning(UserWarning):
    """Warning raised when a skrobust estimator is loaded under another version.

    Every fitted skrobust estimator records the skrobust version it was
    saved with (pickle, joblib or skops); loading it under a different
    version emits this warning, because the fitted attributes the new code
    reads may differ from those the old code stored. Refit the model, or load
    it under the version named in the message. scikit-learn's own
    :class:`sklearn.exceptions.InconsistentVersionWarning` still covers a
    scikit-learn version mismatch of the estimators a model wraps.

    Parameters
    ----------
    estimator_name : str
        Name of the estimator class.
    current_skrobust_version : str
        The skrobust version doing the loading.
    original_skrobust_version : str
        The skrobust version the estimator was saved with (``"unknown"`` for
        a state saved without one).

    Examples
    --------
    >>> import pickle, warnings
    >>> from skrobust.exceptions import InconsistentVersionWarning
    >>> from skrobust.svm import RobustLinearSVC
    >>> clf = RobustLinearSVC().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> state = clf.__getstate__()
    >>> state["_skrobust_version"] = "0.0.1"  # as if saved by skrobust 0.0.1
    >>> loaded = RobustLinearSVC.__new__(RobustLinearSVC)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     loaded.__setstate__(state)
    >>> warning = caught[0].message
    >>> isinstance(warning, InconsistentVersionWarning)
    True
    >>> warning.original_skrobust_version
    '0.0.1'
    """

    def __init__(
        self, estimator_name, current_skrobust_version, original_skrobust_version
    ):
        # the fields are the warning's args, so that it pickles (across
        # processes, for instance) like any other warning
        super().__init__(
            estimator_name, current_skrobust_version, original_skrobust_version
        )
        self.estimator_name = estimator_name
        self.current_skrobust_version = current_skrobust_version
        self.original_skrobust_version = original_skrobust_version

    def __str__(self):
        return (
            f"Loading {self.estimator_name} saved with skrobust "
            f"{self.original_skrobust_version} under skrobust "
            f"{self.current_skrobust_version}. Its fitted attributes may not "
            "match what this version expects, which can break the model or "
            "change its predictions; refit it, or load it under skrobust "
            f"{self.original_skrobust_version}."
        )


class CalibrationSizeWarning(UserWarning):
    """Warning that a calibration set is too small for the requested level.

    Split conformal prediction keeps a class when its score is at most the
    ``ceil((n + 1)(1 - alpha))``-th smallest of ``n`` calibration scores;
    when that rank exceeds ``n`` (``alpha < 1 / (n + 1)``, or the stricter
    needs of the PAC guarantee, poisoning or a noise correction) no finite
    threshold has the guarantee, and the conformal answer is the full label
    set: every p-value is at least ``1 / (n + 1)``. The sets then hold every
    class, and this warning names the calibration set, its size and the
    size the level needs.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from skrobust.conformal import ConformalClassifier
    >>> from skrobust.exceptions import CalibrationSizeWarning
    >>> X, y = load_iris(return_X_y=True)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     clf = ConformalClassifier(alpha=0.005, random_state=0).fit(X, y)
    >>> any(issubclass(w.category, CalibrationSizeWarning) for w in caught)
    True
    >>> bool(clf.predict_set(X[:3]).all())  # every class in every set
    True
    """
