"""The benchmark entry point runs (tiny sizes, ours only), so it cannot rot.

``python -m benchmarks.run --smoke`` writes to a temporary directory
(``INSTRANSFER_BENCH_RESULTS``); the committed tables are not touched. The
peers' part runs only where they are installed (``@pytest.mark.peers``).
"""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SUITES = (
    "weighting",
    "import",
    "quality",
    "boosting_cohorts",
    "conformal",
    "kernel_defaults",
    "engineer",
    "diagnostics",
)


def _harness():
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module("benchmarks._harness")


def _run(out_dir, *args, **env_extra):
    env = dict(os.environ)
    env.update(
        INSTRANSFER_BENCH_RESULTS=str(out_dir),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        **env_extra,
    )
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.run", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _row(text, *cells):
    """The first table row whose leading cells start with ``cells``."""
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(parts) >= len(cells) and all(
            p.startswith(c) for p, c in zip(parts, cells, strict=False)
        ):
            return parts
    raise AssertionError(f"no row starting with {cells!r}")


def _mean(cell):
    return float(re.match(r"[-+]?[\d.]+", cell).group())


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = _run(out, "--smoke", *SUITES, INSTRANSFER_BENCH_PEERS="0")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return out


def test_smoke_writes_every_table(smoke_results):
    names = {p.name for p in smoke_results.iterdir()}
    tables = (
        "weighting",
        "import",
        "quality",
        "quality_cohorts_regression",
        "kernel_defaults",
    )
    expected = {f"{n}.smoke.md" for n in tables}
    assert expected <= names
    for name in expected:
        text = (smoke_results / name).read_text()
        assert text.startswith("# ") and "Smoke mode" in text
        assert "Peers: not run" in text  # ours only in smoke mode


def test_smoke_weighting_is_mean_one_and_sensible(smoke_results):
    text = (smoke_results / "weighting.smoke.md").read_text()
    row = _row(text, "300", "`ours_clf1`")
    assert row[-1] == "1"  # our weights are mean 1 as returned
    assert float(row[5]) > 0.3  # correlation with the true ratio
    assert _row(text, "300", "`ours_nn`")[6] == "0 %"  # smoothing: no zero weight


def test_smoke_import_loads_neither_matplotlib_nor_xgboost(smoke_results):
    text = (smoke_results / "import.smoke.md").read_text()
    assert "`import instransfer`: neither matplotlib nor xgboost" in text
    assert "every public name of `instransfer`: neither matplotlib nor xgboost" in text


def test_smoke_quality_recovers_a_known_ratio(smoke_results):
    text = (smoke_results / "quality.smoke.md").read_text()
    # uLSIF on a 2-D Gaussian shift: NMSE well below that of uniform weights
    assert _mean(_row(text, "ours", "ULSIF()")[2]) < 0.3
    # diabetes ships with scikit-learn; the classification cohorts need lifelines
    cohorts = (smoke_results / "quality_cohorts_regression.smoke.md").read_text()
    assert _row(cohorts, "unweighted")[2] == "(reference)"
    _row(cohorts, "oracle (true ratio)")
    _row(cohorts, "ours NearestNeighborWeighter() + flatten by IWCV")


def test_smoke_kernel_defaults_covers_every_method(smoke_results):
    text = (smoke_results / "kernel_defaults.smoke.md").read_text()
    for heading in ("## uLSIF", "## RuLSIF", "## KLIEP", "## KMM", "## Cohorts"):
        assert heading in text
    assert "oracle in grid" in text
    if "Not measured: lifelines" not in text:  # the cohorts ship in lifelines
        assert "ClassifierWeighter()" in text


def test_smoke_boosting_cohorts_computes_its_verdicts(smoke_results):
    text = (smoke_results / "boosting_cohorts.smoke.md").read_text()
    if "Not measured" in text:
        pytest.skip("lifelines is not installed")
    row = _row(text, "gbsg2", "20")
    assert row[-1] in ("yes", "**no**") and "vs " in row[-2]


