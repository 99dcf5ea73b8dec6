"""Kernel density-ratio family: uLSIF, RuLSIF and KLIEP vs adapt, skada, densratio.

Sections (each side by side in one run, threads pinned):

1. the shared kernel module vs ``sklearn.metrics.pairwise.rbf_kernel``;
2. uLSIF with exact leave-one-out over the 9 x 9 default grid at 100 000 +
   100 000 rows, d = 10, in a fresh interpreter (time, peak RSS);
3. vs adapt's ``ULSIF`` leave-one-out at 10 000 rows on a 3 x 3 grid, both in
   fresh interpreters (time, memory, chosen parameters);
4. vs densratio's automatic uLSIF at 1 000 rows, pinned to one thread, with
   the libraries' default threads, and with one core kept busy; densratio's
   leave-one-out scores vs explicit refits;
4b. ours with and without the one-BLAS-thread limit, default threads;
5. KLIEP at 20 000 rows vs adapt's ``KLIEP`` and skada's
   ``KLIEPReweightAdapter``: time, every optimum evaluated by one formula,
   ratio NMSE, also ours on each peer's own centres;
6. ratio NMSE against the true ratio of the Gaussian generator, ours and the
   peers' on the same draws;
7. adapt's diabetes sample-bias example, offline.

Data: source ``N(0, I)``, target ``N(0.5, 0.8² I)`` (``make_covariate_shift``),
the setting of ``shared/PEERS.md``.
"""

import contextlib
import math
import os
import subprocess
import sys
import time

import numpy as np

from benchmarks._harness import (
    compare_times,
    fmt_bytes,
    fmt_ratio,
    fmt_time,
    fmt_times,
    have_peer,
    import_peer,
    is_smoke,
    markdown_table,
    mean_se,
    nmse,
    peak_python_memory,
    pinned,
    quiet,
    repeat_times,
    subprocess_peak_rss,
    write_results,
)

NAME = "kernel_ratio"
CORES = os.cpu_count() or 1


def clone_with(est, **attrs):
    """A clone of ``est`` with instance attributes set (benchmark switches)."""
    from sklearn.base import clone

    out = clone(est)
    for key, value in attrs.items():
        setattr(out, key, value)
    return out


def _data(n_source, n_target, d, seed=0):
    from instransfer.datasets import make_covariate_shift

    return make_covariate_shift(
        n_source, n_target, d, shift=0.5, target_scale=0.8, random_state=seed
    )


def _split(data):
    s = data.domain == 0
    return data.X[s], data.X[~s]


# --------------------------------------------------------------------------
# cases run in fresh interpreters (setup returns the timed callable)


