"""Batch scoring (skrobust.batch and ``python -m skrobust score``): the same
predictions as the model, any chunking and thread count, clear errors and no
partial output."""

import io
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrobust.__main__ import main
from skrobust.batch import ScoringError, load_model, score_file, score_frame
from skrobust.conformal import ConformalClassifier
from skrobust.llp import DLLPClassifier
from skrobust.svm import RobustLinearSVC, RobustSVC

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

N_ROWS = 503  # not a multiple of CHUNK
CHUNK = 97
FEATURES = [f"x{i}" for i in range(5)]


@pytest.fixture(scope="module")
def frame():
    X, y = make_classification(
        N_ROWS, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=0
    )
    return pd.DataFrame(X, columns=FEATURES), y


def _fit(name, X, y):
    binary = (y > 0).astype(int)
    if name == "RobustLinearSVC":
        return RobustLinearSVC(random_state=0).fit(X, y)
    if name == "RobustSVC":
        return RobustSVC(noise_rates=None).fit(X, binary)
    if name == "ConformalClassifier":
        return ConformalClassifier(alpha=0.1, random_state=0).fit(X, y)
    if name == "ConformalClassifier, two levels":
        return ConformalClassifier(alpha=[0.1, 0.3], random_state=0).fit(X, y)
    if name == "DLLPClassifier":
        return DLLPClassifier().fit(X, binary)
    if name == "Pipeline":
        return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    if name == "Pipeline, conformal last":
        conformal = ConformalClassifier(alpha=0.2, random_state=0)
        return make_pipeline(StandardScaler(), conformal).fit(X, y)
    raise ValueError(name)


MODELS = [
    "RobustLinearSVC",
    "RobustSVC",
    "ConformalClassifier",
    "ConformalClassifier, two levels",
    "DLLPClassifier",
    "Pipeline",
    "Pipeline, conformal last",
]


@pytest.fixture(scope="module")
def models(frame):
    X, y = frame
    return {name: _fit(name, X, y) for name in MODELS}


@pytest.fixture
def files(tmp_path, frame, models):
    """A folder with the data (CSV and Parquet) and a pickled model."""
    X, _ = frame
    X.to_csv(tmp_path / "data.csv", index=False)
    X.to_parquet(tmp_path / "data.parquet")
    joblib.dump(models["RobustLinearSVC"], tmp_path / "model.pkl")
    return tmp_path


def _read(path):
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _left_in(folder):
    return sorted(p.name for p in folder.iterdir())


