"""The checks every weighter's ``fit`` runs, as a function with its thresholds."""

import warnings

from .. import _diagnostics as _d

__all__ = ["weighting_diagnostics"]


def weighting_diagnostics(
    X,
    domain,
    weights,
    *,
    ess_fraction=_d.ESS_FRACTION,
    max_share=_d.MAX_SHARE,
    unsupported_share=_d.UNSUPPORTED_SHARE,
    smd_threshold=_d.SMD_THRESHOLD,
    smd_z=_d.SMD_Z,
    collapse_ratio=_d.COLLAPSE_RATIO,
    max_rows=_d.MAX_ROWS,
    warn=True,
):
    """Run the fit-time checks of the weighters on any weights, with other thresholds.

    Every weighter's ``fit`` runs these checks with the defaults below and
    records the result in ``diagnostics_``; call this function to re-run them
    with your own thresholds, or on weights from elsewhere. The weights are
    never changed.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Stacked source and target rows.
    domain : array-like of shape (n_samples,)
        0 for a source row, 1 for a target row.
    weights : array-like of shape (n_source,)
        Weights of the source rows, in their order (e.g. ``weights_``).
    ess_fraction : float, default=0.05
        Warn (:class:`~instransfer.exceptions.WeightConcentrationWarning`) when
        Kish's ESS is below this fraction of the source rows ...
    max_share : float, default=0.2
        ... or when one row holds more than this share of the total weight
        (and more than 10 times the mean weight).
    unsupported_share : float, default=0.1
        Warn (:class:`~instransfer.exceptions.NoOverlapWarning`) when this share
        of the target rows (and at least 5) has no source support
        (:func:`overlap_report`, cross-fitted over 3 folds).
    smd_threshold : float, default=0.1
        Warn (:class:`~instransfer.exceptions.ResidualImbalanceWarning`) for a
        column whose ``|SMD|`` exceeds this before and after weighting ...
    smd_z : float, default=3.29
        ... and exceeds ``smd_z`` standard errors after weighting (sampling
        noise alone rarely does: a two-sided 0.001 test per column).
    collapse_ratio : float, default=0.2
        A category (0/1 column) whose weighted source share falls below this
        ratio of its target share, by weighting, also warns.
    max_rows : int, default=1000
        Rows per domain used by the overlap check (seeded subsample).
    warn : bool, default=True
        Emit the warnings (they are returned in ``warnings`` either way).

    Returns
    -------
    diagnostics : dict
        ``ess``, ``ess_fraction``, ``max_share``, ``max_row``, ``balance``
        (DataFrame per encoded column: ``smd_before``, ``smd_after``,
        ``se_after``, ``imbalanced``, ``collapsed``), ``overlap`` (share and
        counts of unsupported target rows) and ``warnings`` (the messages).

    Examples
    --------
    >>> import instransfer as it
    >>> from instransfer.metrics import weighting_diagnostics
    >>> data = it.datasets.make_covariate_shift(200, 200, random_state=0)
    >>> w = it.ULSIFCV(random_state=0).fit(data.X, data.domain)
    >>> sorted(w.diagnostics_)[:4]
    ['balance', 'ess', 'ess_fraction', 'max_row']
    >>> bool(w.diagnostics_["balance"]["imbalanced"].any())  # within noise
    False
    >>> d = weighting_diagnostics(data.X, data.domain, w.weights_, smd_z=0, warn=False)
    >>> d["balance"]["imbalanced"].tolist()
    [True, False]
    """
    from .._validation import _num_rows
    from ..utils._domain import check_domain
    from ._weight_stats import _check_weights

    is_target = check_domain(domain, _num_rows(X))
    w = _check_weights(weights)
    if w.shape[0] != int((~is_target).sum()):
        raise ValueError(
            f"weights has {w.shape[0]} entries but domain marks "
            f"{int((~is_target).sum())} source rows; give one weight per source row."
        )
    diag, found = _d.fit_diagnostics(
        X,
        is_target,
        w / w.mean(),
        ess_fraction=ess_fraction,
        max_share=max_share,
        unsupported_share=unsupported_share,
        smd_threshold=smd_threshold,
        smd_z=smd_z,
        collapse_ratio=collapse_ratio,
        max_rows=max_rows,
        owner="These weights",
    )
    diag["warnings"] = [message for message, _ in found]
    if warn:
        for message, category in found:
            warnings.warn(message, category, stacklevel=2)
    return diag
