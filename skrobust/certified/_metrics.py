"""Certified accuracy: the share of rows both right and certified."""

import numpy as np
from sklearn.utils.validation import column_or_1d


def certified_accuracy(y_true, y_pred, flips, radii=None):
    """Share of rows predicted right and certified at each number of flips.

    Read more in the :ref:`User Guide <certified>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predictions (``predict``).
    flips : array-like of int of shape (n_samples,)
        Certificates (``certified_flips``).
    radii : array-like of int, default=None
        Numbers of flipped training labels to evaluate; 0 to the largest
        certificate if None.

    Returns
    -------
    radii : ndarray of int of shape (n_radii,)
        The numbers of flips.
    accuracy : ndarray of shape (n_radii,)
        At each, the share of rows whose prediction is right and certified
        against that many flips (at 0, the accuracy).

    Examples
    --------
    >>> from skrobust.certified import certified_accuracy
    >>> radii, accuracy = certified_accuracy([0, 1, 1], [0, 1, 0], [3, 1, 5])
    >>> radii.tolist(), accuracy.round(2).tolist()
    ([0, 1, 2, 3, 4, 5], [0.67, 0.67, 0.33, 0.33, 0.0, 0.0])
    """
    y_true, y_pred = column_or_1d(y_true), column_or_1d(y_pred)
    flips = column_or_1d(flips)
    if not (y_true.shape == y_pred.shape == flips.shape):
        raise ValueError(
            f"y_true, y_pred and flips must have one entry per row; got "
            f"{y_true.shape[0]}, {y_pred.shape[0]} and {flips.shape[0]}."
        )
    if np.any(flips < 0):
        raise ValueError("flips must be >= 0.")
    right = y_true == y_pred
    if radii is None:
        radii = np.arange(int(flips.max(initial=0)) + 1)
    radii = np.asarray(radii, dtype=np.int64)
    accuracy = np.array([np.mean(right & (flips >= r)) for r in radii])
    return radii, accuracy