INPUTS = ["data.csv", "data.parquet", "model.pkl"]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_file_gives_the_models_predictions(files, models, name, suffix):
    model = models[name]
    data = files / f"data{suffix}"
    out = files / f"scores{suffix}"
    summary = score_file(model, data, out, chunksize=CHUNK, n_jobs=1, progress=False)
    assert (summary.rows, summary.chunks) == (N_ROWS, -(-N_ROWS // CHUNK))
    X = _read(data)
    scores = _read(out)
    expected = score_frame(model, X)
    assert list(scores.columns) == list(expected.columns) == list(summary.columns)
    np.testing.assert_array_equal(scores["prediction"], model.predict(X))
    for column in expected.columns[1:]:
        if column.startswith("set_"):
            np.testing.assert_array_equal(scores[column], expected[column])
        else:
            np.testing.assert_allclose(scores[column], expected[column], rtol=1e-12)
    assert _left_in(files) == sorted([*INPUTS, out.name])


def test_output_columns_name_the_classes_and_sets(frame, models):
    X, _ = frame
    columns = {name: list(score_frame(models[name], X[:5]).columns) for name in MODELS}
    assert columns["RobustLinearSVC"] == ["prediction"] + [
        f"decision_{c}" for c in range(3)
    ]
    assert columns["RobustSVC"] == ["prediction", "decision_function"]
    assert columns["DLLPClassifier"] == ["prediction", "proba_0", "proba_1"]
    assert columns["ConformalClassifier"][4:] == ["set_0", "set_1", "set_2"]
    assert columns["ConformalClassifier, two levels"][4:] == [
        f"set_{c}_{a}" for a in (0.1, 0.3) for c in range(3)
    ]
    assert columns["Pipeline, conformal last"][4:] == ["set_0", "set_1", "set_2"]
    alone = score_frame(models["ConformalClassifier"], X[:5], scores=False)
    assert list(alone.columns) == ["prediction"]
    sets = score_frame(models["ConformalClassifier"], X[:5])[["set_0", "set_1"]]
    np.testing.assert_array_equal(
        sets, models["ConformalClassifier"].predict_set(X[:5])[:, :2]
    )


class _CountingLogisticRegression(LogisticRegression):
    calls = 0

    def predict_proba(self, X):
        type(self).calls += 1
        return super().predict_proba(X)


@pytest.mark.parametrize("method", ["split", "cross"])
@pytest.mark.parametrize("alpha", [0.1, [0.1, 0.3]])
@pytest.mark.parametrize("in_pipeline", [False, True])
def test_conformal_outputs_come_from_one_pass_of_the_models(
    frame, method, alpha, in_pipeline
):
    X, y = frame
    conformal = ConformalClassifier(
        _CountingLogisticRegression(), alpha=alpha, method=method, random_state=0
    )
    model = make_pipeline(StandardScaler(), conformal) if in_pipeline else conformal
    model.fit(X, y)
    n_models = len(conformal.estimators_) if method == "cross" else 1
    _CountingLogisticRegression.calls = 0
    scores = score_frame(model, X)
    assert _CountingLogisticRegression.calls == n_models
    np.testing.assert_array_equal(scores["prediction"], model.predict(X))
    proba = scores[[f"proba_{c}" for c in range(3)]]
    np.testing.assert_array_equal(proba, model.predict_proba(X))
    sets = scores[[c for c in scores.columns if c.startswith("set_")]].to_numpy()
    expected = conformal.predict_set(model[:-1].transform(X) if in_pipeline else X)
    if np.ndim(alpha):
        expected = expected.transpose(0, 2, 1)  # columns are level-major
    np.testing.assert_array_equal(sets, expected.reshape(len(X), -1))


def test_threads_give_the_same_file(files, models):
    model = models["ConformalClassifier"]
    one, two = files / "one.csv", files / "two.csv"
    score_file(model, files / "data.csv", one, chunksize=50, n_jobs=1, progress=False)
    score_file(model, files / "data.csv", two, chunksize=50, n_jobs=2, progress=False)
    assert one.read_bytes() == two.read_bytes()


def test_columns_are_matched_by_name(files, frame, models):
    X, _ = frame
    model = models["Pipeline"]
    X[FEATURES[::-1]].to_csv(files / "reordered.csv", index=False)
    score_file(model, files / "reordered.csv", files / "out.csv", progress=False)
    np.testing.assert_array_equal(
        pd.read_csv(files / "out.csv")["prediction"], model.predict(X)
    )


def test_compressed_csv_is_read(files, frame, models):
    X, _ = frame
    model = models["Pipeline"]
    X.to_csv(files / "data.csv.gz", index=False)
    summary = score_file(
        model, files / "data.csv.gz", files / "out.csv", chunksize=CHUNK
    )
    assert summary.chunks == 6
    np.testing.assert_array_equal(
        pd.read_csv(files / "out.csv")["prediction"], model.predict(X)
    )


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".csv.zip"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1,2\n3\n4,5\n", "line 3 has 1 field where the header has 2"),
        ("1,2\n3,4\n4,5,6\n", "line 4 has 3 fields where the header has 2"),
        ("1,2\n3,4,\n", "line 3 has 3 fields"),  # pandas: an index column
        ('"1",2\n\n"a\nb",3,4\n', "line 4 has 3 fields"),
    ],
)
def test_malformed_rows_are_refused_by_line(tmp_path, suffix, body, message):
    """A short or long row is an error naming its line, even when an imputer
    in the model would have filled it (pandas reads a short row as NaN)."""
    from sklearn.impute import SimpleImputer

    X = pd.DataFrame({"f0": [0.0, 1.0, np.nan, 3.0], "f1": [1.0, 0.0, 1.0, 0.0]})
    model = make_pipeline(SimpleImputer(), RobustLinearSVC(noise_rates=None))
    model.fit(X, [0, 1, 0, 1])
    data = tmp_path / f"rows{suffix}"
    pd.DataFrame(columns=["f0", "f1"]).to_csv(data, index=False)  # the compression
    text = "f0,f1\n" + body
    if suffix == ".csv":
        data.write_text(text)
    else:
        import gzip
        import zipfile

        if suffix == ".csv.gz":
            data.write_bytes(gzip.compress(text.encode()))
        else:
            with zipfile.ZipFile(data, "w") as archive:
                archive.writestr("rows.csv", text)
    with pytest.raises(ScoringError, match=message):
        score_file(model, data, tmp_path / "out.csv", progress=False)
    assert _left_in(tmp_path) == [data.name]  # no output, no temporary file


