"""Load a fitted model from a pickle, joblib or skops file."""

from pathlib import Path

import joblib
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._errors import ScoringError


def load_model(model, *, trusted=None):
    """Return a fitted model, loading it from a file when given a path.

    A ``.skops`` file is loaded with :func:`skops.io.load`, which builds only
    the types it is told to trust and runs no code from the file; any other
    file goes through :func:`joblib.load` (pickle and joblib files), which
    **can run any code the file holds**: load only pickles you made or
    trust, as with any pickle.

    Read more in the :ref:`User Guide <batch_scoring>`.

    Parameters
    ----------
    model : estimator, str or path-like
        A fitted estimator (returned as it is, after the checks) or the file
        holding one.
    trusted : None, True or list of str, default=None
        Types to trust in a ``.skops`` file beyond skops' own safe list.
        None trusts none: a file holding any other type (every skrobust and
        most scikit-learn estimators) is refused, with a message listing the
        types it holds. A list trusts those type names (as
        :func:`skops.io.get_untrusted_types` prints them). True trusts every
        type the file holds: only for files from a source you trust. Ignored
        for pickle and joblib files.

    Returns
    -------
    model : estimator
        The fitted model; it has ``predict``.

    Raises
    ------
    ScoringError
        When the file is missing, cannot be loaded (not a pickle, truncated,
        a class that no longer exists), holds untrusted skops types, or holds
        something that is not a fitted model.

    Examples
    --------
    >>> import os, tempfile, joblib
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skrobust.batch import load_model
    >>> X, y = load_iris(return_X_y=True)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.joblib")
    ...     _ = joblib.dump(LogisticRegression(max_iter=500).fit(X, y), path)
    ...     model = load_model(path)
    >>> model.predict(X[:3])
    array([0, 0, 0])
    """
    if isinstance(model, str | Path):
        model = _load_file(Path(model), trusted)
    if not hasattr(model, "predict"):
        raise ScoringError(
            f"the model is a {type(model).__name__}, which has no predict method."
        )
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise ScoringError(
            f"the model ({type(model).__name__}) is not fitted; fit it before "
            "saving or scoring."
        ) from exc
    except TypeError:  # not a scikit-learn estimator: trust its predict
        pass
    return model


def _load_file(path, trusted):
    if not path.exists():
        raise ScoringError(f"model file not found: {path}")
    if not path.is_file():
        raise ScoringError(f"model path {path} is not a file.")
    if path.suffix.lower() == ".skops":
        return _load_skops(path, trusted)
    try:
        return joblib.load(path)
    except Exception as exc:  # any failure to unpickle is the file's fault
        raise ScoringError(
            f"cannot load the model from {path} (not a pickle or joblib file of "
            f"a model, or made with other library versions): {_describe(exc)}"
        ) from exc


def _load_skops(path, trusted):
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ScoringError(
            f"{path} is a skops file and skops is not installed: pip install skops."
        ) from exc
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ScoringError(
            f"cannot read the skops file {path}: {_describe(exc)}"
        ) from exc
    if trusted is True:
        trusted = untrusted
    elif trusted is None:
        trusted = []
    refused = sorted(set(untrusted) - set(trusted))
    if refused:
        raise ScoringError(
            f"{path} holds types skops does not trust by default: "
            f"{', '.join(refused)}. Check them, then pass trusted=[...] "
            "(command line: --trust-skops-types) to load it."
        )
    try:
        return sio.load(path, trusted=list(trusted))
    except Exception as exc:
        raise ScoringError(
            f"cannot load the model from {path}: {_describe(exc)}"
        ) from exc


def _describe(exc):
    kind = type(exc)
    name = kind.__qualname__
    if name[:1].islower() and kind.__module__ != "builtins":  # zlib.error
        name = f"{kind.__module__}.{name}"
    text = str(exc).strip().splitlines()
    return f"{name}: {text[0]}" if text else name
