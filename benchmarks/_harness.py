"""Shared benchmark machinery: pinned threads, repeated timings, peak memory,
markdown tables. Every suite measures all libraries in one process, side by
side, with the same BLAS/OpenMP thread count, and reports ratios.

Environment variables
---------------------
INSTRANSFER_BENCH_THREADS
    Thread count of every BLAS/OpenMP pool (default 1).
INSTRANSFER_BENCH_RESULTS
    Directory the tables are written to (default ``benchmarks/results``, or a
    temporary folder in smoke mode); the smoke test points it at its own.
INSTRANSFER_BENCH_SMOKE
    ``1``: tiny sizes, one repetition, ours only (set by ``--smoke``); a check
    that the suites run, not a measurement.
INSTRANSFER_BENCH_PEERS
    ``0`` skips the peers (adapt, skada, densratio) even when installed;
    ``1`` runs them in smoke mode too.
INSTRANSFER_BENCH_PARTS
    Comma-separated parts of a suite to run (``--part``), for suites split
    into parts that each write their own table (default: all parts).
"""

import contextlib
import datetime
import gc
import hashlib
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
THREADS = int(os.environ.get("INSTRANSFER_BENCH_THREADS", "1"))

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


# --------------------------------------------------------------------------
# modes and locations


def results_dir():
    """Where tables go: ``$INSTRANSFER_BENCH_RESULTS``, else
    ``benchmarks/results`` (smoke runs: a temporary folder, so they never land
    next to the committed tables or in the docs)."""
    env = os.environ.get("INSTRANSFER_BENCH_RESULTS")
    if env:
        return Path(env)
    if is_smoke():
        import tempfile

        return Path(tempfile.gettempdir()) / "instransfer-bench-smoke"
    return RESULTS


def is_smoke():
    """True in smoke mode (``--smoke``): tiny sizes, checks the code runs."""
    return os.environ.get("INSTRANSFER_BENCH_SMOKE", "") == "1"


def peers_enabled():
    """Whether suites should measure the peers (when installed).

    Off in smoke mode unless ``INSTRANSFER_BENCH_PEERS=1``; off whenever
    ``INSTRANSFER_BENCH_PEERS=0``.
    """
    env = os.environ.get("INSTRANSFER_BENCH_PEERS")
    if env is not None:
        return env == "1"
    return not is_smoke()


def wants_part(part):
    """Whether a suite should run ``part`` (``--part``; default every part)."""
    env = os.environ.get("INSTRANSFER_BENCH_PARTS", "")
    parts = {p.strip() for p in env.split(",") if p.strip()}
    return not parts or part in parts


def have(module):
    """True when an optional peer library can be imported."""

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def have_peer(module):
    """``have(module)`` and peers are enabled for this run."""
    return peers_enabled() and have(module)


# --------------------------------------------------------------------------
# run clock: every results file records how long its run took, so that a
# rerun of the stale files can be planned (``run.py --stale``)


def _cpu_seconds():
    """CPU seconds of this process and of the children it waited for (fresh
    interpreters, timed subprocesses). On a shared machine the wall time of a
    single-threaded suite grows with the load; its CPU time is close to the
    wall time it takes alone, which is what a planned rerun needs."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


_CLOCK = {"t0": time.perf_counter(), "cpu0": _cpu_seconds()}


def start_clock():
    """Start timing a suite (``run.py`` calls it before each one).

    :func:`write_results` records the time since then, or since the previous
    file the same run wrote (a suite writing several files records each
    file's share), and restarts the clock.
    """
    _CLOCK["t0"] = time.perf_counter()
    _CLOCK["cpu0"] = _cpu_seconds()


def python_env():
    """The name (not the path) of the Python environment running the suite:
    the folder of its virtual environment, e.g. ``.venv`` or ``venv-bench``."""
    return Path(sys.prefix).name or sys.prefix


# --------------------------------------------------------------------------
# threads


def pin_threads_env(n=THREADS):
    """Set thread env vars *before* numpy/xgboost/tensorflow are imported."""
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pinned_env(n=THREADS):
    """A copy of ``os.environ`` with every thread pool pinned to ``n``."""
    env = dict(os.environ)
    for var in _THREAD_VARS:
        env[var] = str(n)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
    )
    return env


@contextlib.contextmanager
def pinned(n=THREADS):
    """Limit BLAS and OpenMP pools to ``n`` threads (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n):
        yield


# --------------------------------------------------------------------------
# timing


def repeat_times(fn, repeat=3, warmup=False):
    """Run ``fn`` ``repeat`` times; return (list of seconds, last result)."""
    if warmup:
        fn()
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def timeit(fn, repeat=3, warmup=False):
    """Run ``fn`` ``repeat`` times; return (median s, min s, max s, last result)."""
    times, out = repeat_times(fn, repeat=repeat, warmup=warmup)
    return statistics.median(times), min(times), max(times), out


def compare_times(fns, repeat=3, warmup=True):
    """Time several callables side by side, interleaved.

    Each round runs every callable once, in order, so that a change of load
    on a shared machine hits all of them alike (a ratio of medians is then
    fair); ``warmup`` runs each once first, untimed (imports, caches).

    Parameters
    ----------
    fns : dict of str to callable
    repeat : int
        Rounds.
    warmup : bool

    Returns
    -------
    dict of str to (list of seconds, last result)
    """
    if warmup:
        for fn in fns.values():
            fn()
    times = {k: [] for k in fns}
    outs = dict.fromkeys(fns)
    for _ in range(repeat):
        for key, fn in fns.items():
            gc.collect()
            t0 = time.perf_counter()
            outs[key] = fn()
            times[key].append(time.perf_counter() - t0)
    return {k: (times[k], outs[k]) for k in fns}


@contextlib.contextmanager
def quiet():
    """Silence warnings (the peers' chatter) inside the block."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def spread(values):
    """Half the range relative to the median, e.g. 0.04 for +-4 %."""
    med = statistics.median(values)
    if len(values) < 2 or med == 0:
        return 0.0
    return (max(values) - min(values)) / 2 / abs(med)


def fmt_times(times):
    """``median (±half-range %, n=k)`` of repeated timings."""
    med = statistics.median(times)
    if len(times) < 2:
        return f"{fmt_time(med)} (n=1)"
    return f"{fmt_time(med)} ±{100 * spread(times):.0f}% (n={len(times)})"


def fmt_ratio(r):
    """A speed or memory ratio: ``12×``, ``1.3×``, ``0.42×``."""
    if r is None or not math.isfinite(r):
        return "–"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2g}×"


def fmt_time(t):
    return f"{t:.3g} s" if t >= 0.01 else f"{t * 1e3:.3g} ms"


def fmt_bytes(b):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(b) < 1024 or unit == "GB":
            return f"{b:.3g} {unit}" if unit != "B" else f"{int(b)} B"
        b /= 1024
    return f"{b:.3g} GB"


# --------------------------------------------------------------------------
# statistics over seeds


def mean_se(values):
    """Mean and standard error (sample SD / sqrt(n)) of finite values."""
    vals = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return math.nan, math.nan
    m = statistics.fmean(vals)
    se = statistics.stdev(vals) / math.sqrt(len(vals)) if len(vals) > 1 else math.nan
    return m, se


def fmt_mean_se(values, digits=3, signed=False):
    """``mean ± s.e.`` of ``values``; ``–`` when none is finite."""
    m, se = mean_se(values)
    if not math.isfinite(m):
        return "–"
    sign = "+" if signed else ""
    head = f"{m:{sign}.{digits}f}"
    return head if not math.isfinite(se) else f"{head} ± {se:.{digits}f}"


def nmse(w_hat, w):
    """Project convention: both scaled to mean 1, ``mean((ŵ-w)²)/mean(w²)``."""
    import numpy as np

    w_hat = np.asarray(w_hat, dtype=float)
    w = np.asarray(w, dtype=float)
    if not np.isfinite(w_hat).all() or w_hat.mean() <= 0:
        return math.nan
    w_hat = w_hat / w_hat.mean()
    w = w / w.mean()
    return float(np.mean((w_hat - w) ** 2) / np.mean(w**2))


# --------------------------------------------------------------------------
# memory


def peak_python_memory(fn):
    """Peak bytes allocated through Python/numpy allocators while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, out


# Peak-RSS probes. On Linux, ``ru_maxrss`` survives ``fork`` + ``exec``: a
# child started from a process that once held 800 MB reports 800 MB whatever
# it does itself. The kernel's per-address-space high-water mark ``VmHWM``
# does not, and writing "5" to ``/proc/self/clear_refs`` resets it to the
# current RSS, so the peak of one step can be read alone. The same functions
# run in the child interpreters (``_RSS_CODE``).


def _proc_status(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def current_rss_bytes():
    """Resident set size now (Linux; elsewhere the peak so far)."""
    v = _proc_status("VmRSS")
    if v is None:
        import resource

        v = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return v


def max_rss_bytes():
    """Peak resident set size of this process (since :func:`reset_peak_rss`)."""
    v = _proc_status("VmHWM")
    if v is None:
        import resource

        v = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return v


def reset_peak_rss():
    """Reset the peak RSS to the current RSS; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_code():
    import inspect

    funcs = (_proc_status, current_rss_bytes, max_rss_bytes, reset_peak_rss)
    return "\n\n".join(inspect.getsource(f) for f in funcs)


_CHILD = r"""
import gc, json, sys, time, importlib, tracemalloc
spec = json.loads(sys.argv[1])
mod, _, name = spec["target"].partition(":")
obj = getattr(importlib.import_module(mod), name)(**spec["kwargs"])
gc.collect()
reset_peak_rss()
before = current_rss_bytes()
t0 = time.perf_counter()
out = obj() if callable(obj) else obj
seconds = time.perf_counter() - t0
peak = max_rss_bytes()
traced = None
if spec["trace"] and callable(obj):
    gc.collect()
    tracemalloc.start()
    obj()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print("\n__BENCH_RESULT__" + json.dumps(
    {"rss_before": before, "rss_peak": peak, "seconds": seconds, "result": out,
     "traced_peak": traced},
    default=float))
"""


def subprocess_peak_rss(
    target, kwargs=None, *, trace=False, threads=THREADS, timeout=900
):
    """Run a case in a fresh interpreter and return its peak RSS.

    ``target`` is ``"module:function"``. The child imports the module, calls
    ``function(**kwargs)`` — the *setup*: imports, data — and, when that
    returns a callable, resets the peak RSS to the current RSS
    (``rss_before``), calls it and reads the peak (``rss_peak``) and the
    seconds it took: ``rss_delta`` is the fit's own peak memory. The
    callable's return value must be JSON-serialisable (``result``). With
    ``trace=True`` the callable is then run a second time under
    :mod:`tracemalloc` (``traced_peak``: peak bytes allocated through Python and
    numpy while it runs, whatever the high-water mark of the setup was).

    Returns
    -------
    dict
        ``rss_before``, ``rss_peak``, ``rss_delta`` (bytes), ``seconds``,
        ``result`` and ``traced_peak`` (bytes or None); ``error`` (str)
        instead when the child failed.
    """
    spec = json.dumps({"target": target, "kwargs": kwargs or {}, "trace": trace})
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _rss_code() + _CHILD, spec],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=pinned_env(threads),
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("__BENCH_RESULT__"):
            out = json.loads(line[len("__BENCH_RESULT__") :])
            out["rss_delta"] = out["rss_peak"] - out["rss_before"]
            return out
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {proc.returncode}: {tail[:200]}"}


def run_python(code, *, threads=THREADS, timeout=300):
    """Run ``python -c code`` fresh (pinned threads); return the last stdout
    line parsed as JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=pinned_env(threads),
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"child failed (exit {proc.returncode}): {tail[:300]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# output


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def environment_note():
    import numpy
    import sklearn
    from threadpoolctl import threadpool_info

    blas = ", ".join(
        sorted(
            {
                f"{i['internal_api']} {i.get('version') or ''}".strip()
                for i in threadpool_info()
            }
        )
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Measured {datetime.date.today()} on {platform.machine()}, "
        f"{os.cpu_count()} cores (load average {load} when written: the machine "
        f"is shared, compare ratios, not absolute times), Python "
        f"{platform.python_version()}, numpy {numpy.__version__}, scikit-learn "
        f"{sklearn.__version__}; thread pools pinned to {THREADS} ({blas}). "
        f"Peers: {peer_versions() if peers_enabled() else 'not run'}."
    )


def peer_versions():
    """``adapt 0.4.5, skada 0.6.0, ...`` for the installed peers."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("adapt", "skada", "densratio"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} not installed")
    return ", ".join(out)


def write_results(name, title, sections, quick):
    """Write ``<results>/<name>.md`` (``.quick.md`` in quick, ``.smoke.md`` in
    smoke mode).

    ``sections`` is a list of (heading, markdown body) pairs.
    """
    out_dir = results_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".smoke.md" if is_smoke() else ".quick.md" if quick else ".md"
    path = out_dir / f"{name}{suffix}"
    parts = [f"# {title}", "", environment_note(), ""]
    if is_smoke():
        parts += ["*Smoke mode: tiny sizes, ours only — not a measurement.*", ""]
    elif quick:
        parts += ["*Quick mode: small sizes, fewer repetitions.*", ""]
    for heading, body in sections:
        parts += [f"## {heading}", "", body.rstrip(), ""]
    seconds = time.perf_counter() - _CLOCK["t0"]
    cpu = _cpu_seconds() - _CLOCK["cpu0"]
    start_clock()
    mode = "smoke" if is_smoke() else "quick" if quick else "full"
    prov = provenance()
    prov.update(
        mode=mode,
        seconds=round(seconds, 1),
        cpu_seconds=round(cpu, 1),
        python_env=python_env(),
    )
    parts += [provenance_note(prov), ""]
    path.write_text("\n".join(parts))
    print(f"wrote {path}")
    return path


# --------------------------------------------------------------------------
# provenance: what a results file measured


_PROVENANCE_TAG = "<!-- provenance: "


def _measured_modules():
    """instransfer and benchmark modules loaded in this process, by name.

    Conservative: a suite run after others also lists what those loaded, so
    a change to any of them marks its file as stale too.
    """
    names = {
        name
        for name, mod in list(sys.modules.items())
        if (name == "instransfer" or name.startswith(("instransfer.", "benchmarks.")))
        and getattr(mod, "__file__", None)
    }
    # suites whose work runs in worker processes (joblib) name what the
    # workers import in a module-level MEASURES tuple
    for name in list(names):
        names.update(getattr(sys.modules[name], "MEASURES", ()))
    return sorted(names)


def code_hash(modules):
    """SHA-256 (16 hex digits) over the current source of ``modules``.

    A module that no longer exists (moved or removed) hashes as missing, so
    a file measuring it reads as stale.
    """
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(name.encode())
        origin = _module_source(name)
        if origin is None:
            h.update(b"<missing>")
        else:
            h.update(origin.read_bytes())
    return h.hexdigest()[:16]


def _module_source(name):
    """The source file of a module of this repository, found by its path
    rather than by importing it: checking needs neither the peers nor the
    package's dependencies, and an interpreter whose installed copy of
    ``instransfer`` points elsewhere still hashes this checkout."""
    base = REPO.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _git(*args):
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def provenance():
    """The commit, whether the measured code had uncommitted changes, and the
    hash of every measured module's source."""
    modules = _measured_modules()
    dirty = _git("status", "--porcelain", "--", "instransfer", "benchmarks")
    return {
        "commit": _git("rev-parse", "--short=10", "HEAD") or "unknown",
        "uncommitted_changes": bool(dirty),
        "code": code_hash(modules),
        "modules": modules,
    }


def provenance_note(prov):
    """A visible line and a machine-readable comment for a results file."""
    dirty = " plus uncommitted changes" if prov["uncommitted_changes"] else ""
    took = ""
    if "seconds" in prov:
        cpu = prov.get("cpu_seconds")
        cpu = "" if cpu is None else f" ({cpu / 60:.1f} min of CPU)"
        took = (
            f"{prov['mode'].capitalize()} run took {prov['seconds'] / 60:.1f} min"
            f"{cpu} in the Python environment `{prov['python_env']}`. "
        )
    return (
        f"*{took}Measured code: commit {prov['commit']}{dirty}, source hash "
        f"{prov['code']} over {len(prov['modules'])} modules; "
        "`python -m benchmarks.run --check` tells whether it is still current.*"
        f"\n\n{_PROVENANCE_TAG}{json.dumps(prov)} -->"
    )


def read_provenance(path):
    """The provenance recorded in a results file, or None (written before)."""
    for line in Path(path).read_text().splitlines():
        if line.startswith(_PROVENANCE_TAG):
            return json.loads(line[len(_PROVENANCE_TAG) : -len(" -->")])
    return None


def run_minutes(path, cpu=False):
    """Minutes the run that wrote a results file took (its share of it),
    or None when the file does not say; ``cpu=True``: its CPU minutes
    (this process and its waited-for children)."""
    prov = read_provenance(path)
    key = "cpu_seconds" if cpu else "seconds"
    if prov and key in prov:
        return prov[key] / 60
    return None


def stale_reason(path):
    """Why a results file no longer describes the code (None when current)."""
    prov = read_provenance(path)
    if prov is None:
        return "records no provenance (written before it was recorded)"
    if code_hash(prov["modules"]) != prov["code"]:
        return f"the code it measured changed since commit {prov['commit']}"
    return None


# --------------------------------------------------------------------------
# peers


def import_peer(name):
    """Import a peer module (``"adapt.instance_based"``, ``"skada"``, ...)
    and put scikit-learn's global configuration back.

    ``import skada`` switches metadata routing on for the whole process
    (PEERS.md); restoring it lets our code run as a user's would in the same
    process. The peers' adapters are called through ``fit`` /
    ``compute_weights`` / ``fit_weights`` directly and do not need routing.
    """
    import importlib
    import warnings

    import sklearn

    before = sklearn.get_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = importlib.import_module(name)
    if sklearn.get_config() != before:
        sklearn.set_config(**before)
    return module


def skada_domain(domain):
    """skada's ``sample_domain`` for a 0/1 domain vector: source 1, target -2."""
    import numpy as np

    return np.where(np.asarray(domain) == 1, -2, 1)


def _alloc_case(mb=64):
    """A case for checking :func:`subprocess_peak_rss`: touches ``mb`` MB."""
    import numpy as np

    def run():
        return float(np.ones(int(mb * 2**20) // 8).sum())

    return run
