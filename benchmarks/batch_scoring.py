"""Batch scoring: score_file against a loop of scikit-learn's predict.

Writes a CSV and a Parquet file of ``--rows`` rows (10 float features; the
smaller sizes are the first rows of the largest), fits skrobust's models and
scikit-learn's equivalents on the same training rows, then runs each job in
its own subprocess, so that its peak resident memory (VmHWM) is its own:

- ``score_file``: ``skrobust.batch.score_file`` to an output file of the same
  format (chunks read, scored on all cores, written in order);
- ``loop``: the same chunks read with pandas (``read_csv(chunksize=)``, or
  pyarrow's ``iter_batches`` for Parquet) and scikit-learn's ``predict`` on
  each, the predictions kept in memory, nothing written;
- ``loop + write``: that loop also computing ``decision_function`` and
  appending both to a file of the same format (pandas ``to_csv``, pyarrow's
  ``ParquetWriter``): the script a user would write for score_file's output;
- ``whole file`` (memory only): ``read_csv``/``read_parquet`` of the whole
  file and one ``predict``.

The linear models (``RobustLinearSVC(noise_rates=None)``, ``LinearSVC``)
output the prediction and the decision function; the kernel models
(``RobustSVC(noise_rates=None)``, ``SVC``, rbf, fitted on ``--kernel-train``
rows) the prediction only (``scores=False``: one model call per chunk), on
the largest Parquet file, once. Each linear job runs ``--repeat`` times in
fresh processes: the best time, the largest peak memory. The ratios are the
loop's time over score_file's (above 1: score_file is faster); "same
predictions" compares score_file's output with the loop's predictions. The
machine's load average is printed at the start and the end.

    python benchmarks/batch_scoring.py --rows 1000000 250000
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_FEATURES = 10
N_TRAIN = 20_000


def peak_rss_mib():
    """Peak resident memory of this process (VmHWM; ru_maxrss would keep the
    parent's peak across fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def read_chunks(path, chunksize):
    import pandas as pd
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunksize):
            yield batch.to_pandas()
    else:
        yield from pd.read_csv(path, chunksize=chunksize)


