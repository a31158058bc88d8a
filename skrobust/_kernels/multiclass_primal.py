"""The penalised multi-class linear objective, minimised by L-BFGS.

Minimises, over class weights ``W`` (``K x d``) and intercepts ``b``::

    (1 / S) * sum_i weights_i * loss(W x_i + b, y_i) + ||W||^2 / (2 C S)

with ``S = sum_i weights_i``: the objective of scikit-learn's
``LogisticRegression`` (intercept not penalised), scaled so that ``tol``
bounds the same gradient. Scores and gradients are two matrix products
(BLAS for dense ``X``, scipy.sparse for CSR); the per-sample losses are one
Numba pass (:mod:`.multiclass_losses`) on blocks of rows in threads.
"""

import numpy as np

from ..utils._threads import map_row_blocks
from .lbfgs import lbfgs
from .multiclass_losses import loss_gradient


def fit_multiclass_primal(X, y, weights, n_classes, loss, C, fit_intercept, tol,
                          max_iter, start):  # fmt: skip
    """Return ``(W, n_iter, converged, temps)``.

    ``W`` is ``(K, d + 1)``, intercepts last; ``temps`` the per-sample
    temperatures at ``W`` (see :func:`.multiclass_losses.loss_gradient`).
    ``loss`` is ``(code, margin, lam, alpha, tau)`` for
    :func:`.multiclass_losses.loss_gradient`; ``start`` a ``(K, d + 1)``
    starting point.
    """
    n, d = X.shape
    total = weights.sum()
    penalty = 1.0 / (C * total)
    scores = np.empty((n, n_classes))
    grad = np.empty((n, n_classes))
    temps = np.empty(n)

    def block_loss(scores, y, weights, temps, grad):
        return loss_gradient(scores, y, weights, *loss, grad, temps)

    evaluated_at = []

    def objective(x):
        evaluated_at[:] = [x]
        W = x.reshape(n_classes, d + 1)
        if hasattr(X, "indptr"):
            scores[:] = X @ W[:, :d].T
        else:
            np.matmul(X, W[:, :d].T, out=scores)  # no (n, K) temporaries
        scores[:] += W[:, d]
        value = sum(map_row_blocks(block_loss, (scores, y, weights, temps), (), grad))
        gradient = np.empty_like(W)
        gradient[:, :d] = (X.T @ grad).T if hasattr(X, "indptr") else grad.T @ X
        gradient[:, :d] /= total
        gradient[:, :d] += penalty * W[:, :d]
        gradient[:, d] = grad.sum(axis=0) / total if fit_intercept else 0.0
        coef = W[:, :d].ravel()
        return value / total + 0.5 * penalty * (coef @ coef), gradient.ravel()

    x, _, n_iter, converged = lbfgs(objective, start.ravel(), tol, max_iter)
    if evaluated_at[0] is not x:  # a failed line search ends elsewhere
        objective(x)
    return x.reshape(n_classes, d + 1), n_iter, converged, temps
