"""Invariants of conformal sets on random problems (hypothesis): a smaller
alpha never gives a smaller set, so coverage is monotone in alpha whatever
the score, the guarantee, the randomisation and the noise correction."""

import warnings

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skrobust.conformal import ConformalClassifier
from skrobust.conformal._scores import SCORES
from skrobust.exceptions import CalibrationSizeWarning


# the fixture is a factory with no state: sharing it across examples is safe
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_classes=st.integers(2, 7),
    concentration=st.sampled_from([0.2, 1.0, 5.0]),
    score=st.sampled_from(SCORES),
    mondrian=st.sampled_from([None, "class"]),
    guarantee=st.sampled_from(["marginal", "pac"]),
    randomized=st.sampled_from([True, False, "calibration"]),
    n_poisoned=st.integers(0, 3),
    noise_rate=st.sampled_from([None, 0.05, 0.2]),
    alphas=st.lists(st.floats(0.02, 0.6), min_size=2, max_size=4, unique=True),
)
def test_sets_are_nested_and_coverage_monotone_in_alpha(
    stored_model, seed, n_classes, concentration, score, mondrian, guarantee,
    randomized, n_poisoned, noise_rate, alphas,
):  # fmt: skip
    # refused with a ValueError, as documented
    assume(not (noise_rate and mondrian and n_poisoned))
    rng = np.random.default_rng(seed)
    n_cal, n_test = 150, 200
    proba = rng.dirichlet(np.full(n_classes, concentration), n_cal + n_test)
    # labels drawn from the probabilities, every class present in calibration
    labels = (proba.cumsum(axis=1) > rng.uniform(size=(len(proba), 1))).argmax(axis=1)
    labels[:n_classes] = np.arange(n_classes)
    model, index = stored_model(proba)
    alphas = sorted(alphas)
    clf = ConformalClassifier(
        model,
        alpha=alphas,
        conformity_score=score,
        method="prefit",
        mondrian=mondrian,
        guarantee=guarantee,
        randomized=randomized,
        n_poisoned=n_poisoned,
        noise_rates=noise_rate,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # small classes under Mondrian calibration may be told to be too
        # small for a level: their sets are then all classes, still nested
        warnings.simplefilter("ignore", CalibrationSizeWarning)
        clf.fit(index[:n_cal], labels[:n_cal])
    sets = clf.predict_set(index[n_cal:])
    assert sets.shape == (n_test, n_classes, len(alphas))
    assert np.all(sets[:, :, :-1] >= sets[:, :, 1:])  # nested
    covered = sets[np.arange(n_test), labels[n_cal:]].mean(axis=0)
    assert np.all(np.diff(covered) <= 0)
