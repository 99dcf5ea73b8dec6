"""Weights on Dask: wall time, peak memory per worker and accuracy as rows grow.

A ``distributed.LocalCluster`` of 2 worker processes x 1 thread (this
machine's 2 cores) fits a weighter on stacked rows that are *generated on the
workers*, partition by partition, and never held by the client: every
partition has 200 000 source rows drawn from ``N(0, I_2)`` and 20 000 target
rows from ``N(0.7 * 1, 0.8^2 I_2)`` (the shift of
``instransfer.datasets.make_covariate_shift``), so the true ratio is known in
closed form at every row. Per size:

- ``fit (s)``: ``weighter.fit(X, domain)`` on the dask arrays (counts, the
  client's bounded sample, the partition sums, the normalisation and the
  diagnostics passes);
- ``weights + NMSE (s)``: one more pass computing every source row's weight
  and the NMSE against the true ratio (``mean((w - r)^2) / mean(r^2)``, both
  at mean 1, the harness's convention) as sums, nothing collected;
- ``peak RSS per worker``: the largest high-water mark (``VmHWM``) of the two
  worker processes, each cluster fresh per size: flat as the rows grow means
  memory is bounded by the partition size, not the data;
- the in-memory path (the same estimator on NumPy arrays, in a fresh
  interpreter: its fit time and the rise of its peak RSS during the fit) at
  the sizes a single process holds in reasonable time.

Weighters: ``ULSIFCV()`` (width and regulariser by exact leave-one-out on the
client's sample of 50 000 rows per domain, then ``H``/``h`` summed over all
partitions; part ``ulsif``, ``dask.md``) and ``ClassifierWeighter()``
(logistic regression on that sample, fitted with weights 1 / sampling
probability, applied per partition; part ``classifier``,
``dask_classifier.md``, 10^6 and 10^7 source rows).
"""

import math
import time

import numpy as np

from benchmarks._harness import (
    fmt_bytes,
    have,
    is_smoke,
    markdown_table,
    nmse,
    subprocess_peak_rss,
    wants_part,
    write_results,
)

SHIFT, SCALE, D = 0.7, 0.8, 2
SOURCE_PER_PART, TARGET_PER_PART = 200_000, 20_000


def _block(i, n_s, n_t):
    """Partition ``i``: rows, domain and the true log-ratio (closed form)."""
    rng = np.random.default_rng([20261207, i])
    Xs = rng.standard_normal((n_s, D))
    Xt = SHIFT + SCALE * rng.standard_normal((n_t, D))
    X = np.vstack([Xs, Xt])
    domain = np.r_[np.zeros(n_s, np.int8), np.ones(n_t, np.int8)]
    log_r = (
        -D * np.log(SCALE)
        - ((X - SHIFT) ** 2).sum(1) / (2 * SCALE**2)
        + (X**2).sum(1) / 2
    )
    return X, domain, log_r


