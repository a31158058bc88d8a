"""Chunked CSV and Parquet readers, and an output written to a temporary file
that is renamed over the target only once it is complete."""

import csv
import glob
import io
import os
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._errors import ScoringError, import_pandas, import_parquet

FORMATS = ("csv", "parquet")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv",)
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst")
_CHECK_BLOCK = 1 << 24  # bytes read at a time by check_fields
_COMMA, _NEWLINE = ord(","), ord("\n")


def data_format(path):
    """``"csv"`` or ``"parquet"`` from a data file's suffix (a compressed CSV
    such as ``.csv.gz`` counts as CSV)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _PARQUET_SUFFIXES:
        return "parquet"
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _CSV_SUFFIXES:
        return "csv"
    raise ScoringError(
        f"{path}: unknown data format {''.join(Path(path).suffixes) or '(no suffix)'}"
        "; give a .csv or .parquet file."
    )


def output_format(path, output_format=None):
    """The output format: the one asked for, else Parquet for a ``.parquet``
    or ``.pq`` suffix and CSV for anything else."""
    if output_format is not None:
        if output_format not in FORMATS:
            raise ScoringError(
                f"unknown output format {output_format!r}; use 'csv' or 'parquet'."
            )
        return output_format
    return "parquet" if Path(path).suffix.lower() in _PARQUET_SUFFIXES else "csv"


def check_data_path(path):
    path = Path(path)
    if not path.exists():
        raise ScoringError(f"data file not found: {path}")
    if not path.is_file():
        raise ScoringError(f"{path} is not a file.")
    return path


def check_output_path(path, data_path=None):
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise ScoringError(f"output folder does not exist: {folder}")
    if path.is_dir():
        raise ScoringError(f"output {path} is a folder; give a file name.")
    if data_path is not None and path.exists() and path.samefile(data_path):
        raise ScoringError(f"output {path} would replace the data file; pick another.")
    return path


class CsvReader:
    """A CSV file read ``chunksize`` rows at a time by pandas' C parser; the
    first line names the columns."""

    def __init__(self, path, chunksize):
        pd = import_pandas()
        self.path, self.chunksize, self.total_rows = Path(path), chunksize, None
        try:
            header = pd.read_csv(self.path, nrows=0)
        except pd.errors.EmptyDataError as exc:
            raise ScoringError(f"{self.path} is empty: no header line.") from exc
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ScoringError(
                f"{self.path}: not a readable CSV file ({exc})."
            ) from exc
        self.columns = list(header.columns)
        self._handle = self._check = None
        self._size = 0
        self._stop = threading.Event()

    def chunks(self, usecols):
        """Yield :class:`Chunk` s of at most ``chunksize`` rows.

        While the lines are plain (see :class:`_PlainLines`), each chunk is
        ``chunksize`` lines of bytes that the scoring threads parse: pandas'
        parser releases the GIL, so the parsing runs on every core. From
        the first other line on, pandas' streaming parser reads the rest in
        this thread and :meth:`check_fields` runs in a thread beside it.
        """
        pd = import_pandas()
        with open(self.path, "rb") as raw, _decompressed(raw, self.path) as stream:
            self._handle = raw  # its position gives the progress
            self._size = os.fstat(raw.fileno()).st_size
            plain = _PlainLines(stream, len(self.columns), self.chunksize)
            for rows, block in plain:
                yield Chunk(rows, partial(self._parse, block, usecols))
            if plain.rest is None:
                return
            self._start_check()
            rest = _Chained(plain.rest, stream)
            header = (
                {"header": 0}
                if plain.at_header
                else {"header": None, "names": self.columns}
            )
            reader = pd.read_csv(
                rest, chunksize=self.chunksize, usecols=usecols, **header
            )
            with reader:
                while True:
                    try:
                        frame = next(reader)
                    except StopIteration:
                        return
                    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                        raise ScoringError(f"{self.path}: {exc}") from exc
                    yield Chunk(len(frame), partial(_same, frame))

    def _parse(self, block, usecols):
        pd = import_pandas()
        try:
            return pd.read_csv(
                io.BytesIO(block), header=None, names=self.columns, usecols=usecols
            )
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ScoringError(f"{self.path}: {exc}") from exc

    def _start_check(self):
        checker = ThreadPoolExecutor(1)
        self._check = checker.submit(self.check_fields, self._stop)
        checker.shutdown(wait=False)

    def close(self):
        """End a field check still running (the scoring stopped: an error or
        an interrupt)."""
        self._stop.set()

    def fraction(self):
        """Share of the file read so far, or None when unknown."""
        if self._handle is None or self._handle.closed or not self._size:
            return None
        return min(self._handle.tell() / self._size, 1.0)

    def confirm_fields(self, wait=True):
        """Raise the ScoringError of :meth:`check_fields` if the file has a
        line whose field count differs from the header's (pandas, given the
        columns to keep, reads a short row as NaN and drops extra fields).
        Plain lines were checked as they were cut; the rest is checked in a
        thread: ``wait=False`` raises only if that check has ended."""
        if self._check is not None and (wait or self._check.done()):
            self._check.result()

    def check_fields(self, stop=None):
        """Raise a ScoringError naming the first line whose field count differs
        from the header's: one pass over the bytes, in blocks, by a Numba
        scanner that follows quoting and skips empty lines as pandas does;
        setting the event ``stop`` ends it early.
        """
        from .._kernels.csv_records import scan_records

        n_fields = len(self.columns)
        # the unscanned bytes (a partial record) and the next block, in one
        # reused array: concatenating bytes objects cost a third of the time
        buffer = np.empty(2 * _CHECK_BLOCK, np.uint8)
        filled = 0
        line = 1  # of the first record in buffer
        header = True
        with open(self.path, "rb") as raw, _decompressed(raw, self.path) as stream:
            while stop is None or not stop.is_set():
                data = np.frombuffer(stream.read(_CHECK_BLOCK), np.uint8)
                final = data.size == 0
                if filled + data.size > buffer.size:  # a record longer than a block
                    buffer = np.concatenate([buffer[:filled], np.empty_like(buffer)])
                buffer[filled : filled + data.size] = data
                filled += data.size
                end, records, lines, bad, fields = scan_records(
                    buffer[:filled], n_fields, 1 if header else filled + 1, final
                )
                if bad >= 0 and not header:
                    self._malformed(line + bad, fields)
                header = header and records == 0
                buffer[: filled - end] = buffer[end:filled]
                filled -= end
                line += lines
                if final:
                    return

    def line_of(self, row):
        """The line on which data row ``row`` (1 = the first) starts, read as
        pandas reads the file: empty lines are skipped and a quoted field may
        span lines, so it need not be ``row + 1``. For error messages: it
        reads the file up to that row with the csv module."""
        with open(self.path, "rb") as raw, _decompressed(raw, self.path) as stream:
            text = io.TextIOWrapper(
                stream, encoding="utf-8", errors="replace", newline=""
            )
            reader = csv.reader(text)
            record, end = -1, 0  # record 0 is the header
            for fields in reader:
                start, end = end + 1, reader.line_num
                record += bool(fields)
                if fields and record == row:
                    return start
        return None

    def _malformed(self, line, fields):
        raise ScoringError(
            f"{self.path}: line {line} has {fields} field{'s' if fields != 1 else ''} "
            f"where the header has {len(self.columns)}; malformed rows are not scored."
        )


class Chunk(NamedTuple):
    """``rows`` rows of a file; ``load()`` gives them as a DataFrame."""

    rows: int
    load: Callable


def _same(value):
    return value


class _PlainLines:
    """Iterating gives ``(rows, bytes)``: blocks of ``size`` lines of a CSV
    stream (fewer at the end; the header line left out), while every line
    is plain: no quote character and exactly ``n_fields - 1`` commas.

    Such a line is one record of ``n_fields`` fields and one row of
    pandas', so the blocks are whole records, their row counts are exact
    and no row can be malformed. At the first other line (a quoted field, an
    empty line, a malformed row: only a real scan tells them apart) the
    iteration ends and ``rest`` holds the bytes from the end of the last
    block on, for a streaming parser; ``at_header`` says if the header is
    among them. ``rest`` is None when the stream ended plain. With one field
    a line without commas may be empty, so nothing is plain.
    """

    _READ = 1 << 22

    def __init__(self, stream, n_fields, size):
        self._stream, self._n_fields, self._size = stream, n_fields, size
        self.rest, self.at_header = None, True

    def __iter__(self):
        k = self._n_fields
        buffer = b""
        newlines = []  # arrays of the newline offsets in buffer, in order
        counted = 0  # newlines in those arrays
        commas = 0  # on buffer's unfinished last line
        while True:
            data = self._stream.read(self._READ)
            if k < 2 or b'"' in data:
                break
            if not data:
                if buffer and not buffer.endswith(b"\n"):  # a last line
                    if commas != k - 1:
                        break
                    newlines.append(np.array([len(buffer)]))
                    counted += 1
                    buffer += b"\n"
            else:
                found, commas = _plain_newlines(data, commas, k)
                if found is None:
                    break
                newlines.append(found + len(buffer))
                counted += found.size
                buffer += data
            wanted = self._size + self.at_header
            while counted >= wanted or (not data and counted):
                offsets = np.concatenate(newlines)
                take = min(wanted, counted)
                cut = int(offsets[take - 1]) + 1
                begin = int(offsets[0]) + 1 if self.at_header else 0
                rows = take - self.at_header
                if rows:
                    yield rows, buffer[begin:cut]
                buffer = buffer[cut:]
                newlines = [offsets[take:] - cut]
                counted -= take
                self.at_header = False
                wanted = self._size
            if not data:
                return
        self.rest = buffer + data


def _plain_newlines(data, commas, n_fields):
    """The offsets of the newlines in ``data`` and the commas after the last
    one, if every line ending in ``data`` has ``n_fields - 1`` commas
    (``commas`` of them before ``data``) and the unfinished one no more;
    ``(None, 0)`` otherwise."""
    block = np.frombuffer(data, np.uint8)
    newlines = np.flatnonzero(block == _NEWLINE)
    positions = np.flatnonzero(block == _COMMA)
    # commas before each newline, then per line
    before = np.searchsorted(positions, newlines)
    per_line = np.diff(before, prepend=-commas)
    tail = positions.size - (before[-1] if newlines.size else -commas)
    if np.any(per_line != n_fields - 1) or tail > n_fields - 1:
        return None, 0
    return newlines, int(tail)


class _Chained(io.RawIOBase):
    """A binary stream: ``head``, then the rest of ``stream``."""

    def __init__(self, head, stream):
        self._head, self._stream = head, stream

    def readable(self):
        return True

    def read(self, size=-1):
        if not self._head:
            return self._stream.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._stream.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def _decompressed(raw, path):
    """A binary stream of the file's content, decompressed by its suffix;
    closing it closes ``raw``."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        import gzip

        return _ClosingBoth(gzip.GzipFile(fileobj=raw, mode="rb"), raw)
    if suffix == ".bz2":
        import bz2

        return _ClosingBoth(bz2.BZ2File(raw), raw)
    if suffix == ".xz":
        import lzma

        return _ClosingBoth(lzma.LZMAFile(raw), raw)
    if suffix == ".zip":
        import zipfile

        archive = zipfile.ZipFile(raw)
        names = archive.namelist()
        if len(names) != 1:
            archive.close()
            raise ScoringError(
                f"{path}: a zip file must hold exactly one CSV file, found "
                f"{len(names)}."
            )
        return _ClosingBoth(archive.open(names[0]), raw)
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError as exc:
            raise ScoringError(
                f"{path}: reading .zst files needs the zstandard package "
                "(pip install zstandard)."
            ) from exc
        return _ClosingBoth(zstandard.ZstdDecompressor().stream_reader(raw), raw)
    return raw


