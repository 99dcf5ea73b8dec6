"""The folds x candidates evaluation of ``ImportanceWeighted*CV``.

Two schedules fill the ``(n_folds, n_flattens)`` matrix of held-out IW scores:

- ``"full"``: every fold, every candidate (``n_folds * n_flattens`` fits);
- ``"adaptive"``: folds in batches, in the order of the full schedule; after
  each batch a candidate whose fate under the selection rule is settled stops
  being fitted (successive halving over the grid, decided by paired standard
  errors), and the folds stop when at most the chosen candidate and the best
  one are left. When no candidate is ever settled it is the full schedule, fold
  for fold, so the decision is the same as the full one wherever it is close.

"Settled" projects the rule to the full schedule. With ``k`` of ``N`` folds
done, a candidate's paired difference to the best has standard error ``e``;
after all ``N`` folds that error will be about ``s = e sqrt(k / N)`` (the
threshold of ``"paired_se"``), and the difference will have moved by at most
``z u``, ``u = e sqrt((N - k) / N)`` (the remaining folds' share of the mean,
``z = 3``: the 98.5 % quantile of Student's t with 5 degrees of freedom, the
first batch's 6 folds). A candidate is settled *outside* the rule when its
difference exceeds ``s + z u``, *worse than the best* when it exceeds ``z u``,
*inside* when it is below ``s - z u``. Measured on
``benchmarks/suite_iwcv_cost.py`` and ``benchmarks/suite_flatten_choice.py``.

The weighter is fit once on all rows (``weighter_fit="once"``, the default)
and its source rows' ratios are reused by every fold (:class:`_FoldWeights`);
``"per_fold"`` refits it on each training fold. The folds of a batch run in
parallel with joblib, each fitting the live candidates; each worker limits
the BLAS/OpenMP pools
of its process so that ``n_jobs``
workers share the cores instead of each starting a pool as large as the
machine (measured in ``benchmarks/results/iwcv_cost.md``).
"""

import math
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, clone

from .._validation import _num_rows
from ..exceptions import (
    NoOverlapWarning,
    ResidualImbalanceWarning,
    WeightConcentrationWarning,
)
from ..utils._compat import _safe_indexing
from ..utils._domain import unlabeled_mask

SCHEDULES = ("adaptive", "full")
WEIGHTER_FITS = ("once", "per_fold")
# the rule's margin in projected standard errors (module docstring)
_Z = 3.0
_MIN_FOLDS = 5


def _weighted_mean_se(values, weights):
    """Weighted mean over folds and its standard error.

    The folds are clusters of held-out rows; with fold weights ``W_f`` (the
    total importance weight of a fold's rows) the weighted mean is the pooled
    importance-weighted estimate over all held-out rows, and its standard
    error is the usual linearisation of a ratio estimator (clusters = folds).
    """
    values = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)[:, None] / np.sum(weights)
    mean = np.sum(w * values, axis=0)
    n = values.shape[0]
    if n < 2:
        return mean, np.full(mean.shape, np.inf)
    var = n / (n - 1) * np.sum(w**2 * (values - mean) ** 2, axis=0)
    return mean, np.sqrt(var)


