"""The fit diagnostics of a dask fit, as one pass of sums over partitions.

Kish's effective sample size ``(sum w)^2 / sum w^2``, the largest weight's
share of the total, and the standardised mean differences before and after
weighting (``(mean_w(source) - mean(target)) / sd(target)``, target SD with
ddof=1, as :func:`instransfer._diagnostics.weighted_smd`) are all functions of
per-column sums of ``1, w, w^2, x, x^2, w x`` over each domain: a tree
reduction, nothing of size ``n`` on the client.
"""

import numpy as np

from ._input import tree_reduce


def _block_sums(X, t, est, offset, shift):
    from ._weighter import _block_weights

    t = np.asarray(t, bool)
    X = np.asarray(X, float)
    w = _block_weights(X[~t], est)
    X = X - shift  # shifted: the sums of squares keep their digits
    Xs, Xt = X[~t], X[t]
    k = int(np.argmax(w)) if w.size else 0
    top = np.array([w[k] if w.size else -np.inf, offset + k])
    return {
        "w": np.array([w.shape[0], w.sum(), (w * w).sum()]),
        "top": top,
        "s": np.vstack([Xs.sum(0), (Xs * Xs).sum(0), w @ Xs]),
        "t": np.vstack([np.full(X.shape[1], Xt.shape[0]), Xt.sum(0), (Xt * Xt).sum(0)]),
    }


def _combine(*parts):
    out = {k: sum(p[k] for p in parts) for k in ("w", "s", "t")}
    # the largest weight, first row on ties (as np.argmax over all rows)
    tops = sorted((p["top"] for p in parts), key=lambda v: (-v[0], v[1]))
    out["top"] = tops[0]
    return out


def fit_diagnostics(est, rows, counts):
    """``diagnostics_`` of a dask fit: ESS, largest weight, balance SMDs."""
    import dask

    offsets = np.concatenate(([0], np.cumsum(counts[:, 0])[:-1]))
    # a cheap per-column shift: the first partition's column means
    shift = np.nan_to_num(np.asarray(rows.X.blocks[0].mean(axis=0).compute()))
    parts = [
        dask.delayed(_block_sums)(xb, tb, est, int(o), shift)
        for (xb, tb), o in zip(rows.blocks(), offsets, strict=True)
    ]
    tot = tree_reduce(parts, _combine)
    n_s, sw, sw2 = tot["w"]
    ess = float(sw * sw / sw2) if sw2 > 0 else 0.0
    n_t = tot["t"][0]
    m_s, m_w = tot["s"][0] / n_s, tot["s"][2] / sw
    m_t = tot["t"][1] / n_t
    v_t = (tot["t"][2] - n_t * m_t**2) / np.maximum(n_t - 1, 1)
    v_s = tot["s"][1] / n_s - m_s**2
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt(np.maximum(v_t, 0))
        s = np.where(s > 0, s, np.sqrt(np.maximum((v_s + v_t) / 2, 0)))
        before = np.where(s > 0, (m_s - m_t) / s, 0.0)
        after = np.where(s > 0, (m_w - m_t) / s, 0.0)
    names = rows.columns or [f"x{j}" for j in range(rows.X.shape[1])]
    return {
        "ess": ess,
        "ess_fraction": ess / n_s,
        "max_share": float(tot["top"][0] / sw),
        "max_row": int(tot["top"][1]),
        "balance": {
            "columns": list(names),
            "smd_before": before,
            "smd_after": after,
        },
        "overlap": None,
    }