def test_quotes_blank_lines_and_carriage_returns_are_read_as_pandas_does(
    tmp_path, models
):
    """Cutting the file into blocks keeps quoted newlines inside their
    record and skips empty lines, whatever the chunk size."""
    model = make_pipeline(StandardScaler(), LogisticRegression())
    names = ["a", "b,c", "d"]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)).round(3), columns=names)
    model.fit(X, (X["a"] > 0).astype(int))
    lines = ['"a","b,c","d",note']
    for i, row in enumerate(X.itertuples(index=False)):
        cells = [f'"{v}"' if i % 3 == 0 else f"{v}" for v in row]
        cells.append(f'"line one\nline two, ""{i}"""')  # a newline, a quote
        lines.append(",".join(cells))
        if i % 7 == 0:
            lines.append("")
    data = tmp_path / "quoted.csv"
    data.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    for chunksize in (1, 6, 100):
        score_file(
            model, data, tmp_path / "out.csv", columns=names, chunksize=chunksize
        )
        np.testing.assert_array_equal(
            pd.read_csv(tmp_path / "out.csv")["prediction"], model.predict(X)
        )


@pytest.mark.parametrize("seed", range(60))
def test_plain_lines_are_cut_into_whole_records(seed):
    """Blocks of exactly ``size`` rows, whatever the read size, then the rest
    of the stream from a block's end: together the file without its header
    line. The blocks stop before the first line that is not plain (a quote,
    an empty line, a wrong comma count); without one, there is no rest."""
    from skrobust.batch._io import _PlainLines

    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 5))
    lines = [",".join(f"x{j}" for j in range(k))]
    for _ in range(int(rng.integers(0, 30))):
        lines.append(",".join(f"{v:.3f}" for v in rng.normal(size=k)))
    odd = None
    if rng.random() < 0.7:
        odd = int(rng.integers(1, max(len(lines) - 1, 1) + 1))
        kind = ['"1"' + ",2" * (k - 1), "", "1", "1" + ",2" * k][rng.integers(4)]
        lines.insert(odd, kind)
        if kind == "" and odd == len(lines) - 1:  # a last empty line is plain
            lines.pop()
            odd = None
    newline = ["\n", "\r\n"][rng.integers(2)]
    text = (newline.join(lines) + newline * int(rng.integers(2))).encode()
    size = int(rng.integers(1, 8))
    stream = io.BytesIO(text)
    plain = _PlainLines(stream, k, size)
    plain._READ = int(rng.integers(1, 60))
    blocks = list(plain)

    assert all(rows == size for rows, _ in blocks[:-1])
    assert all(rows == block.count(b"\n") for rows, block in blocks)
    given = b"".join(block for _, block in blocks)
    body = text.split(b"\n", 1)[1] if b"\n" in text else b""
    if odd is None:
        assert plain.rest is None
        assert given == body + (b"" if body.endswith(b"\n") or not body else b"\n")
        assert sum(rows for rows, _ in blocks) == len(lines) - 1
    else:
        rest = plain.rest + stream.read()
        assert (rest == text) if plain.at_header else (given + rest == body)
        assert sum(rows for rows, _ in blocks) <= odd - 1


