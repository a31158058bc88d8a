"""Kernel settings, kernel matrices and input checks, shared by the kernel SVMs.

``KernelSpec`` resolves a user's ``kernel``/``gamma``/``degree``/``coef0``
once per fit; it gives the tuple the Numba solver reads and the dense
kernel matrices used for scoring (through scikit-learn's pairwise kernels,
that is BLAS, in row blocks on ``n_jobs`` threads). ``KernelSVMMixin``
checks those parameters and the training and scoring data.
"""

import numbers
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.metrics.pairwise import (
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._kernels.kernel_rows import KERNEL_CODES
from ..utils._validation import (
    check_feature_scale,
    check_option,
    check_sample_weight,
    encode_classes,
)

# rows of a scoring block: bounds the block's kernel matrix to about
# _BLOCK_ROWS * n_support_vectors * 8 bytes
_BLOCK_ROWS = 2048
# entries of a block of the kernel matrix (32 MB): its temporaries stay small
_BLOCK_FLOATS = 2**22


def check_gamma(gamma):
    """Check the ``gamma`` parameter: "scale", "auto" or a positive float."""
    if isinstance(gamma, str):
        return check_option(gamma, "gamma", {"scale", "auto"})
    if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool):
        raise TypeError(f"gamma must be 'scale', 'auto' or a float, got {gamma!r}.")
    if not gamma > 0:
        raise ValueError(f"gamma must be positive, got {gamma!r}.")
    return gamma


def resolve_gamma(gamma, X, sample_weight=None):
    """The numeric ``gamma``: ``"scale"`` is ``1 / (n_features * X.var())``
    (1 for constant X) and ``"auto"`` is ``1 / n_features``, as in SVC.

    The variance of all entries of X weighs each row by its sample weight,
    so that a weight acts as repeating the row (SVC ignores the weights
    here; without weights the two agree).
    """
    if isinstance(check_gamma(gamma), str):
        if gamma == "auto":
            return 1.0 / X.shape[1]
        weight = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        total = weight.sum() * X.shape[1]
        if sp.issparse(X):
            row_sums = np.asarray(X.sum(axis=1)).ravel()
            row_squares = np.asarray(X.multiply(X).sum(axis=1)).ravel()
        else:
            row_sums, row_squares = X.sum(axis=1), np.einsum("ij,ij->i", X, X)
        mean = weight @ row_sums / total
        variance = weight @ row_squares / total - mean**2
        return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
    return float(gamma)


# the kernel parameters of the kernel SVMs, for their _parameter_constraints
KERNEL_CONSTRAINTS = {
    "kernel": [StrOptions(set(KERNEL_CODES))],
    "degree": [Interval(Integral, 1, None, closed="left")],
    "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0, None, closed="neither")],
    "coef0": [Interval(Real, None, None, closed="neither")],
    "n_components": [Interval(Integral, 1, None, closed="left"), None],
}


