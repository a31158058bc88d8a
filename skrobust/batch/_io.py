"""Chunked CSV and Parquet readers, and an output written to a temporary file
that is renamed over the target only once it is complete."""

import os
import uuid
from pathlib import Path

from ._errors import ScoringError, import_pandas, import_parquet

FORMATS = ("csv", "parquet")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst")


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
    """A CSV file read ``chunksize`` rows at a time; the first line names the
    columns."""

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
        self._handle = None

    def chunks(self, usecols):
        """Yield DataFrames of at most ``chunksize`` rows."""
        pd = import_pandas()
        plain = self.path.suffix.lower() in _CSV_SUFFIXES
        # a plain file is read through our handle, whose position gives progress
        self._handle = open(self.path, "rb") if plain else None
        self._size = os.fstat(self._handle.fileno()).st_size if plain else 0
        try:
            reader = pd.read_csv(
                self._handle if plain else self.path,
                chunksize=self.chunksize,
                usecols=usecols,
            )
            with reader:
                while True:
                    try:
                        chunk = next(reader)
                    except StopIteration:
                        return
                    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                        raise ScoringError(f"{self.path}: {exc}") from exc
                    yield chunk
        finally:
            if self._handle is not None:
                self._handle.close()

    def fraction(self):
        """Share of the file read so far, or None when unknown."""
        if self._handle is None or self._handle.closed or not self._size:
            return None
        return min(self._handle.tell() / self._size, 1.0)


class ParquetReader:
    """A Parquet file read ``chunksize`` rows at a time (fewer at the end of
    a row group)."""

    def __init__(self, path, chunksize):
        pa, pq = import_parquet()
        self.path, self.chunksize = Path(path), chunksize
        try:
            self._file = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise ScoringError(f"{self.path}: not a Parquet file ({exc}).") from exc
        schema = self._file.schema_arrow
        pandas_meta = schema.pandas_metadata or {}
        index = {c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)}
        self.columns = [name for name in schema.names if name not in index]
        self.total_rows = self._file.metadata.num_rows

    def chunks(self, usecols):
        """Yield DataFrames of at most ``chunksize`` rows."""
        batches = self._file.iter_batches(batch_size=self.chunksize, columns=usecols)
        for batch in batches:
            yield batch.to_pandas()

    def fraction(self):
        """None: the row count (``total_rows``) tells the progress."""
        return None


def open_reader(path, chunksize):
    """A chunked reader for a CSV or Parquet file, by its suffix."""
    path = check_data_path(path)
    if data_format(path) == "parquet":
        return ParquetReader(path, chunksize)
    return CsvReader(path, chunksize)


class AtomicOutput:
    """Chunks written to a hidden temporary file next to ``path``, renamed to
    ``path`` by :meth:`commit`; leaving the ``with`` block without a commit
    (an error, an interrupt) deletes the temporary file and leaves ``path``
    as it was."""

    def __init__(self, path, fmt):
        self.path, self.format = Path(path), fmt
        if fmt == "parquet":
            self._pa, self._pq = import_parquet()
        self.temp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        self._handle = None
        self._writer = None
        self._schema = None
        self.rows = 0

    def __enter__(self):
        # "x": never reuse an existing file; the umask sets the permissions
        mode = "x" if self.format == "csv" else "xb"
        kwargs = {"newline": "", "encoding": "utf-8"} if self.format == "csv" else {}
        self._handle = open(self.temp, mode, **kwargs)
        return self

    def write(self, frame):
        """Append a DataFrame (the first one sets the columns)."""
        if self.format == "csv":
            frame.to_csv(self._handle, index=False, header=self._schema is None)
            self._schema = list(frame.columns)
        else:
            table = self._pa.Table.from_pandas(frame, preserve_index=False)
            if self._writer is None:
                self._schema = table.schema
                self._writer = self._pq.ParquetWriter(self._handle, self._schema)
            else:
                table = table.cast(self._schema)
            self._writer.write_table(table)
        self.rows += len(frame)

    @property
    def columns(self):
        """The columns written so far (set by the first chunk)."""
        if self._schema is None:
            return []
        return list(self._schema) if self.format == "csv" else self._schema.names

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
