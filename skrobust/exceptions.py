"""Warnings and errors specific to skrobust."""

__all__ = ["InconsistentVersionWarning"]


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
