"""Weighters fitted on dask collections: reductions over partitions, lazy weights.

:meth:`BaseWeighter.fit` hands a dask ``X`` here. The fit is in three steps:

1. a bounded sample (:data:`~instransfer._dask._input.SAMPLE_ROWS` rows per
   domain, all rows when a domain has fewer) is brought to the client and the
   weighter's own in-memory fit runs on it: it chooses what needs pairs of
   rows (centres, the median-heuristic width, the leave-one-out grid of
   ULSIFCV/RULSIFCV, the domain classifier, KLIEP's and KMM's models);
2. what is a sum over rows is then recomputed exactly on all rows, as a tree
   reduction over partitions: uLSIF/RuLSIF's ``H`` and ``h`` at the chosen
   width (Kanamori, Hido & Sugiyama, JMLR 2009, eq. 6; Yamada et al., NIPS
   2011, Sec. 3), solved ``b x b`` on the client with the in-memory solver;
3. the mean-1 normalisation over all source rows (a log-sum-exp reduction),
   the diagnostics (ESS, largest weight, balance SMDs) in one more pass, and
   ``weights_`` as a lazy dask array, one block per partition.

When every row fits in the sample, steps 1-2 see exactly the rows of an
in-memory fit, so the weights agree with it to rounding.
"""

import copy

import numpy as np
from scipy.special import logsumexp

from .._weights import ALL_ZERO_WEIGHTS, WeightTransform
from ._input import (
    add_tuples,
    as_dask_features,
    as_dask_rows,
    domain_counts,
    draw_sample,
    tree_reduce,
)

_MAX_LOG_RATIO = 700.0


def _frozen(est):
    """A snapshot of the fitted model for lazy tasks (a refit cannot change them).

    Only what prediction needs: every task carries its own pickled copy, and
    a worker holds the copies of the tasks queued on it, so an attribute that
    grows with the sample costs memory in proportion to the number of
    partitions. A CV weighter's leave-one-out ``cv_results_`` (one score per
    held-out pair and candidate: 2.5 MB at the defaults) and its pairs are
    such attributes.
    """
    snap = copy.copy(est)
    for name in ("weights_", "diagnostics_", "cv_results_", "_loo_pairs"):
        snap.__dict__.pop(name, None)
    return snap


def _seed(random_state):
    from sklearn.utils import check_random_state

    if random_state is None or isinstance(random_state, np.random.RandomState):
        return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    return int(random_state)


def fit(est, X, y):
    """Fit ``est`` (a :class:`~instransfer.base.BaseWeighter`) on dask rows."""
    from .._validation import check_feature_scales
    from ..utils._domain import check_domain_sizes

    owner = type(est).__name__
    rows = as_dask_rows(X, y, owner)
    counts = domain_counts(rows)
    n_s, n_t = (int(v) for v in counts.sum(axis=0))
    check_domain_sizes(np.r_[np.zeros(n_s, bool), np.ones(n_t, bool)])
    Xs, ts, fractions = draw_sample(
        rows, counts, _seed(getattr(est, "random_state", None)) + 1
    )
    Xs_checked = est._validate_X(rows.frame(Xs), reset=True)
    if est._scale_sensitive:
        check_feature_scales(Xs_checked, owner, getattr(est, "feature_names_in_", None))
    est.n_source_, est.n_target_ = n_s, n_t
    est.sample_fractions_ = fractions
    with est._blas_context():
        _fit_model(est, rows, Xs_checked, ts, fractions)
    _normalise(est, rows, counts, Xs_checked, ts)
    return est


def _fit_model(est, rows, Xs, ts, fractions):
    from ..density_ratio._classifier import ClassifierWeighter
    from ..density_ratio._ulsif import _BaseLSIF

    if isinstance(est, ClassifierWeighter):
        _fit_classifier(est, Xs, ts, fractions)
        return
    from ..density_ratio._kliep import _BaseKLIEP

    est._fit_stacked(Xs, ts)
    if isinstance(est, _BaseLSIF):
        _refit_lsif(est, rows)
    elif isinstance(est, _BaseKLIEP) and fractions[0] < 1:
        # an iterative solver: refit only when the sample left source rows
        # out (a second solve agrees with the first to its tolerance only)
        _refit_kliep(est, rows, Xs, ts)


