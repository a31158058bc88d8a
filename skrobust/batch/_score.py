"""score_frame and score_file: predictions, scores and conformal sets of a
fitted model for a DataFrame, or for a CSV or Parquet file chunk by chunk."""

import numbers
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..utils._threads import n_threads
from ._errors import ScoringError, import_pandas
from ._io import (
    AtomicOutput,
    CsvReader,
    check_data_path,
    check_output_path,
    open_reader,
)
from ._io import output_format as resolve_output_format
from ._model import load_model
from ._progress import Progress, progress_enabled


@dataclass(frozen=True)
class ScoringSummary:
    """What :func:`score_file` wrote.

    Parameters
    ----------
    rows : int
        Rows scored.
    chunks : int
        Chunks the file was read in.
    seconds : float
        Wall time, loading the model included.
    output : pathlib.Path
        The file written.
    format : {"csv", "parquet"}
        Its format.
    columns : tuple of str
        Its columns.

    Examples
    --------
    >>> from pathlib import Path
    >>> from skrobust.batch import ScoringSummary
    >>> summary = ScoringSummary(
    ...     10, 1, 0.5, Path("out.csv"), "csv", ("prediction",)
    ... )
    >>> summary.rows_per_second
    20.0
    """

    rows: int
    chunks: int
    seconds: float
    output: Path
    format: str
    columns: tuple

    @property
    def rows_per_second(self):
        """Throughput: ``rows / seconds``."""
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def score_frame(model, frame, *, columns="auto", scores=True):
    """Predictions, class scores and conformal sets of a model for a DataFrame.

    The function :func:`score_file` applies to each chunk, public so that
    other chunked engines can use it. With Dask, bind the model first
    (``map_partitions`` passes each partition as the first argument)::

        score = functools.partial(score_frame, model)
        scored = ddf.map_partitions(score, meta=score(ddf._meta))

    scores every partition on the workers; an empty frame, such as
    ``ddf._meta``, gives the empty output with its columns and dtypes.

    Read more in the :ref:`User Guide <batch_scoring>`.

    Parameters
    ----------
    model : fitted estimator
        Anything with ``predict``; a ``Pipeline`` too.
    frame : pandas.DataFrame
        The rows to score. With ``columns="auto"`` its columns must be the
        model's ``feature_names_in_`` (in any order; missing or extra
        columns raise :class:`ScoringError` naming them); for a model
        fitted without column names (on an array), all the columns in
        order, as many as ``n_features_in_``. Cells must be numbers (or
        missing, if the model accepts NaN).
    columns : "auto" or list of str, default="auto"
        The feature columns to take, ignoring the others (for instance an
        id column). For a model with ``feature_names_in_`` they must be
        those names; they are passed in the model's order.
    scores : bool, default=True
        Also the class scores and sets below; False gives the
        ``prediction`` column alone, for one model call per row instead of
        two or three.

    Returns
    -------
    scores : pandas.DataFrame
        With ``frame``'s index and the columns

        - ``prediction``: ``model.predict``;
        - ``proba_<class>`` (one per class in ``classes_``) for a model with
          ``predict_proba``; otherwise ``decision_function`` (two classes)
          or ``decision_<class>`` (one per class; ``decision_<i>_<j>`` per
          class pair for ``decision_function_shape="ovo"``) for a model
          with ``decision_function``;
        - ``set_<class>`` booleans for a model with ``predict_set``
          (:class:`skrobust.conformal.ConformalClassifier`, alone or last in
          a pipeline): True when the class is in the row's prediction set;
          ``set_<class>_<alpha>`` when ``alpha`` is a list.

    Raises
    ------
    ScoringError
        Columns that do not match the model's, a non-numeric cell (naming
        its column and index label), or rows the model refuses.

    See Also
    --------
    score_file : The same for a CSV or Parquet file, in parallel chunks.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.datasets import load_iris
    >>> from skrobust.batch import score_frame
    >>> from skrobust.conformal import ConformalClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = ConformalClassifier(alpha=0.1, random_state=0).fit(X, y)
    >>> scores = score_frame(model, X.iloc[[0, 50, 100]])
    >>> list(scores.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['prediction', 'proba_0', 'proba_1', 'proba_2',
     'set_0', 'set_1', 'set_2']
    >>> scores["prediction"].tolist()
    [0, 1, 2]
    """
    pd = import_pandas()
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    features = feature_columns(model, list(frame.columns), columns, "the frame")
    return _score_chunk(model, frame, features, "the frame", None, scores=scores)


