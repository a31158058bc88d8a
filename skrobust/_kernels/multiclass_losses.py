"""Multi-class losses of a score vector ``f`` and their gradients in ``f``.

Every loss is a function of the score differences; with
``z_k = margin * [k != y] + f_k - f_y``:

- cross-entropy: ``log sum_k exp(f_k) - f_y``;
- Crammer-Singer hinge: ``max_k z_k`` (a subgradient is returned);
- LDR-KL (Zhu, Ying & Yang, 2023): ``lam * log(mean_k exp(z_k / lam))``, the
  value of ``max_p <p, z> - lam * KL(p || uniform)``; gradient ``p* - e_y``
  with ``p* = softmax(z / lam)``;
- ALDR-KL: the same with the temperature chosen per sample,
  ``max_{lam} lam * log(mean_k exp(z_k / lam)) - a/2 (lam - lam0)^2`` with
  ``a = alpha * log(K) / lam0``; the maximiser lies in
  ``[lam0 (1 - 1/alpha), lam0]`` and the gradient is ``p*(lam*) - e_y``
  (envelope theorem);
- comp-sum (Mao, Mohri & Zhong, 2023): ``(p_y^(tau - 1) - 1) / (1 - tau)``
  with ``p = softmax(f)`` (``-log p_y`` at ``tau = 1``; GCE for tau in
  (1, 2)); gradient ``p_y^(tau - 1) (p - e_y)``.
"""

import numpy as np
from numba import njit

LOG_LOSS, CRAMMER_SINGER, LDR_KL, ALDR_KL, COMP_SUM = 0, 1, 2, 3, 4
# Taylor coefficients of exp, multiplied rather than divided by in the kernel
EXP_C3, EXP_C4 = 1.0 / 6.0, 1.0 / 24.0


@njit(cache=True, nogil=True)
def loss_gradient(scores, y, weights, loss, margin, lam, alpha, tau, grad, temps):
    """Return ``sum_i weights[i] * loss_i``; write its gradient into ``grad``.

    ``scores`` and ``grad`` are ``(n, K)``; ``temps[i]`` receives the
    temperature sample i was scored at (LDR-KL, ALDR-KL; 1 otherwise). For
    ALDR-KL it is also read, as the starting guess of sample i's search
    (successive calls of an optimiser move the scores little).

    Serial and without the GIL: the caller runs it on blocks of rows in
    threads (:func:`skrobust.utils._threads.map_row_blocks`); a parallel
    Numba kernel compiled about twice as slowly.
    """
    n, K = scores.shape
    total = 0.0
    zs = np.empty(K)
    for i in range(n):
        f = scores[i]
        g = grad[i]
        yi = y[i]
        if loss == LOG_LOSS or loss == COMP_SUM:
            value = _softmax(f, 0.0, yi, 1.0, g)
            g[yi] -= 1.0
            if loss == COMP_SUM:
                value = _comp_sum(value, tau, g)
            temps[i] = 1.0
        elif loss == CRAMMER_SINGER:
            value = _hinge(f, margin, yi, g)
            temps[i] = 1.0
        elif loss == LDR_KL:
            value = lam * (_softmax(f, margin, yi, lam, g) - np.log(K))
            g[yi] -= 1.0
            temps[i] = lam
        else:
            t, value = _aldr_temperature(f, margin, yi, lam, alpha, temps[i], g, zs)
            temps[i] = t
            g[yi] -= 1.0
        w = weights[i]
        for k in range(K):
            g[k] *= w
        total += w * value
    return total


@njit(cache=True, nogil=True)
def _softmax(f, margin, y, t, p):
    """``p = softmax(z / t)``; return ``log sum_k exp(z_k / t)``."""
    K = f.shape[0]
    top = -np.inf
    for k in range(K):
        p[k] = (f[k] - f[y] + (margin if k != y else 0.0)) / t
        top = max(top, p[k])
    s = 0.0
    for k in range(K):
        p[k] = np.exp(p[k] - top)
        s += p[k]
    for k in range(K):
        p[k] /= s
    return top + np.log(s)


@njit(cache=True, nogil=True)
def _comp_sum(log_loss, tau, g):
    """Turn the cross-entropy ``-log p_y`` and its gradient into comp-sum's."""
    if tau == 1.0:
        return log_loss
    scale = np.exp((1.0 - tau) * log_loss)  # p_y ** (tau - 1)
    for k in range(g.shape[0]):
        g[k] *= scale
    # p_y ** (tau - 1) - 1 divided by 1 - tau, without cancellation
    return np.expm1((1.0 - tau) * log_loss) / (1.0 - tau)