class KernelSpec:
    """A kernel with its parameters resolved."""

    def __init__(self, kernel, gamma, degree, coef0):
        check_option(kernel, "kernel", set(KERNEL_CODES))
        self.kernel = kernel
        self.gamma = gamma
        self.degree = float(degree)
        self.coef0 = float(coef0)

    @property
    def precomputed(self):
        return self.kernel == "precomputed"

    def largest_diagonal(self, X, sqnorm):
        """The largest ``K(x, x)`` over the rows (``sqnorm`` their squared
        norms): with Cauchy-Schwarz, a bound on every kernel value."""
        if self.precomputed:
            return float(np.abs(np.diag(X)).max(initial=0.0))
        if self.kernel in ("rbf", "sigmoid"):
            return 1.0
        if self.kernel == "linear":
            return float(sqnorm.max(initial=0.0))
        return float(
            np.abs(self.gamma * sqnorm + self.coef0).max(initial=0.0) ** self.degree
        )

    def as_tuple(self):
        """``(kind, gamma, coef0, degree)`` for the Numba solver."""
        return (KERNEL_CODES[self.kernel], self.gamma, self.coef0, self.degree)

    def matrix(self, A, B):
        """``K(A, B)`` as a dense array (``A`` itself when precomputed),
        filled in row blocks: scikit-learn's kernels hold one or two
        temporaries of the full size (distances, then their exponential), an
        extra 800 MB for the 10,000 x 10,000 matrix of a FloralSVC game."""
        if self.precomputed:
            return np.asarray(A)
        out = np.empty((A.shape[0], B.shape[0]))
        step = max(1, _BLOCK_FLOATS // max(1, B.shape[0]))
        for start in range(0, A.shape[0], step):
            out[start : start + step] = self._block(A[start : start + step], B)
        return out

    def _block(self, A, B):
        if self.kernel == "linear":
            return linear_kernel(A, B, dense_output=True)
        if self.kernel == "rbf":
            return rbf_kernel(A, B, gamma=self.gamma)
        if self.kernel == "poly":
            return polynomial_kernel(
                A, B, degree=self.degree, gamma=self.gamma, coef0=self.coef0
            )
        return sigmoid_kernel(A, B, gamma=self.gamma, coef0=self.coef0)

    def scores(self, X, support_vectors, dual_coef, intercept, n_jobs):
        """``K(X, support_vectors) @ dual_coef.T + intercept`` in row blocks.

        For a precomputed kernel ``X`` holds the kernel values against the
        training samples and ``support_vectors`` their column indices.
        """
        n = X.shape[0]
        if dual_coef.shape[1] == 0:  # no support vector: the intercepts alone
            return np.tile(intercept, (n, 1))
        starts = range(0, n, _BLOCK_ROWS)

        def block(start):
            rows = X[start : start + _BLOCK_ROWS]
            if self.precomputed:
                K = np.asarray(rows)[:, support_vectors]
            else:
                K = self.matrix(rows, support_vectors)
            return K @ dual_coef.T + intercept

        if effective_n_jobs(n_jobs) == 1 or len(starts) == 1:
            blocks = [block(start) for start in starts]
        else:
            # nogil blocks: threads, also under an outer joblib backend
            blocks = Parallel(n_jobs=n_jobs, backend="threading")(
                delayed(block)(start) for start in starts
            )
        if not blocks:
            return np.empty((0, dual_coef.shape[0]))
        return np.vstack(blocks)


class KernelSVMMixin:
    """Checks shared by the estimators with ``kernel``, ``degree``, ``gamma``,
    ``coef0`` and ``n_components`` parameters."""

    def _kernel_spec(self):
        """The kernel (its gamma is set in fit), after the rule between
        parameters; each one alone is checked by ``KERNEL_CONSTRAINTS``."""
        if self.probability:
            name = type(self).__name__
            raise ValueError(
                f"{name} has no probability=True (scikit-learn 1.9 deprecated it "
                f"in SVC too): use CalibratedClassifierCV({name}(), ensemble=False) "
                "from sklearn.calibration for predict_proba."
            )
        spec = KernelSpec(self.kernel, 0.0, self.degree, self.coef0)
        if self.n_components is not None and spec.precomputed:
            raise ValueError("n_components needs the data, not kernel='precomputed'.")
        return spec

    def _validate_training_data(self, spec, X, y, sample_weight):
        """Validate and convert ``X``, ``y`` and the weights once; set
        ``classes_`` and the spec's gamma. Returns ``(X, y_encoded,
        sample_weight)``."""
        name = type(self).__name__
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=False if spec.precomputed else "csr",
            dtype=np.float64,
            order="C",
        )
        if spec.precomputed and X.shape[0] != X.shape[1]:
            raise ValueError(
                "with kernel='precomputed', X must be the square kernel matrix of "
                f"the training samples; got shape {X.shape}."
            )
        if not spec.precomputed:
            check_feature_scale(X, self)
        self.classes_, y_encoded = encode_classes(y, name)
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        if np.count_nonzero(np.bincount(y_encoded, weights=sample_weight) > 0) < 2:
            raise ValueError(
                f"{name} needs samples of at least 2 classes with positive "
                "sample_weight; all weighted samples belong to one class."
            )
        if not spec.precomputed:
            spec.gamma = resolve_gamma(self.gamma, X, sample_weight)
        self._spec = spec
        return X, y_encoded, sample_weight

    def _validate_scoring_data(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=False if self._spec.precomputed else "csr",
            dtype=np.float64,
            reset=False,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.kernel != "precomputed"
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags
