import subprocess
import sys

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


@pytest.mark.slow
def test_demo_shows_the_robust_model_ahead_under_noise(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    results, path = _demo.run(output=tmp_path, n_seeds=1)
    assert path.exists() and path.stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "RobustLinearSVC" in out and "RobustSVC" in out and "GCE" in out
    assert "noise-corrected" in out
    at_30 = _demo.NOISE_RATES.index(0.3)
    for models in results.values():
        plain, robust = models.values()  # each dataset: the plain model, then ours
        assert robust[at_30] > plain[at_30]
        assert robust[0] >= plain[0] - 0.005
