"""LLP-BP at scale: time and peak memory of each stage of one fit.

One million rows (``make_classification``, 20 features or ``--features``,
12% positives) in random bags of 256; ``LLPBeliefPropagation`` with its defaults on all
cores. Each stage's time comes from the estimator's log (logger
``skrobust.llp``); a thread samples the process's resident memory every
20 ms, and the peak during a stage, minus the resident memory before the
fit, is its memory. The first fit of a fresh process also compiles the
kernels: run twice for warm figures (``--rows`` for a smaller run).

    python benchmarks/llp_scale.py [--rows 1000000] [--bag-size 256] [--features 20]
"""

import argparse
import logging
import os
import threading
import time

from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

from skrobust.llp import DLLPClassifier, LLPBeliefPropagation, make_bags

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class MemorySampler(threading.Thread):
    """Peak resident memory since the last ``mark``."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = resident_bytes()
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.02)

    def mark(self):
        peak, self.peak = self.peak, resident_bytes()
        return peak


class StageLog(logging.Handler):
    def __init__(self, sampler, baseline):
        super().__init__()
        self.sampler, self.baseline, self.rows = sampler, baseline, []

    def emit(self, record):
        round_, stage, seconds = record.args
        peak = self.sampler.mark() - self.baseline
        self.rows.append((round_, stage, seconds, peak / 2**20))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bag-size", type=int, default=256)
    parser.add_argument("--features", type=int, default=20)
    args = parser.parse_args()
    X, y = make_classification(
        args.rows + 50_000,
        args.features,
        n_informative=min(8, args.features),
        weights=[0.88],
        random_state=0,
    )
    X_test, y_test = X[args.rows :], y[args.rows :]
    X, y = X[: args.rows], y[: args.rows]
    bags, proportions = make_bags(y, args.bag_size, random_state=0)

    sampler = MemorySampler()
    sampler.start()
    baseline = resident_bytes()
    sampler.mark()
    log = StageLog(sampler, baseline)
    logger = logging.getLogger("skrobust.llp")
    logger.addHandler(log)
    logger.setLevel(logging.INFO)
    start = time.perf_counter()
    model = LLPBeliefPropagation(n_jobs=-1, random_state=0).fit(
        X, proportions, bags=bags
    )
    total = time.perf_counter() - start
    sampler.running = False
    logger.removeHandler(log)

    print(
        f"{args.rows} rows x {args.features} features, bags of {args.bag_size}, "
        f"{os.cpu_count()} cores; data {X.nbytes / 2**20:.0f} MB"
    )
    print("| round | stage | time (s) | peak memory over the data (MB) |")
    print("|---|---|---|---|")
    for round_, stage, seconds, megabytes in log.rows:
        print(f"| {round_} | {stage} | {seconds:.1f} | {megabytes:.0f} |")
    overall = max([(sampler.peak - baseline) / 2**20] + [row[3] for row in log.rows])
    print(f"| all | fit | {total:.1f} | {overall:.0f} |")
    start = time.perf_counter()
    dllp = DLLPClassifier().fit(X, proportions, bags=bags)
    dllp_time = time.perf_counter() - start
    auc = roc_auc_score(y_test, model.decision_function(X_test))
    dllp_auc = roc_auc_score(y_test, dllp.decision_function(X_test))
    print(
        f"test AUC: LLP-BP {auc:.3f}, DLLP {dllp_auc:.3f} "
        f"(DLLP fit {dllp_time:.1f} s: LLP-BP / DLLP time {total / dllp_time:.1f})"
    )
    print(
        "BP, each step: iterations "
        f"{model.bp_iterations_.tolist()} (at most {model.max_bp_iter}), last "
        f"message change {[f'{r:.1e}' for r in model.bp_residual_]}"
    )


if __name__ == "__main__":
    main()
