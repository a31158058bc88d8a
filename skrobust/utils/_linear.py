"""Scoring shared by the classifiers: labels from scores, linear scores."""

from sklearn.utils.validation import check_is_fitted, validate_data


class PredictFromScoresMixin:
    """``predict`` as the class of the largest ``decision_function`` score
    (for two classes, a 1-D score: ``classes_[1]`` when positive)."""

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples, as ``decision_function`` takes them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[scores.argmax(axis=1)]


class LinearScoresMixin(PredictFromScoresMixin):
    """``decision_function`` from ``coef_`` and ``intercept_`` (one row for
    two classes: the score of ``classes_[1]``), and ``predict`` from it."""

    def decision_function(self, X):
        """Linear scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` (positive predicts
            it); otherwise one column per class.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores
