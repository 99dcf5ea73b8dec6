"""Run every benchmark suite: ``python -m benchmarks.run [--quick] [suite ...]``.

Each ``benchmarks/suite_<name>.py`` defines ``run(quick: bool) -> Path`` and
writes ``benchmarks/results/<name>.md`` (``<name>.quick.md`` with ``--quick``).
Peers (adapt, skada, densratio) are measured when installed
(``pip install -e ".[bench]"``) and skipped otherwise.

``--smoke`` runs tiny sizes of ours only (the test suite uses it so the suites
cannot rot); ``--results-dir`` redirects the tables (or set
``INSTRANSFER_BENCH_RESULTS``).

``--check`` lists results files older than the code they measured (exit 1 when
the README quotes one); ``--stale`` reruns exactly the stale files the README
quotes, timing-sensitive suites alone and the others ``--jobs`` at a time,
within ``--budget-min`` minutes; suites that compare with adapt/skada/densratio
run under ``--peers-python`` (a separate environment with the peers) with this
checkout on ``PYTHONPATH``. ``--stale --dry-run`` prints the plan only.
"""

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from benchmarks._harness import pin_threads_env, start_clock


def available_suites():
    here = Path(__file__).resolve().parent
    return sorted(
        m.name[len("suite_") :]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("suite_")
    )


def check_results():
    """Print every full results file whose code changed since it was written."""
    from benchmarks._harness import RESULTS, stale_reason
    from benchmarks.readme import quoted_files

    quoted = set(quoted_files())
    bad = 0
    for path in sorted(RESULTS.glob("*.md")):
        reason = stale_reason(path)
        if reason is None:
            continue
        mark = "README quotes it" if path.name in quoted else "not quoted"
        print(f"{path.name}: {reason} ({mark})")
        bad += path.name in quoted
    print(f"{bad} results file(s) quoted by the README are stale")
    return 1 if bad else 0


# --------------------------------------------------------------------------
# rerunning the stale results the README quotes


@dataclass(frozen=True)
class Job:
    """One command that rewrites one README-quoted results file.

    ``timing``: the file's README numbers are times or time ratios, so the
    job runs alone. ``peers``: it compares with adapt/skada/densratio and
    runs under the peers' interpreter. ``cores``: worker processes the suite
    starts itself (joblib); a job using every core runs alone too.
    ``minutes``: the full run's duration on the 2-core machine (``basis``
    says where the number comes from); the file's own record replaces it
    once written by a harness that records it.
    """

    suite: str
    part: str | None
    results: str
    timing: bool
    peers: bool
    minutes: float
    basis: str
    cores: int = 1

    @property
    def label(self):
        return self.suite + (f" --part {self.part}" if self.part else "")


# Every README-quoted results file, the command that writes it and what it
# needs (benchmarks/README.md has the same table with the reasons).
JOBS = (
    Job(
        "import",
        None,
        "import.md",
        True,
        True,
        5,
        "estimate: ~80 fresh interpreters, 16 load TensorFlow",
    ),
    Job(
        "kmm",
        None,
        "kmm.md",
        True,
        True,
        10,
        "estimate: quick run 0.6 min of CPU, full n 3x-10x",
    ),
    Job(
        "kernel_ratio",
        None,
        "kernel_ratio.md",
        True,
        True,
        2.3,
        "measured: 139 s on an idle machine",
    ),
    Job(
        "tradaboost",
        None,
        "tradaboost.md",
        True,
        True,
        10,
        "estimate (suite owned elsewhere)",
    ),
    Job("weighted_hgb", None, "weighted_hgb.md", True, False, 1.2, "measured: 1.2 min"),
    Job(
        "entropy_survival",
        None,
        "entropy_survival.md",
        True,
        False,
        1.7,
        "measured: 99 s on an idle machine",
    ),
    Job(
        "iwcv_cost",
        None,
        "iwcv_cost.md",
        True,
        False,
        3.3,
        "measured: 195 s on an idle machine",
        cores=2,
    ),
    Job(
        "quality",
        "cohorts",
        "quality_cohorts.md",
        False,
        True,
        8,
        "estimate: 4 cohorts x 10 seeds x every method",
    ),
    Job(
        "quality",
        "cohorts_regression",
        "quality_cohorts_regression.md",
        False,
        True,
        4,
        "estimate: 2 cohorts x 10 seeds x every method",
    ),
    Job(
        "kernel_defaults",
        None,
        "kernel_defaults.md",
        False,
        True,
        4.6,
        "measured: 279 s on a machine with one other job",
    ),
    Job(
        "boosting_cohorts",
        None,
        "boosting_cohorts.md",
        False,
        False,
        7,
        "its file: 419 s",
    ),
    Job(
        "flatten_choice",
        None,
        "flatten_choice.md",
        False,
        False,
        10,
        "measured: 617 s wall, 2 jobs",
        cores=2,
    ),
    Job("conformal", None, "conformal.md", False, False, 10, "estimate"),
    Job(
        "diagnostics",
        None,
        "diagnostics.md",
        False,
        False,
        3,
        "measured: 11.4 min wall at load 14-23, ~2.7 min of CPU",
    ),
    Job(
        "hardening",
        None,
        "hardening.md",
        False,
        False,
        1,
        "measured: 0.8 min idle (4.9 min wall at load 25, 0.4 min of CPU)",
    ),
    Job(
        "engineer",
        None,
        "engineer.md",
        True,
        False,
        10,
        "estimate: 300 000-row fits in fresh interpreters, ~8 min at load 20",
    ),
    Job(
        "dask",
        "ulsif",
        "dask.md",
        True,
        False,
        20,
        "its file: ~19 min of fits and passes at load 25 (LocalCluster, 2 workers)",
        cores=2,
    ),
    Job(
        "dask",
        "classifier",
        "dask_classifier.md",
        True,
        False,
        8,
        "estimate: 2 sizes, LocalCluster of 2 workers",
        cores=2,
    ),
)


