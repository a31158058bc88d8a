import subprocess
import sys

import numpy as np
import pytest

from skrobust import _demo
from skrobust.__main__ import main


def test_cli_rejects_unknown_command_and_bad_seeds(capsys):
    with pytest.raises(SystemExit) as unknown:
        main(["train"])
    assert unknown.value.code == 2
    with pytest.raises(SystemExit) as bad_seeds:
        main(["demo", "--seeds", "0"])
    assert bad_seeds.value.code == 2
    assert "--seeds must be at least 1" in capsys.readouterr().err


def test_module_entry_point_prints_help():
    out = subprocess.run(
        [sys.executable, "-m", "skrobust", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "demo" in out


def test_demo_conformal_table_shows_the_correction():
    results = _demo.conformal_table(n_seeds=1)
    plain, corrected = results["split conformal"], results["noise-corrected"]
    at_30 = _demo.NOISE_RATES.index(0.3)
    assert plain["coverage"][at_30] > 0.98  # noisy labels: over-covered...
    assert plain["size"][at_30] > 3 * corrected["size"][at_30]  # ...with big sets
    assert min(corrected["coverage"]) > 0.85
    assert max(corrected["size"]) < 1.5 * corrected["size"][0]


def test_demo_noise_rate_estimates_are_near_the_truth():
    rows = _demo.noise_rate_table(n_seeds=1)
    assert [true for true, _ in rows] == list(_demo.FLIP_RATES)
    for true, estimate in rows:
        assert np.allclose(estimate, true, atol=0.08)


@pytest.mark.slow
def test_demo_runs_every_part_and_shows_the_robust_models_ahead(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    tables, plots = _demo.run(output=tmp_path, n_seeds=1)
    assert set(tables) == set(plots) == set(_demo.PARTS)
    for path in plots.values():
        assert path.exists() and path.stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "RobustLinearSVC" in out and "RobustSVC" in out and "GCE" in out
    assert "noise-corrected" in out and "FloralSVC" in out and "DLLP" in out
    at_30 = _demo.NOISE_RATES.index(0.3)
    for models in tables["noise"].values():
        plain, robust = models.values()  # each dataset: the plain model, then ours
        assert robust[at_30] > plain[at_30]
        assert robust[0] >= plain[0] - 0.005
    poisoning = tables["poisoning"]
    svc, _, trusted = poisoning.values()  # SVC, FloralSVC, FloralSVC + trusted
    assert trusted[-1] > svc[-1] + 0.1  # at the largest budget
    auc = tables["llp"]
    supervised, dllp, bp = auc.values()
    assert dllp[0] > supervised[0] - 0.03 and bp[0] > supervised[0] - 0.03
    assert min(dllp + bp) > 0.75