def loop_and_write(model, data, out, chunksize):
    """Predictions and decision values of each chunk, appended to a file."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    predictions, writer = [], None
    with open(out, "wb") as handle:
        for k, chunk in enumerate(read_chunks(data, chunksize)):
            X = chunk.to_numpy()
            scored = pd.DataFrame(
                {"prediction": model.predict(X), "decision": model.decision_function(X)}
            )
            predictions.append(scored["prediction"].to_numpy())
            if out.suffix == ".csv":
                handle.write(scored.to_csv(index=False, header=k == 0).encode())
            else:
                table = pa.Table.from_pandas(scored, preserve_index=False)
                writer = writer or pq.ParquetWriter(handle, table.schema)
                writer.write_table(table)
        if writer is not None:
            writer.close()
    return np.concatenate(predictions)


def child(args):
    """One timed job; prints its seconds and peak memory as JSON."""
    import joblib
    import pandas as pd

    from skrobust.batch import score_file

    data, out = Path(args.data), Path(args.out)
    model = joblib.load(args.model)
    rss_start = peak_rss_mib()
    start = time.perf_counter()
    predictions = None
    if args.child == "score_file":
        score_file(
            model,
            data,
            out,
            chunksize=args.chunksize,
            n_jobs=args.n_jobs,
            progress=False,
            scores=not args.predictions_only,
        )
    elif args.child == "loop":
        chunks = read_chunks(data, args.chunksize)
        predictions = np.concatenate([model.predict(c.to_numpy()) for c in chunks])
    elif args.child == "loop_write":
        predictions = loop_and_write(model, data, out, args.chunksize)
    else:  # the whole file at once
        read = pd.read_parquet if data.suffix == ".parquet" else pd.read_csv
        predictions = model.predict(read(data).to_numpy())
    seconds = time.perf_counter() - start
    if predictions is not None:
        np.save(out.with_suffix(".npy"), predictions)
    result = {"seconds": seconds, "rss_start": rss_start, "rss": peak_rss_mib()}
    print(json.dumps(result))


def run_child(job, model, data, out, args, predictions_only=False, repeat=1):
    """Run a job ``repeat`` times, each in a fresh process: the best time and
    the largest peak memory."""
    command = [sys.executable, __file__, "--child", job, "--model", str(model)]
    command += ["--data", str(data), "--out", str(out)]
    command += ["--chunksize", str(args.chunksize)]
    if args.n_jobs is not None:
        command += ["--n-jobs", str(args.n_jobs)]
    if predictions_only:
        command.append("--predictions-only")
    runs = []
    for _ in range(repeat):
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "seconds": min(r["seconds"] for r in runs),
        "rss_start": max(r["rss_start"] for r in runs),
        "rss": max(r["rss"] for r in runs),
    }


def write_data(folder, sizes):
    """The training rows, and a CSV and a Parquet file per size."""
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(
        N_TRAIN + max(sizes), N_FEATURES, n_informative=6, flip_y=0.05, random_state=0
    )
    columns = [f"x{i}" for i in range(N_FEATURES)]
    frame = pd.DataFrame(X[N_TRAIN:].astype(np.float32), columns=columns)
    files = {}
    for n in sizes:
        csv, parquet = folder / f"rows_{n}.csv", folder / f"rows_{n}.parquet"
        frame.iloc[:n].to_csv(csv, index=False, float_format="%.6g")
        frame.iloc[:n].to_parquet(parquet, index=False, row_group_size=100_000)
        files[n] = {"csv": csv, "parquet": parquet}
    return X[:N_TRAIN], y[:N_TRAIN], files


def fit_models(folder, X, y, kernel_train):
    import joblib
    from sklearn.svm import SVC, LinearSVC

    from skrobust.svm import RobustLinearSVC, RobustSVC

    Xk, yk = X[:kernel_train], y[:kernel_train]
    models = {
        "RobustLinearSVC": RobustLinearSVC(noise_rates=None).fit(X, y),
        "LinearSVC": LinearSVC().fit(X, y),
        "RobustSVC": RobustSVC(noise_rates=None).fit(Xk, yk),
        "SVC": SVC().fit(Xk, yk),
    }
    paths = {}
    for name, model in models.items():
        paths[name] = folder / f"{name}.joblib"
        joblib.dump(model, paths[name])
    return paths, len(models["SVC"].support_)


def same_predictions(out, loop_out):
    import pandas as pd

    if out.suffix == ".parquet":
        ours = pd.read_parquet(out, columns=["prediction"])["prediction"]
    else:
        ours = pd.read_csv(out, usecols=["prediction"])["prediction"]
    return float(np.mean(ours.to_numpy() == np.load(loop_out.with_suffix(".npy"))))


def measure(folder, files, paths, n, fmt, ours, theirs, linear, args):
    data = files[n][fmt]
    out = folder / f"ours.{fmt}"
    result = {"rows": n, "format": fmt, "ours": ours, "theirs": theirs}
    repeat = args.repeat if linear else 1  # the kernel jobs take long enough
    result["score_file"] = run_child(
        "score_file", paths[ours], data, out, args, not linear, repeat
    )
    loop_out = folder / "loop"
    result["loop"] = run_child(
        "loop", paths[theirs], data, loop_out, args, False, repeat
    )
    result["same"] = same_predictions(out, folder / "loop")
    if linear:
        write_out = folder / f"loop.{fmt}"
        result["loop_write"] = run_child(
            "loop_write", paths[theirs], data, write_out, args, False, repeat
        )
        result["whole"] = run_child(
            "whole", paths[theirs], data, folder / "whole", args, False, repeat
        )
    return result


def main(args):
    sizes = sorted(args.rows, reverse=True)
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = Path(tmp)
        print(f"load average at start: {os.getloadavg()}", flush=True)
        X, y, files = write_data(folder, sizes)
        paths, n_support = fit_models(folder, X, y, args.kernel_train)
        print(f"SVC support vectors: {n_support}", flush=True)
        linear = ("RobustLinearSVC", "LinearSVC", True)
        jobs = [(n, fmt, *linear) for n in sizes for fmt in ("csv", "parquet")]
        jobs.append((sizes[0], "parquet", "RobustSVC", "SVC", False))
        results = []
        for job in jobs:
            results.append(measure(folder, files, paths, *job, args))
            print(json.dumps(results[-1]), flush=True)
        print(f"load average at end: {os.getloadavg()}")
    print()
    print_tables(results)


def print_tables(results):
    def cells(*values):
        print(", ".join(f'"{v}"' for v in values))

    print("Throughput")
    cells(
        "rows", "format", "models (outputs)", "score_file (s)", "rows/s",
        "loop (s)", "ratio", "loop + write (s)", "ratio", "same predictions",
    )  # fmt: skip
    for r in results:
        linear = "loop_write" in r
        outputs = "prediction, decision" if linear else "prediction"
        mine, loop = r["score_file"]["seconds"], r["loop"]["seconds"]
        write = r["loop_write"]["seconds"] if linear else None
        cells(
            f"{r['rows']:,}",
            r["format"],
            f"{r['ours']} / {r['theirs']} ({outputs})",
            f"{mine:.2f}",
            f"{r['rows'] / mine:,.0f}",
            f"{loop:.2f}",
            f"{loop / mine:.2f}",
            f"{write:.2f}" if linear else "n/a",
            f"{write / mine:.2f}" if linear else "n/a",
            f"{r['same']:.4%}",
        )
    print()
    print("Peak resident memory (MiB; after imports and loading the model)")
    cells("rows", "format", "score_file", "loop", "whole file", "after imports")
    for r in results:
        if "whole" in r:
            cells(
                f"{r['rows']:,}",
                r["format"],
                f"{r['score_file']['rss']:.0f}",
                f"{r['loop']['rss']:.0f}",
                f"{r['whole']['rss']:.0f}",
                f"{r['score_file']['rss_start']:.0f}",
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 250_000])
    parser.add_argument("--chunksize", type=int, default=100_000)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--kernel-train", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per linear job")
    parser.add_argument("--folder", default=None, help="where the temporary files go")
    parser.add_argument(
        "--child", choices=["score_file", "loop", "loop_write", "whole"]
    )
    parser.add_argument("--model")
    parser.add_argument("--data")
    parser.add_argument("--out")
    parser.add_argument("--predictions-only", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
    else:
        main(args)