def test_smoke_conformal_tables(smoke_results):
    text = (smoke_results / "conformal.smoke.md").read_text()
    for heading in (
        "Conformal intervals: target coverage",
        "Width and infinite intervals against ESS",
        "Side by side with MAPIE",
        "Doubly robust under misspecification",
        "Calibration on the target",
    ):
        assert f"## {heading}" in text
    _row(text, "plain split conformal (flatten=0)")
    _row(text, "weighted, oracle ratio")


def test_smoke_engineer_tables(smoke_results):
    text = (smoke_results / "engineer.smoke.md").read_text()
    for heading in (
        "Peak memory of a weighted fit",
        "The engineer's pipeline at scale",
        "n_jobs in",
        "Pickle size",
        "NearestNeighborWeighter smoothing",
    ):
        assert f"## {heading}" in text
    _row(text, "ImportanceWeightedClassifier(LogisticRegression())")
    assert "(identical weights in all three)" in text


def test_smoke_diagnostics_hard_split_warns(smoke_results):
    text = (smoke_results / "diagnostics.smoke.md").read_text()
    assert "Calibration under no shift" in text
    assert "NoOverlapWarning for every weighter and seed: yes" in text


def test_committed_results_untouched(smoke_results):
    # the smoke run wrote nothing next to the committed tables
    assert not list((REPO / "benchmarks" / "results").glob("*.smoke.md"))


def test_harness_statistics():
    h = _harness()
    assert h.nmse(np.ones(5), np.ones(5)) == 0.0
    w = np.array([1.0, 2.0, 3.0])
    # scale-free: both sides are normalised to mean 1
    assert h.nmse(10 * w, w) == pytest.approx(0.0)
    assert h.nmse(np.ones(3), w) == pytest.approx(0.5 / 3.5)  # (.25+0+.25)/(.25+1+2.25)
    m, se = h.mean_se([1.0, 2.0, 3.0, float("nan")])
    assert (m, se) == (pytest.approx(2.0), pytest.approx(1 / np.sqrt(3)))
    assert h.fmt_ratio(123.4) == "123×" and h.fmt_ratio(1.234) == "1.2×"
    calls = []
    res = h.compare_times(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        repeat=3,
        warmup=False,
    )
    assert calls == ["a", "b"] * 3  # interleaved rounds
    assert all(len(t) == 3 for t, _ in res.values())


def test_subprocess_peak_rss_sees_an_allocation():
    h = _harness()
    out = h.subprocess_peak_rss(
        "benchmarks._harness:_alloc_case", {"mb": 96}, trace=True
    )
    assert "error" not in out, out
    assert out["result"] == 96 * 2**20 // 8
    assert out["rss_delta"] > 64 * 2**20
    assert out["traced_peak"] >= 96 * 2**20
    bad = h.subprocess_peak_rss("benchmarks._harness:no_such_case")
    assert "error" in bad


@pytest.mark.peers
def test_smoke_with_peers_checks_their_facts(tmp_path):
    pytest.importorskip("skada")
    pytest.importorskip("adapt")
    proc = _run(tmp_path, "--smoke", "weighting", INSTRANSFER_BENCH_PEERS="1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = (tmp_path / "weighting.smoke.md").read_text()
    # skada's discriminator weights estimate p_s / p_t: anti-correlated with ours
    fact = next(line for line in text.splitlines() if "inverse ratio" in line)
    assert float(re.search(r"with ours' .*? ([-+][\d.]+) ", fact).group(1)) < -0.99
    # adapt's NN weights are ours (k=5, smoothing=0) times k, zeros included
    fact = next(line for line in text.splitlines() if "exactly 0" in line)
    assert float(re.search(r"max \|difference\| ([\d.e+-]+)\)", fact).group(1)) < 1e-12