def _vm_hwm():
    """Peak RSS of this process image (``VmHWM``), in bytes; None off Linux.

    ``getrusage``'s ``ru_maxrss`` survives ``exec``: a child started by a
    parent that had imported TensorFlow reports the parent's peak. ``VmHWM``
    belongs to the new image only.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _with_hwm(run):
    before = _vm_hwm()

    def timed():
        out = run()
        out.update(hwm_before=before, hwm=_vm_hwm())
        return out

    return timed


def case_ours_ulsifcv(n, d, gammas=None, reg_lambdas=None, max_loo_pairs=5000):
    import instransfer as it

    data = _data(n, n, d)
    params = {"max_loo_pairs": max_loo_pairs, "random_state": 0}
    if gammas is not None:
        params["gammas"] = gammas
    if reg_lambdas is not None:
        params["reg_lambdas"] = reg_lambdas
    est = it.ULSIFCV(**params)

    def run():
        est.fit(data.X, data.domain)
        return {"gamma": est.gamma_, "lambda": est.reg_lambda_}

    return _with_hwm(run)


def case_adapt_ulsif(n, d, gammas, reg_lambdas):
    adapt = import_peer("adapt.instance_based")
    Xs, Xt = _split(_data(n, n, d))

    def run():
        with quiet():
            est = adapt.ULSIF(
                gamma=gammas,
                lambdas=reg_lambdas,
                max_centers=100,
                random_state=0,
                verbose=0,
            )
            est.fit_weights(Xs, Xt)
        best = getattr(est, "best_params_", {})  # {"k": {"gamma": g}, "lamb": l}
        return {
            "gamma": float(best.get("k", {}).get("gamma", math.nan)),
            "lambda": float(best.get("lamb", math.nan)),
        }

    return _with_hwm(run)


def _rss_row(label, res, n):
    if "error" in res:
        return [label, n, res["error"], "–", "–", "–", "–"]
    out = res["result"]
    traced = res.get("traced_peak")
    if out.get("hwm") is not None:
        peak, rise = out["hwm"], out["hwm"] - out["hwm_before"]
    else:
        peak, rise = res["rss_peak"], res["rss_delta"]
    res["rise"] = rise
    return [
        label,
        n,
        fmt_time(res["seconds"]),
        fmt_bytes(peak),
        fmt_bytes(rise),
        "–" if traced is None else fmt_bytes(traced),
        f"γ={out['gamma']:.3g}, λ={out['lambda']:.3g}",
    ]


_RSS_HEADER = [
    "case",
    "rows per domain",
    "fit time",
    "peak RSS (VmHWM)",
    "RSS rise during fit",
    "fit's peak allocation (tracemalloc)",
    "chosen",
]


# --------------------------------------------------------------------------
# 1. kernel module


def section_kernels(quick):
    from sklearn.metrics.pairwise import rbf_kernel as sk_rbf

    from instransfer import _kernels as k

    n_x, n_y, d = (
        (300, 200, 10)
        if is_smoke()
        else (2000, 1500, 10)
        if quick
        else (4000, 3000, 10)
    )
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(n_x, d)), rng.normal(size=(n_y, d))
    gamma = 0.05
    rows = []
    repeat = 1 if is_smoke() else 5
    for dtype in (np.float64, np.float32):
        Xd, Yd = X.astype(dtype), Y.astype(dtype)
        with pinned():
            res = compare_times(
                {
                    "ours": lambda Xd=Xd, Yd=Yd, dt=dtype: k.rbf_kernel(
                        Xd, Yd, gamma, dtype=dt
                    ),
                    "sklearn": lambda Xd=Xd, Yd=Yd: sk_rbf(Xd, Yd, gamma=gamma),
                },
                repeat=repeat,
            )
        err = float(np.abs(res["ours"][1] - sk_rbf(X, Y, gamma=gamma)).max())
        t_o, t_s = np.median(res["ours"][0]), np.median(res["sklearn"][0])
        rows.append(
            [
                f"`rbf_kernel` {n_x}×{n_y}, {np.dtype(dtype).name}",
                fmt_times(res["ours"][0]),
                fmt_times(res["sklearn"][0]),
                fmt_ratio(t_s / t_o),
                f"{err:.1e}",
                "–",
            ]
        )
    # a chunked reduction vs forming the matrix
    n_big = 2000 if is_smoke() else 8000 if quick else 20000
    Xb = rng.normal(size=(n_big, d))
    v = rng.normal(size=n_y)
    with pinned():
        res = compare_times(
            {
                "ours": lambda: k.rbf_matvec(Xb, Y, gamma, v, working_memory=16),
                "sklearn": lambda: sk_rbf(Xb, Y, gamma=gamma) @ v,
            },
            repeat=repeat,
        )
        mem_o, out_o = peak_python_memory(
            lambda: k.rbf_matvec(Xb, Y, gamma, v, working_memory=16)
        )
        mem_s, out_s = peak_python_memory(lambda: sk_rbf(Xb, Y, gamma=gamma) @ v)
    t_o, t_s = np.median(res["ours"][0]), np.median(res["sklearn"][0])
    rows.append(
        [
            f"`K @ v`, {n_big}×{n_y} (ours: 16 MiB blocks)",
            fmt_times(res["ours"][0]),
            fmt_times(res["sklearn"][0]),
            fmt_ratio(t_s / t_o),
            f"{float(np.abs(out_o - out_s).max() / np.abs(out_s).max()):.1e}",
            f"{fmt_bytes(mem_o)} vs {fmt_bytes(mem_s)}",
        ]
    )
    body = markdown_table(
        [
            "operation",
            "ours",
            "scikit-learn",
            "speed-up",
            "max abs diff",
            "peak memory ours vs sklearn",
        ],
        rows,
    )
    body += (
        "\n\nOurs computes ``||x||² + ||y||² - 2x·y`` with one BLAS product and "
        "takes the exponential in place; float32 stays float32 (scikit-learn "
        "upcasts float32 distance blocks to float64). The reductions call it "
        "block by block within a memory budget, computing ``||y||²`` once."
    )
    return "Kernel module vs scikit-learn", body


# --------------------------------------------------------------------------
# 2-3. uLSIF leave-one-out at scale and vs adapt


def section_ulsif_scale(quick):
    n = 2000 if is_smoke() else 20000 if quick else 100000
    rows = [
        _rss_row(
            "ours, 9×9 default grid (5 000 held-out pairs)",
            subprocess_peak_rss(
                f"{__name__}:case_ours_ulsifcv", {"n": n, "d": 10}, trace=True
            ),
            n,
        )
    ]
    if not quick:
        rows.append(
            _rss_row(
                f"ours, 9×9 default grid, all {n:,} pairs",
                subprocess_peak_rss(
                    f"{__name__}:case_ours_ulsifcv",
                    {"n": n, "d": 10, "max_loo_pairs": None},
                ),
                n,
            )
        )
    body = markdown_table(_RSS_HEADER, rows)
    body += (
        "\n\nEach case runs once (n=1) in a fresh interpreter that measures "
        "the fit's time and the peak RSS of its process."
        "\n\nTargets: < 3 s and < 1 GB at 100 000 + 100 000 rows, d = 10. One pass "
        "over the rows accumulates ``H`` for all nine widths (a width twice the "
        "previous one squares the kernel block instead of a new exp); one "
        "eigendecomposition per width serves all nine lambdas. The exact "
        "leave-one-out criterion needs, per held-out pair and grid point, the "
        "coefficients that the pair's removal can make negative (the clipping), "
        "up to ``2 b²`` flops; by default it is averaged over 5 000 random "
        "pairs, each scored exactly; the second row uses every pair."
    )
    return "uLSIF exact leave-one-out, 9 × 9 grid, d = 10", body


def section_vs_adapt_ulsif(quick):
    n = 1000 if is_smoke() else 2000 if quick else 10000
    gammas, lambdas = [0.05, 0.1, 0.2], [0.01, 0.1, 1.0]
    ours = subprocess_peak_rss(
        f"{__name__}:case_ours_ulsifcv",
        {
            "n": n,
            "d": 10,
            "gammas": gammas,
            "reg_lambdas": lambdas,
            "max_loo_pairs": None,
        },
        trace=True,
    )
    rows = [_rss_row("ours `ULSIFCV` (all pairs)", ours, n)]
    notes = ""
    if have_peer("adapt"):
        theirs = subprocess_peak_rss(
            f"{__name__}:case_adapt_ulsif",
            {"n": n, "d": 10, "gammas": gammas, "reg_lambdas": lambdas},
        )
        rows.append(_rss_row("adapt `ULSIF`", theirs, n))
        if "error" not in ours and "error" not in theirs:
            notes = (
                f"\n\nSpeed-up {fmt_ratio(theirs['seconds'] / ours['seconds'])}; "
                f"memory used by the fit (RSS rise): "
                f"{fmt_ratio(theirs['rise'] / max(ours['rise'], 1))} less; adapt's "
                f"RSS rise / our peak allocation under tracemalloc: "
                f"{fmt_ratio(theirs['rise'] / max(ours['traced_peak'], 1))} (peak "
                f"RSS of the whole process, imports included: "
                f"{fmt_ratio(theirs['result']['hwm'] / ours['result']['hwm'])}; "
                "`import adapt` alone loads TensorFlow)."
            )
    else:
        notes = "\n\nadapt not installed (or peers disabled): not run."
    body = markdown_table(_RSS_HEADER, rows) + notes
    body += (
        "\n\nSame data, same 3 × 3 grid, 100 centres, fresh interpreters. "
        "adapt's leave-one-out builds N × N diagonal matrices and, per "
        "shared/PEERS.md, swaps the source/target roles and misses a factor, "
        "so the chosen parameters can differ: ours is checked against "
        "explicit refits in `tests/test_ulsif.py`."
    )
    return "uLSIF leave-one-out vs adapt (3 × 3 grid, d = 10)", body


# --------------------------------------------------------------------------
# 4. densratio


def section_vs_densratio(quick):
    import instransfer as it

    n = 200 if is_smoke() else 500 if quick else 1000
    data = _data(n, n, 10)
    Xs, Xt = _split(data)
    truth = data.true_ratio[data.domain == 0]
    ours = "ours `ULSIFCV()`"
    fns = {ours: lambda: it.ULSIFCV(random_state=0).fit(data.X, data.domain).weights_}
    if have_peer("densratio"):
        densratio = import_peer("densratio")

        def theirs():
            with quiet():
                res = densratio.densratio(Xt, Xs, method="uLSIF", verbose=False)
            return res.compute_density_ratio(Xs)

        fns["densratio `densratio(method='uLSIF')`"] = theirs
    rows = []
    repeat = 1 if is_smoke() else 3
    # (a) every thread pool pinned to one thread; (b) the libraries' own
    # default, as a user runs them: BLAS may use every core (ours limits
    # itself to one BLAS thread inside fit, see section "BLAS threads")
    # (c) default threads with another process spinning on one core: the
    # condition of shared/PEERS.md's 16.4 s (default threads, loaded machine)
    settings = (
        ("pinned, 1 thread", 1, contextlib.nullcontext),
        ("default threads", CORES, contextlib.nullcontext),
        ("default threads, one core kept busy", CORES, _one_core_busy),
    )
    for setting, limit, load in settings:
        with load(), pinned(limit):
            res = compare_times(fns, repeat=repeat, warmup=True)
        t_ours = np.median(res[ours][0])
        for label, (times, w) in res.items():
            rows.append(
                [
                    label,
                    setting,
                    n,
                    fmt_times(times),
                    fmt_ratio(np.median(times) / t_ours),
                    f"{nmse(w, truth):.3f}",
                ]
            )
    body = markdown_table(
        ["method", "threads", "rows per domain", "time", "time / ours", "ratio NMSE"],
        rows,
    )
    body += (
        "\n\nTimes: same process, interleaved rounds of every method "
        "(`_harness.compare_times`), medians with the half-range and the number "
        "of runs in each cell."
    )
    if len(fns) == 1:
        body += "\n\ndensratio not installed (or peers disabled): not run."
    body += _lsif_floor_note(n)
    body += (
        "\n\nBoth search 9 × 9 grids by leave-one-out with the clipping "
        "(densratio: the paper's matrix form, with n × n diagonal matrices, "
        "O(b n²) per grid point; ours: O(b² n) per width, every lambda from one "
        "eigendecomposition, only the sign-uncertain coefficients formed). "
        "shared/PEERS.md saw 16.4 s for densratio at this size, with its "
        "default threads on a loaded machine; the last two rows reproduce that "
        "condition with one core kept busy (ours limits BLAS to one thread in "
        'fit, see section "BLAS threads").'
    )
    if len(fns) > 1:
        body += _densratio_criterion_note()
    return "uLSIF automatic tuning vs densratio (d = 10)", body


def _brute_loo(Pt, Ps, lam):
    """Leave-one-pair-out uLSIF criterion by explicit refits.

    ``Pt``/``Ps``: target/source kernel rows (n, b); pair ``i`` is target row
    ``i`` with source row ``i`` (densratio's pairing).
    """
    n, b = Ps.shape
    J = np.empty(n)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        keep[i] = False
        H = Ps[keep].T @ Ps[keep] / (n - 1)
        theta = np.linalg.solve(H + lam * np.eye(b), Pt[keep].mean(axis=0))
        np.maximum(theta, 0.0, out=theta)
        J[i] = 0.5 * (Ps[i] @ theta) ** 2 - Pt[i] @ theta
        keep[i] = True
    return J.mean()


def _paper_loo(Pt, Ps, lam):
    """The closed form of Kanamori et al. (JMLR 2009, Sec. 3.4), n_s = n_t.

    Both Sherman-Morrison corrections share the denominator
    ``n - diag(Ps' B^-1 Ps)``; densratio 0.4.0 leaves it out of the second
    (its ``B1``), the only difference measured here.
    """
    n, b = Ps.shape
    B = Ps.T @ Ps / n + lam * (n - 1) / n * np.eye(b)
    BinvS = np.linalg.solve(B, Ps.T)
    BinvT = np.linalg.solve(B, Pt.T)
    Binvh = np.linalg.solve(B, Pt.mean(axis=0))
    denom = n - np.einsum("ib,bi->i", Ps, BinvS)
    B0 = Binvh[:, None] + BinvS * ((Binvh @ Ps.T) / denom)
    B1 = BinvT + BinvS * (np.einsum("ib,bi->i", Pt, BinvS) / denom)
    B2 = np.maximum((n * B0 - B1) / n, 0.0)  # (n-1)/(n(n-1)) with n_s = n_t
    r_s = np.einsum("ib,bi->i", Ps, B2)
    r_t = np.einsum("ib,bi->i", Pt, B2)
    return (0.5 * r_s @ r_s - r_t.sum()) / n


def _densratio_criterion_note(n_problems=20, n=60, b=15):
    """densratio's leave-one-out scores vs explicit refits, on its own centres."""
    import io
    import re

    # the module, not the function of the same name that the package exports
    rulsif = import_peer("densratio.RuLSIF")
    search = rulsif.search_sigma_and_lambda
    kernel = rulsif.compute_kernel_Gaussian
    grid = 10 ** np.linspace(-3, 1, 9)  # densratio's automatic grid (both)
    n_problems = 3 if is_smoke() else n_problems
    hits, worst, paper_err = 0, [], 0.0
    for rep in range(n_problems):
        rng = np.random.default_rng(rep)
        Xs = rng.normal(size=(n, 2))
        Xt = rng.normal(0.5, 0.8, size=(n, 2))
        centers = Xt[rng.choice(n, b, replace=False)]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            chosen = search(Xt, Xs, 0.0, centers, grid, grid, True)
        theirs = np.array(
            [float(v) for v in re.findall(r"score = (\S+)", buf.getvalue())]
        ).reshape(len(grid), len(grid))
        truth = np.empty_like(theirs)
        for i, sigma in enumerate(grid):
            Pt = np.asarray(kernel(Xt, centers, sigma))
            Ps = np.asarray(kernel(Xs, centers, sigma))
            for j, lam in enumerate(grid):
                truth[i, j] = _brute_loo(Pt, Ps, lam)
                paper_err = max(paper_err, abs(_paper_loo(Pt, Ps, lam) - truth[i, j]))
        worst.append(np.max(np.abs(theirs - truth)))
        i, j = np.unravel_index(np.argmin(truth), truth.shape)
        hits += chosen["sigma"] == grid[i] and chosen["lambda"] == grid[j]
    exact = np.median(worst) < 1e-6
    head = (
        "densratio's criterion matches the exact leave-one-out."
        if exact
        else "densratio's criterion is not the exact leave-one-out."
    )
    return (
        f"\n\n**{head}** On "
        f"{n_problems} problems ({n} + {n} rows, d = 2, its own {b} centres, "
        f"its 9 × 9 grid), its printed leave-one-out scores differ from "
        f"explicit refits (each pair held out, coefficients clipped) by up to "
        f"{np.median(worst):.2g} (median over problems of the largest "
        f"difference), and its choice is the true leave-one-out optimum in "
        f"{hits} of {n_problems}. The paper's closed form (Kanamori et al. "
        f"2009, Sec. 3.4), with the denominator that densratio's second "
        f"correction term lacks, matches the refits to {paper_err:.1g}. Ours "
        f"is tested against explicit refits in `tests/test_ulsif.py`."
    )


def _lsif_floor_note(n, b=100, n_widths=9):
    """Time the parts of exact LOO that no implementation can skip."""
    from scipy import linalg

    rng = np.random.RandomState(0)
    A = rng.rand(b, b)
    A = A @ A.T
    P = rng.rand(2 * n, b)  # the held-out source and target rows' kernel rows
    K = rng.rand(n, b)  # the source rows' kernel rows, for H

    def floor():
        for _ in range(n_widths):
            V = linalg.eigh(A, driver="evd", check_finite=False)[1]
            P @ V
            K.T @ K

    with pinned(1):
        t = np.median(repeat_times(floor, repeat=5, warmup=True)[0])
    return (
        f"\n\nFloor of the exact criterion, timed here pinned: for each of the "
        f"{n_widths} widths one {b} × {b} eigendecomposition, the projection of "
        f"the 2 × {n} held-out rows on its eigenvectors and ``H`` from {n} "
        f"source rows take {fmt_time(t)} in all, before any clipping, "
        "median heuristic or input validation."
    )


@contextlib.contextmanager
def _one_core_busy():
    """Another process spinning on one core, as on a shared machine."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        yield
    finally:
        proc.kill()
        proc.wait()


def section_blas_threads(quick):
    """Ours with and without the one-BLAS-thread limit, default threads."""
    import instransfer as it

    n_small = 200 if is_smoke() else 1000
    n_kliep = 1000 if is_smoke() else 5000 if quick else 20000
    n_wide = 1000 if is_smoke() else 8000
    cases = [
        ("`ULSIFCV()`", it.ULSIFCV(random_state=0), n_small, 10),
        ("`KLIEP()`", it.KLIEP(random_state=0), n_kliep, 10),
        ("`KMM()` (exact QP)", it.KMM(random_state=0), 500 if is_smoke() else 2000, 10),
        ("`ULSIF(gamma=1e-3)`", it.ULSIF(gamma=1e-3), n_wide, 1000),
    ]
    rows, wide = [], {}
    for load, ctx in (
        ("as found", contextlib.nullcontext),
        ("one core kept busy", _one_core_busy),
    ):
        for label, est, n, d in cases:
            data = _data(n, n, d)
            limited = clone_with(est, _single_threaded_blas_max_features=10**9)
            free = clone_with(est, _single_threaded_blas=False)
            default = (
                "limited"
                if d <= est._single_threaded_blas_max_features
                else f"BLAS default ({CORES} threads)"
            )
            with ctx(), pinned(CORES):
                res = compare_times(
                    {
                        "limited": lambda e=limited, d=data: e.fit(d.X, d.domain),
                        "free": lambda e=free, d=data: e.fit(d.X, d.domain),
                    },
                    repeat=1 if is_smoke() else 3,
                    warmup=True,
                )
            t_lim, t_free = (np.median(res[k][0]) for k in ("limited", "free"))
            if d > est._single_threaded_blas_max_features:
                wide[load] = t_free / t_lim
            rows.append(
                [
                    label,
                    n,
                    d,
                    load,
                    fmt_times(res["limited"][0]),
                    fmt_times(res["free"][0]),
                    fmt_ratio(t_free / t_lim),
                    default,
                ]
            )
    body = markdown_table(
        [
            "estimator",
            "rows per domain",
            "features",
            "machine",
            "BLAS limited to 1 thread in fit",
            f"BLAS default ({CORES} threads)",
            "slow-down without the limit",
            "what ours does",
        ],
        rows,
    )
    body += (
        "\n\nTimes: same process, the limited and the free fit in interleaved "
        "rounds (`_harness.compare_times`), medians with the half-range and the "
        "number of runs in each cell."
        f"\n\nBLAS allowed {CORES} threads (the default on this machine), as a "
        "user runs it; the right column is the same estimator with the limit "
        'switched off. "As found": the machine\'s own load (see the top of '
        'this file); "one core kept busy": another process spins on one core '
        "meanwhile, as on a shared server or a laptop running other work. The "
        "kernel methods' products involve ~100 centres, small for threads to "
        "pay; the slow-down column above says, per method and machine state, "
        "what the threads cost or saved in this run. "
        "`fit`, `predict_*` and `score` of the kernel weighters run with BLAS "
        "limited to one thread (threadpoolctl), and restore the caller's "
        "setting, up to 100 features; with many more features the distance "
        "products are larger, and BLAS keeps the caller's setting (the last row "
        "of each machine state: "
        + "; ".join(
            f"{load}, threads {'faster' if r < 1 else 'slower'} "
            f"({fmt_ratio(r)} the limited time)"
            for load, r in wide.items()
        )
        + "). The limit is "
        "applied from the main thread only: it is process-wide, and fits in "
        "several threads would otherwise restore each other's limit."
    )
    return "BLAS threads", body


# --------------------------------------------------------------------------
# 5. KLIEP


def _kliep_objective(Xs, Xt, C, gamma, alpha):
    """One formula for both: ``mean_t log r - log mean_s r`` (scale-free)."""
    from instransfer import _kernels as k

    r_t = k.rbf_matvec(Xt, C, gamma, alpha)
    r_s = k.rbf_matvec(Xs, C, gamma, alpha)
    with np.errstate(divide="ignore"):
        return float(np.mean(np.log(r_t)) - np.log(np.mean(r_s)))


def _kliep_gap(Xs, Xt, C, gamma, alpha):
    """Frank-Wolfe duality gap of a KLIEP solution (bound on optimum - value)."""
    from instransfer import _kernels as k

    b = k.rbf_column_sums(Xs, C, gamma) / Xs.shape[0]
    beta = alpha * b / float(alpha @ b)
    A = k.rbf_kernel(Xt, C, gamma) / b
    g = A.T @ (1.0 / (A @ beta)) / Xt.shape[0]
    return float(g.max() - g @ beta)


def _skada_kliep_start(Xs, C, gamma):
    """skada's KLIEP starting point: ones projected onto ``b @ alpha = 1``.

    The same three steps skada applies to its iterate, without the gradient
    step, so ``alpha_ - start`` is all the gradient steps ever contributed.
    """
    from instransfer import _kernels as k

    b = k.rbf_column_sums(Xs, C, gamma) / Xs.shape[0]
    a = np.ones(C.shape[0])
    a += (1.0 - b @ a) * b / (b @ b)
    a = np.where(a > 0, a, 0.0)
    return a / (b @ a)


def section_kliep(quick):
    import warnings

    import instransfer as it
    from instransfer import _kernels as k

    n = 1000 if is_smoke() else 5000 if quick else 20000
    gamma = 0.1  # 1 / d, scikit-learn's default and PEERS.md's setting
    data = _data(n, n, 10)
    Xs, Xt = _split(data)
    r_true = data.true_ratio[data.domain == 0]

    def ratio_nmse(C, coef):
        return f"{nmse(k.rbf_matvec(Xs, C, gamma, coef), r_true):.3f}"

    ours_est = it.KLIEP(gamma=gamma, random_state=0)
    fns = {"ours": lambda: ours_est.fit(data.X, data.domain)}
    peer = None
    if have_peer("adapt"):
        adapt = import_peer("adapt.instance_based")
        peer = adapt.KLIEP(gamma=gamma, random_state=0, verbose=0)

        def theirs():
            with quiet():
                peer.fit_weights(Xs, Xt)
            return peer

        fns["adapt"] = theirs
    sk = None
    sk_warned = []
    if have_peer("skada"):
        from benchmarks._harness import skada_domain

        skada = import_peer("skada")
        sk = skada.KLIEPReweightAdapter(gamma=gamma, random_state=0)
        sk_domain = skada_domain(data.domain)

        def skada_fit():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                sk.fit(data.X, sample_domain=sk_domain)
            sk_warned[:] = [str(w.message) for w in caught]
            return sk

        fns["skada"] = skada_fit
    with pinned():
        res = compare_times(fns, repeat=1 if is_smoke() else 3, warmup=False)
        if peer is not None:  # more rounds of the short ones alone
            short = {key: fns[key] for key in ("ours", "skada") if key in fns}
            more = compare_times(short, repeat=2, warmup=False)
            for key in short:
                res[key] = (res[key][0] + more[key][0], res[key][1])
    t_ours = np.median(res["ours"][0])
    rows = [
        [
            "ours `KLIEP` (projected Newton)",
            fmt_times(res["ours"][0]),
            "1×",
            f"{_kliep_objective(Xs, Xt, ours_est.centers_, gamma, ours_est.coef_):.8f}",
            f"{ours_est.duality_gap_:.1e}",
            ratio_nmse(ours_est.centers_, ours_est.coef_),
            f"{ours_est.n_iter_} Newton steps",
        ]
    ]
    if peer is not None:
        alpha_p = np.asarray(peer.alphas_).ravel()
        C_p = np.asarray(peer.centers_)
        rows.append(
            [
                "adapt `KLIEP` (Frank-Wolfe, default)",
                fmt_times(res["adapt"][0]),
                fmt_ratio(np.median(res["adapt"][0]) / t_ours),
                f"{_kliep_objective(Xs, Xt, C_p, gamma, alpha_p):.8f}",
                f"{_kliep_gap(Xs, Xt, C_p, gamma, alpha_p):.1e}",
                ratio_nmse(C_p, alpha_p),
                "2000 iterations (max_iter)",
            ]
        )
        with pinned():
            same = compare_times(
                {
                    "x": lambda: it.KLIEP(gamma=gamma, centers=C_p).fit(
                        data.X, data.domain
                    )
                },
                repeat=3,
                warmup=False,
            )["x"]
        est = same[1]
        rows.append(
            [
                "ours on adapt's centres",
                fmt_times(same[0]),
                f"adapt {fmt_ratio(np.median(res['adapt'][0]) / np.median(same[0]))}",
                f"{_kliep_objective(Xs, Xt, C_p, gamma, est.coef_):.8f}",
                f"{est.duality_gap_:.1e}",
                ratio_nmse(C_p, est.coef_),
                f"{est.n_iter_} Newton steps",
            ]
        )
    sk_note = ""
    if sk is not None:
        alpha_s = np.asarray(sk.alpha_, dtype=float).ravel()
        C_s = np.asarray(sk.centers_, dtype=float)
        hit_max = any("Maximum iteration" in m for m in sk_warned)
        rows.append(
            [
                "skada `KLIEPReweightAdapter` (gradient ascent)",
                fmt_times(res["skada"][0]),
                fmt_ratio(np.median(res["skada"][0]) / t_ours),
                f"{_kliep_objective(Xs, Xt, C_s, gamma, alpha_s):.8f}",
                f"{_kliep_gap(Xs, Xt, C_s, gamma, alpha_s):.1e}",
                ratio_nmse(C_s, alpha_s),
                f"{sk.max_iter} (max_iter)"
                if hit_max
                else "objective change < tol (count not exposed)",
            ]
        )
        start = _skada_kliep_start(Xs, C_s, gamma)
        moved = float(np.max(np.abs(alpha_s - start)) / np.max(np.abs(start)))
        w_s = k.rbf_matvec(Xs, C_s, gamma, alpha_s)
        w_o = k.rbf_matvec(Xs, ours_est.centers_, gamma, ours_est.coef_)
        with pinned():
            same_s = compare_times(
                {
                    "x": lambda: it.KLIEP(gamma=gamma, centers=C_s).fit(
                        data.X, data.domain
                    )
                },
                repeat=3,
                warmup=False,
            )["x"]
        est_s = same_s[1]
        rows.append(
            [
                "ours on skada's centres",
                fmt_times(same_s[0]),
                f"skada {fmt_ratio(np.median(res['skada'][0]) / np.median(same_s[0]))}",
                f"{_kliep_objective(Xs, Xt, C_s, gamma, est_s.coef_):.8f}",
                f"{est_s.duality_gap_:.1e}",
                ratio_nmse(C_s, est_s.coef_),
                f"{est_s.n_iter_} Newton steps",
            ]
        )
        sk_note = (
            "\n\nskada's step size is machine epsilon (PEERS.md), checked: its "
            "final coefficients differ from its starting point (ones projected "
            "onto the constraint, before any gradient step) by "
            f"{moved:.1e} of their size"
            + (
                ", so its weights are those of its starting point, not a KLIEP "
                "optimum (see its duality gap); it is fast because it does no work."
                if moved < 1e-6
                else "."
            )
            + " Correlation with the true ratio "
            f"{np.corrcoef(w_s, r_true)[0, 1]:.3f} (ours "
            f"{np.corrcoef(w_o, r_true)[0, 1]:.3f}). skada draws its "
            f"{C_s.shape[0]} centres with replacement "
            f"({len(np.unique(C_s, axis=0))} distinct)."
        )
    body = markdown_table(
        [
            "solver",
            "time",
            "peer time / ours",
            "objective (one formula)",
            "duality gap (bound on optimum − objective)",
            "ratio NMSE vs truth",
            "iterations",
        ],
        rows,
    )
    if peer is None:
        body += "\n\nadapt not installed (or peers disabled): not run."
    if sk is None:
        body += "\n\nskada not installed (or peers disabled): not run."
    body += sk_note
    body += (
        f"\n\n{n:,} + {n:,} rows, d = 10, gamma = {gamma}, 100 centres. The "
        "objective of every solution is recomputed with one formula, "
        "``mean_t log r(x) - log mean_s r(x)`` (KLIEP's objective, invariant to "
        "the scale of the coefficients); on the same centres the objectives "
        "are directly comparable, and the duality gap of each solution bounds "
        'how far it is from the optimum. "peer time / ours" on the '
        '"ours on … centres" rows is the peer\'s time over ours on its '
        "centres. Ratio NMSE: ``r(x)`` at the source rows against the "
        "generator's true ratio, both scaled to mean 1. Times: same process, "
        "interleaved rounds of every solver (`_harness.compare_times`, then "
        "two more rounds of the short ones alone), medians with the half-range "
        "and the number of runs in each cell."
    )
    return "KLIEP vs adapt and skada", body


# --------------------------------------------------------------------------
# 6. quality


def section_quality(quick):
    import instransfer as it

    seeds = [0] if is_smoke() else range(2) if quick else range(5)
    n, d, shift = (150, 2, 0.7) if is_smoke() else (400, 2, 0.7)
    alpha = 0.1
    adapt = import_peer("adapt.instance_based") if have_peer("adapt") else None
    results = {}

    def add(key, value):
        results.setdefault(key, []).append(value)

    for seed in seeds:
        from instransfer.datasets import make_covariate_shift

        data = make_covariate_shift(n, n, d, shift=shift, random_state=seed)
        s = data.domain == 0
        Xs, Xt = data.X[s], data.X[~s]
        r = data.true_ratio[s]
        rel = r / (alpha * r + 1 - alpha)
        cv = it.ULSIFCV(random_state=seed).fit(data.X, data.domain)
        grid = list(cv.cv_results_["param_gamma"][::9])
        add(
            ("uLSIF", "ours `ULSIF()` (median heuristic)"),
            nmse(it.ULSIF(random_state=seed).fit(data.X, data.domain).weights_, r),
        )
        add(("uLSIF", "ours `ULSIFCV()`"), nmse(cv.weights_, r))
        add(
            ("RuLSIF α=0.1 (vs relative ratio)", "ours `RULSIFCV(alpha=0.1)`"),
            nmse(
                it.RULSIFCV(alpha=alpha, random_state=seed)
                .fit(data.X, data.domain)
                .weights_,
                rel,
            ),
        )
        add(
            ("KLIEP", "ours `KLIEP()` (median heuristic)"),
            nmse(it.KLIEP(random_state=seed).fit(data.X, data.domain).weights_, r),
        )
        add(
            ("KLIEP", "ours `KLIEPCV()`"),
            nmse(it.KLIEPCV(random_state=seed).fit(data.X, data.domain).weights_, r),
        )
        if adapt is not None:
            with quiet():
                lam = [1e-3, 1e-2, 1e-1, 1.0]
                w = adapt.ULSIF(
                    gamma=grid, lambdas=lam, random_state=seed, verbose=0
                ).fit_weights(Xs, Xt)
                add(("uLSIF", "adapt `ULSIF` (same widths, 4 lambdas)"), nmse(w, r))
                w = adapt.RULSIF(
                    gamma=grid, alpha=alpha, lambdas=lam, random_state=seed, verbose=0
                ).fit_weights(Xs, Xt)
                add(
                    ("RuLSIF α=0.1 (vs relative ratio)", "adapt `RULSIF`"), nmse(w, rel)
                )
                w = adapt.KLIEP(gamma=grid, random_state=seed, verbose=0).fit_weights(
                    Xs, Xt
                )
                add(("KLIEP", "adapt `KLIEP` (same widths, its LCV)"), nmse(w, r))
    rows = []
    for (family, label), vals in results.items():
        m, se = mean_se(vals)
        rows.append([family, label, f"{m:.3f}" + (f" ± {se:.3f}" if se == se else "")])
    body = markdown_table(
        ["family", "method", f"ratio NMSE (mean ± s.e., {len(list(seeds))} seeds)"],
        rows,
    )
    body += (
        f"\n\n{n} + {n} rows, d = {d}, target mean {shift}, scale 0.8. NMSE: both "
        "sides scaled to mean 1, ``mean((ŵ - w)²) / mean(w²)``; RuLSIF against the "
        "relative ratio ``w / (α w + 1 - α)`` it estimates. The peers get the "
        "same nine kernel widths as ours (the median heuristic × 2^-3..2^5)."
        + ("" if adapt is not None else " adapt not installed: peers not run.")
    )
    return "Quality: NMSE against the true ratio", body


# --------------------------------------------------------------------------
# 7. diabetes


def section_diabetes(quick):
    from sklearn.datasets import load_diabetes

    import instransfer as it

    X, y = load_diabetes(return_X_y=True)
    p = np.exp(-20 * np.abs(X[:, 0] + 0.06))
    idx = np.random.RandomState(123).choice(len(X), len(X), p=p / p.sum())
    Xs, ys = X[idx], y[idx]
    Xall, domain = it.stack_domains(Xs, X)
    rows = [
        ["population (all 442 patients)", f"{y.mean():.1f}"],
        ["biased sample, unweighted", f"{ys.mean():.1f}"],
        ["adapt's published KLIEP result", "148.3"],
    ]
    ests = {
        "ours `KLIEPCV()`": it.KLIEPCV(random_state=0),
        "ours `KLIEP()` (median heuristic)": it.KLIEP(random_state=0),
        "ours `ULSIFCV()`": it.ULSIFCV(random_state=0),
    }
    for label, est in ests.items():
        w = est.fit(Xall, domain).weights_
        rows.append([label, f"{np.average(ys, weights=w):.1f}"])
    if have_peer("adapt") and not quick:
        adapt = import_peer("adapt.instance_based")
        grid = list(ests["ours `KLIEPCV()`"].cv_results_["param_gamma"])
        with quiet():
            w = adapt.KLIEP(gamma=grid, random_state=0, verbose=0).fit_weights(Xs, X)
        rows.append(
            [
                "adapt `KLIEP` rerun (our 9 widths, its LCV)",
                f"{np.average(ys, weights=np.ravel(w)):.1f}",
            ]
        )
    body = markdown_table(["estimate of the mean outcome", "value"], rows)
    body += (
        "\n\nscikit-learn's `load_diabetes`; 442 draws with replacement, "
        "probability ∝ exp(−20·|age + 0.06|), `RandomState(123)` (the same draws "
        "as adapt's example, which seeds the global generator with 123); the "
        "target sample is the whole population, all ten features."
    )
    return "adapt's diabetes sample-bias example", body


# --------------------------------------------------------------------------


def run(quick=False):
    sections = [
        section_kernels(quick),
        section_ulsif_scale(quick),
        section_vs_adapt_ulsif(quick),
        section_vs_densratio(quick),
        section_blas_threads(quick),
        section_kliep(quick),
        section_quality(quick),
        section_diabetes(quick),
    ]
    return write_results(
        NAME, "Kernel density ratios: uLSIF, RuLSIF, KLIEP", sections, quick
    )
