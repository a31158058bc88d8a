"""Ctrl-C during a long solve reaches the user as KeyboardInterrupt at once,
not after the Numba kernel returns (nor as a SystemError)."""

import signal
import subprocess
import sys
import time

import pytest

SCRIPT = """
import warnings
import numpy as np
from sklearn.base import clone
from skrobust.linear_model import RobustLossClassifier
from skrobust.svm import FloralSVC, RobustLinearSVC, RobustSVC

warnings.simplefilter("ignore")  # the warm-up stops short of tol

rng = np.random.default_rng(0)
X, y = rng.normal(size=(20000, 20)), rng.integers(0, 3, 20000)
models = {{
    "smo": lambda: RobustSVC(noise_rates=None, C=100.0, tol=1e-6),
    "dual_cd": lambda: RobustLinearSVC(
        noise_rates=None, loss="hinge", C=1e4, tol=1e-12, max_iter=10**9,
        n_jobs={n_jobs},
    ),
    "crammer_singer": lambda: RobustLossClassifier(
        "crammer_singer", C=1e4, tol=1e-12, max_iter=10**9
    ),
    # 2000 rows: its n x n kernel matrix fits in memory
    "floral": lambda: FloralSVC(selection="last", n_rounds=10**8, random_state=0),
}}
model = models[{kernel!r}]()
if {kernel!r} in ("smo", "dual_cd", "floral"):
    y = y % 2
if {kernel!r} == "floral":
    X, y = X[:2000], y[:2000]
# the same model on 40 rows and a few steps: its kernels are compiled (or
# loaded) here, as compiling cannot be interrupted
steps = "n_rounds" if {kernel!r} == "floral" else "max_iter"
clone(model).set_params(**{{steps: 50}}).fit(X[:40], y[:40])
print("ready", flush=True)
try:
    model.fit(X, y)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
@pytest.mark.parametrize(
    ("kernel", "n_jobs"),
    [("smo", 1), ("dual_cd", 1), ("crammer_singer", 1), ("floral", 1)],
)
def test_ctrl_c_interrupts_a_long_fit_within_a_second(kernel, n_jobs):
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(kernel=kernel, n_jobs=n_jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # well inside the fit, which takes a minute or more
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        waited = time.monotonic() - sent
    finally:
        process.kill()
    assert out.strip() == "interrupted", err
    assert "SystemError" not in err
    assert waited < 2.0
