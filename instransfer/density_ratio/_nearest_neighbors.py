"""Nearest-neighbour weighting (Loog, 2012) with Laplace smoothing."""

from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp

from .._validation import power_of_two_scale
from ..base import BaseWeighter
from ..utils._compat import Interval, StrOptions
from ..utils._docstrings import fill_doc


@fill_doc
class NearestNeighborWeighter(BaseWeighter):
    """Weights from counts of target rows in each source row's Voronoi cell.

    Each target row votes for its ``n_neighbors`` nearest source rows (``1 /
    n_neighbors`` each); source row ``i`` gets ``c_i`` votes. The ratio is
    ``(c_i + smoothing) * n_s / (n_t + smoothing * n_s)``, which has mean 1
    over the source rows (Loog, 2012, eq. 5, with Laplace smoothing). Without
    smoothing, every source row that no target row chooses gets weight 0 —
    about a quarter of the rows on a moderate shift — so smoothing is on by
    default and ``smoothing=0`` must be asked for.

    The weighted source mean of a covariate is that of the target rows'
    nearest source rows pulled towards the source mean: a fraction
    ``a / (1 + a)`` of each mean imbalance is left, with
    ``a = smoothing * n_s / n_t``. A fixed ``smoothing=1`` with a target five
    times smaller than the source left 5/6 of the imbalance. The default
    ``"auto"`` chooses the pseudo-count from the votes themselves: half the
    shrinkage of the noisy vote ratio towards 1 that minimises its expected
    squared error (empirical Bayes [2]_, with ``tau2``, the variance of the
    ratio, taken as the votes' variance beyond their Poisson noise): little
    smoothing where the shift is strong, more where the votes are mostly
    noise. Half, because shrinking towards 1 also leaves a share of every
    mean imbalance; half keeps 3/4 of the squared-error gain. Measured
    (``benchmarks/results/engineer.md``): the imbalance of a small target
    corrected, and ratio NMSE below ``smoothing=0``'s at ``n_neighbors`` 1,
    5 and 10 in two dimensions, but a few per cent above it at 5 and 10
    neighbours in ten dimensions, where the neighbourhoods already smooth
    the ratio (any pseudo-count adds bias there).

    The ratio at a new row is that of its nearest source row (the estimate is
    constant on each source row's Voronoi cell).

    Parameters
    ----------
    n_neighbors : int, default=1
        Source rows each target row votes for.
    smoothing : float or "auto", default="auto"
        Laplace pseudo-count added to every source row's votes; ``"auto"``
        chooses it from the votes (empirical Bayes, see above).
    metric : str, default="euclidean"
        Distance, as in :class:`~sklearn.neighbors.NearestNeighbors`.
    n_jobs : int or None, default=None
        Parallel jobs for the neighbour search (scikit-learn's, over the
        target rows in threads; the fit's cost is that search, one query of
        ``n_neighbors + 1`` neighbours per target row).
    %(weight_transform)s

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, mean 1.
    smoothing_ : float
        The pseudo-count used.
    counts_ : ndarray of shape (n_source,)
        Votes each source row received from the target rows (identical
        source rows split their cell's votes evenly).
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows.
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    ClassifierWeighter : Ratio from a domain classifier.

    References
    ----------
    .. [1] M. Loog, "Nearest neighbor-based importance weighting", IEEE
       International Workshop on Machine Learning for Signal Processing, 2012.
    .. [2] B. Efron and C. Morris, "Stein's estimation rule and its
       competitors -- an empirical Bayes approach", Journal of the American
       Statistical Association 68, 1973.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> wtr = it.NearestNeighborWeighter().fit(data.X, data.domain)
    >>> bool((wtr.weights_ > 0).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "smoothing": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "metric": [StrOptions({"euclidean", "manhattan", "chebyshev", "cosine"})],
        "n_jobs": [Integral, None],
    }
    _scale_sensitive = True  # every metric offered weighs columns by their scale

    def __init__(
        self,
        n_neighbors=1,
        *,
        smoothing="auto",
        metric="euclidean",
        n_jobs=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.n_neighbors = n_neighbors
        self.smoothing = smoothing
        self.metric = metric
        self.n_jobs = n_jobs
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _fit_log_ratio(self, X_source, X_target):
        from sklearn.neighbors import NearestNeighbors

        n_s, n_t = X_source.shape[0], X_target.shape[0]
        # Every metric offered is invariant to one factor on all columns; an
        # exact power-of-two rescaling keeps distances of values near 1e-170
        # (or 1e154) from underflowing (overflowing), which made every target
        # row tie and vote for one source row.
        self._scale = min(power_of_two_scale(X_source), power_of_two_scale(X_target))
        X_source, X_target = X_source * self._scale, X_target * self._scale
        # Identical source rows share one Voronoi cell: a neighbour search
        # would hand every vote to the first copy, so search the distinct rows
        # and split each cell's votes evenly over its copies. A target row's
        # k nearest source *rows* are its nearest distinct rows taken with all
        # their copies until k are reached (the last one partly).
        uniq, inverse, copies = np.unique(
            X_source, axis=0, return_inverse=True, return_counts=True
        )
        inverse = inverse.ravel()
        k = min(self.n_neighbors, n_s)
        n_query = min(k + 1, uniq.shape[0])
        self.nn_ = NearestNeighbors(
            n_neighbors=n_query, metric=self.metric, n_jobs=self.n_jobs
        ).fit(uniq)
        dist, idx = self.nn_.kneighbors(X_target)
        c = copies[idx]
        take = np.clip(k - (np.cumsum(c, axis=1) - c), 0, c).astype(float)
        # Equal distances share the votes (a unit-free rule: distances within
        # a relative _TIE_RTOL are equal), instead of the search's order, which
        # rounding decides and which changed with the units of X.
        tied = np.flatnonzero(_has_tie(dist, take, c))
        take[tied] = 0.0  # these rows' votes are shared below
        votes = np.bincount(idx.ravel(), weights=take.ravel(), minlength=len(uniq))
        for i in tied:
            d_i, j_i = self._within(X_target[i : i + 1], dist[i, n_query - 1])
            votes += np.bincount(
                j_i, weights=_shared_votes(d_i, copies[j_i], k), minlength=len(uniq)
            )
        votes_per_copy = votes / k / copies
        self.counts_ = votes_per_copy[inverse]
        a = self.smoothing
        if a == "auto":
            a = _auto_smoothing(
                self.counts_, k, n_t / n_s, _cell_variance(uniq, k, self.metric)
            )
        self.smoothing_ = float(a)
        with np.errstate(divide="ignore"):
            self._log_cell = np.log((votes_per_copy + a) * n_s / (n_t + a * n_s))
        return self._log_cell[inverse]

    def _within(self, x, radius):
        """Distinct source rows within ``radius`` (ties included), nearest first."""
        r = np.nextafter(radius * (1 + _TIE_RTOL), np.inf)
        dist, idx = self.nn_.radius_neighbors(x, radius=r, sort_results=True)
        return dist[0], idx[0]

    def _log_ratio(self, X):
        X = X * self._scale
        n_query = min(2, self.nn_.n_samples_fit_)
        dist, idx = self.nn_.kneighbors(X, n_neighbors=n_query)
        log_r = self._log_cell[idx[:, 0]]
        if n_query < 2:
            return log_r
        # a row as near to two cells as to one gets their mean ratio
        for i in np.flatnonzero(dist[:, 1] <= dist[:, 0] * (1 + _TIE_RTOL)):
            d_i, j_i = self._within(X[i : i + 1], dist[i, 0])
            log_r[i] = logsumexp(self._log_cell[j_i]) - np.log(j_i.shape[0])
        return log_r


def _auto_smoothing(counts, k, mean_votes, cell_var):
    """Half the empirical-Bayes shrinkage of the vote ratio towards 1.

    With ``z = c / m`` (``m = n_t / n_s``, the mean vote), the smoothed ratio
    ``(c + a) / (m + a)`` is ``(1 - B) z + B`` with ``B = a / (m + a)``: a
    shrinkage of ``z`` towards 1. ``z`` is the ratio ``r`` times the
    relative mass ``v`` of the row's cell (mean 1, variance ``V``,
    ``cell_var``) plus the Poisson noise of the votes (each target row
    spreads one vote over ``k`` rows: variance ``1 / (k m)``), so
    ``z = r + u`` with ``u`` uncorrelated with ``r`` and of variance
    ``s2 = (1 + tau2) V + 1 / (k m)``, ``tau2`` the variance of ``r`` over
    the source rows. The squared error ``B**2 tau2 + (1 - B)**2 s2`` is least
    at ``B* = s2 / (s2 + tau2)``, the empirical-Bayes shrinkage of Efron &
    Morris (1973); ``tau2`` is estimated by moments from
    ``var(z) = tau2 (1 + V) + V + 1 / (k m)``.

    The weights also make weighted means, where shrinking towards 1 leaves a
    fraction ``B`` of every imbalance: ``B*`` left 0.58 of an age SMD of
    0.66 on a 5-times-smaller target (116 encoded columns), about as little
    correction as the fixed pseudo-count of 1. ``B = B* / 2`` keeps 3/4 of
    the squared-error gain (the error is quadratic in ``B``) and halves the
    imbalance left. Measured over seeds in benchmarks/results/engineer.md.
    """
    z = counts / mean_votes
    poisson = 1.0 / (k * mean_votes)
    tau2 = max((float(z.var()) - cell_var - poisson) / (1.0 + cell_var), 0.0)
    noise = (1.0 + tau2) * cell_var + poisson
    shrink = 0.5 * noise / (noise + tau2) if noise > 0 else 0.0
    return mean_votes * shrink / (1.0 - shrink)


# rows of the sample that estimates the cells' mass variance
_CELL_SAMPLE = 4000


def _cell_variance(uniq, k, metric):
    """Variance of the relative probability mass of a source row's k-NN cell.

    Measured without a shift: half of an evenly spaced sample of the distinct
    source rows (taken in their sorted order, so the choice does not depend
    on the order of the rows) vote for their ``k`` nearest rows in the other
    half; the votes' relative variance minus its Poisson part ``1 / k`` is
    the cells' (about 0.28 for k = 1 in two dimensions, the Poisson-Voronoi
    value, less for larger k). Counted as ratio signal it made ``"auto"``
    smooth too little without a shift (effective sample size 0.68 at n = 400
    + 400).
    """
    from sklearn.neighbors import NearestNeighbors

    step = max(1, uniq.shape[0] // _CELL_SAMPLE)
    sample = uniq[::step]
    cells, voters = sample[::2], sample[1::2]
    if cells.shape[0] < 2 * k or voters.shape[0] < 2:
        return 0.0
    idx = (
        NearestNeighbors(n_neighbors=k, metric=metric)
        .fit(cells)
        .kneighbors(voters, return_distance=False)
    )
    votes = np.bincount(idx.ravel(), minlength=cells.shape[0]) / k
    z = votes / (voters.shape[0] / cells.shape[0])
    return max(float(z.var()) - cells.shape[0] / (k * voters.shape[0]), 0.0)


# Distances computed by the expansion ||x||^2 + ||y||^2 - 2 x.y carry a
# relative rounding error of order 1e-16 * ||x||^2 / d^2; equal distances
# (a target row midway between two source rows) differ by far less than this.
_TIE_RTOL = 1e-9


def _has_tie(dist, take, copies):
    """Rows where sharing ties changes the votes of the queried neighbours.

    A tie between two neighbours that both get all their copies' votes
    changes nothing; one at the group where the votes run out does.
    """
    tie = dist[:, 1:] <= dist[:, :-1] * (1 + _TIE_RTOL)
    short = take < copies
    return (tie & (short[:, :-1] | short[:, 1:])).any(axis=1)


def _shared_votes(d, copies, k):
    """Votes of one target row over its nearest distinct rows, ties shared.

    Walking the distances upwards, each group of equal distances (within
    ``_TIE_RTOL``) gets the votes still to give, up to its number of rows,
    split over its rows in proportion to their copies.
    """
    out = np.zeros(d.shape[0])
    remaining, start = float(k), 0
    while start < d.shape[0] and remaining > 0:
        end = start + 1
        while end < d.shape[0] and d[end] <= d[start] * (1 + _TIE_RTOL):
            end += 1
        c = copies[start:end].astype(float)
        given = min(remaining, c.sum())
        out[start:end] = given * c / c.sum()
        remaining -= given
        start = end
    return out
