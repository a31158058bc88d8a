"""The skrobust version in a saved estimator's state, checked on loading."""

import warnings

from .. import __version__
from ..exceptions import InconsistentVersionWarning

_VERSION_KEY = "_skrobust_version"


class PickleVersionMixin:
    """Record the skrobust version when an estimator is saved; warn on loading
    it under another one.

    Goes just before :class:`sklearn.base.BaseEstimator` among the bases, so
    that scikit-learn's ``__getstate__``/``__setstate__`` still run (through
    ``super()``). pickle, joblib, :func:`copy.deepcopy` and skops all go
    through these two methods.
    """

    def __getstate__(self):
        state = super().__getstate__()
        return dict(state, **{_VERSION_KEY: __version__})

    def __setstate__(self, state):
        state = dict(state)
        saved_version = state.pop(_VERSION_KEY, "unknown")
        if saved_version != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_skrobust_version=__version__,
                    original_skrobust_version=saved_version,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
