"""Truncated Newton method for the L2-regularised squared-hinge linear SVM.

Minimises, with margins ``m_i = y_i (x_i . w)``::

    0.5 * ||w||^2 + sum_i a_i * max(0, 1 - m_i)^2 + b_i * max(0, 1 + m_i)^2

where ``a_i`` is the cost of sample i's own label and ``b_i`` that of the
opposite label (0 for an ordinary SVM), and the design has a constant last
column ``bias_scale`` (liblinear's intercept convention): the same problem as
:mod:`.dual_cd`. The loss is piecewise quadratic with the generalised Hessian
``I + X' diag(h) X``; each Newton direction comes from conjugate gradients
with Hessian-vector products (two passes over ``X``, BLAS or scipy.sparse)
and a Jacobi preconditioner, followed by a backtracking line search on the
exact objective (Keerthi & DeCoste, 2005; Lin, Weng & Keerthi, 2008).
"""

import numpy as np


def primal_newton_squared_hinge(X, y, cost, cost_flipped, bias_scale, tol, max_iter):
    """Return ``(w, n_iter)``; ``w`` has ``n_features + 1`` entries (intercept last).

    ``tol`` follows liblinear: stop when the gradient norm falls below
    ``tol * max(min(n_pos, n_neg), 1) / n`` times its norm at ``w = 0``.
    """
    n, d = X.shape
    w = np.zeros(d + 1)
    n_pos = np.count_nonzero(y > 0)
    eps = tol * max(min(n_pos, n - n_pos), 1) / n
    X_squared = X.multiply(X) if hasattr(X, "multiply") else X * X
    margin = np.zeros(n)
    g0_norm = None
    for n_iter in range(max_iter + 1):
        own = np.maximum(1.0 - margin, 0.0)
        flipped = np.maximum(1.0 + margin, 0.0)
        # derivative of the loss in the score x_i . w
        slope = 2.0 * y * (cost_flipped * flipped - cost * own)
        grad = w + _transpose_dot(X, slope, bias_scale)
        g_norm = np.linalg.norm(grad)
        if g0_norm is None:
            g0_norm = g_norm
        if g_norm <= eps * g0_norm or n_iter == max_iter:
            return w, n_iter
        curvature = 2.0 * (cost * (own > 0) + cost_flipped * (flipped > 0))
        preconditioner = 1.0 + _transpose_dot(X_squared, curvature, bias_scale**2)
        # forcing term: loose far from the optimum, tighter near it for
        # superlinear convergence (Eisenstat & Walker), but never tighter than
        # what brings the gradient under the stopping threshold
        forcing = min(0.1, max(np.sqrt(g_norm / g0_norm), 0.5 * eps * g0_norm / g_norm))
        step = _conjugate_gradient(
            X, curvature, bias_scale, grad, preconditioner, forcing
        )
        f_old = _objective(margin, cost, cost_flipped, w)
        step_margin = y * _dot(X, step, bias_scale)
        decrease = grad @ step
        t = 1.0
        while True:
            new_margin = margin + t * step_margin
            f_new = _objective(new_margin, cost, cost_flipped, w + t * step)
            if f_new <= f_old + 1e-4 * t * decrease or t < 1e-10:
                break
            t *= 0.5
        w = w + t * step
        margin = new_margin
    return w, max_iter


def _dot(X, w, bias_scale):
    return X @ w[:-1] + w[-1] * bias_scale


def _transpose_dot(X, u, bias_scale):
    out = np.empty(X.shape[1] + 1)
    out[:-1] = X.T @ u
    out[-1] = bias_scale * u.sum()
    return out


def _objective(margin, cost, cost_flipped, w):
    own = np.maximum(1.0 - margin, 0.0)
    flipped = np.maximum(1.0 + margin, 0.0)
    return 0.5 * (w @ w) + cost @ (own * own) + cost_flipped @ (flipped * flipped)


def _conjugate_gradient(X, curvature, bias_scale, grad, preconditioner, forcing):
    """Approximately solve ``H s = -grad`` to relative residual ``forcing``."""
    used = curvature > 0
    Xa, h = X[used], curvature[used]
    s = np.zeros_like(grad)
    r = -grad
    z = r / preconditioner
    p = z.copy()
    rz = r @ z
    target = forcing * np.linalg.norm(grad)
    for _ in range(2 * grad.shape[0]):
        if np.linalg.norm(r) <= target:
            break
        Hp = p + _transpose_dot(Xa, h * _dot(Xa, p, bias_scale), bias_scale)
        step = rz / (p @ Hp)
        s += step * p
        r -= step * Hp
        z = r / preconditioner
        rz, rz_old = r @ z, rz
        p = z + (rz / rz_old) * p
    return s