def durations_markdown():
    """The duration table of benchmarks/README.md, from :data:`JOBS`."""
    from benchmarks._harness import markdown_table

    rows = [
        [
            f"`{j.label}`",
            f"`{j.results}`",
            f"{j.minutes:g}",
            j.basis,
            "yes" if j.timing else "no",
            "yes" if j.peers else "no",
            str(j.cores),
        ]
        for j in JOBS
    ]
    head = [
        "suite",
        "results",
        "full run, min",
        "basis",
        "timing-sensitive",
        "peers",
        "cores",
    ]
    return markdown_table(head, rows)


def job_minutes(job, results_dir=None):
    """The job's full-run minutes on a quiet machine: its file's record,
    else the estimate.

    A single-process suite's wall time grows with the load, its CPU time
    does not, but falls short of the wall time alone (imports, I/O: hardening
    took 0.8 min on an idle machine for 0.4 min of CPU): the plan takes the
    wall minutes, capped at twice the CPU minutes. A suite that starts its
    own workers: the wall minutes.
    """
    from benchmarks._harness import RESULTS, run_minutes

    path = Path(results_dir or RESULTS) / job.results
    if not path.is_file():
        return job.minutes, "estimate"
    recorded = run_minutes(path)
    cpu = run_minutes(path, cpu=True)
    if recorded is not None and cpu and job.cores == 1:
        recorded = min(recorded, 2 * cpu)
    return (recorded, "recorded") if recorded is not None else (job.minutes, "estimate")


def stale_jobs(results_dir=None):
    """The jobs whose README-quoted results file is stale or missing."""
    from benchmarks._harness import RESULTS, stale_reason

    out = []
    for job in JOBS:
        path = Path(results_dir or RESULTS) / job.results
        if not path.is_file() or stale_reason(path) is not None:
            out.append(job)
    return out


def plan(jobs, *, slots=2, budget_min=None, minutes=None, can_run=None):
    """Order ``jobs`` into waves and keep what fits the budget.

    Timing-sensitive jobs run first, one at a time on a quiet machine;
    quality-only jobs then run ``slots`` at a time, longest first (each
    takes the slot that frees first), since their numbers do not depend on
    the load. A job whose estimated end would pass ``budget_min`` is left
    out (it stays stale and is reported), and so is one ``can_run`` rejects.

    Returns
    -------
    scheduled : list of (job, start minute, slot)
    left_out : list of (job, reason)
    """
    minutes = minutes or (lambda j: j.minutes)
    budget = float("inf") if budget_min is None else budget_min
    scheduled, left_out, clock = [], [], 0.0
    runnable = []
    for job in jobs:
        reason = can_run(job) if can_run else None
        if reason:
            left_out.append((job, reason))
        else:
            runnable.append(job)
    alone = [j for j in runnable if j.timing or j.cores >= slots]
    shared = [j for j in runnable if j not in alone]
    # timing first (shortest first: most files fresh if the window closes
    # early), then the quality-only jobs that take every core themselves
    for job in sorted(alone, key=lambda j: (not j.timing, minutes(j))):
        if clock + minutes(job) > budget:
            left_out.append((job, f"~{minutes(job):.0f} min does not fit the budget"))
            continue
        scheduled.append((job, clock, 0))
        clock += minutes(job)
    free = [clock] * max(1, slots)
    for job in sorted(shared, key=minutes, reverse=True):
        slot = min(range(len(free)), key=free.__getitem__)
        if free[slot] + minutes(job) > budget:
            left_out.append((job, f"~{minutes(job):.0f} min does not fit the budget"))
            continue
        scheduled.append((job, free[slot], slot))
        free[slot] += minutes(job)
    return scheduled, left_out