@pytest.mark.parametrize(
    "late",
    [None, '"1.5",2,3,4,5', "", " ", "1,2,3,4,5,", "1,2,3,4"],
    ids=["plain", "quoted field", "empty line", "blank line", "long row", "short row"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_line_that_is_not_plain_midway_switches_to_streaming(
    tmp_path, monkeypatch, models, late, newline
):
    """Small reads make the plain blocks and the streaming rest both score
    rows: the predictions of the whole file, exact chunk counts, and a
    malformed row named by its line."""
    from skrobust.batch._io import _PlainLines

    monkeypatch.setattr(_PlainLines, "_READ", 200)
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(300, 5)).round(4), columns=FEATURES)
    lines = [",".join(FEATURES)]
    lines += [",".join(map(str, row)) for row in X.itertuples(index=False)]
    if late is not None:
        lines.insert(250, late)  # on line 251 of the file
    data = tmp_path / "late.csv"
    data.write_bytes(newline.join(lines).encode())  # no final newline
    model = models["Pipeline"]
    out = tmp_path / "out.csv"
    if late in (" ", "1,2,3,4,5,", "1,2,3,4"):  # a line of spaces: one field
        fields = late.count(",") + 1
        with pytest.raises(ScoringError, match=f"line 251 has {fields} fields?"):
            score_file(model, data, out, chunksize=40, n_jobs=2, progress=False)
        return
    expected = pd.read_csv(data)
    summary = score_file(model, data, out, chunksize=40, n_jobs=2, progress=False)
    assert (summary.rows, summary.chunks) == (len(expected), -(-len(expected) // 40))
    np.testing.assert_array_equal(
        pd.read_csv(out)["prediction"], model.predict(expected[FEATURES])
    )


def test_malformed_row_wins_over_the_bad_value_it_causes_even_late(
    tmp_path, monkeypatch, models
):
    """A short row read as NaN makes the model refuse its chunk; the error
    must still be the malformed row, however long the field check takes (a
    check slower than the scoring, here by a delay, must not be cut short
    by the scoring's error)."""
    import time

    from skrobust.batch._io import CsvReader

    check = CsvReader.check_fields

    def slow_check(self, stop=None):
        time.sleep(0.5)
        return check(self, stop)

    monkeypatch.setattr(CsvReader, "check_fields", slow_check)
    lines = [",".join(FEATURES), '"1",2,3,4,5']  # a quote: the streaming path
    lines += ["1,2,3,4,5"] * 30 + ["1,2,3,4"] + ["1,2,3,4,5"] * 30
    data = tmp_path / "late.csv"
    data.write_text("\n".join(lines) + "\n")
    model = models["RobustLinearSVC"]  # no imputer: it refuses NaN
    with pytest.raises(ScoringError, match="line 33 has 4 fields"):
        score_file(model, data, tmp_path / "out.csv", chunksize=10, progress=False)
    assert _left_in(tmp_path) == [data.name]


def test_columns_argument_skips_an_id_column(files, frame, models):
    X, _ = frame
    model = models["Pipeline"]
    X.assign(id=np.arange(N_ROWS)).to_csv(files / "ids.csv", index=False)
    with pytest.raises(ScoringError, match="extra column 'id'"):
        score_file(model, files / "ids.csv", files / "out.csv", progress=False)
    score_file(
        model, files / "ids.csv", files / "out.csv", columns=FEATURES, progress=False
    )
    np.testing.assert_array_equal(
        pd.read_csv(files / "out.csv")["prediction"], model.predict(X)
    )


def test_model_fitted_on_an_array_takes_the_columns_in_order(files, frame):
    X, y = frame
    model = LogisticRegression().fit(X.to_numpy(), y)
    X.rename(columns=str.upper).to_csv(files / "upper.csv", index=False)
    score_file(model, files / "upper.csv", files / "out.csv", progress=False)
    np.testing.assert_array_equal(
        pd.read_csv(files / "out.csv")["prediction"], model.predict(X.to_numpy())
    )
    X.iloc[:, :4].to_csv(files / "four.csv", index=False)
    with pytest.raises(
        ScoringError, match="has 4 columns but the model was fitted on 5"
    ):
        score_file(model, files / "four.csv", files / "out2.csv", progress=False)
    assert not (files / "out2.csv").exists()


def test_score_frame_keeps_the_index_and_gives_empty_columns(frame, models):
    X, _ = frame
    model = models["ConformalClassifier"]
    part = X.iloc[10:20].set_axis(np.arange(100, 110))
    scores = score_frame(model, part)
    assert list(scores.index) == list(part.index)
    empty = score_frame(model, X.iloc[:0])  # what Dask's meta= needs
    assert len(empty) == 0
    assert empty.dtypes.to_dict() == scores.dtypes.to_dict()


def test_header_only_file_gives_an_empty_output(files, frame, models):
    X, _ = frame
    X.iloc[:0].to_csv(files / "empty.csv", index=False)
    summary = score_file(
        models["Pipeline"], files / "empty.csv", files / "out.csv", progress=False
    )
    assert summary.rows == 0
    assert (
        files / "out.csv"
    ).read_text().strip() == "prediction,proba_0,proba_1,proba_2"


def test_progress_line_only_when_asked_or_on_a_terminal(files, models, capsys):
    model = models["Pipeline"]
    score_file(model, files / "data.csv", files / "a.csv", chunksize=CHUNK)
    assert capsys.readouterr().err == ""  # "auto": stderr is not a terminal here
    score_file(
        model, files / "data.csv", files / "b.csv", chunksize=CHUNK, progress=True
    )
    err = capsys.readouterr().err
    assert "503 rows" in err and "rows/s" in err and err.endswith("\n")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_bad_value_is_named_by_its_line_past_blank_lines_and_quotes(
    tmp_path, models, suffix
):
    """Pandas skips empty lines and reads a quoted newline as data: row 3
    starts on line 6 here, not line 4."""
    import gzip

    text = 'x0,x1,x2,x3,x4\n1,2,3,4,5\n\n"1\n",2,3,4,5\n1,abc,3,4,5\n'
    data = tmp_path / f"rows{suffix}"
    raw = text.encode()
    data.write_bytes(gzip.compress(raw) if suffix == ".csv.gz" else raw)
    with pytest.raises(ScoringError, match=r"'abc', at row 3 \(line 6\)"):
        score_file(models["Pipeline"], data, tmp_path / "out.csv", progress=False)


def test_failure_midway_leaves_no_partial_file(files, frame, models):
    X, _ = frame
    bad = X.astype(object)
    bad.iloc[400, 2] = "n/a?"
    bad.to_csv(files / "bad.csv", index=False)
    out = files / "out.csv"
    out.write_text("previous results\n")
    for n_jobs in (1, 2):
        with pytest.raises(ScoringError, match=r"'x2'.*'n/a\?'.*row 401 \(line 402\)"):
            score_file(
                models["Pipeline"],
                files / "bad.csv",
                out,
                chunksize=50,
                n_jobs=n_jobs,
                progress=False,
            )
        assert out.read_text() == "previous results\n"  # untouched
        assert _left_in(files) == sorted([*INPUTS, "bad.csv", "out.csv"])


class _InterruptedModel:
    """Scores two chunks, then the user presses Ctrl-C."""

    def __init__(self, model):
        self.model, self.calls = model, 0
        self.feature_names_in_ = model.feature_names_in_

    def predict(self, X):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return self.model.predict(X)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_interrupt_leaves_no_partial_file(files, models, n_jobs):
    model = _InterruptedModel(models["Pipeline"])
    with pytest.raises(KeyboardInterrupt):
        score_file(
            model,
            files / "data.csv",
            files / "out.csv",
            chunksize=50,
            n_jobs=n_jobs,
            progress=False,
        )
    assert _left_in(files) == sorted(INPUTS)


def test_interrupted_command_exits_130_without_output(files, models, capsys):
    with open(files / "slow.pkl", "wb") as f:
        pickle.dump(_InterruptedModel(models["Pipeline"]), f)
    code = main(
        [
            "score",
            str(files / "slow.pkl"),
            str(files / "data.csv"),
            "-o",
            str(files / "out.csv"),
            "--chunksize",
            "50",
        ]
    )
    assert code == 130
    assert (
        capsys.readouterr().err
        == "skrobust score: error: interrupted; no output written.\n"
    )
    assert not (files / "out.csv").exists()


def test_command_writes_scores(files, models, capsys):
    code = main(
        [
            "score",
            str(files / "model.pkl"),
            str(files / "data.parquet"),
            "-o",
            str(files / "out.pq"),
            "--chunksize",
            "100",
            "--n-jobs",
            "2",
            "--format",
            "parquet",
            "--predictions-only",
            "--no-progress",
        ]
    )
    assert code == 0
    assert capsys.readouterr() == ("", "")
    scores = pd.read_parquet(files / "out.pq")
    assert list(scores.columns) == ["prediction"]
    expected = models["RobustLinearSVC"].predict(
        pd.read_parquet(files / "data.parquet")
    )
    np.testing.assert_array_equal(scores["prediction"], expected)


def _bad_inputs(folder, frame):
    X, _ = frame
    (folder / "corrupt.pkl").write_bytes(b"this is not a pickle")
    (folder / "truncated.pkl").write_bytes(pickle.dumps(X)[:100])
    X.drop(columns="x1").assign(extra=1.0, id=0).to_csv(
        folder / "cols.csv", index=False
    )
    text = X.astype(object)
    text.iloc[7, 3] = "abc"
    text.to_csv(folder / "text.csv", index=False)
    holes = X.copy()
    holes.iloc[4, 2] = np.nan
    holes.to_csv(folder / "holes.csv", index=False)
    lines = (folder / "data.csv").read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]  # row 3 loses its last field
    (folder / "short.csv").write_text("\n".join(lines) + "\n")
    X.to_csv(folder / "data.xlsx", index=False)
    model, data, out = str(folder / "model.pkl"), str(folder / "data.csv"), "out.csv"
    out = str(folder / out)
    return {
        "missing model": (
            [str(folder / "nope.pkl"), data, "-o", out],
            "model file not found: ",
        ),
        "missing data": (
            [model, str(folder / "nope.csv"), "-o", out],
            "data file not found: ",
        ),
        "corrupt pickle": (
            [str(folder / "corrupt.pkl"), data, "-o", out],
            "cannot load the model from ",
        ),
        "truncated pickle": (
            [str(folder / "truncated.pkl"), data, "-o", out],
            "cannot load the model from ",
        ),
        "not a model": (
            [data, data, "-o", out],
            "cannot load the model from ",
        ),
        "wrong columns": (
            [model, str(folder / "cols.csv"), "-o", out],
            "does not match the model's features: missing column 'x1'; "
            "extra columns 'extra', 'id'.",
        ),
        "non-numeric cell": (
            [model, str(folder / "text.csv"), "-o", out],
            "column 'x3' holds a non-numeric value, 'abc', at row 8 (line 9).",
        ),
        "missing cell": (
            [model, str(folder / "holes.csv"), "-o", out],
            "column 'x2' is missing at row 5 (line 6), which the model refused",
        ),
        "short row": (
            [model, str(folder / "short.csv"), "-o", out],
            "line 4 has 4 fields where the header has 5; malformed rows are not",
        ),
        "missing output folder": (
            [model, data, "-o", str(folder / "no" / "such" / "out.csv")],
            "output folder does not exist: ",
        ),
        "unknown data format": (
            [model, str(folder / "data.xlsx"), "-o", out],
            "unknown data format .xlsx; give a .csv or .parquet file.",
        ),
        "unknown output format": (
            [model, data, "-o", out, "--format", "xlsx"],
            "argument --format: invalid choice: 'xlsx'",
        ),
        "bad chunksize": (
            [model, data, "-o", out, "--chunksize", "0"],
            "argument --chunksize: must be at least 1, got 0",
        ),
        "output replaces the data": (
            [model, data, "-o", data],
            "would replace the data file",
        ),
    }


CASES = [
    "missing model",
    "missing data",
    "corrupt pickle",
    "truncated pickle",
    "not a model",
    "wrong columns",
    "non-numeric cell",
    "missing cell",
    "short row",
    "missing output folder",
    "unknown data format",
    "unknown output format",
    "bad chunksize",
    "output replaces the data",
]


def _run(argv):
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse's own errors
        return exit_.code


@pytest.mark.parametrize("case", CASES)
def test_command_rejects_bad_input_in_one_line(files, frame, capsys, case):
    argv, message = _bad_inputs(files, frame)[case]
    before = _left_in(files)
    assert _run(["score", *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    if lines[0].startswith("usage: "):  # argparse's own errors follow the usage
        lines = [lines[-1]]
    (line,) = lines
    assert line.startswith("skrobust score: error: ")
    assert message in line
    assert _left_in(files) == before  # no output, no temporary file


def test_parquet_without_pyarrow_is_a_clear_error(files, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    argv = [
        "score",
        str(files / "model.pkl"),
        str(files / "data.parquet"),
        "-o",
        str(files / "out.csv"),
    ]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "skrobust score: error: Parquet files need pyarrow, which is not "
        "installed: pip install pyarrow.\n"
    )
    assert (
        main([*argv[:2], str(files / "data.csv"), "-o", str(files / "o.parquet")]) == 2
    )
    assert "pip install pyarrow" in capsys.readouterr().err
    assert _left_in(files) == sorted(INPUTS)


def test_csv_without_pyarrow_reads_back_the_same(files, models, monkeypatch):
    model = models["ConformalClassifier"]
    score_file(model, files / "data.csv", files / "arrow.csv", progress=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    score_file(model, files / "data.csv", files / "pandas.csv", progress=False)
    monkeypatch.undo()
    with_arrow, with_pandas = _read(files / "arrow.csv"), _read(files / "pandas.csv")
    assert (with_arrow.dtypes == with_pandas.dtypes).all()
    pd.testing.assert_frame_equal(with_arrow, with_pandas, check_exact=True)


def test_missing_pandas_names_the_install_command(frame, models, monkeypatch):
    X, _ = frame
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        score_frame(models["Pipeline"], X)


def test_command_in_a_subprocess_prints_no_traceback(files):
    (files / "corrupt.pkl").write_bytes(b"\x80\x04garbage")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "skrobust",
            "score",
            str(files / "corrupt.pkl"),
            str(files / "data.csv"),
            "-o",
            str(files / "out.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("skrobust score: error: cannot load the model")
    assert len(result.stderr.splitlines()) == 1
    assert not (files / "out.csv").exists()


def test_skops_file_needs_trust_for_unknown_types(files, frame, models):
    sio = pytest.importorskip("skops.io")
    X, _ = frame
    path = files / "model.skops"
    sio.dump(models["RobustLinearSVC"], path)
    with pytest.raises(ScoringError, match=r"RobustLinearSVC.*--trust-skops-types"):
        load_model(path)
    loaded = load_model(path, trusted=True)
    np.testing.assert_array_equal(
        loaded.predict(X), models["RobustLinearSVC"].predict(X)
    )
    out = str(files / "out.csv")
    assert _run(["score", str(path), str(files / "data.csv"), "-o", out]) == 2
    argv = ["score", str(path), str(files / "data.csv"), "-o", out]
    assert main([*argv, "--trust-skops-types"]) == 0


def test_unfitted_model_is_refused():
    with pytest.raises(ScoringError, match="not fitted"):
        load_model(LogisticRegression())


@pytest.mark.skipif(sys.platform == "win32", reason="process ids checked on POSIX")
def test_temporary_files_of_killed_runs_are_removed(files, models):
    """A SIGKILLed run leaves its hidden temporary file; the next run to the
    same output removes it, and only it (not a live run's, not another
    output's, not a file it did not name)."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = files / f".out.csv.{dead_pid}-0123abcd.tmp"
    alive = files / f".out.csv.{os.getpid()}-89abcdef.tmp"
    other = files / f".other.csv.{dead_pid}-0123abcd.tmp"
    unrelated = files / ".out.csv.notes.tmp"
    for path in (stale, alive, other, unrelated):
        path.write_bytes(b"partial")
    score_file(
        models["Pipeline"], files / "data.csv", files / "out.csv", progress=False
    )
    assert not stale.exists()
    assert alive.exists() and other.exists() and unrelated.exists()


def _scoring_process(model, data, out, chunksize=1000):
    """``python -m skrobust score`` started in the background."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "skrobust", "score", str(model), str(data),
            "-o", str(out), "--chunksize", str(chunksize), "--no-progress",
        ],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def big(files):
    """200,000 rows: several seconds of scoring in 1000-row chunks."""
    path = files / "big.csv"
    X = pd.DataFrame(
        np.random.default_rng(0).normal(size=(200_000, 5)), columns=FEATURES
    )
    X.to_csv(path, index=False)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_run_leaves_a_temporary_file_the_next_run_removes(files, big):
    """SIGKILL mid-run: no output, the temporary file is the only trace, and
    the next run to that output removes it."""
    import signal
    import time

    before = set(_left_in(files))
    process = _scoring_process(files / "model.pkl", big, files / "out.csv")
    deadline = time.monotonic() + 60
    while not any(name.endswith(".tmp") for name in _left_in(files)):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = set(_left_in(files)) - before
    assert len(left) == 1 and left.pop().startswith(".out.csv.")
    argv = ["score", str(files / "model.pkl"), str(big), "-o", str(files / "out.csv")]
    assert main([*argv, "--no-progress"]) == 0
    assert set(_left_in(files)) - before == {"out.csv"}


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_at_random_points_leaves_the_old_output_or_the_new(files, big):
    """SIGKILL at random times of a run that replaces an existing output:
    the output is always the old file or the complete new one, and at most
    the killed run's own temporary file is left beside it."""
    import signal
    import time

    old = files / "out.csv"
    old.write_text("old\n")
    new = files / "new.csv"
    start = time.monotonic()
    assert _scoring_process(files / "model.pkl", big, new).wait() == 0
    duration = time.monotonic() - start
    before = set(_left_in(files))
    # from start-up to about the end, at points the seed spreads
    for delay in np.random.default_rng(0).uniform(0.0, 1.1 * duration, 5):
        process = _scoring_process(files / "model.pkl", big, old)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        left = set(_left_in(files)) - before
        assert len(left) <= 1 and all(n.startswith(".out.csv.") for n in left)
        if old.read_text() != "old\n":  # the run had finished
            assert old.read_bytes() == new.read_bytes()
            old.write_text("old\n")


@pytest.mark.skipif(sys.platform == "win32", reason="process ids checked on POSIX")
def test_concurrent_writers_leave_one_complete_output(files, big, models, frame):
    """Two runs of different models to the same output at once: both
    succeed, the output is one run's complete file (never a mix), and no
    temporary file is left (neither run removes the other's, as it lives)."""
    joblib.dump(models["Pipeline"], files / "pipeline.pkl")
    X = pd.read_csv(big)
    expected = [
        models["RobustLinearSVC"].predict(X),
        models["Pipeline"].predict(X),
    ]
    assert np.mean(expected[0] != expected[1]) > 0.05  # a mix would show
    before = set(_left_in(files))
    runs = [
        _scoring_process(files / name, big, files / "out.csv", chunksize)
        for name, chunksize in (("model.pkl", 1000), ("pipeline.pkl", 1500))
    ]
    assert [run.wait() for run in runs] == [0, 0]
    assert set(_left_in(files)) - before == {"out.csv"}
    written = pd.read_csv(files / "out.csv")["prediction"].to_numpy()
    assert any(np.array_equal(written, e) for e in expected)
