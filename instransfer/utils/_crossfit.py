"""Cross-fitting: fit a model per fold, predict each row with a model that never saw it.

A weighter that predicts the ratio at the rows it was fit on overfits them
(a flexible domain classifier is over-confident on its own training rows).
Cross-fitting, as :class:`~sklearn.calibration.CalibratedClassifierCV` does
per fold, fits one model per fold, in parallel, and predicts each held-out
row with the model of its fold. :func:`domain_folds` builds the folds of a
stacked ``X``, :func:`crossfit` fits the per-fold models.
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold

__all__ = ["crossfit", "domain_folds"]


def domain_folds(is_target, n_splits, random_state):
    """Folds of stacked rows, stratified by domain.

    Which rows share a fold does not depend on how the two domains are
    interleaved in ``X``: the folds are drawn as if the source rows came
    first (the order :func:`~instransfer.stack_domains` gives) and mapped
    back to the rows as passed.

    Parameters
    ----------
    is_target : ndarray of bool of shape (n_samples,)
        Target rows.
    n_splits : int
        Number of folds (>= 2).
    random_state : int
        Seed of the shuffle.

    Returns
    -------
    folds : list of (train, test)
        Sorted row indices into the stacked rows.
    """
    source, target = np.flatnonzero(~is_target), np.flatnonzero(is_target)
    order = np.r_[source, target]
    canonical = np.r_[np.zeros(source.shape[0], int), np.ones(target.shape[0], int)]
    splitter = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    return [
        (np.sort(order[train]), np.sort(order[test]))
        for train, test in splitter.split(np.zeros((order.shape[0], 1)), canonical)
    ]


def crossfit(fit, X, y, folds, *, n_jobs=None, verbose=0):
    """Fit one model per fold on its training rows, folds in parallel.

    Each job gets the whole ``X`` and its fold's row indices, never a copy of
    its rows: the rows are taken inside the job, one fold at a time (issue
    #23: five folds materialised up front were most of the copies of a
    300 000-row ``X``). Jobs prefer threads: they share ``X`` (no copy per
    worker), and the work of a fold (BLAS products, scikit-learn's Cython
    losses, xgboost, histogram gradient boosting) releases the GIL. With
    processes (``joblib.parallel_backend("loky")``, for a classifier that
    holds the GIL) joblib memory-maps a large ``X`` once instead of pickling
    it per fold. Process workers measured 0.63x the speed of one job, with
    twice the memory, on a shared 2-core machine
    (``benchmarks/results/engineer.md``).

    Parameters
    ----------
    fit : callable
        ``fit(X, y, train, test)`` fits a model on the rows ``train`` of
        ``X`` and returns what the caller needs of it (e.g. its predictions
        at the rows ``test``); it must be picklable for
        ``n_jobs`` other than 1 (a bound method, or a
        :func:`functools.partial` of one).
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Their labels (for a weighter: the domain).
    folds : list of (train, test)
        Row indices, e.g. from :func:`domain_folds`.
    n_jobs : int or None, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        joblib's verbosity (progress over the folds).

    Returns
    -------
    results : list
        What ``fit`` returned for every fold, in the order of ``folds``.
    """
    return Parallel(n_jobs=n_jobs, verbose=verbose, prefer="threads")(
        delayed(fit)(X, y, train, test) for train, test in folds
    )
