"""Shared benchmark machinery: pinned threads, repeated timings, peak memory,
markdown tables. Every suite measures all libraries in one process, side by
side, with the same BLAS/OpenMP thread count, and reports ratios."""

import contextlib
import datetime
import gc
import os
import platform
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
THREADS = int(os.environ.get("INSTRANSFER_BENCH_THREADS", "1"))


def pin_threads_env(n=THREADS):
    """Set thread env vars *before* numpy/xgboost/tensorflow are imported."""
    for var in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def pinned(n=THREADS):
    """Limit BLAS and OpenMP pools to ``n`` threads (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n):
        yield


def timeit(fn, repeat=3, warmup=False):
    """Run ``fn`` ``repeat`` times; return (median s, min s, max s, last result)."""
    if warmup:
        fn()
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), out


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


def max_rss_bytes():
    """Peak resident set size of this process so far (Linux: KiB -> bytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def fmt_time(t):
    return f"{t:.3g} s" if t >= 0.01 else f"{t * 1e3:.3g} ms"


def fmt_bytes(b):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(b) < 1024 or unit == "GB":
            return f"{b:.3g} {unit}" if unit != "B" else f"{int(b)} B"
        b /= 1024
    return f"{b:.3g} GB"


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def environment_note():
    from threadpoolctl import threadpool_info

    import numpy
    import sklearn

    blas = ", ".join(
        sorted({f"{i['internal_api']} {i.get('version') or ''}".strip()
                for i in threadpool_info()})
    )
    return (
        f"Measured {datetime.date.today()} on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy "
        f"{numpy.__version__}, scikit-learn {sklearn.__version__}; thread pools "
        f"pinned to {THREADS} ({blas})."
    )


def write_results(name, title, sections, quick):
    """Write ``benchmarks/results/<name>.md`` (``<name>.quick.md`` in quick mode).

    ``sections`` is a list of (heading, markdown body) pairs.
    """
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / (f"{name}.quick.md" if quick else f"{name}.md")
    parts = [f"# {title}", "", environment_note(), ""]
    if quick:
        parts += ["*Quick mode: small sizes, fewer repetitions.*", ""]
    for heading, body in sections:
        parts += [f"## {heading}", "", body.rstrip(), ""]
    path.write_text("\n".join(parts))
    print(f"wrote {path}")
    return path


def have(module):
    """True when an optional peer library can be imported."""
    import importlib.util

    return importlib.util.find_spec(module) is not None