def _dask_data(n_source, per_part):
    import dask
    import dask.array as da

    n_parts = max(1, n_source // per_part[0])
    n_s, n_t = per_part
    parts = [
        dask.delayed(_block, nout=3, pure=True)(i, n_s, n_t) for i in range(n_parts)
    ]
    rows = n_s + n_t
    X = da.concatenate([da.from_delayed(p[0], (rows, D), dtype=float) for p in parts])
    domain = da.concatenate(
        [da.from_delayed(p[1], (rows,), dtype=np.int8) for p in parts]
    )
    log_r = da.concatenate([da.from_delayed(p[2], (rows,), dtype=float) for p in parts])
    return X, domain, log_r


def _nmse_sums(w, log_r, t):
    r = np.exp(log_r[~np.asarray(t, bool)])
    return np.array(
        [w.size, w.sum(), r.sum(), (w * w).sum(), (r * r).sum(), (w * r).sum()]
    )


def _dask_nmse(est, X, domain, log_r):
    import dask
    import dask.array as da

    is_t = domain == 1
    w = est.weights_
    # weights_ has one block per partition (its source rows), like log_r's
    parts = [
        dask.delayed(_nmse_sums)(wb, lb, tb)
        for wb, lb, tb in zip(
            w.to_delayed().ravel(),
            log_r.to_delayed().ravel(),
            da.asarray(is_t).to_delayed().ravel(),
            strict=True,
        )
    ]
    n, sw, sr, sww, srr, swr = np.sum(dask.compute(*parts), axis=0)
    mw, mr = sw / n, sr / n
    num = sww / (n * mw**2) - 2 * swr / (n * mw * mr) + srr / (n * mr**2)
    return float(num / (srr / (n * mr**2)))


def _worker_peak(dask_worker=None):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return math.nan


def _make(name):
    import instransfer as it

    return {"ULSIFCV()": it.ULSIFCV, "ClassifierWeighter()": it.ClassifierWeighter}[
        name
    ](random_state=0)


def _dask_case(name, n_source, per_part):
    import warnings

    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            # smoke: threads in this process (fast start; memory then not per worker)
            processes=not is_smoke(),
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        X, domain, log_r = _dask_data(n_source, per_part)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = _make(name).fit(X, domain)
        t_fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        err = _dask_nmse(est, X, domain, log_r)
        t_eval = time.perf_counter() - t0
        peaks = client.run(_worker_peak)
    return t_fit, t_eval, max(peaks.values()), err


def memory_case(name, n_source, per_part):
    """In-memory fit in a fresh interpreter (for ``subprocess_peak_rss``)."""
    import warnings

    n_parts = max(1, n_source // per_part[0])
    blocks = [_block(i, *per_part) for i in range(n_parts)]
    X = np.vstack([b[0] for b in blocks])
    domain = np.concatenate([b[1] for b in blocks])
    r = np.exp(np.concatenate([b[2] for b in blocks]))[domain == 0]
    del blocks

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = _make(name).fit(X, domain)
        return nmse(est.weights_, r)

    return fit


# parts: python -m benchmarks.run dask --part ulsif (or classifier)
PARTS = ("ulsif", "classifier")


def _sizes(quick):
    if is_smoke():
        return (20_000,), (20_000,), (10_000, 1_000)
    per = (SOURCE_PER_PART, TARGET_PER_PART)
    if quick:
        return (200_000, 1_000_000), (200_000, 1_000_000), per
    return (1_000_000, 10_000_000, 30_000_000), (1_000_000,), per


def run(quick=False):
    """Part ``ulsif`` writes ``dask.md``; part ``classifier`` ``dask_classifier.md``."""
    if not (have("dask") and have("distributed")):
        body = "Not measured: dask and distributed are not installed (extra `dask`)."
        return write_results("dask", "Weights on Dask", [("Results", body)], quick)
    out = None
    if wants_part("ulsif"):
        out = _run_part("ULSIFCV()", "dask", quick)
    if wants_part("classifier") and not is_smoke():
        out = _run_part("ClassifierWeighter()", "dask_classifier", quick)
    return out


def _run_part(name, file_name, quick):
    dask_sizes, mem_sizes, per_part = _sizes(quick)
    if name.startswith("Classifier") and not quick:
        # its sample fit is the same at every size; 3e7 rows only repeat the
        # passes measured for ULSIFCV (dask.md)
        dask_sizes = dask_sizes[:2]
    rows = []
    for n in dask_sizes:
        t_fit, t_eval, peak, err = _dask_case(name, n, per_part)
        mem = {}
        if n in mem_sizes:
            mem = subprocess_peak_rss(
                "benchmarks.suite_dask:memory_case",
                {"name": name, "n_source": n, "per_part": list(per_part)},
            )
        in_mem = (
            "–"
            if not mem
            else mem["error"]
            if "error" in mem
            else f"{mem['seconds']:.1f} s, {fmt_bytes(mem['rss_delta'])}, "
            f"NMSE {mem['result']:.4f}"
        )
        rows.append(
            [
                name,
                f"{n:,}",
                f"{n // 10:,}",
                f"{t_fit:.1f}",
                f"{t_eval:.1f}",
                fmt_bytes(peak),
                f"{err:.4f}",
                in_mem,
            ]
        )
        print(f"  {rows[-1]}", flush=True)
    header = [
        "weighter",
        "source rows",
        "target rows",
        "dask fit (s)",
        "weights + NMSE (s)",
        "peak RSS per worker",
        "NMSE (dask)",
        "in memory: fit, peak RSS rise, NMSE",
    ]
    note = (
        "One run per size (each a fresh 2-worker cluster), on a 2-core machine "
        "(the header gives its load average while measured): read the trend, "
        "not the third digit. The NMSE of uniform weights on this "
        "shift is about 0.6. Partitions: 200 000 source + 20 000 target rows "
        "(3.5 MB of features). The in-memory column is measured where one "
        "process holds the rows in reasonable time (`–`: not run)."
    )
    return write_results(
        file_name,
        f"{name} on Dask: time, memory per worker, accuracy as rows grow",
        [
            ("Setup", __doc__.split("\n\n", 1)[1]),
            ("Results", markdown_table(header, rows) + "\n\n" + note),
        ],
        quick,
    )