def score_file(
    model,
    data,
    output,
    *,
    chunksize=100_000,
    n_jobs=None,
    progress="auto",
    columns="auto",
    scores=True,
    output_format=None,
    trusted=None,
):
    """Score a CSV or Parquet file in chunks, in parallel, into a new file.

    Reads ``chunksize`` rows at a time, scores the chunks in a pool of
    ``n_jobs`` threads with at most ``2 * n_jobs`` chunks in flight (so the
    memory used depends on ``chunksize`` and ``n_jobs``, not on the size of
    the file) and writes the results in the file's row order, with the
    columns of :func:`score_frame`. The output is written to a hidden
    temporary file in the output's folder and renamed to ``output`` only
    when complete: an error or an interrupt leaves no partial file (and an
    existing ``output`` as it was).

    Read more in the :ref:`User Guide <batch_scoring>`.

    Parameters
    ----------
    model : estimator, str or path-like
        A fitted model, or its file (see :func:`load_model`: pickle and
        joblib files can run code, load only those you trust; ``.skops``
        files are checked).
    data : str or path-like
        A comma-separated ``.csv`` file (or a compressed ``.csv.gz``,
        ``.csv.bz2``, ``.csv.zip``, ``.csv.xz``, ``.csv.zst``) whose first
        line names the columns, or a ``.parquet``/``.pq`` file (needs
        pyarrow). Its columns are matched to the model's as in
        :func:`score_frame`.
    output : str or path-like
        The file to write; its folder must exist. Overwritten if present.
    chunksize : int, default=100_000
        Rows per chunk.
    n_jobs : int, default=None
        Threads scoring chunks at once: None means 1, -1 all cores, -2 all
        but one, as in joblib (the command line's ``--n-jobs`` defaults to
        -1). The solvers' predict kernels, numpy and BLAS release the
        GIL; BLAS is limited to one thread per chunk while the pool runs.
    progress : "auto", True or False, default="auto"
        A progress line on stderr (rows, share of the file, rows/s); "auto"
        shows it only when stderr is a terminal, so logs stay quiet.
    columns : "auto" or list of str, default="auto"
        The feature columns to read, ignoring the others; see
        :func:`score_frame`.
    scores : bool, default=True
        Also write the class scores and conformal sets; False writes the
        ``prediction`` column alone (one model call per chunk).
    output_format : {"csv", "parquet"}, default=None
        Format of ``output``; None takes Parquet for a ``.parquet`` or
        ``.pq`` suffix and CSV otherwise.
    trusted : None, True or list of str, default=None
        Types to trust when ``model`` is a ``.skops`` file; see
        :func:`load_model`.

    Returns
    -------
    summary : ScoringSummary
        Rows, chunks, seconds, the output path, format and columns.

    Raises
    ------
    ScoringError
        A missing or unreadable model or data file, columns that do not
        match the model's (naming the missing and extra ones), a
        non-numeric cell (naming its column and row), a missing output
        folder, an unknown format, Parquet without pyarrow.

    See Also
    --------
    score_frame : The scores of one DataFrame.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> from sklearn.datasets import load_iris
    >>> from skrobust.batch import score_file
    >>> from skrobust.svm import RobustLinearSVC
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = RobustLinearSVC(noise_rates=None).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     data = os.path.join(folder, "iris.csv")
    ...     X.to_csv(data, index=False)
    ...     out = os.path.join(folder, "scores.csv")
    ...     summary = score_file(model, data, out, chunksize=40, progress=False)
    ...     scores = pd.read_csv(out)
    >>> summary.rows, summary.chunks
    (150, 4)
    >>> list(scores.columns)
    ['prediction', 'decision_0', 'decision_1', 'decision_2']
    >>> bool((scores["prediction"] == model.predict(X)).all())
    True
    """
    import_pandas()
    start = time.perf_counter()
    chunksize = _check_chunksize(chunksize)
    n_workers = n_threads(n_jobs)
    show = progress_enabled(progress)
    fmt = resolve_output_format(output, output_format)
    data = check_data_path(data)
    output = check_output_path(output, data)
    model = load_model(model, trusted=trusted)
    reader = open_reader(data, chunksize)
    source = str(data)
    features = feature_columns(model, reader.columns, columns, source)
    row_name = _file_row_name(source, reader)

    def score(chunk, first_row):
        scored = _score_chunk(
            model, chunk, features, source, row_name, first_row, scores=scores
        )
        return out.encode(scored, header=first_row == 0)

    bar = Progress(f"scoring {data.name}", show)
    rows = chunks = 0
    try:
        with AtomicOutput(output, fmt) as out:
            scored = _scored_chunks(reader.chunks(features), score, n_workers)
            try:
                with closing(scored):
                    for encoded in scored:
                        reader.confirm_fields(wait=False)  # a malformed row: raise now
                        out.write(encoded)
                        rows += encoded.rows
                        chunks += 1
                        bar.update(rows, _fraction(rows, reader))
            except ScoringError:
                reader.confirm_fields()  # a malformed row explains a bad value better
                raise
            reader.confirm_fields()
            if chunks == 0:  # a header and no rows: an empty file with the columns
                empty = import_pandas().DataFrame({c: [] for c in features})
                out.write(score(empty, 0))
            written = tuple(out.columns)
            out.commit()
    except BaseException:
        bar.abort()
        raise
    finally:
        reader.close()
    bar.update(rows, final=True)
    seconds = time.perf_counter() - start
    return ScoringSummary(rows, chunks, seconds, output, fmt, written)


