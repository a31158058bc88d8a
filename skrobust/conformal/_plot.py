"""Coverage against set size, the trade-off a conformal level buys."""

import numpy as np

from ._metrics import coverage_score, mean_set_size
from ._quantile import check_alpha


def plot_coverage_vs_set_size(
    y_true, sets, alpha, *, classes=None, label=None, ax=None
):
    """Plot coverage against mean set size, one point per level.

    Pass the sets of several levels (``ConformalClassifier(alpha=[...])``)
    to see what each point of coverage costs in set size. Dotted lines mark
    the targets ``1 - alpha``; a valid method's point at each level lies on
    or above its line (up to sampling error).

    Read more in the :ref:`User Guide <conformal>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    sets : ndarray of bool, shape (n_samples, n_classes, n_alphas)
        Prediction sets at each level (a 2-D array for one level).
    alpha : float or list of float
        The levels of the sets, in the order of their last axis.
    classes : array-like of shape (n_classes,), default=None
        The label of each column; ``0..n_classes-1`` if None.
    label : str, default=None
        Legend entry of the curve.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skrobust.conformal import (
    ...     ConformalClassifier, plot_coverage_vs_set_size)
    >>> X, y = load_iris(return_X_y=True)
    >>> alphas = [0.05, 0.1, 0.2, 0.3]
    >>> clf = ConformalClassifier(alpha=alphas, random_state=0).fit(X, y)
    >>> ax = plot_coverage_vs_set_size(y, clf.predict_set(X), alphas, label="LAC")
    >>> len(ax.lines)  # the curve and one target line per level
    5
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is optional
        raise ImportError(
            "plot_coverage_vs_set_size needs matplotlib: pip install matplotlib"
        ) from exc
    alphas = check_alpha(alpha)
    sets = np.asarray(sets)
    if sets.ndim == 2:
        sets = sets[:, :, None]
    if sets.ndim != 3 or sets.shape[2] != alphas.shape[0]:
        raise ValueError(
            f"sets must have one slice per level along the last axis: got shape "
            f"{sets.shape} for {alphas.shape[0]} levels."
        )
    levels = range(alphas.shape[0])
    coverage = [coverage_score(y_true, sets[:, :, a], classes=classes) for a in levels]
    size = [mean_set_size(sets[:, :, a]) for a in levels]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    (line,) = ax.plot(size, coverage, "o-", label=label)
    for a, s, c in zip(alphas, size, coverage, strict=True):
        ax.annotate(
            f"{1 - a:.2f}",
            (s, c),
            textcoords="offset points",
            xytext=(4, -10),
            fontsize=8,
            color=line.get_color(),
        )
    ax.set_xlabel("mean set size")
    ax.set_ylabel("coverage of the true label")
    for a in alphas:
        ax.axhline(1 - a, color="grey", linestyle=":", linewidth=0.8)
    if label is not None:
        ax.legend(loc="lower right")
    return ax