def _resolves_here(python):
    """Whether ``python`` imports this checkout's instransfer with the
    repository on PYTHONPATH (a stale editable install could shadow it)."""
    from benchmarks._harness import REPO, pinned_env

    try:
        out = subprocess.run(
            [python, "-c", "import instransfer; print(instransfer.__file__)"],
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),  # not the repository: PYTHONPATH must do it
            env=pinned_env(),
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run {python}: {exc}"
    where = out.stdout.strip()
    if out.returncode != 0 or not where:
        return f"{python} cannot import instransfer"
    if not Path(where).resolve().is_relative_to(REPO):
        return f"{python} imports instransfer from {where}, not from this checkout"
    return None


def _has_peers(python):
    code = "import adapt, skada, densratio"
    out = subprocess.run([python, "-c", code], capture_output=True, timeout=300)
    return out.returncode == 0


def _peer_problem(python):
    """Why the peers' jobs cannot run under ``python`` (None: they can)."""
    if python is None:
        return (
            "needs adapt/skada/densratio: pass --peers-python (an interpreter "
            "that has them)"
        )
    problem = _resolves_here(python)
    if problem is None and not _has_peers(python):
        problem = f"{python} lacks adapt, skada or densratio"
    return problem


def _execute(scheduled, slots, peers_python, extra=(), python=None):
    """Run the planned jobs: timing-sensitive ones one after the other, then
    the quality-only ones ``slots`` at a time; logs go to a temporary folder."""
    from benchmarks._harness import REPO, pinned_env

    logs = Path(tempfile.mkdtemp(prefix="instransfer-bench-"))
    env = pinned_env()  # puts this checkout first on PYTHONPATH
    ran, failed = [], []

    def launch(job):
        exe = peers_python if job.peers else python or sys.executable
        cmd = [exe, "-m", "benchmarks.run", job.suite, *extra]
        if job.part:
            cmd += ["--part", job.part]
        log = logs / f"{job.suite}{'-' + job.part if job.part else ''}.log"
        print(f"start {job.label} ({Path(exe).parent.parent.name}) log {log}")
        fh = open(log, "w")  # noqa: SIM115 - closed when the job ends
        return (
            subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT
            ),
            fh,
            time.perf_counter(),
            log,
        )

    def finish(job, proc, fh, t0, log):
        rc = proc.wait()
        fh.close()
        took = (time.perf_counter() - t0) / 60
        print(f"done  {job.label}: exit {rc}, {took:.1f} min", flush=True)
        (failed if rc else ran).append((job, took, log))

    alone = [j for j, _, _ in scheduled if j.timing or j.cores >= slots]
    quality = [j for j, _, _ in scheduled if j not in alone]
    for job in alone:
        finish(job, *launch(job))
    running = []
    queue = list(quality)
    while queue or running:
        while queue and len(running) < max(1, slots):
            job = queue.pop(0)
            running.append((job, *launch(job)))
        time.sleep(2)
        for item in list(running):
            if item[1].poll() is not None:
                running.remove(item)
                finish(*item)

    return ran, failed


