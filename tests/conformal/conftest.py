"""A classifier stub that returns stored probabilities, so that conformal tests
control the scores exactly and time nothing but the conformal work."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator


class StoredProba(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are rows of a stored matrix,
    looked up by the index held in the single feature."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X=None, y=None):
        self.classes_ = np.arange(self.proba.shape[1])
        return self

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


@pytest.fixture
def stored_model():
    """``stored_model(proba)``: a fitted stub (frozen, so that clones stay
    fitted) and the row-index features."""

    def make(proba):
        model = FrozenEstimator(StoredProba(proba).fit())
        return model, np.arange(proba.shape[0])[:, None]

    return make
