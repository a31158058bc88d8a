"""What an l2 perturbation of the input can do to a model's class scores.

A model "with a closed form" is one whose class probabilities are the
softmax of logits known as a function of the input: a linear model
(``z = X W' + b``; a binary model's logits are ``(0, f)``, the sigmoid) or a
binary RBF-kernel SVM. For them :func:`max_probabilities` bounds each
class's probability over the ball ``||x' - x||_2 <= epsilon`` with no Monte
Carlo, and the smoothing kernels move the logits in closed form.
"""

from collections import namedtuple

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.utils.extmath import softmax

from .._kernels import smoothing as kernels
from ..utils._threads import map_row_blocks

# logits = X @ W.T + b, W of shape (K, d)
LinearView = namedtuple("LinearView", "W b")
# f = sum_s c_s exp(-gamma ||x - s||^2) + b; logits (0, f)
RBFView = namedtuple("RBFView", "support_vectors dual_coef intercept gamma")
# rows of X per block of a bound or of a generic model's noisy copies
_BLOCK_FLOATS = 2**22


def model_view(model, X, proba):
    """The closed form of ``model``'s logits, or None: a ``LinearView`` or
    ``RBFView`` whose softmax reproduces ``proba``, the probabilities
    :func:`~skrobust.utils._proba.class_probabilities` gives on ``X`` (its
    columns in the order of ``model.classes_``)."""
    if isinstance(model, FrozenEstimator):
        model = model.estimator
    view = _linear_view(model) or _rbf_view(model)
    if view is None:
        return None
    logits = view_logits(view, X)
    if logits.shape != proba.shape or not np.allclose(
        softmax(logits), proba, rtol=1e-6, atol=1e-9
    ):
        return None
    return view


def _linear_view(model):
    coef = getattr(model, "coef_", None)
    intercept = getattr(model, "intercept_", None)
    if not isinstance(coef, np.ndarray) or coef.ndim != 2:
        return None
    intercept = np.broadcast_to(np.asarray(intercept, dtype=float), coef.shape[:1])
    coef = np.asarray(coef, dtype=float)
    if coef.shape[0] == 1:
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    return LinearView(np.ascontiguousarray(coef), np.array(intercept, dtype=float))


def _rbf_view(model):
    if getattr(model, "kernel", None) != "rbf":
        return None
    vectors = getattr(model, "support_vectors_", None)
    dual = np.asarray(getattr(model, "dual_coef_", np.empty((0, 0))))
    if not isinstance(vectors, np.ndarray) or dual.shape[0] != 1:
        return None
    gamma = getattr(model, "_gamma", None)  # scikit-learn's SVC
    if gamma is None:
        gamma = getattr(getattr(model, "_spec", None), "gamma", None)  # skrobust's
    if gamma is None:
        return None
    return RBFView(
        np.ascontiguousarray(vectors, dtype=float),
        np.ascontiguousarray(dual[0], dtype=float),
        float(np.asarray(model.intercept_)[0]),
        float(gamma),
    )


def view_logits(view, X):
    """Logits of the rows of ``X``, shape (n, K)."""
    if isinstance(view, LinearView):
        return X @ view.W.T + view.b
    f = _rbf_decision(view, *(2 * [_squared_distances(view, X)]))
    return np.column_stack([np.zeros(len(f)), f])


def _squared_distances(view, X):
    vectors = view.support_vectors
    squared = (
        (X**2).sum(axis=1)[:, None]
        - 2.0 * X @ vectors.T
        + (vectors**2).sum(axis=1)[None, :]
    )
    return np.maximum(squared, 0.0)


def _rbf_decision(view, positive_distance, negative_distance):
    """The SVM's decision with the positive terms' kernel at
    ``positive_distance`` and the negative terms' at ``negative_distance``."""
    c = view.dual_coef
    terms = np.where(
        c > 0,
        c * np.exp(-view.gamma * positive_distance),
        c * np.exp(-view.gamma * negative_distance),
    )
    return terms.sum(axis=1) + view.intercept


