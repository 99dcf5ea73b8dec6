"""Nearest-neighbour weighting (Loog, 2012) with Laplace smoothing."""

from numbers import Integral, Real

import numpy as np

from ..base import BaseWeighter
from ..utils._compat import Interval, StrOptions


class NearestNeighborWeighter(BaseWeighter):
    """Weights from counts of target rows in each source row's Voronoi cell.

    Each target row votes for its ``n_neighbors`` nearest source rows (``1 /
    n_neighbors`` each); source row ``i`` gets ``c_i`` votes. The ratio is
    ``(c_i + smoothing) * n_s / (n_t + smoothing * n_s)``, which has mean 1
    over the source rows (Loog, 2012, eq. 5, with Laplace smoothing). Without
    smoothing, every source row that no target row chooses gets weight 0 —
    about a quarter of the rows on a moderate shift — so ``smoothing=1`` is the
    default and ``smoothing=0`` must be asked for.

    The ratio at a new row is that of its nearest source row (the estimate is
    constant on each source row's Voronoi cell).

    Parameters
    ----------
    n_neighbors : int, default=1
        Source rows each target row votes for.
    smoothing : float, default=1.0
        Laplace pseudo-count added to every source row's votes.
    metric : str, default="euclidean"
        Distance, as in :class:`~sklearn.neighbors.NearestNeighbors`.
    n_jobs : int or None, default=None
        Parallel jobs for the neighbour search.
    flatten : float, default=1.0
        Exponent applied to the ratio (0: uniform weights).
    clip : float or None, default=None
        Largest weight as a multiple of the mean weight.
    clip_quantile : float or None, default=None
        Quantile of the weights at which to cap them.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, mean 1.
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
        "smoothing": [Interval(Real, 0, None, closed="left")],
        "metric": [StrOptions({"euclidean", "manhattan", "chebyshev", "cosine"})],
        "n_jobs": [Integral, None],
    }
    _scale_sensitive = True  # every metric offered weighs columns by their scale

    def __init__(
        self,
        n_neighbors=1,
        *,
        smoothing=1.0,
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
        self.nn_ = NearestNeighbors(
            n_neighbors=min(k, uniq.shape[0]), metric=self.metric, n_jobs=self.n_jobs
        ).fit(uniq)
        idx = self.nn_.kneighbors(X_target, return_distance=False)
        c = copies[idx]
        take = np.clip(k - (np.cumsum(c, axis=1) - c), 0, c)
        votes = np.bincount(idx.ravel(), weights=take.ravel(), minlength=len(uniq))
        votes_per_copy = votes / k / copies
        self.counts_ = votes_per_copy[inverse]
        with np.errstate(divide="ignore"):
            self._log_cell = np.log(
                (votes_per_copy + self.smoothing) * n_s / (n_t + self.smoothing * n_s)
            )
        return self._log_cell[inverse]

    def _log_ratio(self, X):
        idx = self.nn_.kneighbors(X, n_neighbors=1, return_distance=False)[:, 0]
        return self._log_cell[idx]
