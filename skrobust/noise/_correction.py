"""Turn a user's ``noise_rates`` setting into label posteriors for training.

Shared by the SVM estimators: they compute out-of-sample scores with their own
solver and call :func:`correction_posteriors`; one-vs-rest problem ``k`` gets
its own binary flip rates and posteriors.
"""

import numbers

import numpy as np

from ._rates import check_rate_pair, clean_label_posterior, estimate_noise_rates
from ._simulate import _check_transition_matrix, symmetric_transition_matrix


def binary_transition_matrix(rho_neg, rho_pos):
    """The 2 x 2 transition matrix of the flip rates ``(rho_neg, rho_pos)``."""
    return np.array([[1 - rho_neg, rho_neg], [rho_pos, 1 - rho_pos]])


def check_noise_rates(noise_rates, n_classes, name="noise_rates"):
    """Validate the ``noise_rates`` parameter of an estimator (the SVMs and
    the conformal classifier share it); messages call it ``name``.

    Returns None, ``"auto"``, or the (n_classes, n_classes) transition matrix
    ``T[i, j] = P(noisy = j | true = i)`` that the setting describes.
    """
    if noise_rates is None or (isinstance(noise_rates, str) and noise_rates == "auto"):
        return noise_rates
    if isinstance(noise_rates, str):
        raise ValueError(
            f"{name} must be None, 'auto' or numbers, got {noise_rates!r}."
        )
    if isinstance(noise_rates, numbers.Real) and not isinstance(noise_rates, bool):
        limit = (n_classes - 1) / n_classes
        if not 0 <= noise_rates < limit:
            raise ValueError(
                f"a symmetric noise rate must lie in [0, {limit:g}) for {n_classes} "
                f"classes, got {noise_rates!r}."
            )
        return symmetric_transition_matrix(n_classes, noise_rates)
    try:
        values = np.asarray(noise_rates, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {noise_rates!r}.") from exc
    if values.ndim == 1:
        if n_classes != 2:
            raise ValueError(
                "a pair (rho_neg, rho_pos) of noise rates needs binary labels; with "
                f"{n_classes} classes pass a symmetric rate or a transition matrix."
            )
        return binary_transition_matrix(*check_rate_pair(values))
    return _check_transition_matrix(values, n_classes, name=name)


def ovr_noise_rates(transition, noisy_prior):
    """Binary flip rates of each one-vs-rest problem of a transition matrix.

    For class k, ``rho_pos = 1 - T[k, k]`` and ``rho_neg`` is the chance that a
    sample of another class is labelled k, averaged over the clean class
    prior, which solves ``T' prior = noisy_prior``. Two classes give one
    problem, with class 1 positive. Returns an array of shape (n_problems, 2).
    """
    n_classes = transition.shape[0]
    if n_classes == 2:
        rates = np.array([[transition[0, 1], transition[1, 0]]])
    else:
        prior = np.linalg.lstsq(transition.T, noisy_prior, rcond=None)[0]
        prior = np.clip(prior, 1e-12, None)
        prior /= prior.sum()
        rates = np.empty((n_classes, 2))
        for k in range(n_classes):
            others = np.arange(n_classes) != k
            rates[k, 0] = prior[others] @ transition[others, k] / prior[others].sum()
            rates[k, 1] = 1.0 - transition[k, k]
    return rates


def check_ovr_rates(rates):
    """Refuse one-vs-rest flip rates under which the labels carry no signal."""
    if np.any(rates.sum(axis=1) >= 1):
        raise ValueError(
            "the noise transition matrix flips some class more often than it keeps "
            "it (one-vs-rest flip rates sum to 1 or more); the labels carry no signal."
        )
    return rates


def correction_posteriors(y_encoded, oof_scores, rates, sample_weight):
    """Per-problem posteriors that each sample's label is right, and the rates.

    ``y_encoded`` holds class indices, ``oof_scores`` the out-of-sample scores of
    shape (n_samples, n_problems): one column for two classes (class 1
    positive), else one per class (one-vs-rest). ``rates`` of shape
    (n_problems, 2) are the flip rates to use, or None to estimate them from
    the scores; ``sample_weight`` weighs the samples in those fits. Returns
    ``(posteriors, rates)`` of shapes
    (n_problems, n_samples) and (n_problems, 2); ``posteriors[k, i]`` is the
    probability that sample i's binary label in problem k is the true one.
    """
    n_problems = oof_scores.shape[1]
    posteriors = np.empty((n_problems, len(y_encoded)))
    used = np.empty((n_problems, 2))
    for k in range(n_problems):
        positive = y_encoded == (1 if n_problems == 1 else k)
        if rates is None:
            used[k] = estimate_noise_rates(
                positive, oof_scores[:, k], sample_weight=sample_weight
            )
        else:
            used[k] = rates[k]
        posteriors[k] = clean_label_posterior(
            positive, oof_scores[:, k], used[k], sample_weight=sample_weight
        )
    return posteriors, used


def expected_accuracy(y_encoded, predicted, posteriors, sample_weight):
    """Expected weight of the correct predictions on the unseen clean labels.

    A prediction equal to the given label is right with that label's
    posterior; a different prediction ``k`` is right when problem ``k``'s
    negative label is wrong (for two classes, when the label is wrong).
    """
    n = len(y_encoded)
    same = predicted == y_encoded
    if posteriors.shape[0] == 1:
        own = other = posteriors[0]
    else:
        own = posteriors[y_encoded, np.arange(n)]
        other = posteriors[predicted, np.arange(n)]
    return sample_weight @ np.where(same, own, 1.0 - other)