def _fraction(rows, reader):
    if reader.total_rows:
        return rows / reader.total_rows
    return reader.fraction()


def feature_columns(model, names, columns, source):
    """The columns to pass to the model, in its order; raise a ScoringError
    naming the missing and extra columns when they do not match."""
    expected = getattr(model, "feature_names_in_", None)
    n_expected = getattr(model, "n_features_in_", None)
    if columns != "auto":
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise ValueError(
                f"columns must be 'auto' or a list of column names, got {columns!r}."
            )
        columns = list(columns)
        missing = [c for c in columns if c not in set(names)]
        if missing:
            raise ScoringError(f"{source} has no column {_names(missing)}.")
        if expected is not None:
            _check_match(list(expected), columns, "columns", "the model's features")
            return list(expected)
        names = columns
    if expected is not None:
        _check_match(list(expected), names, source, "the model's features")
        return list(expected)
    if n_expected is not None and len(names) != n_expected:
        raise ScoringError(
            f"{source} has {len(names)} columns but the model was fitted on "
            f"{n_expected} features without names (on an array): give exactly "
            f"{n_expected} columns, in the training order."
        )
    return list(names)


def _check_match(expected, names, source, what):
    present, wanted = set(names), set(expected)
    missing = [c for c in expected if c not in present]
    extra = [c for c in names if c not in wanted]
    if missing or extra:
        problems = [f"missing {_names(missing)}"] if missing else []
        problems += [f"extra {_names(extra)}"] if extra else []
        raise ScoringError(f"{source} does not match {what}: {'; '.join(problems)}.")


def _names(names, limit=10):
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    word = "column" if len(names) == 1 else "columns"
    return f"{word} {shown}{more}"


def _file_row_name(source, reader):
    """Names a row by its number in the file (1 = the first data row)."""
    csv = isinstance(reader, CsvReader)

    def row_name(position):
        row = position + 1
        line = reader.line_of(row) if csv else None
        return f"row {row} (line {line})" if line else f"row {row}"

    return row_name