class _ClosingBoth(io.RawIOBase):
    """A readable stream that closes the raw file after the decompressor."""

    def __init__(self, stream, raw):
        self._stream, self._raw = stream, raw

    def readable(self):
        return True

    def read(self, size=-1):
        return self._stream.read(size)

    def close(self):
        try:
            self._stream.close()
        finally:
            self._raw.close()
            super().close()


class ParquetReader:
    """A Parquet file read ``chunksize`` rows at a time (fewer at the end of
    a row group)."""

    def __init__(self, path, chunksize):
        pa, pq = import_parquet()
        self.path, self.chunksize = Path(path), chunksize
        try:
            # pre-buffering keeps every row group read until the end: the
            # memory would grow with the file
            self._file = pq.ParquetFile(self.path, pre_buffer=False)
        except (pa.ArrowException, OSError) as exc:
            raise ScoringError(f"{self.path}: not a Parquet file ({exc}).") from exc
        schema = self._file.schema_arrow
        pandas_meta = schema.pandas_metadata or {}
        index = {c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)}
        self.columns = [name for name in schema.names if name not in index]
        self.total_rows = self._file.metadata.num_rows

    def chunks(self, usecols):
        """Yield :class:`Chunk` s of at most ``chunksize`` rows."""
        batches = self._file.iter_batches(batch_size=self.chunksize, columns=usecols)
        for batch in batches:
            yield Chunk(batch.num_rows, batch.to_pandas)

    def fraction(self):
        """None: the row count (``total_rows``) tells the progress."""
        return None

    def confirm_fields(self, wait=True):
        """Nothing to check: every row of a Parquet file has its schema's
        columns."""

    def close(self):
        """Release the file."""
        self._file.close()