def rerun_stale(
    *,
    slots=2,
    budget_min=None,
    peers_python=None,
    python=None,
    dry_run=False,
    extra=(),
):
    """Rerun the stale README-quoted results files (``--stale``)."""
    jobs = stale_jobs()
    if not jobs:
        print("no README-quoted results file is stale")
        return 0
    peers_python = peers_python or os.environ.get("INSTRANSFER_BENCH_PEERS_PYTHON")
    if peers_python is None and _has_peers(sys.executable):
        peers_python = sys.executable
    peer_problem = None
    if any(j.peers for j in jobs):
        peer_problem = _peer_problem(peers_python)

    def can_run(job):
        return peer_problem if job.peers else None

    def minutes(job):
        return job_minutes(job)[0]

    scheduled, left_out = plan(
        jobs, slots=slots, budget_min=budget_min, minutes=minutes, can_run=can_run
    )
    print(f"{len(jobs)} stale README-quoted results file(s); plan:")
    for job, start, slot in scheduled:
        m, how = job_minutes(job)
        kind = (
            "alone (timing)"
            if job.timing
            else "alone (uses every core)"
            if job.cores >= slots
            else f"slot {slot + 1}"
        )
        who = "peers' Python" if job.peers else "--python" if python else "this Python"
        print(
            f"  +{start:5.1f} min  {job.label:32s} ~{m:.0f} min ({how}), {kind}, "
            f"{who} -> {job.results}"
        )
    for job, reason in left_out:
        print(f"  not run: {job.label} -> {job.results}: {reason}")
    if dry_run:
        return 0

    ran, failed = _execute(scheduled, slots, peers_python, extra, python)
    print("\nran:")
    for job, took, _ in ran:
        print(f"  {job.label}: {took:.1f} min -> {job.results}")
    for job, took, log in failed:
        print(f"  FAILED {job.label} after {took:.1f} min (log {log})")
    print("still stale:")
    remaining = stale_jobs()
    for job in remaining:
        print(f"  {job.results} ({job.label})")
    if not remaining:
        print("  none")
    return 1 if failed or remaining else 0


def main(argv=None):
    pin_threads_env()  # before numpy and the peers are imported
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suites", nargs="*", help=f"any of {available_suites()}")
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, ours only, one repetition: checks that suites run",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip adapt/skada/densratio"
    )
    parser.add_argument(
        "--results-dir", help="write tables here instead of benchmarks/results"
    )
    parser.add_argument(
        "--part",
        action="append",
        help="run only this part of a suite that has parts (repeatable), "
        "e.g. --part cohorts for the quality suite",
    )
    parser.add_argument(
        "--stale",
        action="store_true",
        help="rerun exactly the stale results files the README quotes, "
        "timing-sensitive suites alone, the others --jobs at a time",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="quality-only suites run side by side"
    )
    parser.add_argument(
        "--budget-min",
        type=float,
        help="with --stale: leave out what would end after this many minutes",
    )
    parser.add_argument(
        "--peers-python",
        help="with --stale: the interpreter of an environment with adapt, skada "
        "and densratio (default $INSTRANSFER_BENCH_PEERS_PYTHON, else this one "
        "when it has them); this checkout goes first on its PYTHONPATH",
    )
    parser.add_argument(
        "--python",
        help="with --stale: the interpreter of the suites without peers (default "
        "this one); pass the project's environment when running from the peers' "
        "one, which lacks ebal and MAPIE",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --stale: print the plan only"
    )
    parser.add_argument(
        "--durations",
        action="store_true",
        help="print the table of full-run durations (benchmarks/README.md)",
    )
    parser.add_argument("--list", action="store_true", help="list suites and exit")
    parser.add_argument(
        "--check",
        action="store_true",
        help="list results files older than the code they measured; exit 1 if "
        "a file the README quotes is among them",
    )
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available_suites()))
        return 0
    if args.durations:
        print(durations_markdown())
        return 0
    if args.check:
        return check_results()
    if args.stale:
        return rerun_stale(
            slots=args.jobs,
            budget_min=args.budget_min,
            peers_python=args.peers_python,
            python=args.python,
            dry_run=args.dry_run,
        )
    if args.smoke:
        os.environ["INSTRANSFER_BENCH_SMOKE"] = "1"
    if args.no_peers:
        os.environ["INSTRANSFER_BENCH_PEERS"] = "0"
    if args.results_dir:
        os.environ["INSTRANSFER_BENCH_RESULTS"] = str(Path(args.results_dir).resolve())
    if args.part:
        os.environ["INSTRANSFER_BENCH_PARTS"] = ",".join(args.part)
    quick = args.quick or args.smoke
    names = args.suites or available_suites()
    unknown = sorted(set(names) - set(available_suites()))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; available: {available_suites()}")
    failed = []
    mode = "smoke" if args.smoke else "quick" if quick else "full"
    for name in names:
        t0 = time.perf_counter()
        start_clock()
        print(f"== {name} ({mode})", flush=True)
        try:
            importlib.import_module(f"benchmarks.suite_{name}").run(quick=quick)
        except Exception as exc:  # keep going: one broken suite must not hide others
            failed.append(name)
            traceback.print_exc()
            print(f"!! suite {name} failed: {exc!r}", file=sys.stderr)
        print(f"   {name} took {time.perf_counter() - t0:.1f} s", flush=True)
    if failed:
        print(f"!! failed suites: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
