"""Find every public estimator of skrobust (the registry the common tests use)."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator


def all_estimators():
    """Return the public estimators of skrobust as sorted ``(name, class)`` pairs.

    A class counts when it subclasses :class:`sklearn.base.BaseEstimator`, is
    defined in skrobust and is exported from a public subpackage.

    Returns
    -------
    estimators : list of tuple (str, type)
        Sorted by name.

    Examples
    --------
    >>> from skrobust.utils.discovery import all_estimators
    >>> "RobustLinearSVC" in dict(all_estimators())
    True
    """
    import skrobust

    found = {}
    for module_info in pkgutil.walk_packages(skrobust.__path__, "skrobust."):
        if any(part.startswith("_") for part in module_info.name.split(".")):
            continue
        module = importlib.import_module(module_info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseEstimator)
                and obj.__module__.startswith("skrobust.")
                and not name.startswith("_")
            ):
                found[name] = obj
    return sorted(found.items())
