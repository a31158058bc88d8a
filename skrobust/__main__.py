"""Command line.

``python -m skrobust demo [--output DIR] [--seeds N]`` runs the demo;
``python -m skrobust warmup`` compiles every Numba kernel into the cache
(for deployment images; see the production guide);
``python -m skrobust score MODEL DATA -o OUT [--chunksize N] [--n-jobs N]
[--format csv|parquet] [--predictions-only] [--no-progress]
[--trust-skops-types]`` scores a CSV or Parquet file with a fitted model (see
:func:`skrobust.batch.score_file`).

Exit codes: 0 on success; 2 for a usage or input error (a bad option, a
missing or unreadable model or data file, columns that do not match the
model, a non-numeric cell, a missing output folder), reported on one line
``skrobust score: error: ...`` without a traceback and without leaving an
output file; 130 when interrupted (Ctrl-C), also without an output file.
"""

import argparse
import sys

USER_ERROR = 2
INTERRUPTED = 130


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skrobust",
        description="skrobust: scikit-learn estimators for noisy labels.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="compare plain and noise-robust models under label noise"
    )
    demo.add_argument("--output", default="skrobust_demo", help="folder for the plot")
    demo.add_argument("--seeds", type=int, default=3, help="repetitions per setting")
    commands.add_parser(
        "warmup",
        help="compile every Numba kernel into the cache (for deployment images)",
        description=(
            "Fit and use every estimator once on small data so that Numba "
            "compiles and caches the kernels; run it where the cache will be "
            "read (the same NUMBA_CACHE_DIR, Python and Numba versions)."
        ),
    )
    _add_score_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "score":
        return _score(args)
    if args.command == "warmup":
        from ._warmup import cache_location, warmup

        compiled, seconds = warmup()
        print(
            f"compiled {compiled} kernel signatures in {seconds:.1f} s; "
            f"cache: {cache_location()}"
        )
        return 0
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    from ._demo import run

    run(output=args.output, n_seeds=args.seeds)
    return 0


def _add_score_parser(commands):
    score = commands.add_parser(
        "score",
        prog="skrobust score",
        help="score a CSV or Parquet file with a fitted model",
        description=(
            "Write a fitted model's predictions, class scores (proba_* or "
            "decision_*) and conformal sets (set_*) for every row of a CSV or "
            "Parquet file, read in chunks and scored in parallel; the output "
            "appears only once complete. Pickle and joblib model files can run "
            "code when loaded: use only files you trust. Exit code 2 on a "
            "usage or input error, 130 when interrupted."
        ),
    )
    score.add_argument("model", help="fitted model: .pkl/.joblib (pickle) or .skops")
    score.add_argument("data", help="rows to score: .csv (with a header) or .parquet")
    score.add_argument("-o", "--output", required=True, help="file to write")
    score.add_argument(
        "--chunksize",
        type=_positive_int,
        default=100_000,
        help="rows per chunk (default: 100000)",
    )
    score.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        help="threads scoring chunks at once (default -1: all cores; -2: all but one)",
    )
    score.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default=None,
        help="output format (default: parquet for a .parquet/.pq output, else csv)",
    )
    score.add_argument(
        "--predictions-only",
        action="store_true",
        help="write the prediction column alone, without class scores and sets",
    )
    score.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress line (it is shown only when stderr is a terminal)",
    )
    score.add_argument(
        "--trust-skops-types",
        action="store_true",
        help="load a .skops model even if it holds types skops does not trust by "
        "default (every skrobust estimator): only for files you trust",
    )


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0")
    return value


def _score(args):
    def fail(message, code=USER_ERROR):
        print(f"skrobust score: error: {message}", file=sys.stderr)
        return code

    from .batch import ScoringError, score_file

    try:
        score_file(
            args.model,
            args.data,
            args.output,
            chunksize=args.chunksize,
            n_jobs=args.n_jobs,
            progress=False if args.no_progress else "auto",
            scores=not args.predictions_only,
            output_format=args.format,
            trusted=True if args.trust_skops_types else None,
        )
    except (ScoringError, ImportError) as exc:  # ImportError: no pandas
        return fail(exc)
    except OSError as exc:  # unreadable files, a full disk, no permission
        return fail(exc)
    except KeyboardInterrupt:
        return fail("interrupted; no output written.", INTERRUPTED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