def _inner_threads(n_jobs):
    """BLAS/OpenMP threads per worker so that workers do not oversubscribe."""
    from joblib import effective_n_jobs

    n_workers = effective_n_jobs(n_jobs)
    if n_workers <= 1:
        return None  # one process: the user's own settings
    return max(1, (os.cpu_count() or 1) // n_workers)


# threadpoolctl's scan of the loaded libraries took 60 ms per call on the
# loaded 2-core machine (the limit itself 20 us): one controller per process,
# rescanned only when modules were imported since (a new native library, e.g.
# xgboost's OpenMP, comes with an import)
_CONTROLLER = {"n_modules": -1, "controller": None}


def _limited(threads, func, *args):
    if threads is None:
        return func(*args)
    import sys

    from threadpoolctl import ThreadpoolController

    if _CONTROLLER["n_modules"] != len(sys.modules):
        _CONTROLLER["controller"] = ThreadpoolController()
        _CONTROLLER["n_modules"] = len(sys.modules)
    with _CONTROLLER["controller"].limit(limits=threads):
        return func(*args)


class _FoldWeights(BaseEstimator):
    """The weighter fitted once on all rows, seen through one training fold.

    ``fit`` keeps the fold's share of the source weights (ordered as the
    fold's source rows, as a weighter's ``weights_`` are); ``predict_ratio``
    is 1 because the held-out rows' ratios are known by row and reach the
    scorer as its ``sample_weight`` (``_fit_fold``). ``clone`` returns it
    as is, like :class:`~sklearn.frozen.FrozenEstimator`.
    """

    def __init__(self, weights):
        self.weights = weights

    def __sklearn_clone__(self):
        return self

    def fit(self, X, y):
        self.weights_ = self.weights
        return self

    def predict_ratio(self, X):
        return np.ones(_num_rows(X))

    def predict_weights(self, X):
        return np.ones(_num_rows(X))


def fit_weighter_once(weighter, X, is_target):
    """Fit ``weighter`` on all rows; its per-row source weights and ratios.

    The IWCV estimate of Sugiyama, Krauledat & Müller (JMLR 8, 2007, eq. 9)
    weights every fold's held-out losses, and the training losses of the
    importance-weighted learner, by one importance function ``w(x)``, the
    same in all folds: a function of the inputs only, which they estimate from
    the unlabeled training and test inputs before cross-validating. Fitting
    it once on all rows is therefore that procedure, not a leak: a weighter
    never sees a label, the held-out rows' covariates in its fit are no more
    than the target rows' covariates are, and no outcome reaches the choice
    through the weights. It is ``n_folds`` weighter fits cheaper
    (a default ``ClassifierWeighter`` is 6 fits on twice the rows, 12 plain
    fits' worth per fold for LogisticRegression), and the folds then weigh
    their training rows exactly as the final model does.

    The held-out ratio of a source row is the weighter's own ``weights_``
    when its transform is the identity (``flatten=1``, no clip): the
    out-of-fold ratio for a cross-fitted weighter, so that no row is scored
    with a ratio fitted on itself; otherwise ``predict_ratio`` of the row.

    Returns the fitted weighter, and arrays of length ``n_samples`` (NaN on
    target rows): the source weights and the full ratios.
    """
    weighter = clone(weighter).fit(X, is_target.astype(int))
    source = ~is_target
    weights = np.full(is_target.shape[0], np.nan)
    weights[source] = weighter.weights_
    ratio = np.full(is_target.shape[0], np.nan)
    identity = (
        getattr(weighter, "flatten", 1.0) == 1.0
        and getattr(weighter, "clip", None) is None
        and getattr(weighter, "clip_quantile", None) is None
    )
    if identity:
        ratio[source] = weighter.weights_
    else:
        ratio[source] = weighter.predict_ratio(
            _safe_indexing(X, np.flatnonzero(source))
        )
    return weighter, weights, ratio


def _fold_weighter(weighter, X_tr, dom_tr):
    """A weighter fit on the training fold (``weighter_fit="per_fold"``)."""
    from sklearn.frozen import FrozenEstimator

    with warnings.catch_warnings():
        # the fit-time diagnostics speak once, for the weighter fitted on all
        # rows; a fold's weighter on 90 % of them would only repeat them
        warnings.simplefilter(
            "ignore",
            (WeightConcentrationWarning, NoOverlapWarning, ResidualImbalanceWarning),
        )
        weighter = clone(weighter).fit(X_tr, dom_tr)
    return weighter, FrozenEstimator(weighter)  # clone() of it is itself


def _fit_fold(
    make, weighter, flattens, X, y_cv, is_target, sw, task, split, scorer, fit_params
):
    """The live candidates' held-out scores on one fold, and its weight.

    ``weighter`` is either an unfitted weighter, fit here on the training
    fold, or ``(weights, ratio)``, the per-row arrays of
    :func:`fit_weighter_once`. One task per fold, not per (fold, candidate):
    every task ships the fold's data and sets the worker's thread limits,
    which cost more than a small fit on a loaded machine (a 300-row default
    IWCV took 17-27 s with per-candidate tasks on 2 workers against 8-11 s on
    one).
    """
    train, test = split
    X_tr, X_te = _safe_indexing(X, train), _safe_indexing(X, test)
    dom_tr = is_target[train].astype(int)
    sw_tr = None if sw is None else sw[train]
    sw_te = None if sw is None else sw[test]
    labeled = np.flatnonzero(~unlabeled_mask(y_cv[test], task))
    if isinstance(weighter, tuple):
        weights, ratio = weighter
        fold = _FoldWeights(weights[train][dom_tr == 0])
        # the known ratios of the held-out rows (1 on unlabeled rows, which
        # the IW scorer skips), times the user's weights
        score_w = np.nan_to_num(ratio[test], nan=1.0)
        if sw_te is not None:
            score_w = score_w * sw_te
        fold_w = score_w[labeled]
    else:
        fitted, fold = _fold_weighter(weighter, X_tr, dom_tr)
        score_w = sw_te
        fold_w = fitted.predict_ratio(_safe_indexing(X_te, labeled))
        if sw_te is not None:
            fold_w = fold_w * sw_te[labeled]
    scores = np.empty(len(flattens))
    for j, flatten in enumerate(flattens):
        model = make(fold, flatten)
        model.fit(X_tr, y_cv[train], domain=dom_tr, sample_weight=sw_tr, **fit_params)
        scores[j] = scorer(model, X_te, y_cv[test], sample_weight=score_w)
    # the fold's share of the pooled estimate: its rows' total weight
    return scores, float(np.sum(fold_w))


def _paired_stats(scores, fold_weights, ref):
    """Pooled differences to candidate ``ref`` and their paired SEs."""
    return _weighted_mean_se(scores[:, [ref]] - scores, fold_weights)


def settled(scores, fold_weights, live, selection, n_total, z=_Z):
    """Which live candidates still need folds, and whether to stop.

    Parameters
    ----------
    scores : ndarray of shape (k, n_flattens)
        Scores of the folds done (NaN where a candidate was dropped).
    fold_weights : ndarray of shape (k,)
        The folds' shares of the pooled estimate.
    live : ndarray of bool of shape (n_flattens,)
        Candidates fitted on every fold so far.
    selection : str
        The selection rule.
    n_total : int
        Folds of the full schedule.
    z : float
        Margin in projected standard errors.

    Returns
    -------
    live : ndarray of bool
        Candidates to fit on the next folds.
    stop : bool
        True when the choice is settled.
    """
    k = scores.shape[0]
    idx = np.flatnonzero(live)
    sub = scores[:, idx]
    if k < 2 or k >= n_total or not np.all(np.isfinite(sub)):
        return live, k >= n_total
    mean, se = _weighted_mean_se(sub, fold_weights)
    b = int(np.argmax(mean))
    d, e = _paired_stats(sub, fold_weights, b)
    s = e * math.sqrt(k / n_total)  # projected final SE: the rule's threshold
    u = e * math.sqrt((n_total - k) / n_total)  # room to move in the last folds
    if selection == "one_se":
        s = np.full_like(s, se[b] * math.sqrt(k / n_total))
    elif selection == "best":
        s = np.zeros_like(s)
    inside = d <= s
    c = int(np.flatnonzero(inside)[0])  # the rule, projected to all folds
    keep = np.ones(idx.shape[0], dtype=bool)
    for j in range(idx.shape[0]):
        if j in (b, c):
            continue
        if j < c:  # chosen only if inside at the end: settled when surely not
            keep[j] = not d[j] - z * u[j] > s[j]
        else:  # above the choice: matters only if it could become the best
            keep[j] = not d[j] - z * u[j] > 0
    new_live = np.zeros_like(live)
    new_live[idx[keep]] = True
    # Nothing below the choice left, and at most one candidate above it (the
    # best, or one tied with the choice when the choice is the best): stop
    # with the choice. They are within the rule's tolerance of each other
    # (the choice is inside): the full schedule would pick either, and the
    # smaller lambda is the rule's own preference (less weighting, less
    # variance).
    stop = bool(not keep[:c].any() and keep.sum() <= 2)
    return new_live, stop


def _batches(n_total, n_splits):
    """Fold counts after which the adaptive schedule looks: half a split.

    Never before 5 folds (3 or 4 leave a standard error too rough to settle
    anything on), and an even number (balanced over 2 workers): every 6 folds
    for 10-fold splits.
    """
    step = max(_MIN_FOLDS, math.ceil(n_splits / 2))
    step += step % 2  # even: batches split evenly over 2 workers
    return list(range(step, n_total, step)) + [n_total]


def evaluate(
    cv_model,
    X,
    y_cv,
    is_target,
    sw,
    splits,
    scorer,
    *,
    n_splits,
    schedule,
    verbose,
    fit_params=None,
    weighter=None,
):
    """Score matrix of the candidates on the folds, by ``schedule``.

    ``weighter`` is the unfitted weighter to fit per fold, or the
    ``(weights, ratio)`` arrays of :func:`fit_weighter_once` to reuse.
    Returns ``scores`` of shape (n_folds_done, n_flattens), NaN where a
    candidate was no longer fitted, the folds' weights, and the number of
    estimator fits.
    """
    from joblib import Parallel, delayed

    flattens = cv_model._flattens
    n_total, n_cand = len(splits), flattens.shape[0]
    stops = [n_total] if schedule == "full" else _batches(n_total, n_splits)
    if weighter is None:
        weighter = cv_model._get_weighter()
    if verbose:
        up_to = "" if schedule == "full" else "up to "
        wtr = (
            "the weighter fitted once"
            if isinstance(weighter, tuple)
            else f"{up_to}{n_total} weighter fits"
        )
        print(
            f"Fitting {up_to}{n_total} folds for each of {n_cand} candidates, "
            f"totalling {up_to}{n_total * n_cand} fits with {wtr}, then 1 "
            f"final fit ({schedule} schedule)",
            flush=True,
        )
    threads = _inner_threads(cv_model.n_jobs)
    parallel = Parallel(n_jobs=cv_model.n_jobs, verbose=max(0, verbose - 1))
    rows, weights, live, n_fits, done = [], [], np.ones(n_cand, bool), 0, 0
    for stop_at in stops:
        batch = splits[done:stop_at]
        cand = np.flatnonzero(live)
        out = parallel(
            delayed(_limited)(
                threads,
                _fit_fold,
                cv_model._make_weighted,
                weighter,
                flattens[cand],
                X,
                y_cv,
                is_target,
                sw,
                cv_model._task,
                split,
                scorer,
                fit_params or {},
            )
            for split in batch
        )
        block = np.full((len(batch), n_cand), np.nan)
        block[:, cand] = np.vstack([scores for scores, _ in out])
        rows.append(block)
        weights.extend(w for _, w in out)
        n_fits += len(batch) * cand.shape[0]
        done = stop_at
        if done == n_total:
            break
        live, stop = settled(
            np.vstack(rows), np.asarray(weights), live, cv_model.selection, n_total
        )
        if verbose:
            left = ", ".join(f"{flattens[j]:g}" for j in np.flatnonzero(live))
            print(f"[IWCV] {done}/{n_total} folds: candidates left {left}", flush=True)
        if stop:
            break
    if verbose and done < n_total:
        print(
            f"[IWCV] choice settled after {done} of {n_total} folds: {n_fits} "
            f"fits instead of {n_total * n_cand}",
            flush=True,
        )
    return np.vstack(rows), np.asarray(weights), n_fits


def replay(scores, fold_weights, selection, n_splits, z=_Z):
    """The adaptive schedule's score matrix, replayed from a full one.

    The adaptive schedule fits the folds of the full schedule in order and
    only ever leaves cells out, so its matrix is the full one cut to the
    folds it ran, with NaN where it dropped a candidate: the same folds,
    weighters and fits give the same scores. ``benchmarks`` use this to
    judge the adaptive choice on the replicates of the full one.

    Returns the matrix (rows = folds run) and the number of estimator fits.
    """
    scores = np.asarray(scores, dtype=float)
    n_total, n_cand = scores.shape
    out = np.full_like(scores, np.nan)
    live, done, n_fits = np.ones(n_cand, bool), 0, 0
    for stop_at in _batches(n_total, n_splits):
        out[done:stop_at, live] = scores[done:stop_at, live]
        n_fits += (stop_at - done) * int(live.sum())
        done = stop_at
        if done == n_total:
            break
        live, stop = settled(
            out[:done], fold_weights[:done], live, selection, n_total, z=z
        )
        if stop:
            break
    return out[:done], n_fits
