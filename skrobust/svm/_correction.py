"""The label-noise correction shared by the linear and the kernel SVM.

Both estimators decompose the task into binary problems (one for two
classes, one per class otherwise, one-vs-rest) and correct each problem the
same way: out-of-fold scores give the flip rates and, per sample, the
posterior probability that its label is the true one; the final SVM then
charges a sample's own label ``C * posterior`` and the opposite label
``C * (1 - posterior)``. The estimators supply the solver and the scoring
(``_out_of_fold_scores``); this module supplies everything else.
"""

import numpy as np
from joblib import Parallel

from ..noise._confident import estimate_transition_matrix
from ..noise._correction import (
    binary_transition_matrix,
    check_ovr_rates,
    correction_posteriors,
    expected_accuracy,
    ovr_noise_rates,
)
from ..noise._rates import MAX_RATE
from ..utils._folds import stratified_folds
from ..utils._interrupt import run_interruptibly
from ..utils._proba import scores_to_proba

# The first scoring round of the noise correction fits C times each of these
# factors out of fold and keeps the most accurate on the noisy labels: a model
# trained on noisy labels ranks best when more regularised than the final one.
SCORER_C_FACTORS = (1.0, 0.1, 0.01)
# Posteriors from one round train a cleaner scorer for the next; three rounds
# were measured to help on text (benchmarks/linear_svm_noise.py).
SCORING_ROUNDS = 3


class TrainingSet:
    """The validated training data of one fit, shared by its many solves."""

    def __init__(self, X, y, sample_weight, class_weight, seed):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.class_weight = class_weight
        self.seed = seed
        n_classes = len(class_weight)
        self.positives = [1] if n_classes == 2 else list(range(n_classes))
        # weight of the claim "one of the other classes", by class frequency
        mass = np.bincount(y, weights=sample_weight, minlength=n_classes)
        other_mass = mass.sum() - mass
        self.rest_weight = np.divide(
            (mass * class_weight).sum() - mass * class_weight,
            other_mass,
            out=np.ones(n_classes),
            where=other_mass > 0,
        )

    def binary_problems(self, rows, posteriors, C):
        """Yield ``(y_signed, cost, cost_flipped)`` of each binary problem.

        ``rows`` selects samples (None for all). Without ``posteriors``,
        ``cost_flipped`` is 0: the plain SVM. With ``posteriors`` of shape
        (n_problems, len(rows)) each sample's loss is the expected loss over
        its true label: own label at ``C * posterior``, the opposite label at
        ``C * (1 - posterior)``, each times the weight of the class claimed.
        """
        y = self.y if rows is None else self.y[rows]
        weight = C * (self.sample_weight if rows is None else self.sample_weight[rows])
        for k, positive in enumerate(self.positives):
            y_signed = np.where(y == positive, 1.0, -1.0)
            cost = weight * self.class_weight[y]
            if posteriors is None:
                yield y_signed, cost, np.zeros_like(cost)
                continue
            claimed = np.where(
                y == positive, self.rest_weight[positive], self.class_weight[positive]
            )
            p = posteriors[k]
            yield y_signed, cost * p, weight * claimed * (1.0 - p)


class NoiseCorrectionMixin:
    """``_label_posteriors`` for an estimator with ``C``, ``cv``, ``n_jobs``,
    a ``_tasks(training, rows, posteriors, C)`` generator of delayed solver
    calls (one per binary problem) and a ``_score_fold(training, results,
    rows)`` method giving the decision values of ``rows`` from one fold's
    solver results."""

    def _run(self, tasks):
        """Run solver calls on ``n_jobs`` threads (the solvers release the GIL)."""
        # nogil solves: threads, also under an outer joblib backend (Dask
        # would otherwise ship every inner fold to the cluster as a task)
        parallel = Parallel(n_jobs=self.n_jobs, backend="threading")
        return run_interruptibly(parallel, tasks)

    def _label_posteriors(self, training, transition):
        """Posteriors of each sample's labels, and the flip rates behind them.

        Sets ``transition_matrix_``.
        """
        counts = np.bincount(training.y)
        if counts.min() < 2:
            raise ValueError(
                "the noise correction needs at least 2 samples of every class for "
                "its out-of-fold scores; pass noise_rates=None to fit a plain SVM."
            )
        noisy_prior = np.bincount(training.y, weights=training.sample_weight)
        noisy_prior /= noisy_prior.sum()
        rates = None
        if not isinstance(transition, str):
            rates = check_ovr_rates(ovr_noise_rates(transition, noisy_prior))
            self.transition_matrix_ = transition
        folds = self._folds(training)
        posteriors = None
        for _ in range(SCORING_ROUNDS):
            factors = SCORER_C_FACTORS if posteriors is None else (1.0,)
            scores = self._best_out_of_fold_scores(training, posteriors, folds, factors)
            if rates is None and len(training.positives) > 1:
                # one-vs-rest rates estimated one class at a time would assume
                # that every other class flips into it alike (wrong for pair
                # noise): estimate the whole matrix, then derive them
                # confident learning, on the scores' softmax as probabilities
                self.transition_matrix_, _ = estimate_transition_matrix(
                    training.y,
                    scores_to_proba(scores),
                    sample_weight=training.sample_weight,
                )
                rates = ovr_noise_rates(self.transition_matrix_, noisy_prior)
                rates = np.clip(rates, 0.0, MAX_RATE)
            posteriors, rates = correction_posteriors(
                training.y, scores, rates, training.sample_weight
            )
        if len(training.positives) == 1:
            self.transition_matrix_ = binary_transition_matrix(*rates[0])
        return posteriors, rates

    def _folds(self, training):
        splitter = stratified_folds(
            self.cv, training.y, training.seed, cap_by_class=True
        )
        return list(splitter.split(training.X, training.y))

    def _out_of_fold_scores(self, training, posteriors, folds, C):
        """Decision values of each sample from the models of the other folds."""
        n_problems = len(training.positives)
        # all folds and classes at once, so that n_jobs threads share them
        tasks = (
            task
            for train, _ in folds
            for task in self._tasks(
                training,
                train,
                None if posteriors is None else posteriors[:, train],
                C=C,
            )
        )
        results = self._run(tasks)
        scores = np.empty((len(training.y), n_problems))
        for f, (_, test) in enumerate(folds):
            fold = results[f * n_problems : (f + 1) * n_problems]
            scores[test] = self._score_fold(training, fold, test)
        return scores

    def _best_out_of_fold_scores(self, training, posteriors, folds, factors):
        """Out-of-fold decision values of the most accurate ``C * factor``.

        Accuracy is counted on the noisy labels, or in expectation over the
        true labels when ``posteriors`` are given, weighted by sample weight.
        """
        best, best_accuracy = None, -np.inf
        for factor in factors:
            scores = self._out_of_fold_scores(
                training, posteriors, folds, factor * self.C
            )
            if len(factors) == 1:
                return scores
            predicted = (scores[:, 0] > 0) if scores.shape[1] == 1 else scores.argmax(1)
            if posteriors is None:
                accuracy = training.sample_weight @ (predicted == training.y)
            else:
                accuracy = expected_accuracy(
                    training.y, predicted, posteriors, training.sample_weight
                )
            if accuracy > best_accuracy:
                best, best_accuracy = scores, accuracy
        return best
