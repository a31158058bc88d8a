"""Compile cost: what fitting and using every estimator compiles, cold and warm.

Numba compiles a kernel on its first call in a process unless its cache has
it. Two fresh interpreters share one empty ``NUMBA_CACHE_DIR``: the first
fits every public estimator and calls its predict methods, compiling what
they use; the second does the same and must compile nothing (every kernel
on those paths is cached, so a user pays the compile time once).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPET = r"""
import json, sys, warnings
sys.path.insert(0, {tests!r})
from estimator_cases import NAMES, case_data, case_estimator
from skrobust._warmup import compiled_kernels, use

warnings.simplefilter("ignore")
with compiled_kernels() as compiled:
    for name in NAMES:
        X, y, fit_params, X_test = case_data(name)
        use(case_estimator(name), X, y, fit_params, X_test)
print(json.dumps(compiled))
"""


def _compiled(cache_dir):
    tests = str(Path(__file__).parent)
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(tests=tests)],
        env=dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_warmup_leaves_nothing_to_compile(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "skrobust", "warmup"],
        env=dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert f"cache: {tmp_path}" in out.stdout
    assert int(out.stdout.split()[1]) > 0  # it compiled the kernels...
    assert _compiled(tmp_path) == []  # ...that every estimator's use needs


@pytest.mark.slow
def test_a_warm_cache_compiles_nothing(tmp_path):
    cold = _compiled(tmp_path)
    assert cold, "the cold run compiled nothing: the listener saw no compile"
    assert _compiled(tmp_path) == []