def _fit_classifier(est, Xs, ts, fractions):
    """The domain classifier on the sample, made to estimate the full-data fit.

    The sample keeps source rows with probability ``f_s`` and target rows
    with ``f_t``. The classifier is fit with weights ``1 / f`` (King & Zeng,
    Political Analysis 2001, Sec. 4.2, "weighting"; Fithian & Hastie, Ann.
    Stat. 2014, Sec. 2): its weighted loss estimates the full data's, so its
    log-odds estimate the full-data model's *and* keep the full data's prior
    ``log(n_t / n_s)``. The alternative, prior correction (an unweighted fit,
    then ``log(f_t / f_s)`` subtracted from the intercept, King & Zeng eq. 7),
    is exact only for a correctly specified model: measured on a quadratic
    log-ratio with the default linear classifier, a balanced sample moved the
    slopes 0.75 -> 0.85 and the NMSE of the weights 0.30 -> 0.59. It is used
    only for a classifier whose final step takes no ``sample_weight``.
    """
    from sklearn import config_context
    from sklearn.utils import check_random_state

    from ..density_ratio._classifier import _fitted_range
    from ..utils._routing import check_weightable, fit_weighted

    # one seed drawn as ClassifierWeighter._fit_stacked draws it
    rng = check_random_state(est.random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    domain = ts.astype(int)
    prior = np.log(est.n_source_ / est.n_target_)
    if min(fractions) == 1:  # every row: the in-memory fit
        est.estimator_ = est._fit_one(Xs, domain, seed)
    else:
        model = est._make_estimator(seed)
        try:
            path, final = check_weightable(model, "ClassifierWeighter")
        except (TypeError, ValueError):
            model, path = None, None
        if model is not None:
            w = np.where(ts, 1 / fractions[1], 1 / fractions[0])
            with config_context(skip_parameter_validation=False):
                est.estimator_ = fit_weighted(model, Xs, domain, w, path, final)
        else:
            est.estimator_ = est._fit_one(Xs, domain, seed)
            prior -= np.log(fractions[1] / fractions[0])
    est._n_fit = domain.shape[0]
    est._log_prior = prior
    est._range = _fitted_range(est.estimator_, Xs, est._n_fit)


def _block_lsif_sums(X, t, est, alpha):
    from ..density_ratio._lsif_loo import _lsif_moments

    X, t = est._scaled(X), np.asarray(t, bool)
    Xs, Xt = X[~t], X[t]
    b, g = est.centers_.shape[0], np.array([est.gamma_])
    Hs, Ht, h = np.zeros((b, b)), np.zeros((b, b)), np.zeros(b)
    # the kernel helpers refuse empty blocks: a domain absent from this
    # partition contributes nothing; one present is passed as both arguments
    # (then H_s is its mean of phi phi' and h its mean of phi)
    if Xs.shape[0]:
        Hs = _lsif_moments(Xs, Xs, est.centers_, g, 0.0)[0][0] * Xs.shape[0]
    if Xt.shape[0]:
        Ht_mean, _, h_mean = _lsif_moments(Xt, Xt, est.centers_, g, 0.0)
        h = h_mean[0] * Xt.shape[0]
        if alpha > 0:
            Ht = Ht_mean[0] * Xt.shape[0]
    return Hs, Ht, h


def _refit_lsif(est, rows):
    """``theta`` from ``H``, ``h`` summed over all partitions (JMLR 2009, eqs. 6-9)."""
    import dask

    from ..density_ratio._lsif_loo import _lsif_coef

    alpha = float(est._alpha_value)
    snap = _frozen(est)
    parts = [
        dask.delayed(_block_lsif_sums)(xb, tb, snap, alpha) for xb, tb in rows.blocks()
    ]
    Hs, Ht, h = tree_reduce(parts, add_tuples)
    H = (1 - alpha) * Hs / est.n_source_ + alpha * Ht / est.n_target_
    est.coef_ = _lsif_coef(H, h / est.n_target_, est.reg_lambda_)


def _block_log_kernel_sums(X, t, est):
    from ..density_ratio._kliep import _log_kernel_sums

    Xs = est._scaled(np.asarray(X)[~np.asarray(t, bool)])
    if Xs.shape[0] == 0:
        return np.full(est.centers_.shape[0], -np.inf)
    return _log_kernel_sums(Xs, est.centers_, est.gamma_)


def _refit_kliep(est, rows, Xs, ts):
    """KLIEP's constraint over all source rows, its objective on the target sample.

    ``b = mean_source phi`` (Sugiyama et al., NIPS 2007, eq. 4) is a sum over
    rows: a log-sum-exp tree reduction, exact; the objective's mean of
    ``log(phi' alpha)`` over the target rows is solved on the sample's target
    rows (all of them up to ``SAMPLE_ROWS``) by the in-memory solver.
    """
    import dask

    from .. import _kernels
    from ..density_ratio._kliep import _kliep_fit

    snap = _frozen(est)
    parts = [
        dask.delayed(_block_log_kernel_sums)(xb, tb, snap) for xb, tb in rows.blocks()
    ]
    log_b = tree_reduce(parts, _logaddexp) - np.log(est.n_source_)
    Xt = est._scaled(Xs[ts])
    D2T = _kernels.sq_dists(est.centers_, Xt)
    result = _kliep_fit(D2T, log_b, est.gamma_, est.max_iter, est.tol)
    est._set_fitted(est.centers_, est.gamma_, result)


def _block_log_ratio(X, est):
    with est._blas_context():
        return np.asarray(est._log_ratio(np.asarray(X)), dtype=float)


def _block_lse(X, t, est, flatten):
    t = np.asarray(t, bool)
    if t.all():
        return np.array([-np.inf, -np.inf])
    log_r = _block_log_ratio(np.asarray(X)[~t], est)
    if np.isnan(log_r).any() or np.isposinf(log_r).any():
        raise RuntimeError(
            f"{type(est).__name__} produced non-finite log-ratios; this is a bug, "
            "please report it with the data shape and parameters."
        )
    flat = 0.0 if flatten == 0 else logsumexp(flatten * log_r)
    return np.array([logsumexp(log_r), flat])


def _logaddexp(*parts):
    return np.logaddexp.reduce(np.stack(parts), axis=0)


def _normalise(est, rows, counts, Xs, ts):
    """``log_norm_``, the weight transform, ``weights_`` and ``diagnostics_``."""
    import dask

    snap = _frozen(est)
    flatten = float(est.flatten)
    parts = [
        dask.delayed(_block_lse)(xb, tb, snap, flatten) for xb, tb in rows.blocks()
    ]
    lse, lse_flat = tree_reduce(parts, _logaddexp)
    log_n = np.log(est.n_source_)
    est.log_norm_ = float(lse - log_n)
    if not np.isfinite(est.log_norm_):
        raise ValueError(ALL_ZERO_WEIGHTS)
    tf = WeightTransform(est.flatten, est.clip, est.clip_quantile)
    # mean over all source rows of (r / mean r) ** flatten, as WeightTransform.fit
    log_scale = (
        0.0 if flatten == 0 else float(lse_flat - flatten * est.log_norm_ - log_n)
    )
    if log_scale < _MAX_LOG_RATIO:
        tf.scale_, tf.log_scale_ = float(np.exp(log_scale)), None
    else:
        tf.scale_, tf.log_scale_ = None, log_scale
    tf.cap_, tf.renorm_ = np.inf, 1.0
    if est.clip is not None or est.clip_quantile is not None:
        # the cap needs sorted weights: it is fitted on the sample's source rows
        # (all of them when they fit), the renormalisation then on all rows
        ratio = np.exp(np.asarray(est._log_ratio(Xs[~ts]), float) - est.log_norm_)
        with np.errstate(over="ignore"):
            probe = WeightTransform(est.flatten, est.clip, est.clip_quantile).fit(ratio)
        tf.cap_ = probe.cap_
    est._transform = tf
    snap._transform, snap.log_norm_ = tf, est.log_norm_
    if est.clip is not None or est.clip_quantile is not None:
        parts = [
            dask.delayed(_block_capped_sum)(xb, tb, snap) for xb, tb in rows.blocks()
        ]
        tf.renorm_ = float(tree_reduce(parts, add_tuples)[0] / est.n_source_)
    est.weights_ = _source_weights(snap, rows, counts)
    from ._diagnostics import fit_diagnostics

    est.diagnostics_ = fit_diagnostics(snap, rows, counts)


def _block_capped_sum(X, t, est):
    t = np.asarray(t, bool)
    w = _block_weights(np.asarray(X)[~t], est)
    return (w.sum() * est._transform.renorm_,)


def _block_weights(X, est):
    if X.shape[0] == 0:
        return np.zeros(0)
    log_r = _block_log_ratio(X, est) - est.log_norm_
    return est._transform.transform(np.exp(np.minimum(log_r, _MAX_LOG_RATIO)))


def _block_source_weights(X, t, est):
    t = np.asarray(t, bool).ravel()
    return _block_weights(np.asarray(X)[~t], est)


def _source_weights(snap, rows, counts):
    import dask.array as da

    return da.map_blocks(
        _block_source_weights,
        rows.X,
        rows.is_target[:, None],
        snap,
        drop_axis=1,
        chunks=(tuple(int(c) for c in counts[:, 0]),),
        dtype=float,
        meta=np.zeros(0),
    )


def _block_ratio(X, est):
    log_r = _block_log_ratio(X, est) - est.log_norm_
    return np.exp(np.minimum(log_r, _MAX_LOG_RATIO))


def predict_ratio(est, X):
    """The ratio at dask rows, lazily, one block per partition."""
    Xa = as_dask_features(est, X)
    return Xa.map_blocks(
        _block_ratio, _frozen(est), drop_axis=1, dtype=float, meta=np.zeros(0)
    )


def predict_weights(est, X):
    """The weights at dask rows, lazily, on the scale of ``weights_``."""
    Xa = as_dask_features(est, X)
    return Xa.map_blocks(
        _block_weights, _frozen(est), drop_axis=1, dtype=float, meta=np.zeros(0)
    )


def _block_score(X, t, est):
    t = np.asarray(t, bool)
    X = np.asarray(X)
    with est._blas_context():
        src, tgt = est._score_terms(X[~t], X[t])
    return (float(np.sum(src) + np.sum(tgt)),)


def score(est, X, y):
    """The weighter's held-out criterion, summed over partitions."""
    import dask

    rows = as_dask_rows(X, y, type(est).__name__)
    as_dask_features(est, rows.X)
    snap = _frozen(est)
    parts = [dask.delayed(_block_score)(xb, tb, snap) for xb, tb in rows.blocks()]
    total = tree_reduce(parts, add_tuples)[0]
    return float(total / rows.X.shape[0])
