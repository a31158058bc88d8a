"""The label-flip attacks: their contract, their budgets, their strength."""

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from skrobust.poisoning import (
    alfa_attack,
    greedy_flip_attack,
    random_flip_attack,
    support_vector_flip_attack,
)
from skrobust.poisoning._support_vector import top_support_vector_flips

ATTACKS = {
    "random": random_flip_attack,
    "alfa": alfa_attack,
    "greedy": lambda X, y, b, **kw: greedy_flip_attack(
        X, y, b, n_steps=3, n_candidates=15, **kw
    ),
    "support_vector": support_vector_flip_attack,
}


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=900, noise=0.2, random_state=0)
    return train_test_split(X, y, train_size=300, random_state=0)


@pytest.mark.parametrize("name", ATTACKS)
@pytest.mark.parametrize("budget, expected", [(0.1, 30), (0.05, 15), (7, 7), (0, 0)])
def test_budget_is_exact_and_input_untouched(moons, name, budget, expected):
    X, _, y, _ = moons
    labels = np.where(y == 1, "spam", "ham")
    before = labels.copy()
    poisoned, flipped = ATTACKS[name](X, labels, budget, random_state=0)
    np.testing.assert_array_equal(labels, before)
    assert poisoned is not labels
    np.testing.assert_array_equal(flipped, np.flatnonzero(poisoned != labels))
    assert len(flipped) == expected
    assert set(poisoned) <= {"spam", "ham"}


@pytest.mark.parametrize("name", ATTACKS)
def test_same_random_state_same_flips(moons, name):
    X, _, y, _ = moons
    first = ATTACKS[name](X, y, 0.1, random_state=4)[1]
    second = ATTACKS[name](X, y, 0.1, random_state=4)[1]
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    "attack", [alfa_attack, greedy_flip_attack, support_vector_flip_attack]
)
def test_attack_hurts_svc_more_than_random_flips(moons, attack):
    X_train, X_test, y_train, y_test = moons

    def accuracy(attack, seed):
        poisoned, _ = attack(X_train, y_train, 0.15, random_state=seed)
        return SVC().fit(X_train, poisoned).score(X_test, y_test)

    attacked = np.mean([accuracy(attack, seed) for seed in range(2)])
    random = np.mean([accuracy(random_flip_attack, seed) for seed in range(2)])
    assert attacked < random - 0.02


def test_random_flips_move_every_chosen_label_in_multiclass():
    y = np.repeat([0, 1, 2], 20)
    poisoned, flipped = random_flip_attack(None, y, 0.5, random_state=0)
    assert len(flipped) == 30
    assert np.all(poisoned[flipped] != y[flipped])


def test_support_vector_attack_flips_the_target_class_only(moons):
    X, _, y, _ = moons
    labels = np.where(y == 1, "spam", "ham")
    for target in ("spam", "ham"):
        _, flipped = support_vector_flip_attack(X, labels, 0.1, target=target)
        assert set(labels[flipped]) == {target}
    # FLORAL's own attacker draws from both classes
    _, flipped = support_vector_flip_attack(X, labels, 0.2, target=None, n_steps=1)
    assert set(labels[flipped]) == {"spam", "ham"}


def test_support_vector_attack_fills_the_budget_past_the_target_class():
    X, y = make_moons(n_samples=40, noise=0.2, random_state=0)
    y = (np.arange(40) < 4).astype(int)
    _, flipped = support_vector_flip_attack(X, y, 10, target=1, random_state=0)
    assert len(flipped) == 10
    assert set(np.flatnonzero(y == 1)) <= set(flipped)


def test_support_vector_attack_names_an_unknown_target(moons):
    X, _, y, _ = moons
    with pytest.raises(ValueError, match="target must be"):
        support_vector_flip_attack(X, y, 0.1, target=2)


def test_top_support_vector_pool():
    dual = np.array([0.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 0.5])
    rng = np.random.RandomState(0)
    for _ in range(20):
        chosen = top_support_vector_flips(dual, 2, rng)
        assert len(chosen) == 2 and set(chosen) <= {1, 2, 3, 4}
    # fewer support vectors than the budget: filled from the given order
    chosen = top_support_vector_flips(
        np.array([0.0, 1.0, 0.0]), 2, rng, fill=np.array([2, 0, 1])
    )
    assert sorted(chosen) == [1, 2]
    # ties at the bound go to the larger margin
    tied = np.array([1.0, 1.0, 1.0, 1.0])
    margin = np.array([0.9, -0.5, 0.5, -0.9])
    chosen = top_support_vector_flips(tied, 1, rng, margin=margin)
    assert chosen[0] in (0, 2)


@pytest.mark.parametrize(
    "budget, error, match",
    [
        (1.0, ValueError, r"\[0, 1\)"),
        (-0.1, ValueError, r"\[0, 1\)"),
        (301, ValueError, "300"),
        ("10%", TypeError, "budget"),
        (True, TypeError, "budget"),
    ],
)
def test_bad_budgets_are_named(moons, budget, error, match):
    X, _, y, _ = moons
    with pytest.raises(error, match=match):
        alfa_attack(X, y, budget)


@pytest.mark.parametrize("name", ATTACKS)
def test_one_class_is_rejected(moons, name):
    X, _, y, _ = moons
    with pytest.raises(ValueError, match="at least 2 classes"):
        ATTACKS[name](X, np.zeros_like(y), 0.1)


@pytest.mark.parametrize("name", ["alfa", "greedy", "support_vector"])
def test_binary_attacks_reject_three_classes(moons, name):
    X, _, y, _ = moons
    with pytest.raises(ValueError, match="binary"):
        ATTACKS[name](X, np.arange(len(y)) % 3, 0.1)


def test_mismatched_lengths_are_rejected(moons):
    X, _, y, _ = moons
    with pytest.raises(ValueError, match="inconsistent"):
        support_vector_flip_attack(X[:-1], y, 0.1)
