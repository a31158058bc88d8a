"""numpydoc validation of the public API's docstrings.

Checked: a docstring exists (GL08), every parameter is documented (PR01)
and described (PR07), no unknown parameter is (PR02), every return value is
described (RT03), and every public class and function has an Examples
section (EX01; the examples run as doctests). Left to review, as
scikit-learn leaves them: See Also and extended summaries on every method,
the wording of summaries.
"""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

MODULES = [
    "svm",
    "linear_model",
    "poisoning",
    "noise",
    "cleaning",
    "conformal",
    "llp",
    "batch",
    "certified",
    "exceptions",
    "utils.discovery",
]
CHECKS = {"GL08", "PR01", "PR02", "PR07", "RT03"}


def _public_names():
    for module_name in MODULES:
        module = importlib.import_module(f"skrobust.{module_name}")
        names = getattr(module, "__all__", None)
        if names is None:  # a module of functions without __all__
            names = [
                n
                for n, f in inspect.getmembers(module, inspect.isfunction)
                if f.__module__ == module.__name__ and not n.startswith("_")
            ]
        for name in names:
            obj = getattr(module, name)
            full = f"skrobust.{module_name}.{name}"
            yield full, True
            if inspect.isclass(obj):
                # its own methods and those of skrobust's mixins
                for attribute in dir(obj):
                    value = inspect.getattr_static(obj, attribute)
                    if (
                        not attribute.startswith("_")
                        and callable(value)
                        and getattr(value, "__module__", "").startswith("skrobust")
                    ):
                        yield f"{full}.{attribute}", False


@pytest.mark.parametrize("name, top_level", list(_public_names()))
def test_docstring(name, top_level):
    errors = [
        f"{code}: {message}"
        for code, message in numpydoc_validate.validate(name)["errors"]
        if code in CHECKS or (code == "EX01" and top_level)
    ]
    assert not errors, "\n".join(errors)
