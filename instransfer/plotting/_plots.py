"""Love plot, weight distribution, domain-score overlap, ESS against flattening.

matplotlib is imported inside the functions only: importing this module (or
``instransfer``) never loads it.
"""

import numpy as np

__all__ = [
    "love_plot",
    "plot_domain_overlap",
    "plot_ess_flatten",
    "plot_weight_distribution",
]

_INSTALL_HINT = 'pip install "instransfer[plot]"'
SOURCE_COLOR, TARGET_COLOR, WEIGHTED_COLOR = "#1f77b4", "#d62728", "#2ca02c"


def _check_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"Plotting needs matplotlib, which is not installed. Install it with "
            f"{_INSTALL_HINT} (or pip install matplotlib)."
        ) from exc


def _get_ax(ax, figsize):
    _check_matplotlib()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def love_plot(table, *, threshold=None, absolute=True, sort=True, ax=None):
    """Love plot: balance of each covariate before and after weighting.

    One row per covariate of a :func:`~instransfer.metrics.balance_table`:
    an open marker at the difference before weighting, a filled one after,
    joined by a line, and a dashed vertical line at the imbalance threshold
    (Ahmed et al., 2006; cobalt's ``love.plot``).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`~instransfer.metrics.balance_table` (columns
        ``diff_before`` and ``diff_after``).
    threshold : float or None, default=None
        Where to draw the threshold line(s); ``None`` takes the table's own
        threshold (``table.attrs["threshold"]``, else 0.1).
    absolute : bool, default=True
        Plot ``|diff|`` (one threshold line), or signed differences (lines at
        ``+-threshold`` and at 0).
    sort : bool, default=True
        Order covariates by their imbalance before weighting, largest on top;
        ``False`` keeps the table's order (first on top).
    ax : matplotlib Axes or None, default=None
        Axes to draw on; ``None`` creates a figure.

    Returns
    -------
    ax : matplotlib Axes
        The points before and after weighting are the collections labelled
        ``"before weighting"`` and ``"after weighting"``.

    References
    ----------
    .. [1] A. Ahmed, A. Husain, T. E. Love et al., "Heart failure, chronic
       diuretic use, and increase in mortality and hospitalization: an
       observational study using propensity score methods", European Heart
       Journal 27(12), 2006.
    """
    for col in ("diff_before", "diff_after"):
        if col not in getattr(table, "columns", ()):
            raise ValueError(
                "love_plot needs a table from instransfer.metrics.balance_table "
                f"(missing column {col!r})."
            )
    if threshold is None:
        threshold = float(table.attrs.get("threshold", 0.1))
    before = table["diff_before"].to_numpy(dtype=float)
    after = table["diff_after"].to_numpy(dtype=float)
    labels = [str(i) for i in table.index]
    if absolute:
        before, after = np.abs(before), np.abs(after)
    order = (
        np.argsort(-np.abs(before), kind="stable") if sort else np.arange(len(labels))
    )
    k = len(labels)
    ypos = np.arange(k)[::-1]  # the first covariate in `order` goes on top
    ax = _get_ax(ax, (6.4, 1.2 + 0.28 * max(k, 3)))
    ax.hlines(ypos, before[order], after[order], color="0.7", lw=1, zorder=1)
    ax.scatter(
        before[order],
        ypos,
        facecolors="white",
        edgecolors=SOURCE_COLOR,
        label="before weighting",
        zorder=2,
    )
    ax.scatter(
        after[order], ypos, color=WEIGHTED_COLOR, label="after weighting", zorder=3
    )
    style = {"color": "0.3", "ls": "--", "lw": 1}
    ax.axvline(threshold, label=f"threshold {threshold:g}", **style)
    if not absolute:
        ax.axvline(-threshold, **style)
        ax.axvline(0, color="0.5", lw=0.8)
    ax.set_yticks(ypos, [labels[i] for i in order])
    ax.set_ylim(-0.7, k - 0.3)
    name = "Absolute difference" if absolute else "Difference"
    ax.set_xlabel(f"{name} (SMD; proportions for binary/categorical)")
    ax.set_title("Covariate balance, source vs target")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_weight_distribution(weights, *, bins=40, log=True, ax=None):
    """Histogram of the weights with their mean and effective sample size.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights.
    bins : int, default=40
        Number of bins.
    log : bool, default=True
        Logarithmic weight axis (log-spaced bins) for positive weights; zero
        weights are then counted in the title.
    ax : matplotlib Axes or None, default=None
        Axes to draw on; ``None`` creates a figure.

    Returns
    -------
    ax : matplotlib Axes
        The bars are ``ax.patches``; the dashed line marks the mean weight.
    """
    from ..metrics._weight_stats import _check_weights, effective_sample_size

    w = _check_weights(weights)
    ax = _get_ax(ax, (6.4, 4.0))
    positive = w[w > 0]
    n_zero = w.shape[0] - positive.shape[0]
    if log and positive.max() > positive.min():
        edges = np.geomspace(positive.min(), positive.max(), bins + 1)
        ax.hist(positive, bins=edges, color=SOURCE_COLOR, alpha=0.8)
        ax.set_xscale("log")
    else:
        ax.hist(w, bins=bins, color=SOURCE_COLOR, alpha=0.8)
        n_zero = 0
    ax.axvline(w.mean(), color="0.2", ls="--", lw=1, label=f"mean {w.mean():.3g}")
    ess = effective_sample_size(w)
    title = f"Weights: ESS {ess:.1f} of {w.shape[0]} ({100 * ess / w.shape[0]:.1f} %)"
    if n_zero:
        title += f", {n_zero} zero"
    ax.set_title(title)
    ax.set_xlabel("weight" + (" (log scale)" if ax.get_xscale() == "log" else ""))
    ax.set_ylabel("source rows")
    # counts are whole rows: no 2.5 or 7.5 ticks on a short axis
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_domain_overlap(
    weighter, X, domain, *, weights=None, bins=30, scale="probability", ax=None
):
    """Overlap of the domain scores ``P(target | x)`` of source and target rows.

    Scores come from :func:`~instransfer.metrics.domain_probability` (the
    domain classifier's own probability for a ``ClassifierWeighter``). Target
    rows whose scores no source row reaches are where weights explode or
    where no weighting can help.

    Parameters
    ----------
    weighter : fitted weighter
        Any fitted weighter, e.g. :class:`~instransfer.ClassifierWeighter`.
    X : array-like of shape (n_samples, n_features)
        Source and target rows, stacked.
    domain : array-like of shape (n_samples,)
        0 for source rows, 1 for target rows.
    weights : array-like of shape (n_source,) or None, default=None
        Weights of the source rows (in their order in ``X``); when given, the
        weighted source histogram is drawn too, which should match the target.
    bins : int, default=30
        Number of bins.
    scale : {"probability", "logit"}, default="probability"
        Score axis: ``P(target | x)`` in [0, 1], or its log-odds (which
        spreads out the tails).
    ax : matplotlib Axes or None, default=None
        Axes to draw on; ``None`` creates a figure.

    Returns
    -------
    ax : matplotlib Axes
        Step histograms (densities) labelled ``"source"``, ``"target"`` and
        ``"source, weighted"``.
    """
    from .._validation import _num_rows, check_domain
    from ..metrics._weight_stats import _check_weights, domain_probability

    if scale not in ("probability", "logit"):
        raise ValueError(f"scale must be 'probability' or 'logit'; got {scale!r}.")
    is_target = check_domain(domain, _num_rows(X), min_source=1, min_target=1)
    p = domain_probability(weighter, X)
    if scale == "logit":
        with np.errstate(divide="ignore"):
            p = np.log(p) - np.log1p(-p)
        p = np.clip(p, -50, 50)
        lo, hi = p.min(), p.max()
        if hi - lo < 1e-9:  # every score equal: zero-width bins draw nothing
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
    else:
        edges = np.linspace(0, 1, bins + 1)
    ax = _get_ax(ax, (6.4, 4.0))
    common = {"bins": edges, "density": True, "histtype": "step", "lw": 1.5}
    ax.hist(p[~is_target], color=SOURCE_COLOR, label="source", **common)
    ax.hist(p[is_target], color=TARGET_COLOR, label="target", **common)
    if weights is not None:
        w = _check_weights(weights)
        if w.shape[0] != int((~is_target).sum()):
            raise ValueError(
                f"weights has {w.shape[0]} entries but X has "
                f"{int((~is_target).sum())} source rows."
            )
        ax.hist(
            p[~is_target],
            weights=w,
            color=WEIGHTED_COLOR,
            ls="--",
            label="source, weighted",
            **common,
        )
    ax.set_xlabel(
        "P(target | x)" if scale == "probability" else "log-odds of target | x"
    )
    ax.set_ylabel("density")
    ax.set_title("Overlap of domain scores")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_ess_flatten(weights, *, flatten=None, chosen=None, ax=None):
    """Effective sample size of ``w ** lambda`` against the flattening ``lambda``.

    ``lambda = 0`` keeps every row (ESS = n, no correction), ``lambda = 1`` is
    the full importance weighting; the curve shows what each step towards
    full correction costs.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Full importance weights (``flatten=1``).
    flatten : array-like of float or None, default=None
        Exponents to evaluate; ``None`` means 0, 0.05, ..., 1.
    chosen : float or None, default=None
        An exponent to mark, e.g. ``flatten_`` chosen by
        :class:`~instransfer.ImportanceWeightedClassifierCV`.
    ax : matplotlib Axes or None, default=None
        Axes to draw on; ``None`` creates a figure.

    Returns
    -------
    ax : matplotlib Axes
        The curve is the first line of ``ax.lines``.
    """
    from ..metrics._weight_stats import ess_by_flatten

    if flatten is None:
        flatten = np.linspace(0, 1, 21)
    path = ess_by_flatten(weights, flatten)
    n = int(np.asarray(weights).shape[0])
    ax = _get_ax(ax, (6.4, 4.0))
    ax.plot(
        path["flatten"], path["ess"], "o-", color=SOURCE_COLOR, ms=3, label="ESS (Kish)"
    )
    ax.axhline(n, color="0.5", ls=":", lw=1, label=f"n = {n}")
    if chosen is not None:
        ess_chosen = ess_by_flatten(weights, [chosen])["ess"].iloc[0]
        ax.axvline(
            chosen,
            color=WEIGHTED_COLOR,
            ls="--",
            lw=1.2,
            label=f"chosen: flatten={chosen:g}, ESS {ess_chosen:.0f}",
        )
    ax.set_ylim(0, 1.05 * n)
    ax.set_xlabel("flatten λ (weights w^λ)")
    ax.set_ylabel("effective sample size")
    ax.set_title("What flattening buys")
    ax.legend(loc="best", fontsize="small")
    return ax