def _feature_matrix(frame, features, source, row_name, first_row):
    pd = import_pandas()
    X = frame[features]
    converted = {}
    for name in features:
        column = X[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        numbers_ = pd.to_numeric(column, errors="coerce")
        bad = numbers_.isna().to_numpy() & column.notna().to_numpy()
        if bad.any():
            position = int(np.argmax(bad))
            where = (
                row_name(first_row + position)
                if row_name is not None
                else f"index {frame.index[position]!r}"
            )
            raise ScoringError(
                f"{source}: column {str(name)!r} holds a non-numeric value, "
                f"{column.iloc[position]!r}, at {where}."
            )
        converted[name] = numbers_
    if converted:
        X = X.copy()
        for name, values in converted.items():
            X[name] = values
    return X.to_numpy(dtype=np.float64, na_value=np.nan)


def _score_chunk(model, frame, features, source, row_name, first_row=0, *, scores):
    pd = import_pandas()
    if len(frame) == 0:
        return _empty_scores(model, frame, features, scores)
    values = _feature_matrix(frame, features, source, row_name, first_row)
    if getattr(model, "feature_names_in_", None) is not None:
        X = pd.DataFrame(values, columns=features, copy=False)
    else:
        X = values
    try:
        out = _model_outputs(model, X, scores)
    except ValueError as exc:
        reason = " ".join(str(exc).split())  # one line
        where = _first_non_finite(values, features, frame, row_name, first_row)
        if where is not None:
            first_sentence = reason.split(". ")[0].rstrip(".")
            raise ScoringError(
                f"{source}: {where}, which the model refused ({first_sentence}); "
                "fill or drop such rows, or put an imputer in the pipeline."
            ) from exc
        if row_name is None:
            rows = "the frame's rows"
        else:
            last = first_row + len(frame) - 1
            rows = f"{row_name(first_row)} to {row_name(last)}"
        raise ScoringError(f"{source}: the model refused {rows}: {reason}") from exc
    return pd.DataFrame(out, index=frame.index, copy=False)


def _first_non_finite(values, features, frame, row_name, first_row):
    """Names the first cell of ``values`` that is NaN or infinite, or None."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    row, column = np.unravel_index(int(np.argmax(bad)), bad.shape)
    where = (
        row_name(first_row + row)
        if row_name is not None
        else f"index {frame.index[row]!r}"
    )
    value = "missing" if np.isnan(values[row, column]) else "infinite"
    return f"column {str(features[column])!r} is {value} at {where}"


def _model_outputs(model, X, scores):
    """The output columns, as a dict of 1-D arrays in order."""
    out = {}
    proba = sets = None
    # a conformal model gives all three from one pass of its models
    predict_all = _final_method(model, "predict_with_sets") if scores else None
    if predict_all is not None:
        prediction, proba, sets = predict_all(X)
    else:
        prediction = np.asarray(model.predict(X))
    if prediction.ndim == 2:
        for k in range(prediction.shape[1]):
            out[f"prediction_{k}"] = prediction[:, k]
    else:
        out["prediction"] = prediction
    if not scores:
        return out
    classes = getattr(model, "classes_", None)
    if proba is None and hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
    if proba is not None:
        if proba.ndim == 2:
            for k, name in enumerate(_class_names(classes, proba.shape[1])):
                out[f"proba_{name}"] = proba[:, k]
    elif hasattr(model, "decision_function"):
        decision = np.asarray(model.decision_function(X))
        if decision.ndim == 1:
            out["decision_function"] = decision
        else:
            names = _decision_names(model, classes, decision.shape[1])
            for k, name in enumerate(names):
                out[f"decision_{name}"] = decision[:, k]
    if sets is None and (predict_set := _final_method(model, "predict_set")):
        sets = predict_set(X)
    if sets is not None:
        sets = np.asarray(sets, dtype=bool)
        names = _class_names(classes, sets.shape[1])
        if sets.ndim == 2:
            for k, name in enumerate(names):
                out[f"set_{name}"] = sets[:, k]
        else:
            alphas = np.ravel(_final_step(model).alpha)
            for a, alpha in enumerate(alphas):
                for k, name in enumerate(names):
                    out[f"set_{name}_{alpha:g}"] = sets[:, k, a]
    return out


def _empty_scores(model, frame, features, scores):
    """The output of no rows: the columns and dtypes of a one-row probe."""
    pd = import_pandas()
    probe = np.zeros((1, len(features)))
    if getattr(model, "feature_names_in_", None) is not None:
        probe = pd.DataFrame(probe, columns=features)
    try:
        out = _model_outputs(model, probe, scores)
    except ValueError:  # the model refuses zeros: the prediction column alone
        classes = getattr(model, "classes_", None)
        dtype = np.asarray(classes).dtype if classes is not None else np.float64
        out = {"prediction": np.zeros(1, dtype=dtype)}
    return pd.DataFrame(out).iloc[:0].set_axis(frame.index[:0])


def _class_names(classes, width):
    if classes is not None and len(classes) == width:
        return [str(c) for c in classes]
    return [str(k) for k in range(width)]


def _decision_names(model, classes, width):
    classes = list(classes) if classes is not None else None
    ovo = getattr(_final_step(model), "decision_function_shape", None) == "ovo"
    if classes is not None and ovo and len(classes) > 2:
        pairs = list(combinations(classes, 2))
        if len(pairs) == width:
            return [f"{i}_{j}" for i, j in pairs]
    return _class_names(classes, width)


def _final_step(model):
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def _final_method(model, name):
    """Method ``name`` of the model, or of the last step of a pipeline (after
    the other steps' transforms); None if neither has it."""
    if hasattr(model, name):
        return getattr(model, name)
    last = _final_step(model)
    if last is not model and hasattr(last, name):
        return lambda X: getattr(last, name)(model[:-1].transform(X))
    return None


def _scored_chunks(chunks, score, n_workers):
    """Yield ``score(chunk.load(), first_row)`` in order, computed by
    ``n_workers`` threads with at most ``2 * n_workers`` chunks in flight."""

    def load_and_score(chunk, first_row):
        return score(chunk.load(), first_row)

    first_row = 0
    if n_workers == 1:
        for chunk in chunks:
            yield load_and_score(chunk, first_row)
            first_row += chunk.rows
        return
    pending = deque()
    # one BLAS thread per chunk: the pool already keeps the cores busy
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(n_workers) as pool:
        try:
            for chunk in chunks:
                pending.append(pool.submit(load_and_score, chunk, first_row))
                first_row += chunk.rows
                if len(pending) >= 2 * n_workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _check_chunksize(chunksize):
    if (
        isinstance(chunksize, bool)
        or not isinstance(chunksize, numbers.Integral)
        or chunksize < 1
    ):
        raise ValueError(f"chunksize must be a positive integer, got {chunksize!r}.")
    return int(chunksize)
