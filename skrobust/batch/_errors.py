"""The error batch scoring raises for problems with the user's files."""


class ScoringError(ValueError):
    """A model, data or output file batch scoring cannot use.

    Raised with a message naming the file and the problem (missing and extra
    columns, the column and row of a non-numeric cell, a missing output
    folder, ...); the command line prints it on one line, without a
    traceback. A subclass of :class:`ValueError`.

    Examples
    --------
    >>> from skrobust.batch import ScoringError
    >>> issubclass(ScoringError, ValueError)
    True
    """


def import_pandas():
    """Import pandas or raise an ImportError that says how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "skrobust.batch needs pandas, which skrobust does not install by "
            "default: pip install pandas (and pyarrow for Parquet files)."
        ) from exc
    return pandas


def import_parquet():
    """Import pyarrow.parquet or raise a ScoringError saying how to install it."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ScoringError(
            "Parquet files need pyarrow, which is not installed: pip install pyarrow."
        ) from exc
    return pyarrow, pyarrow.parquet
