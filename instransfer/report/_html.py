"""One self-contained HTML page that an analyst can hand to a colleague.

Every number on the page comes from the library's own functions
(:func:`~instransfer.metrics.balance_table`,
:func:`~instransfer.metrics.weight_summary`,
:func:`~instransfer.metrics.shift_test`,
:func:`~instransfer.metrics.overlap_report`,
:func:`~instransfer.metrics.target_performance`); each cell carries the
exact value in ``data-value`` and shows it rounded for reading. Plots are
matplotlib SVG embedded as ``data:`` URIs, so the page opens offline and
requests nothing.
"""

import base64
import html
import io
import warnings
from pathlib import Path

import numpy as np

from ._words import FLAG_LEGEND, GLOSSARY, imbalance_flags

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60em;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;font-size:.9em;margin:.8em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}
.flag{color:#b00;font-weight:bold}
p.means{background:#f3f6fa;border-left:4px solid #4a78b0;padding:.5em .8em}
img{max-width:100%;height:auto}
dt{font-weight:bold}
"""


def _num(value, digits=3):
    """A rounded number for reading; "" for missing values."""
    if value is None:
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value))
    if not np.isfinite(v):
        return "" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v)}"
    if abs(v) < 1:
        return f"{v:.{digits}f}"
    if abs(v) >= 1e6:
        return f"{v:.{digits}g}"
    # fixed decimals for ``digits`` significant figures: ``g`` drops trailing
    # zeros (57 beside 56.9 in one column) and turns 1234.5 into 1.23e+03
    decimals = max(digits - 1 - int(np.floor(np.log10(abs(v)))), 0)
    return f"{v:.{decimals}f}"


def _cell(value, digits=3):
    try:
        exact = repr(float(value))
    except (TypeError, ValueError):
        return f"<td>{html.escape(str(value))}</td>"
    return f'<td data-value="{exact}">{_num(value, digits)}</td>'


def _key(name, value, text=None):
    """A number in a sentence, with its exact value for tests and scripts."""
    shown = _num(value) if text is None else text
    return (
        f'<span class="num" data-key="{name}" data-value="{float(value)!r}">'
        f"{shown}</span>"
    )


def _pct(x):
    return f"{100 * x:.0f} %" if x >= 0.01 or x == 0 else f"{100 * x:.1f} %"


def _table(frame, columns, labels, flags=None):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["", *labels])
    if flags is not None:
        head += "<th>out of bounds</th>"
    rows = []
    for k, (name, row) in enumerate(frame.iterrows()):
        cells = "".join(_cell(row[c]) for c in columns)
        if flags is not None:
            cells += f'<td class="flag">{html.escape(flags[k])}</td>'
        rows.append(f"<tr><th>{html.escape(str(name))}</th>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _svg(draw, size):
    """A plot as an ``<img>`` holding base64 SVG (no file, no pyplot state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    buf = io.BytesIO()
    # no date in the metadata: the same data give the same page
    fig.savefig(buf, format="svg", metadata={"Date": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="plot" src="data:image/svg+xml;base64,{data}">'


def _section(anchor, title, body, meaning):
    return (
        f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{body}'
        f'<p class="means">{meaning}</p></section>'
    )


def _split(X, domain):
    import pandas as pd

    frame = X if hasattr(X, "iloc") else pd.DataFrame(np.asarray(X))
    if not hasattr(X, "iloc"):
        frame.columns = [f"x{j}" for j in range(frame.shape[1])]
    domain = np.asarray(domain)
    if domain.shape != (len(frame),) or not np.isin(domain, (0, 1)).all():
        raise ValueError(
            "domain must hold one 0 (source) or 1 (target) per row of X; got "
            f"shape {domain.shape} for {len(frame)} rows."
        )
    return frame, domain


def _source_weights(weights, domain):
    w = np.asarray(weights, dtype=float).ravel()
    n_s, n = int((domain == 0).sum()), len(domain)
    if len(w) == n:
        w = w[domain == 0]
    elif len(w) != n_s:
        raise ValueError(
            f"weights must have one value per source row ({n_s}) or per row of "
            f"X ({n}); got {len(w)}."
        )
    return w


def _data_section(frame, domain, question, left_out):
    n_s, n_t = int((domain == 0).sum()), int((domain == 1).sum())
    cols = ", ".join(html.escape(str(c)) for c in frame.columns)
    left = dict(left_out or {})
    items = "".join(
        f"<li><b>{html.escape(str(c))}</b>: {html.escape(str(why))}</li>"
        for c, why in left.items()
    )
    body = (
        f"<p>{html.escape(question)}</p><ul>"
        f"<li>source rows (the rows weighted): {_key('n_source', n_s)}</li>"
        f"<li>target rows (the population of interest): {_key('n_target', n_t)}"
        f"</li><li>covariates ({_key('n_columns', frame.shape[1])}): {cols}</li>"
        "</ul>"
        + (f"<p>Left out:</p><ul>{items}</ul>" if left else "<p>Nothing left out.</p>")
    )
    meaning = (
        f"The report weighs {n_s} source rows so that they stand for {n_t} target "
        f"rows on {frame.shape[1]} covariates"
        + (f"; {len(left)} column(s) were left out (listed above)." if left else ".")
    )
    return _section("data", "The question and the data", body, meaning)


def _shift_section(test, rep):
    share = _key(
        "share_unsupported", rep.share_unsupported, _pct(rep.share_unsupported)
    )
    texts = rep.regions["text"] if "text" in rep.regions else []
    regions = "".join(f"<li>{html.escape(str(t))}</li>" for t in texts)
    body = (
        "<p>Shift test: a logistic domain classifier, cross-fitted, tries to tell "
        "source rows from target rows (AUC 0.5: it cannot). "
        f"AUC {_key('shift_auc', test.statistic, f'{test.statistic:.3f}')}, "
        f"p-value {_key('shift_pvalue', test.pvalue, f'{test.pvalue:.3g}')}.</p>"
        "<p>Overlap: target rows without comparable source rows (no weighting "
        f"reaches them): {_key('n_unsupported', rep.n_unsupported)} of "
        f"{rep.n_target}, a share of {share}"
        ".</p>" + (f"<p>Where:</p><ul>{regions}</ul>" if regions else "")
    )
    shift = (
        f"the target differs from the source (AUC {test.statistic:.2f}, "
        f"p = {test.pvalue:.2g}), so weighting has something to correct"
        if test.pvalue < 0.05
        else f"no shift was detected (AUC {test.statistic:.2f}, p = "
        f"{test.pvalue:.2g}), so weighting should change little"
    )
    reach = (
        "every target row has comparable source rows"
        if rep.n_unsupported == 0
        else f"{_pct(rep.share_unsupported)} of the target lies where the source "
        "has no rows, and the answer does not cover it unless the target is "
        "restricted to the common support"
    )
    return _section(
        "shift",
        "Shift test and overlap",
        body,
        f"{shift[0].upper()}{shift[1:]}; {reach}.",
    )


def _balance_section(table):
    from ..plotting import love_plot

    flags = imbalance_flags(table)
    cols = [
        "mean_target",
        "mean_source",
        "mean_weighted",
        "diff_before",
        "diff_after",
        "var_ratio_before",
        "var_ratio_after",
        "ks_before",
        "ks_after",
    ]
    labels = [
        "target",
        "source",
        "weighted",
        "diff before",
        "diff after",
        "VR before",
        "VR after",
        "KS before",
        "KS after",
    ]
    plot = _svg(
        lambda ax: love_plot(table, ax=ax), (6.4, 1.2 + 0.28 * max(len(table), 3))
    )
    body = (
        "<p>diff is <b>source minus target</b>: the standardised mean "
        "difference (in target SDs) for continuous covariates, the difference "
        f"of proportions otherwise. VR: variance ratio, source over target; KS: "
        f"Kolmogorov-Smirnov statistic; {FLAG_LEGEND}.</p>"
        + _table(table, cols, labels, flags)
        + plot
    )
    worst = table["diff_before"].abs().idxmax()
    r = table.loc[worst]
    n_bad = sum(bool(f) for f in flags)
    unit = "SD" if r["type"] == "continuous" else "(difference of proportions)"
    ess = table.attrs.get("ess", np.nan)
    kept = ess / table.attrs.get("n_source", np.nan)
    meaning = (
        f"Weighting moved {html.escape(str(worst))}, the most imbalanced "
        f"covariate, from {abs(r['diff_before']):.2f} to {abs(r['diff_after']):.2f} "
        f"{unit} and kept {_pct(kept)} of the sample (ESS); "
        + (
            "every covariate is within bounds after weighting."
            if n_bad == 0
            else f"{n_bad} of {len(table)} rows are still out of bounds after "
            "weighting (last column)."
        )
    )
    return _section("balance", "Balance before and after weighting", body, meaning)


def _weights_section(w, summary):
    from ..plotting import plot_weight_distribution

    keys = [
        "n",
        "min",
        "p50",
        "p99",
        "max",
        "ess",
        "ess_fraction",
        "design_effect",
        "top1pct_share",
    ]
    labels = [
        "rows",
        "smallest",
        "median",
        "99th percentile",
        "largest",
        "ESS (effective sample size)",
        "ESS / rows",
        "design effect (rows / ESS)",
        "weight share of the top 1 %",
    ]
    rows = "".join(
        f"<tr><th>{html.escape(lab)}</th>{_cell(summary[k])}</tr>"
        for k, lab in zip(keys, labels, strict=True)
        if k in summary
    )
    body = f"<table>{rows}</table>" + _svg(
        lambda ax: plot_weight_distribution(w, ax=ax), (6.4, 4)
    )
    ess = summary["ess"]
    meaning = (
        f"The weights keep the information of {_key('ess', ess, f'{ess:.0f}')} of "
        f"{int(summary['n'])} source rows ({_pct(summary['ess_fraction'])}): a "
        f"weighted mean is as noisy as one from that many rows (design effect "
        f"{summary['design_effect']:.2f})"
        + (
            "; below 10 %, a few rows dominate: flatten or clip the weights."
            if summary["ess_fraction"] < 0.1
            else "."
        )
    )
    return _section("weights", "The weights", body, meaning)


def _subgroup_section(table):
    mask = table.get("collapsed", False) | table.get("target_only", False)
    sub = table[np.asarray(mask, dtype=bool)]
    if len(sub):
        names = ", ".join(html.escape(str(i)) for i in sub.index[:6])
        body = _table(
            sub,
            ["mean_target", "mean_source", "mean_weighted"],
            ["target share", "source share", "weighted share"],
        )
        meaning = (
            f"{len(sub)} subgroup(s) of the target are left almost without source "
            f"rows after weighting ({names}"
            f"{', ...' if len(sub) > 6 else ''}); estimates for them rest on very "
            "few rows, so check them before trusting them."
        )
    else:
        body = (
            "<p>A level is collapsed when its weighted source share falls below "
            "a fifth of its target share.</p>"
        )
        meaning = (
            "No subgroup collapsed: every binary value and category level of the "
            "target keeps source rows after weighting."
        )
    return _section("subgroups", "Subgroups that collapsed", body, meaning)


def _performance_section(perf, source):
    cols = [c for c in ("estimate", "ci_low", "ci_high", "std_error") if c in perf]
    frame = perf.copy()
    frame.index = [
        " / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in frame.index
    ]
    body = f"<p>{html.escape(source)}</p>" + _table(frame, cols, cols)
    first = frame.iloc[0]
    meaning = (
        f"{html.escape(frame.index[0])} on the target is estimated at "
        f"{_num(first['estimate'])} (95 % interval {_num(first['ci_low'])} to "
        f"{_num(first['ci_high'])}); a narrower interval needs more source rows "
        "near the target or a larger ESS."
    )
    return _section("performance", "Target performance", body, meaning)


def _glossary():
    items = "".join(
        f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>"
        for t, d in GLOSSARY.items()
    )
    return f'<section id="glossary"><h2>Glossary</h2><dl>{items}</dl></section>'


def write_report(
    path,
    X,
    domain,
    weights,
    *,
    model=None,
    y=None,
    performance=None,
    performance_note=None,
    question=None,
    left_out=None,
    title="Instance weighting report",
    random_state=0,
):
    """Write one self-contained HTML page on a weighting, for a colleague.

    Sections: the question and the data; the shift test and the overlap
    share; balance before and after weighting (table and love plot); the
    weights' distribution and effective sample size; subgroups that
    collapsed; and, with an outcome and a model (or a precomputed
    ``performance`` table), target performance with intervals. Each section
    ends with one sentence computed from its numbers, and a glossary closes
    the page. Plots are inline SVG; the page loads nothing from elsewhere.

    Parameters
    ----------
    path : str or path-like
        File to write, or an existing directory (then ``report.html`` in it).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Stacked source and target rows, in the file's units (the overlap
        rules read in them).
    domain : array-like of shape (n_samples,)
        0 for source rows, 1 for target rows.
    weights : array-like of shape (n_source,) or (n_samples,)
        Weights of the source rows (e.g. ``weighter.weights_``); with one per
        row of ``X`` the source rows' values are used.
    model : fitted estimator, default=None
        With ``y``: its target performance is estimated by
        :func:`~instransfer.metrics.target_performance` (doubly robust, with
        these weights as the ratio). Pass source rows it was not fit on.
    y : array-like of shape (n_samples,), default=None
        Outcome of the source rows (target rows' values are not used).
    performance : DataFrame, default=None
        A table with ``estimate``, ``ci_low``, ``ci_high`` (e.g. from
        :func:`~instransfer.metrics.target_performance` or
        :func:`~instransfer.metrics.evaluate`) shown instead.
    performance_note : str, default=None
        How ``performance`` was measured, shown above its table.
    question : str, default=None
        The analyst's question, in one sentence.
    left_out : dict of str to str, default=None
        Columns (or rows) left out, and why.
    title : str, default="Instance weighting report"
        Title of the page.
    random_state : int, default=0
        Seed of the shift test, the overlap classifier and the performance
        estimate.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``path`` (the file written), ``balance``, ``weights`` (the
        :func:`~instransfer.metrics.weight_summary`), ``shift``, ``overlap``
        and ``performance`` (None without one): the numbers on the page.

    Examples
    --------
    >>> import tempfile
    >>> import instransfer as it
    >>> from instransfer.report import write_report
    >>> d = it.datasets.make_covariate_shift(n_source=200, n_target=200,
    ...                                      random_state=0)
    >>> w = it.ClassifierWeighter(random_state=0).fit(d.X, d.domain).weights_
    >>> out = write_report(tempfile.mkdtemp(), d.X, d.domain, w)
    >>> out.path.name
    'report.html'
    """
    from sklearn.utils import Bunch

    from ..metrics import balance_table, overlap_report, shift_test, weight_summary
    from ..plotting._plots import _check_matplotlib

    _check_matplotlib()  # the page's plots; fail before the tests run

    frame, domain = _split(X, domain)
    w = _source_weights(weights, domain)
    path = Path(path)
    if path.is_dir():
        path = path / "report.html"
    Xs, Xt = frame.iloc[domain == 0], frame.iloc[domain == 1]
    with warnings.catch_warnings():
        # the page states what these warnings would (collapsed, target-only)
        warnings.simplefilter("ignore", UserWarning)
        table = balance_table(Xs, Xt, w)
        summary = weight_summary(w, min_ess_fraction=None)
        test = shift_test(
            frame, domain, method="classifier", null="split", random_state=random_state
        )
        rep = overlap_report(frame, domain, max_rows=2000, random_state=random_state)
        perf_note = performance_note or "Measured on labeled target rows."
        if performance is None and model is not None and y is not None:
            from ..metrics import target_performance

            ratio = np.ones(len(domain))
            ratio[domain == 0] = w
            performance = target_performance(
                model, frame, y, domain=domain, weights=ratio, random_state=random_state
            )
            perf_note = (
                "Doubly robust estimate from the labeled source rows and these "
                "weights (target labels not used), 95 % influence-function "
                "intervals."
            )
    parts = [
        _data_section(
            frame,
            domain,
            question
            or "Do the source rows, weighted, stand for the target population?",
            left_out,
        ),
        _shift_section(test, rep),
        _balance_section(table),
        _weights_section(w, summary),
        _subgroup_section(table),
    ]
    if performance is not None:
        parts.append(_performance_section(performance, perf_note))
    parts.append(_glossary())
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>" + "\n".join(parts) + "</body></html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return Bunch(
        path=path,
        balance=table,
        weights=summary,
        shift=test,
        overlap=rep,
        performance=performance,
    )