def max_probabilities(view, X, epsilon):
    """An upper bound on each class's probability over the ball of radius
    ``epsilon`` around each row, shape (n, K).

    Linear: the margin ``z_k - z_y`` of every rival ``k`` falls by at most
    ``epsilon ||w_k - w_y||``, so ``p_y <= 1 / sum_k exp(lowest margins)``
    (exact for two classes, where one margin is all). RBF: each kernel term's
    distance lies in ``[max(0, d - epsilon), d + epsilon]``; the positive
    terms at one end and the negative ones at the other bound ``f`` from
    above and below; a third-order Taylor bound around ``x``, which keeps the
    terms' cancellations, often does better, and the tighter of the two is
    taken (cost per row O(S d + d^3) for S support vectors).
    """
    n = X.shape[0]
    if isinstance(view, LinearView):
        W = view.W
        K = W.shape[0]
        gaps = np.linalg.norm(W[:, None, :] - W[None, :, :], axis=2)  # (k, y)
        out = np.empty((n, K))
        step = max(1, _BLOCK_FLOATS // (K * K))
        for start in range(0, n, step):
            Z = X[start : start + step] @ W.T + view.b
            margins = Z[:, :, None] - Z[:, None, :] - epsilon * gaps
            out[start : start + step] = 1.0 / np.exp(margins).sum(axis=1)
        return out
    out = np.empty((n, 2))
    # the Taylor bound holds each row's offsets to every support vector
    step = max(1, _BLOCK_FLOATS // max(1, view.support_vectors.size))
    for start in range(0, n, step):
        block = X[start : start + step]
        distance = np.sqrt(_squared_distances(view, block))
        near = np.maximum(distance - epsilon, 0.0)
        far = distance + epsilon
        down, up = _rbf_taylor_range(view, block, distance, near, far, epsilon)
        f = _rbf_decision(view, distance**2, distance**2)
        highest = np.minimum(_rbf_decision(view, near**2, far**2), f + up)
        lowest = np.maximum(_rbf_decision(view, far**2, near**2), f - down)
        out[start : start + step, 1] = 1.0 / (1.0 + np.exp(-highest))
        out[start : start + step, 0] = 1.0 / (1.0 + np.exp(lowest))
    return out


def _rbf_taylor_range(view, X, distance, near, far, epsilon):
    """How far down and up an RBF SVM's decision can move within
    ``epsilon``, by Taylor's theorem to third order: at most ``epsilon
    ||grad f(x)||`` by the gradient, ``epsilon^2 / 2`` times the Hessian's
    most negative (most positive) eigenvalue at ``x`` by the curvature, and
    ``epsilon^3 / 6 * T`` by the remainder, ``T`` bounding the third
    derivative over the ball. The derivatives at ``x`` keep the
    cancellations between terms of opposite sign that the per-term interval
    loses; ``T`` sums per-term bounds: the third derivative of
    ``exp(-g r^2)`` has norm at most ``exp(-g r^2) (8 g^3 r^3 + 12 g^2 r)``,
    largest on ``[near, far]`` at an end or at ``r^4 = 3 / (4 g^2)``."""
    g, c, vectors = view.gamma, view.dual_coef, view.support_vectors
    weights = c * np.exp(-g * distance**2)  # (n, S)
    total = weights.sum(axis=1)
    gradient = -2.0 * g * (total[:, None] * X - weights @ vectors)
    # H = 4 g^2 sum_s w_s (x - s)(x - s)' - 2 g sum_s w_s I
    offsets = X[:, None, :] - vectors[None]  # (n, S, d)
    hessian = 4 * g**2 * np.einsum("ns,nsi,nsj->nij", weights, offsets, offsets)
    eigenvalues = np.linalg.eigvalsh(hessian) - 2 * g * total[:, None]
    critical = np.clip((0.75 / g**2) ** 0.25, near, far)
    third = np.zeros_like(distance)
    for r in (near, far, critical):
        value = np.exp(-g * r**2) * (8 * g**3 * r**3 + 12 * g**2 * r)
        third = np.maximum(third, value)
    remainder = epsilon**3 / 6 * (np.abs(c) * third).sum(axis=1)
    slope = epsilon * np.linalg.norm(gradient, axis=1)
    down = slope - 0.5 * epsilon**2 * np.minimum(eigenvalues[:, 0], 0.0) + remainder
    up = slope + 0.5 * epsilon**2 * np.maximum(eigenvalues[:, -1], 0.0) + remainder
    return down, up


def smoothed_scores(view, X, noise, uniforms, code, ptt, n_threads):
    """Mean and variance over the draws ``noise`` (N, d) of the scores
    (code: LAC, or APS randomised by the draws' ``uniforms``) of a model
    with a closed form, shape (n, 2, K).
    ``ptt`` is ``(sorted holdout scores, temperature, bias)``, the sorted
    scores empty for no transform."""
    X = np.ascontiguousarray(X, dtype=float)
    if isinstance(view, LinearView):
        K = view.W.shape[0]
        shifts = np.ascontiguousarray(noise @ view.W.T)
        out = np.empty((X.shape[0], 2, K))
        map_row_blocks(
            kernels.smoothed_linear_scores,
            (np.ascontiguousarray(view_logits(view, X)),),
            (shifts, uniforms, code, *ptt),
            out,
            n_threads=n_threads,
        )
        return out
    out = np.empty((X.shape[0], 2, 2))
    args = (
        view.support_vectors,
        view.dual_coef,
        view.intercept,
        view.gamma,
        noise,
        np.ascontiguousarray(noise @ view.support_vectors.T),
        (noise**2).sum(axis=1),
        uniforms,
        code,
        *ptt,
    )
    map_row_blocks(kernels.smoothed_rbf_scores, (X,), args, out, n_threads=n_threads)
    return out
