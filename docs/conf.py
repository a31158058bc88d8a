"""Sphinx configuration of the skrobust documentation (builds offline)."""

import skrobust

project = "skrobust"
author = "skrobust developers"
copyright = "skrobust developers"
version = skrobust.__version__
release = skrobust.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True  # writes docs/generated/ (git-ignored)
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
    "reference_url": {"skrobust": None},
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skrobust {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
