"""Loopy belief propagation over kNN edges and bag count factors, in threads."""

import numpy as np
from scipy.special import expit

from .._kernels.bag_bp import total_fields, update_bag_messages, update_edge_messages
from ..utils._threads import run_in_blocks


def _bag_blocks(bag_start, exact_limit, n_blocks):
    """Cut the bags into blocks of about equal work (quadratic in the size
    of an exactly counted bag, linear above)."""
    sizes = np.diff(bag_start).astype(float)
    # a saddle-point message sums about 20 counts per row, twice
    work = np.where(sizes <= exact_limit, sizes**2, sizes * 40.0)
    cumulative = np.concatenate([[0.0], np.cumsum(work)])
    cuts = np.searchsorted(cumulative, np.linspace(0, cumulative[-1], n_blocks + 1))
    cuts[0], cuts[-1] = 0, sizes.shape[0]
    return np.unique(cuts)


def belief_propagation(
    unary,
    edge_i,
    edge_j,
    edge_weight,
    bag_start,
    bag_rows,
    bag_target,
    bag_lambda,
    damping,
    n_iter,
    exact_limit,
    *,
    tol=0.0,
    pool=None,
    n_blocks=1,
):
    """Marginals ``P(y_i = 1)`` by damped loopy sum-product BP.

    ``unary`` (n,) log-odds fields; edges ``(edge_i[e], edge_j[e])`` with
    penalty weights ``edge_weight``; bag ``b`` holds rows
    ``bag_rows[bag_start[b]:bag_start[b + 1]]`` and should count
    ``bag_target[b]`` positives, with strength ``bag_lambda``. Stops after
    ``n_iter`` iterations or once no message moves by more than ``tol``.
    Blocks of edges and of bags run in the thread ``pool`` (if any); the
    result does not depend on it. Returns the marginals, the largest
    message change of the last iteration and the number of iterations.
    """
    n = unary.shape[0]
    to_i = np.zeros(edge_i.shape[0])
    to_j = np.zeros(edge_i.shape[0])
    from_bag = np.zeros(n)
    field = np.empty(n)
    edge_cuts = np.linspace(0, edge_i.shape[0], n_blocks + 1).astype(np.int64)
    bag_cuts = _bag_blocks(bag_start, exact_limit, n_blocks)

    def edges(a, b):
        return update_edge_messages(
            field,
            edge_i[a:b],
            edge_j[a:b],
            edge_weight[a:b],
            to_i[a:b],
            to_j[a:b],
            damping,
        )

    def bags(a, b):
        return update_bag_messages(
            field,
            from_bag,
            bag_start[a : b + 1],
            bag_rows,
            bag_target[a:b],
            bag_lambda,
            damping,
            exact_limit,
        )

    change = 0.0
    iterations = 0
    while iterations < n_iter:
        iterations += 1
        total_fields(unary, edge_i, edge_j, to_i, to_j, from_bag, field)
        # both kinds of messages read the same fields: one flooding step
        change = max(
            run_in_blocks(edges, edge_cuts, pool) + run_in_blocks(bags, bag_cuts, pool),
            default=0.0,
        )
        if change <= tol:
            break
    total_fields(unary, edge_i, edge_j, to_i, to_j, from_bag, field)
    return expit(field), change, iterations
