"""Write the intersphinx inventories of scikit-learn, NumPy, SciPy, joblib and
skops into this folder, so that the documentation links to their pages
without the network.

Sphinx normally downloads each project's ``objects.inv``; the docs build
offline, so the inventories are written here from the installed packages
instead: every public class, function, exception and method, with the page
address each project's documentation gives it (the ``generated/`` page of
its autosummary; checked against the inventories of scikit-learn 1.2 and
SciPy 1.10 in Debian's ``python-sklearn-doc`` and ``python-scipy-doc``).
Rerun after upgrading one of them::

    python docs/inventories/make_inventories.py
"""

import importlib
import inspect
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).parent

# project: (package, modules, address of a public name, address of a module);
# NumPy and SciPy give each method a page of its own, the others an anchor
# on their class's page
OWN_METHOD_PAGES = {"numpy", "scipy"}
PROJECTS = {
    "sklearn": (
        "sklearn",
        None,  # every module in sklearn.__all__
        "modules/generated/{name}.html#{anchor}",
        "api/{module}.html#module-{module}",
    ),
    "numpy": (
        "numpy",
        ["numpy", "numpy.random", "numpy.linalg"],
        "reference/generated/{name}.html#{anchor}",
        "reference/index.html#module-{module}",
    ),
    "scipy": (
        "scipy",
        [
            "scipy.sparse",
            "scipy.stats",
            "scipy.optimize",
            "scipy.special",
            "scipy.linalg",
            "scipy.spatial.distance",
        ],
        "reference/generated/{name}.html#{anchor}",
        "reference/{short}.html#module-{module}",
    ),
    "joblib": (
        "joblib",
        ["joblib"],
        "generated/{name}.html#{anchor}",
        "index.html#module-{module}",
    ),
    # the few standard-library modules the docs name; one page per module
    "python": (
        "sys",
        ["pathlib", "pickle", "warnings", "concurrent.futures", "threading"],
        "library/{module}.html#{anchor}",
        "library/{module}.html#module-{module}",
    ),
    "skops": (
        "skops",
        ["skops.io", "skops.card", "skops.hub_utils"],
        "modules/classes.html#{anchor}",
        "modules/classes.html#module-{module}",
    ),
}


# documented modules of scikit-learn that sklearn.__all__ does not list
SKLEARN_MODULES_NOT_IN_ALL = [
    "sklearn.base",
    "sklearn.metrics.pairwise",
    "sklearn.utils",
    "sklearn.utils.validation",
]


def public_names(module):
    """``__all__`` and the public names the module defines itself (in it or
    in one of its private submodules), not those it imports."""
    own = {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and getattr(obj, "__module__", "").split("._")[0] == module.__name__
    }
    return sorted(own | set(getattr(module, "__all__", ())))


def entries(modules, address, module_address, own_method_pages):
    """``(name, role, uri)`` of every public object of ``modules``."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional part (skops.hub_utils needs the hub)
            continue
        short = module_name.split(".", 1)[-1].replace(".", "/")
        yield (
            module_name,
            "py:module",
            module_address.format(module=module_name, short=short),
        )

        def uri(page, anchor, module_name=module_name):
            return address.format(name=page, anchor=anchor, module=module_name)

        names = public_names(module)
        for name in names:
            try:
                obj = getattr(module, name, None)
            except ImportError:  # experimental, behind an enable_* import
                continue
            full = f"{module_name}.{name}"
            if inspect.isclass(obj):
                role = "py:exception" if issubclass(obj, BaseException) else "py:class"
                yield full, role, uri(full, full)
                for method, _ in inspect.getmembers(obj, inspect.isroutine):
                    if not method.startswith("_") and method in vars(obj):
                        anchor = f"{full}.{method}"
                        page = anchor if own_method_pages else full
                        yield anchor, "py:method", uri(page, anchor)
            elif inspect.isroutine(obj):
                # a function named as a class but for case (dbscan, DBSCAN)
                # gets a page of its own: the two would be one file on
                # case-insensitive disks
                clash = any(n != name and n.lower() == name.lower() for n in names)
                page = f"{name}-function" if clash else full
                yield full, "py:function", uri(page, full)
            elif callable(obj):  # an instance, as SciPy's distributions
                yield full, "py:data", uri(full, full)


def write_inventory(path, project, version, rows):
    """The Sphinx inventory format, version 2: a header, then zlib lines of
    ``name role priority uri display-name``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in sorted(rows))
    path.write_bytes(header.encode() + zlib.compress(lines.encode(), 9))


def main():
    for project, (package, modules, address, module_address) in PROJECTS.items():
        top = importlib.import_module(package)
        if modules is None:  # scikit-learn lists its modules in __all__
            modules = [f"{package}.{name}" for name in top.__all__]
            modules = [m for m in modules if _is_module(m) and "externals" not in m]
            modules += SKLEARN_MODULES_NOT_IN_ALL
        rows = list(
            entries(modules, address, module_address, project in OWN_METHOD_PAGES)
        )
        version = getattr(top, "__version__", None) or sys.version.split()[0]
        write_inventory(HERE / f"{project}.inv", project, version, rows)
        print(f"{project} {version}: {len(rows)} objects")


def _is_module(name):
    try:
        importlib.import_module(name)
    except ImportError:  # a function or class of the package, not a module
        return False
    return True


if __name__ == "__main__":
    main()
