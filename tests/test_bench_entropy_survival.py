"""The entropy_survival benchmark suite runs (smoke mode: tiny, ours only)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    importlib.util.find_spec("lifelines") is None,
    reason="the survival cohorts ship in lifelines' wheel",
)
def test_entropy_survival_suite_smoke(tmp_path):
    env = dict(os.environ)
    env.update(
        INSTRANSFER_BENCH_RESULTS=str(tmp_path),
        INSTRANSFER_BENCH_PEERS="0",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", "entropy_survival"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    text = (tmp_path / "entropy_survival.smoke.md").read_text()
    for heading in (
        "Agreement with ebal",
        "coverage of the true target curve",
        "Survival cohorts",
        "Cohorts: target log-loss",
    ):
        assert heading in text
    # the unweighted curve is the source's: it does not cover the target's
    row = next(
        line
        for line in text.splitlines()
        if line.startswith("| unweighted (the source")
    )
    assert row.split("|")[2].strip().startswith("0.0")  # never covers the target
