"""Sphinx configuration of the skrobust documentation (builds offline)."""

import sys
from pathlib import Path

import skrobust
from skrobust.utils.discovery import all_estimators

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

project = "skrobust"
author = "skrobust developers"
copyright = "skrobust developers"
version = skrobust.__version__
release = skrobust.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "mathml",  # docs/_ext/mathml.py: formulas as MathML, no script from a CDN
]

# every cross-reference must resolve: a build with -W fails on a dead link
nitpicky = True
html_math_renderer = "mathml"

# -- intersphinx: inventories shipped in docs/inventories/ (the build is
# offline); regenerate them with docs/inventories/make_inventories.py
intersphinx_mapping = {
    name: (url, str(HERE / "inventories" / f"{name}.inv"))
    for name, url in {
        "sklearn": "https://scikit-learn.org/stable/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "joblib": "https://joblib.readthedocs.io/en/stable/",
        "skops": "https://skops.readthedocs.io/en/stable/",
        "python": "https://docs.python.org/3/",
    }.items()
}

# -- copy button: copy the code, not the >>> and ... prompts or the output
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True  # writes docs/generated/ (git-ignored)


def inherited_from_skrobust(cls):
    """Public methods a class inherits from skrobust's own bases (a mixin's
    ``predict``, a base's ``certified_flips``): documented on the class page,
    unlike those of scikit-learn's bases (see _templates/autosummary)."""
    return [
        method
        for method in sorted(dir(cls))
        if not method.startswith("_")
        and method not in vars(cls)
        and callable(getattr(cls, method))
        and next(c for c in cls.__mro__ if method in vars(c)).__module__.startswith(
            "skrobust"
        )
    ]


autosummary_context = {
    "inherited_from_skrobust": {
        f"{cls.__module__.split('._')[0]}.{name}": inherited_from_skrobust(cls)
        for name, cls in all_estimators()
    }
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- sphinx-gallery ----------------------------------------------------------
# Each example runs at build time, offline, on bundled or synthetic data.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",  # git-ignored
    "filename_pattern": r"/plot_",  # run every plot_*.py
    "download_all_examples": False,
    "remove_config_comments": True,
    # the timing pages load jQuery and DataTables from CDNs: keep the site offline
    "write_computation_times": False,
    # "Examples using X" mini-galleries on the API pages; links stay local
    "doc_module": ("skrobust",),
    "backreferences_dir": "generated/backreferences",
    # figures at twice the pixels for high-resolution screens
    "image_srcset": ["2x"],
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skrobust {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
# pages with no sub-pages: no left sidebar (it would be empty), so that the
# text takes the width
html_sidebars = {
    page: [] for page in ("index", "getting_started", "benchmarks", "changelog")
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
