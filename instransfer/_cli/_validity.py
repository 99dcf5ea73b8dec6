"""The CLI's "is the answer valid on the target?" section, in plain words.

Self-contained: ``instransfer demo`` and ``instransfer weigh`` call
:func:`validity_lines` after the weight summary and wrap their fits in
:func:`reported_fit_warnings` (the section says what the fit-time warnings
would, once, instead of once per cross-validation fold).
"""

import contextlib
import warnings


@contextlib.contextmanager
def reported_fit_warnings():
    """Silence the fit-time diagnostics warnings: the report states them."""
    from ..exceptions import (
        NoOverlapWarning,
        ResidualImbalanceWarning,
        WeightConcentrationWarning,
    )

    with warnings.catch_warnings():
        for category in (
            NoOverlapWarning,
            ResidualImbalanceWarning,
            WeightConcentrationWarning,
        ):
            warnings.simplefilter("ignore", category)
        yield


def wrapped(line, bullet, width=88):
    """One bullet, its continuation lines indented under the text."""
    import textwrap

    return textwrap.fill(
        line, width, initial_indent=bullet, subsequent_indent=" " * len(bullet)
    )


def _pct(x):
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.1f}%"


def validity_lines(X, domain, weights, table=None, *, seed=0, what="patients"):
    """Lines that say whether there is a shift, overlap and balance.

    ``X``/``domain`` are the stacked rows the weighter saw, ``weights`` the
    source rows' full weights, ``table`` the balance table (for collapsed
    levels). Each line is one plain sentence.
    """
    import numpy as np

    from .._diagnostics import fit_diagnostics
    from ..metrics import overlap_report, shift_test

    lines = []
    domain = np.asarray(domain)
    test = shift_test(X, domain, method="classifier", null="split", random_state=seed)
    if test.pvalue < 0.05:
        lines.append(
            f"Shift: the target differs from the source (a domain classifier tells "
            f"them apart with AUC {test.statistic:.2f}, p = {test.pvalue:.2g}); "
            "weighting has something to correct."
        )
    else:
        lines.append(
            f"Shift: none detected (domain classifier AUC {test.statistic:.2f}, "
            f"p = {test.pvalue:.2g}); weighting should change little."
        )
    from .._diagnostics import MIN_UNSUPPORTED_ROWS, UNSUPPORTED_SHARE

    rep = overlap_report(X, domain, max_rows=2000, random_state=seed)
    if rep.n_unsupported == 0:
        lines.append(f"Overlap: every target row has comparable source {what}.")
    elif (
        rep.share_unsupported < UNSUPPORTED_SHARE
        or rep.n_unsupported < MIN_UNSUPPORTED_ROWS
    ):
        lines.append(
            f"Overlap: good; {rep.n_unsupported} of {rep.n_target} target rows "
            f"({_pct(rep.share_unsupported)}) lack comparable source {what}, "
            f"below the {_pct(UNSUPPORTED_SHARE)} at which the library warns."
        )
    else:
        where = "; ".join(rep.regions["text"]) if len(rep.regions) else "scattered"
        lines.append(
            f"Overlap: {_pct(rep.share_unsupported)} of the target "
            f"({rep.n_unsupported} of {rep.n_target} rows) has no comparable source "
            f"{what}: {where}. No weighting reaches them; restrict the target to "
            "the common support (this changes the population the answer is "
            "about) or collect such source rows."
        )
    with reported_fit_warnings():
        diag, _ = fit_diagnostics(X, domain == 1, np.asarray(weights, float))
    bal = diag.get("balance")
    if bal is not None:
        bad = bal[bal["imbalanced"]]
        if len(bad):
            shown = ", ".join(
                f"{c} (SMD {r.smd_before:+.2f} -> {r.smd_after:+.2f})"
                for c, r in bad.head(6).iterrows()
            )
            lines.append(
                f"Residual imbalance: {len(bad)} covariate(s) still differ after "
                f"weighting, beyond noise: {shown}. Try another method or fewer, "
                "better-scaled covariates."
            )
        else:
            lines.append(
                "Residual imbalance: no mean (SMD) difference beyond sampling "
                "noise is left; the balance table's flags are fixed cut-offs "
                "(|SMD| 0.1, variance ratio 2, KS 0.1) and can still trip on "
                "small differences."
            )
    if table is not None and "collapsed" in table:
        from ..metrics._balance import _collapsed_text

        count, shown = _collapsed_text(table)
        if count:
            lines.append(
                f"Collapsed subgroups ({count}): {shown}. The weights leave these "
                f"groups of the target almost without source {what}; check them "
                "before trusting estimates for them."
            )
    lines.append(
        f"Effective sample size: {diag['ess']:.0f} of {int((domain == 0).sum())} "
        f"source rows ({_pct(diag['ess_fraction'])}); the largest weight holds "
        f"{_pct(diag['max_share'])} of the total."
    )
    return lines
