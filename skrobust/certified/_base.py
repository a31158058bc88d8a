"""The ``certified_flips`` method every certified classifier shares."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

# test rows certified at once: bounds the (n_train, block) arrays of the
# smoother certificates
_BLOCK = 1024


class CertifiedFlipsMixin:
    """``certified_flips`` for a classifier whose ``_certify(X)`` computes it."""

    def certified_flips(self, X):
        """How many training labels may be flipped without changing ``predict``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        flips : ndarray of int of shape (n_samples,)
            For each row, the largest number of flipped training labels
            (any rows, any new classes) under which its prediction cannot
            change, whatever the models trained on them would predict.
        """
        check_is_fitted(self)
        return np.asarray(self._certify(X), dtype=np.int64)


def in_blocks(function, X):
    """``function`` of consecutive blocks of rows of ``X``, concatenated."""
    return np.concatenate(
        [function(X[start : start + _BLOCK]) for start in range(0, X.shape[0], _BLOCK)]
    )
