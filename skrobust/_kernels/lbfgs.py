"""Limited-memory BFGS for smooth objectives given as ``fun(x) -> (f, g)``.

Nocedal & Wright (2006), algorithms 7.4 and 7.5: the two-loop recursion
with the initial scaling ``s'y / y'y``, and a backtracking line search
(safeguarded quadratic interpolation) on the Armijo condition. Pairs with
too little curvature are not stored, so the inverse-Hessian model stays
positive definite on the non-convex losses too. It stops when
``max |g| <= tol`` (the gradient rule of scipy's L-BFGS-B as scikit-learn's
``LogisticRegression`` sets it); unlike scipy it does not also stop when
``f`` stalls at round-off, so a tight ``tol`` is met or reported as not met.
"""

import numpy as np

FTOL = 64 * np.finfo(float).eps


def lbfgs(fun, x, tol, max_iter, memory=10):
    """Return ``(x, f, n_iter, converged)`` for the minimiser found from ``x``.

    ``converged`` is False when ``max_iter`` ran out or the line search failed
    (``tol`` below what round-off allows).
    """
    x = np.array(x, dtype=float)
    f, g = fun(x)
    steps, changes = [], []
    for n_iter in range(1, max_iter + 1):
        if np.max(np.abs(g)) <= tol:
            return x, f, n_iter - 1, True
        direction = -_two_loop(g, steps, changes)
        slope = g @ direction
        if slope >= 0:  # lost descent: restart from the gradient
            steps, changes = [], []
            direction, slope = -g, -(g @ g)
        t = 1.0 if steps else min(1.0, 1.0 / np.linalg.norm(g))
        while True:
            x_new = x + t * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * t * slope:
                break
            # near the optimum f changes by round-off only: accept a step that
            # keeps f within round-off and lowers the slope (Hager & Zhang's
            # approximate Wolfe condition), so the gradient can still reach tol
            flat = f_new <= f + FTOL * abs(f)
            if flat and abs(g_new @ direction) <= 0.9 * abs(slope):
                break
            if t < 1e-20:
                return x, f, n_iter, False
            # minimiser of the quadratic through f, slope and f_new
            t_quad = -slope * t * t / (2.0 * (f_new - f - slope * t))
            t = min(max(t_quad, 0.1 * t), 0.5 * t) if np.isfinite(f_new) else 0.1 * t
        s, change = x_new - x, g_new - g
        if s @ change > 1e-10 * (s @ s):
            steps.append(s)
            changes.append(change)
            if len(steps) > memory:
                steps.pop(0)
                changes.pop(0)
        x, f, g = x_new, f_new, g_new
    return x, f, max_iter, np.max(np.abs(g)) <= tol


def _two_loop(g, steps, changes):
    """The L-BFGS inverse-Hessian model applied to ``g``."""
    q = g.copy()
    rhos = [1.0 / (s @ c) for s, c in zip(steps, changes, strict=True)]
    coefs = []
    for s, c, rho in zip(
        reversed(steps), reversed(changes), reversed(rhos), strict=True
    ):
        a = rho * (s @ q)
        q -= a * c
        coefs.append(a)
    if steps:
        q *= (steps[-1] @ changes[-1]) / (changes[-1] @ changes[-1])
    for s, c, rho, a in zip(steps, changes, rhos, reversed(coefs), strict=True):
        q += (a - rho * (c @ q)) * s
    return q