@njit(cache=True, nogil=True)
def _hinge(f, margin, y, g):
    best, top = 0.0, y
    for k in range(f.shape[0]):
        g[k] = 0.0
        if k != y and margin + f[k] - f[y] > best:
            best, top = margin + f[k] - f[y], k
    g[top] += 1.0
    g[y] -= 1.0
    return best


@njit(cache=True, nogil=True)
def _aldr_temperature(f, margin, y, lam0, alpha, guess, p, zs):
    """The maximiser ``t`` over ``lam`` of the ALDR-KL objective of one sample.

    ``h'(lam) = -KL(p_lam || u) - a (lam - lam0)`` is >= 0 at the lower end
    of the bracket and <= 0 at ``lam0``; Halley steps on it from ``guess``
    (``lam0`` if outside; a Newton step where Halley's denominator is not
    positive), kept inside the shrinking bracket (bisection otherwise), find
    the root. Writes ``p = softmax(z / t)`` and returns ``(t, h(t))``;
    ``zs`` is scratch space for ``z``, of length ``K``.

    Each pass of exponentials gives ``h'``, ``h''`` and ``h'''``. Once the
    step ``d`` is at most ``1e-3 lam0`` the search ends at
    ``t + d`` without another pass of exponentials: ``p_k(t + d)`` is
    ``p_k(t) exp((z_k - E_p z) D)``, normalised, with ``D = 1 / (t + d) -
    1 / t``, and is taken there only if every exponent is at most 0.01 in
    size, where a degree-4 polynomial gives it to 1e-12. With the warm start
    a fit of ``benchmarks/multiclass_speed.py`` needs 1.5 passes a sample and
    evaluation on average (3.1 with plain Newton steps to 1e-10 lam0).
    """
    K = f.shape[0]
    a = alpha * np.log(K) / lam0
    lo, hi = lam0 * (1.0 - 1.0 / alpha), lam0
    t = guess if lo <= guess <= hi else hi
    top, low = -np.inf, np.inf
    fy = f[y]
    for k in range(K):
        zs[k] = f[k] - fy + margin
    zs[y] = 0.0
    for k in range(K):
        top, low = max(top, zs[k]), min(low, zs[k])
    for _ in range(60):
        # the first three moments of z under p = softmax(z / t), in one pass
        inv_t = 1.0 / t
        s = m1 = m2 = m3 = 0.0
        for k in range(K):
            z = zs[k]
            e = np.exp((z - top) * inv_t)
            p[k] = e
            s += e
            m1 += e * z
            m2 += e * z * z
            m3 += e * z * z * z
        m1, m2, m3 = m1 / s, m2 / s, m3 / s
        var = m2 - m1 * m1
        log_sum = top * inv_t + np.log(s)
        slope = -(m1 * inv_t - log_sum + np.log(K)) - a * (t - lam0)
        if slope > 0.0:
            lo = t
        elif slope < 0.0:
            hi = t
        h2 = var * inv_t**3 - a
        h3 = -((m3 - 3.0 * m1 * m2 + 2.0 * m1**3) * inv_t + 3.0 * var) * inv_t**4
        if slope == 0.0 or hi - lo <= 1e-10 * lam0:
            step = 0.0
        elif h2 < 0.0:
            halley = 2.0 * h2 * h2 - slope * h3
            step = -2.0 * slope * h2 / halley if halley > 0.0 else -slope / h2
        else:
            step = np.inf  # no Newton step: bisect
        if abs(step) <= 1e-3 * lam0 and lo <= t + step <= hi:  # lo > 0
            shift = 1.0 / (t + step) - inv_t
            if (top - low) * abs(shift) <= 1e-2:
                total = 0.0
                for k in range(K):
                    c = (zs[k] - m1) * shift
                    p[k] *= 1.0 + c * (1.0 + c * (0.5 + c * (EXP_C3 + c * EXP_C4)))
                    total += p[k]
                inv_total = 1.0 / total
                for k in range(K):
                    p[k] *= inv_total
                t += step
                log_sum += m1 * shift + np.log(total / s)
                return t, t * (log_sum - np.log(K)) - 0.5 * a * (t - lam0) ** 2
        t = t + step if lo < t + step < hi else 0.5 * (lo + hi)
    log_sum = _softmax(f, margin, y, t, p)
    return t, t * (log_sum - np.log(K)) - 0.5 * a * (t - lam0) ** 2
