"""Rerunning the stale results the README quotes: the plan, the records it
reads, and the check CI runs (no suite is run here)."""

import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

run = importlib.import_module("benchmarks.run")
harness = importlib.import_module("benchmarks._harness")
readme = importlib.import_module("benchmarks.readme")


def _job(suite, minutes, *, timing=False, peers=False, cores=1):
    return run.Job(suite, None, f"{suite}.md", timing, peers, minutes, "test", cores)


def test_every_quoted_file_has_one_job():
    # a README-quoted file without a job could never be refreshed by --stale
    files = [j.results for j in run.JOBS]
    assert sorted(files) == sorted(set(files)) == readme.quoted_files()
    for job in run.JOBS:
        assert job.suite in run.available_suites()


def test_plan_timing_alone_then_quality_in_two_slots():
    jobs = [
        _job("q_long", 10),
        _job("t_b", 3, timing=True),
        _job("q_a", 4),
        _job("t_a", 2, timing=True),
        _job("q_b", 5),
        _job("both_cores", 6, cores=2),
    ]
    scheduled, left = run.plan(jobs, slots=2)
    assert left == []
    order = [(j.suite, start, slot) for j, start, slot in scheduled]
    # timing ones alone and first (shortest first), then the job that uses
    # both cores, then the rest two at a time, longest first
    assert order[:3] == [("t_a", 0, 0), ("t_b", 2, 0), ("both_cores", 5, 0)]
    assert order[3:] == [("q_long", 11, 0), ("q_b", 11, 1), ("q_a", 16, 1)]


def test_plan_keeps_to_the_budget_and_says_what_it_left():
    jobs = [_job("t", 30, timing=True), _job("q1", 8), _job("q2", 12)]
    scheduled, left = run.plan(jobs, slots=2, budget_min=40)
    assert [j.suite for j, _, _ in scheduled] == ["t", "q1"]
    assert [j.suite for j, _ in left] == ["q2"]
    scheduled, left = run.plan(
        jobs, slots=2, can_run=lambda j: "no peers" if j.suite == "t" else None
    )
    assert [j.suite for j, _, _ in scheduled] == ["q2", "q1"]
    assert left == [(jobs[0], "no peers")]


def test_results_file_records_its_duration(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTRANSFER_BENCH_RESULTS", str(tmp_path))
    monkeypatch.delenv("INSTRANSFER_BENCH_SMOKE", raising=False)
    monkeypatch.setitem(harness._CLOCK, "t0", harness.time.perf_counter() - 90)
    monkeypatch.setitem(harness._CLOCK, "cpu0", harness._cpu_seconds() - 60)
    path = harness.write_results("demo", "Demo", [("A", "body")], quick=False)
    text = path.read_text()
    assert "Full run took 1.5 min (1.0 min of CPU) in the Python environment" in text
    assert harness.run_minutes(path) == pytest.approx(1.5, abs=0.05)
    assert harness.run_minutes(path, cpu=True) == pytest.approx(1.0, abs=0.05)
    prov = harness.read_provenance(path)
    assert prov["mode"] == "full" and prov["python_env"] == harness.python_env()
    # the next file of the same run records its own share, not the total
    second = harness.write_results("demo2", "Demo", [("A", "body")], quick=True)
    assert harness.run_minutes(second) < 0.5
    assert "Quick run took" in second.read_text()


def test_job_minutes_prefers_the_record(tmp_path, monkeypatch):
    job = _job("demo", 7)
    assert run.job_minutes(job, tmp_path) == (7, "estimate")
    monkeypatch.setenv("INSTRANSFER_BENCH_RESULTS", str(tmp_path))
    monkeypatch.setitem(harness._CLOCK, "t0", harness.time.perf_counter() - 180)
    monkeypatch.setitem(harness._CLOCK, "cpu0", harness._cpu_seconds() - 60)
    harness.write_results("demo", "Demo", [("A", "body")], quick=False)
    # one process on a loaded machine: twice its CPU minutes, not the wall's
    minutes, how = run.job_minutes(job, tmp_path)
    assert how == "recorded" and minutes == pytest.approx(2, abs=0.05)
    # a suite that starts its own workers: the wall minutes
    wide = run.Job("demo", None, "demo.md", False, False, 7, "test", cores=2)
    assert run.job_minutes(wide, tmp_path)[0] == pytest.approx(3, abs=0.05)


def test_stale_jobs_lists_missing_and_changed_files(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTRANSFER_BENCH_RESULTS", str(tmp_path))
    assert len(run.stale_jobs(tmp_path)) == len(run.JOBS)  # nothing written
    path = harness.write_results("hardening", "H", [("A", "b")], quick=False)
    assert "hardening.md" not in [j.results for j in run.stale_jobs(tmp_path)]
    prov = harness.read_provenance(path)
    prov["code"] = "0" * 16  # as if the measured code had changed since
    path.write_text(
        path.read_text().split("*Full run")[0] + harness.provenance_note(prov)
    )
    assert "hardening.md" in [j.results for j in run.stale_jobs(tmp_path)]


def test_code_hash_reads_this_checkout_without_importing():
    # a module of the repository is found by its path; one that moved away
    # hashes as missing, so the file measuring it reads as stale
    assert harness._module_source("benchmarks.run") == REPO / "benchmarks" / "run.py"
    assert harness._module_source("instransfer") == REPO / "instransfer" / "__init__.py"
    assert harness._module_source("instransfer.no_such_module") is None
    assert harness.code_hash(["instransfer"]) != harness.code_hash(
        ["instransfer.no_such_module"]
    )


def test_duration_table_in_the_benchmarks_readme_is_current():
    text = (REPO / "benchmarks" / "README.md").read_text()
    block = text.split("<!-- durations:begin -->")[1].split("<!-- durations:end -->")[0]
    assert block.strip() == run.durations_markdown(), (
        "benchmarks/README.md's duration table differs from run.JOBS; paste "
        "`python -m benchmarks.run --durations` there"
    )