def open_reader(path, chunksize):
    """A chunked reader for a CSV or Parquet file, by its suffix."""
    path = check_data_path(path)
    if data_format(path) == "parquet":
        return ParquetReader(path, chunksize)
    return CsvReader(path, chunksize)


class Encoded(NamedTuple):
    """A scored chunk ready to be appended: its rows, columns and bytes (CSV)
    or Arrow table (Parquet)."""

    rows: int
    columns: list
    data: object


class AtomicOutput:
    """Chunks written to a hidden temporary file next to ``path``, renamed to
    ``path`` by :meth:`commit`; leaving the ``with`` block without a commit
    (an error, an interrupt) deletes the temporary file and leaves ``path``
    as it was.

    :meth:`encode` (thread-safe: the scoring threads call it) turns a scored
    DataFrame into CSV bytes or an Arrow table; :meth:`write` appends it.
    CSV goes through pyarrow's writer when pyarrow is installed (ten times
    faster than pandas' and without the GIL), else pandas'; both write
    booleans as ``true``/``false`` and floats to full precision.
    """

    def __init__(self, path, fmt):
        self.path, self.format = Path(path), fmt
        if fmt == "parquet":
            self._pa, self._pq = import_parquet()
        else:
            self._arrow_csv = _arrow_csv()
        # the process id marks whose file it is: a later run removes the files
        # of runs that were killed before they could clean up
        self.temp = self.path.with_name(
            f".{self.path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
        )
        self._handle = None
        self._writer = None
        self.columns = None

    def __enter__(self):
        _remove_stale_temporaries(self.path)
        # "x": never reuse an existing file; the umask sets the permissions
        self._handle = open(self.temp, "xb")
        return self

    def encode(self, frame, *, header):
        """CSV bytes (with the header line if ``header``) or an Arrow table."""
        columns = [str(c) for c in frame.columns]
        if self.format == "parquet":
            data = self._pa.Table.from_pandas(frame, preserve_index=False)
        else:
            data = _encode_csv(frame, header, self._arrow_csv)
        return Encoded(len(frame), columns, data)

    def write(self, encoded):
        """Append an encoded chunk (the first one sets the columns)."""
        if self.columns is None:
            self.columns = encoded.columns
        if self.format == "csv":
            self._handle.write(encoded.data)
        elif self._writer is None:
            schema = encoded.data.schema
            # dictionaries pay for labels and sets; on float scores, which are
            # all distinct, they only triple the writing time
            labels = [f.name for f in schema if not self._pa.types.is_floating(f.type)]
            self._writer = self._pq.ParquetWriter(
                self._handle, schema, use_dictionary=labels or False
            )
            self._writer.write_table(encoded.data)
        else:
            self._writer.write_table(encoded.data.cast(self._writer.schema))

    def commit(self):
        """Finish the file and rename it over ``path``."""
        if self._writer is not None:
            self._writer.close()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.temp, self.path)

    def __exit__(self, *exc_info):
        if self.temp.exists():
            try:
                if self._writer is not None:
                    self._writer.close()
            except Exception:  # the file is being thrown away anyway
                pass
            finally:
                self._handle.close()
                self.temp.unlink(missing_ok=True)
        return False


