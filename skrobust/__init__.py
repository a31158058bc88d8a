"""skrobust: scikit-learn estimators for noisy, weak and poisoned labels."""

__version__ = "0.1.0.dev0"