def _remove_stale_temporaries(path):
    """Delete ``path``'s temporary files left by killed runs: only names this
    class makes (``.<name>.<pid>-<8 hex>.tmp``), only in ``path``'s folder,
    only when no process has that id (POSIX; elsewhere nothing is removed)."""
    if os.name != "posix":
        return
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]{{8}}\.tmp")
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.fullmatch(candidate.name)
        if match is None or _process_exists(int(match.group(1))):
            continue
        candidate.unlink(missing_ok=True)


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's, or not a pid
        return True
    return True


def _arrow_csv():
    try:
        import pyarrow
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow, pyarrow.csv, pyarrow.csv.WriteOptions(include_header=False)


def _encode_csv(frame, header, arrow):
    if arrow is not None:
        pa, pacsv, options = arrow
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except pa.ArrowException:  # values Arrow cannot type: pandas writes them
            pass
        else:
            sink = io.BytesIO()
            if header:
                line = io.StringIO()
                csv.writer(line, lineterminator="\n").writerow(frame.columns)
                sink.write(line.getvalue().encode("utf-8"))
            if len(frame):
                pacsv.write_csv(table, sink, options)
            return sink.getvalue()
    booleans = [c for c in frame.columns if frame[c].dtype == bool]
    if booleans:
        frame = frame.copy()
        for c in booleans:
            frame[c] = np.where(frame[c].to_numpy(), "true", "false")
    text = frame.to_csv(None, index=False, header=header, lineterminator="\n")
    return text.encode("utf-8")
