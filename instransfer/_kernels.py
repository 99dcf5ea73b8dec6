"""Gaussian (RBF) kernels between blocks of rows, with bounded memory.

Every kernel method of the package (uLSIF, RuLSIF, KLIEP, KMM) goes through
this module. The kernel follows scikit-learn's convention
``k(x, y) = exp(-gamma * ||x - y||^2)``
(:func:`sklearn.metrics.pairwise.rbf_kernel`).

Squared distances use the BLAS expansion ``||x||^2 + ||y||^2 - 2 x.y`` on rows
shifted by the mean of the second set (a large common offset would otherwise
cost the expansion its precision), clamped at 0 (the expansion can round to
tiny negatives), and the exponential is taken in place in the same buffer, so
a block costs one allocation. Rows whose squared norms could overflow the
expansion (features above ~1e154 in float64) are refused with a ValueError
that says how to rescale, as are distinct rows too close for the median
heuristic (below ~1e-154): both would otherwise give NaN kernels or silently
uniform weights.

Why not call :func:`sklearn.metrics.pairwise.rbf_kernel` per block: it
recomputes ``||y||^2`` for every block and, in float32, upcasts each block to
float64 to compute distances. For one float64 matrix ours is the same
algorithm and as fast (``benchmarks/results/kernel_ratio.md``); we keep it
because the reductions below (``K @ v``, ``K.T @ u``, row/column sums,
``Phi.T @ Phi``) call it block by block with the norms of ``Y`` computed once,
and because float32 stays float32 end to end (about twice as fast as
scikit-learn's float32 path, kernel values accurate to ~1e-6, which is what a
float32 user asks for). ``tests/test_kernels.py`` checks the values against
scikit-learn's.

Memory: the reductions never hold more than one block of
``working_memory`` MiB (default ``sklearn.get_config()["working_memory"]``,
as scikit-learn's :func:`~sklearn.metrics.pairwise_distances_chunked`), plus
the inputs and outputs.
"""

import contextlib
import functools
import threading

import numpy as np
from sklearn.utils import check_random_state, gen_batches

from .utils._compat import get_chunk_n_rows

__all__ = [
    "canonical_order",
    "subsample_rows",
    "pooled_median_gamma",
    "select_centers",
    "median_heuristic_gamma",
    "sq_dists",
    "rbf_kernel",
    "iter_sq_dist_blocks",
    "iter_rbf_blocks",
    "rbf_matvec",
    "rbf_rmatvec",
    "rbf_row_sums",
    "rbf_column_sums",
    "rbf_gram",
    "log_rbf_expansion",
]


@functools.cache
def _threadpool_controller():
    # Inspecting the loaded libraries costs ~2 ms; once per process, as
    # scikit-learn caches its own controller.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded_blas():
    """Context manager limiting BLAS to one thread (threadpoolctl).

    The kernel methods spend their time in many products of a block of rows
    with ``b`` ~ 100 centres and in ``b x b`` factorisations: too small for
    BLAS threads to pay, and on a busy machine threads waiting for a core make
    a fit many times slower (``benchmarks/results/kernel_ratio.md``, "BLAS
    threads"). Scikit-learn's KMeans limits BLAS likewise around its own small
    products.

    Only in the main thread: the limit is process-wide, so a fit in one of
    several threads (joblib's threading backend) would restore another fit's
    limit as the caller's setting when it ends, and the process would be left
    at one BLAS thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()
    return _threadpool_controller().limit(limits=1, user_api="blas")


# Rows per block of the log-sum-exp reduction (cache-sized, see below).
_LSE_BLOCK = 4096


def _as_2d(X, dtype):
    X = np.asarray(X, dtype=dtype)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array of rows, got shape {X.shape}.")
    return X


def _row_sq_norms(X):
    # einsum avoids the (n, d) temporary of (X ** 2).sum(axis=1)
    return np.einsum("ij,ij->i", X, X)


def _checked_sq_norms(X):
    """Squared norms of the (centred) rows, refusing those that overflow.

    ``||x - y||^2 <= 2 ||x||^2 + 2 ||y||^2``, so squared norms at most a
    quarter of the largest float keep every term of the expansion, and the
    distance, finite. Checking the ``n`` norms costs nothing next to the
    ``n x m`` distances, and a non-finite distance would otherwise surface
    later as a NaN kernel deep inside a solver.
    """
    norms = _row_sq_norms(X)
    if norms.size and not norms.max() <= np.finfo(X.dtype).max / 4:
        raise ValueError(
            f"The squared distances between rows overflow {X.dtype.name}: the "
            f"features reach ~{np.nanmax(np.abs(X)):.1e} (above ~"
            f"{np.sqrt(np.finfo(X.dtype).max):.0e} no kernel width helps); rescale "
            "them to order 1 first, e.g. a RobustScaler or MaxAbsScaler before "
            "the weighter."
        )
    return norms


def _check_gamma(gamma, X):
    if gamma is None:
        return median_heuristic_gamma(X)
    gamma = float(gamma)
    if not np.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a positive finite number, got {gamma!r}.")
    return gamma


def canonical_order(X):
    """A row order that depends on the rows' values only, not on their order.

    Every subsample of the kernel methods (centres, held-out pairs, the rows
    of the median heuristic, Nystroem landmarks) is drawn along this order, so
    shuffling the input rows leaves a fitted model unchanged. A fixed random
    projection has distinct values on distinct rows (almost surely); tied
    rows are identical, so their order does not matter.
    """
    u = np.random.RandomState(0).standard_normal(X.shape[1])
    return np.argsort(X @ u, kind="stable")


def subsample_rows(X, k, rng, order=None):
    """Indices of ``k`` rows of ``X`` (all when ``k >= n``): the one subsample rule.

    ``k`` positions are drawn without replacement by ``rng`` along
    :func:`canonical_order` (``order``, when the caller has it) and returned
    in that order, so the subsample depends on the rows' values and the seed
    only.
    """
    if order is None:
        order = canonical_order(X)
    if k >= X.shape[0]:
        return order
    return order[np.sort(rng.choice(X.shape[0], k, replace=False))]


def pooled_median_gamma(X_source, X_target, max_rows, orders=(None, None)):
    """Median heuristic on at most ``max_rows`` rows of each domain, pooled.

    The subsample has a fixed seed: the kernel width depends on the data
    only, never on an estimator's ``random_state`` (which draws centres and
    held-out rows).
    """
    rng = np.random.RandomState(0)
    parts = [
        X[subsample_rows(X, max_rows, rng, order)]
        for X, order in zip((X_source, X_target), orders, strict=True)
    ]
    return median_heuristic_gamma(
        np.vstack(parts), max_rows=2 * max_rows, random_state=0
    )


def select_centers(X_target, n_centers, centers, rng, order=None):
    """Kernel centres: the user's ``centers``, or ``n_centers`` target rows.

    Drawn without replacement by :func:`subsample_rows` (all target rows when
    there are fewer), as a float64 copy the estimator owns.
    """
    if centers is not None:
        C = np.array(centers, dtype=np.float64)  # a copy: centers_ is ours
        if C.ndim != 2 or C.shape[1] != X_target.shape[1] or C.shape[0] < 1:
            raise ValueError(
                f"centers must have shape (n_centers, {X_target.shape[1]}); got "
                f"{C.shape}."
            )
        if not np.isfinite(C).all():
            raise ValueError("centers must be finite.")
        return C
    n_t = X_target.shape[0]
    if order is None:
        order = canonical_order(X_target)
    idx = order[np.sort(rng.choice(n_t, min(n_centers, n_t), replace=False))]
    return np.array(X_target[idx], dtype=np.float64)


def median_heuristic_gamma(X, Y=None, *, max_rows=2000, random_state=0):
    """Kernel width by the median heuristic: ``1 / median(||x - y||^2)``.

    With ``gamma = 1 / median`` a typical pair of rows has kernel value
    ``exp(-1)`` (Schölkopf & Smola, 2002; Gretton et al., JMLR 2012, Sec. 8).
    The median is taken over the distinct pairs of a seeded subsample of at
    most ``max_rows`` rows of ``X`` (or, when ``Y`` is given, over the pairs
    between subsamples of ``X`` and ``Y``), so the cost is bounded whatever
    the data size.

    Parameters
    ----------
    X : array-like of shape (n_samples_X, n_features)
        Rows.
    Y : array-like of shape (n_samples_Y, n_features), default=None
        Second set of rows; ``None`` uses the pairs within ``X``.
    max_rows : int, default=2000
        Largest subsample taken from each of ``X`` and ``Y``.
    random_state : int, RandomState instance or None, default=0
        Seed of the subsample (a fixed default keeps estimators deterministic).

    Returns
    -------
    gamma : float
        Positive and finite. When more than half of the pairs coincide
        (duplicated rows) the median of the non-zero distances is used; when
        every row is the same, ``1 / n_features``.

    Raises
    ------
    ValueError
        When the squared distances overflow or underflow float64 (features
        of magnitude above ~1e154, or distinct rows closer than ~1e-154),
        with the remedy (rescale the features).

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer._kernels import median_heuristic_gamma
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> median_heuristic_gamma(X)  # squared distances 1, 4, 9
    0.25
    """
    rng = check_random_state(random_state)
    X = _as_2d(X, np.float64)

    def subsample(A):
        if A.shape[0] > max_rows:
            A = A[np.sort(rng.choice(A.shape[0], max_rows, replace=False))]
        return A

    Xs = subsample(X)
    if Y is None:
        n = Xs.shape[0]
        # off-diagonal entries of the symmetric matrix: every pair twice,
        # which leaves the median unchanged and avoids triu index arrays
        d2 = sq_dists(Xs, Xs).ravel()[1:].reshape(n - 1, n + 1)[:, :-1].ravel()
    else:
        Ys = subsample(_as_2d(Y, np.float64))
        d2 = sq_dists(Xs, Ys).ravel()
    rows = Xs if Y is None else np.vstack([Xs, Ys])
    if not np.ptp(rows, axis=0).any():  # every row identical
        return 1.0 / max(X.shape[1], 1)
    med = float(np.median(d2))
    if not med > 0:  # more than half of the pairs coincide
        positive = d2[d2 > 0]
        med = float(np.median(positive)) if positive.size else 0.0
    # 2**16 above the smallest normal float: the width grids multiply
    # 1 / median by up to 2**5; near 1e-308 that overflowed to an infinite
    # gamma instead of this refusal
    if not med >= np.finfo(np.float64).tiny * 2.0**16:
        # Distinct rows whose squared distances round to 0 or to subnormals:
        # 1 / median would be infinite (or garbage) and every kernel value 1,
        # i.e. silently uniform weights. scikit-learn's scalers treat columns
        # this narrow as constant and leave them unscaled, hence the factor.
        spread = float(np.ptp(rows, axis=0).max())
        raise ValueError(
            "The squared distances between distinct rows underflow float64 (the "
            f"features span at most {spread:.1e}), so no kernel width separates "
            "them; rescale them to order 1 first, e.g. multiply X by "
            f"~1e{-int(np.floor(np.log10(spread)))} (scalers leave such columns "
            "unscaled)."
        )
    return 1.0 / med


def sq_dists(X, Y=None, *, dtype=np.float64, out=None):
    """Squared Euclidean distances by BLAS, clamped at 0.

    Both sets are first shifted by the median of ``Y``: distances do not
    depend on it, but the expansion ``||x||^2 + ||y||^2 - 2 x.y`` loses the
    digits that a large common offset puts in the norms (raw years or
    incomes: columns at 1e6 gave errors of 1e-3 in distances of order 1).

    Parameters
    ----------
    X : array-like of shape (n_x, n_features)
    Y : array-like of shape (n_y, n_features), default=None
        ``None`` means ``X`` (the diagonal is then exactly 0).
    dtype : {np.float64, np.float32}, default=np.float64
        Precision of the computation and of the result.
    out : ndarray of shape (n_x, n_y), default=None
        Buffer for the result (C-contiguous, ``dtype``).

    Returns
    -------
    D2 : ndarray of shape (n_x, n_y)

    Raises
    ------
    ValueError
        When the squared distances would overflow ``dtype`` (features of
        magnitude above ~1e154 in float64), with the remedy (rescale).
    """
    X = _as_2d(X, dtype)
    same = Y is None or Y is X
    Y = X if same else _as_2d(Y, dtype)
    # the median, not the mean: one outlier at 1e9 moved the mean by 1e7 and
    # the expansion then lost every digit of the other rows' distances (KMM's
    # Gram matrix was no longer positive definite)
    center = np.median(Y, axis=0)
    Yc = Y - center
    Xc = Yc if same else X - center
    D2 = _expanded_sq_dists(Xc, Yc, _checked_sq_norms(Yc), out)
    if same:
        np.fill_diagonal(D2, 0)
    return D2


def _expanded_sq_dists(X, Y, Y_sq_norms, out=None):
    # ||x||^2 + ||y||^2 - 2 x.y with one BLAS product, in place, clamped at 0
    X_sq_norms = Y_sq_norms if X is Y else _checked_sq_norms(X)
    D2 = np.matmul(X, Y.T, out=out)
    D2 *= -2
    D2 += X_sq_norms[:, None]
    D2 += Y_sq_norms[None, :]
    return np.maximum(D2, 0, out=D2)


def rbf_kernel(X, Y=None, gamma=None, *, dtype=np.float64):
    """Gaussian kernel matrix ``exp(-gamma * ||x - y||^2)``.

    Same values as :func:`sklearn.metrics.pairwise.rbf_kernel` (up to
    rounding); computed in ``dtype`` without upcasting and with the
    exponential taken in place.

    Parameters
    ----------
    X : array-like of shape (n_x, n_features)
    Y : array-like of shape (n_y, n_features), default=None
        ``None`` means ``X``.
    gamma : float, default=None
        Kernel width; ``None`` uses :func:`median_heuristic_gamma` on ``X``
        (scikit-learn's default is ``1 / n_features``).
    dtype : {np.float64, np.float32}, default=np.float64

    Returns
    -------
    K : ndarray of shape (n_x, n_y)

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer._kernels import rbf_kernel
    >>> rbf_kernel(np.array([[0.0], [1.0]]), gamma=1.0)
    array([[1.        , 0.36787944],
           [0.36787944, 1.        ]])
    """
    gamma = _check_gamma(gamma, X)
    K = sq_dists(X, Y, dtype=dtype)
    K *= -gamma
    return np.exp(K, out=K)


def _block_rows(n_rows, n_cols, itemsize, working_memory, max_rows=None):
    cap = max(n_rows, 1) if max_rows is None else max(min(n_rows, max_rows), 1)
    return get_chunk_n_rows(
        row_bytes=max(n_cols * itemsize, 1),
        max_n_rows=cap,
        working_memory=working_memory,
    )


def iter_sq_dist_blocks(X, Y, *, working_memory=None, dtype=np.float64, max_rows=None):
    """Yield ``(row_slice, D2_block)``: squared distances, a block of rows at a time.

    The block buffer is reused between iterations: copy a block you want to
    keep. Peak memory of the blocks is ``working_memory`` MiB (default
    ``sklearn.get_config()["working_memory"]``).

    Parameters
    ----------
    X : array-like of shape (n_x, n_features)
    Y : array-like of shape (n_y, n_features) or None
        ``None`` (or ``X`` itself) gives exact zeros on the diagonal.
    working_memory : float, default=None
        Budget in MiB of one block.
    dtype : {np.float64, np.float32}, default=np.float64
    max_rows : int, default=None
        Cap on the rows of a block, whatever the budget (smaller blocks stay
        in cache when a block is reused several times).

    Yields
    ------
    row_slice : slice
        Rows of ``X`` covered by the block.
    D2_block : ndarray of shape (row_slice rows, n_y)
    """
    same = Y is None or Y is X
    X = _as_2d(X, dtype)
    Y = X if same else _as_2d(Y, dtype)
    # shifted by the median of Y as in sq_dists (precision with large offsets)
    center = np.median(Y, axis=0)
    Yc = Y - center
    y_norms = _checked_sq_norms(Yc)
    rows = _block_rows(
        X.shape[0], Y.shape[0], X.dtype.itemsize, working_memory, max_rows
    )
    buf = np.empty((min(rows, X.shape[0]), Y.shape[0]), dtype=X.dtype)
    for sl in gen_batches(X.shape[0], rows):
        out = buf[: sl.stop - sl.start]
        D2 = _expanded_sq_dists(X[sl] - center, Yc, y_norms, out)
        if same:  # exact zeros on the diagonal, as in the unblocked case
            D2[np.arange(D2.shape[0]), np.arange(sl.start, sl.stop)] = 0
        yield sl, D2


def iter_rbf_blocks(X, Y, gamma, *, working_memory=None, dtype=np.float64):
    """Yield ``(row_slice, K_block)`` of the Gaussian kernel, bounded memory.

    The block buffer is reused between iterations: copy a block you want to
    keep.

    Parameters
    ----------
    X : array-like of shape (n_x, n_features)
    Y : array-like of shape (n_y, n_features)
    gamma : float
        Kernel width (``None``: median heuristic on ``X``).
    working_memory : float, default=None
        Budget in MiB of one block (default: scikit-learn's
        ``working_memory`` setting).
    dtype : {np.float64, np.float32}, default=np.float64

    Yields
    ------
    row_slice : slice
        Rows of ``X`` covered by the block.
    K_block : ndarray of shape (row_slice rows, n_y)
    """
    gamma = _check_gamma(gamma, X)
    for sl, K in iter_sq_dist_blocks(X, Y, working_memory=working_memory, dtype=dtype):
        K *= -gamma
        yield sl, np.exp(K, out=K)


def rbf_matvec(X, Y, gamma, v, *, working_memory=None, dtype=np.float64):
    """``K(X, Y) @ v`` without forming ``K``.

    Parameters
    ----------
    X : array-like of shape (n_x, n_features)
    Y : array-like of shape (n_y, n_features)
    gamma : float
    v : array-like of shape (n_y,) or (n_y, k)
    working_memory : float, default=None
    dtype : {np.float64, np.float32}, default=np.float64

    Returns
    -------
    out : ndarray of shape (n_x,) or (n_x, k)
    """
    X = _as_2d(X, dtype)
    v = np.asarray(v, dtype=dtype)
    out = np.empty((X.shape[0],) + v.shape[1:], dtype=dtype)
    for sl, K in iter_rbf_blocks(
        X, Y, gamma, working_memory=working_memory, dtype=dtype
    ):
        np.matmul(K, v, out=out[sl])
    return out


def rbf_rmatvec(X, Y, gamma, u, *, working_memory=None, dtype=np.float64):
    """``K(X, Y).T @ u`` without forming ``K``.

    Parameters
    ----------
    X : array-like of shape (n_x, n_features)
    Y : array-like of shape (n_y, n_features)
    gamma : float
    u : array-like of shape (n_x,) or (n_x, k)
    working_memory : float, default=None
    dtype : {np.float64, np.float32}, default=np.float64

    Returns
    -------
    out : ndarray of shape (n_y,) or (n_y, k)
    """
    Y = _as_2d(Y, dtype)
    u = np.asarray(u, dtype=dtype)
    out = np.zeros((Y.shape[0],) + u.shape[1:], dtype=dtype)
    for sl, K in iter_rbf_blocks(
        X, Y, gamma, working_memory=working_memory, dtype=dtype
    ):
        out += K.T @ u[sl]
    return out


def rbf_row_sums(X, Y, gamma, *, working_memory=None, dtype=np.float64):
    """``K(X, Y) @ 1``: for each row of ``X``, the sum of its kernel values.

    Returns
    -------
    out : ndarray of shape (n_x,)
    """
    X = _as_2d(X, dtype)
    out = np.empty(X.shape[0], dtype=dtype)
    for sl, K in iter_rbf_blocks(
        X, Y, gamma, working_memory=working_memory, dtype=dtype
    ):
        K.sum(axis=1, out=out[sl])
    return out


def rbf_column_sums(X, Y, gamma, *, working_memory=None, dtype=np.float64):
    """``K(X, Y).T @ 1``: for each row of ``Y``, the sum over the rows of ``X``.

    Returns
    -------
    out : ndarray of shape (n_y,)
    """
    Y = _as_2d(Y, dtype)
    out = np.zeros(Y.shape[0], dtype=dtype)
    for _, K in iter_rbf_blocks(
        X, Y, gamma, working_memory=working_memory, dtype=dtype
    ):
        out += K.sum(axis=0)
    return out


def rbf_gram(X, C, gamma, *, working_memory=None, dtype=np.float64):
    """``Phi.T @ Phi`` with ``Phi = K(X, C)`` (n x b), accumulated over blocks of X.

    This is ``n`` times the matrix ``H`` of uLSIF/KLIEP/RuLSIF for the
    design ``Phi`` (Kanamori, Hido & Sugiyama, JMLR 2009, eq. 6); the
    ``n x b`` design is never held in memory.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        Rows.
    C : array-like of shape (b, n_features)
        Kernel centres.
    gamma : float
    working_memory : float, default=None
    dtype : {np.float64, np.float32}, default=np.float64

    Returns
    -------
    G : ndarray of shape (b, b)
        Symmetric; accumulated in ``dtype``.
    """
    C = _as_2d(C, dtype)
    G = np.zeros((C.shape[0], C.shape[0]), dtype=dtype)
    for _, K in iter_rbf_blocks(
        X, C, gamma, working_memory=working_memory, dtype=dtype
    ):
        # numpy dispatches ``A.T @ A`` on one buffer to BLAS syrk (half the flops)
        G += K.T @ K
    return G


def log_rbf_expansion(X, C, gamma, log_coef, *, working_memory=None):
    """``log(K(X, C) @ coef)`` computed as a log-sum-exp, never underflowing.

    Kernel models ``r(x) = sum_l coef_l exp(-gamma ||x - c_l||^2)`` evaluated
    in linear space round to 0 far from the centres (``exp(-750)`` is 0 in
    float64), and their log would be ``-inf``; as ``logsumexp_l(log coef_l -
    gamma ||x - c_l||^2)`` they stay finite whenever some ``coef_l > 0``.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
    C : array-like of shape (b, n_features)
        Centres.
    gamma : float
    log_coef : array-like of shape (b,)
        Log of the (non-negative) coefficients; ``-inf`` for zeros.
    working_memory : float, default=None

    Returns
    -------
    log_r : ndarray of shape (n,)
    """
    gamma = _check_gamma(gamma, X)
    log_coef = np.asarray(log_coef, dtype=np.float64)
    keep = np.isfinite(log_coef)
    X = _as_2d(X, np.float64)
    out = np.full(X.shape[0], -np.inf)
    if not keep.any():
        return out
    C = _as_2d(C, np.float64)[keep]
    log_coef = log_coef[keep]
    # Hand-rolled log-sum-exp over cache-sized blocks: about 5x faster than
    # scipy.special.logsumexp on (n, b) blocks (no masking/array-API layers).
    for sl, M in iter_sq_dist_blocks(
        X, C, working_memory=working_memory, max_rows=_LSE_BLOCK
    ):
        M *= -gamma
        M += log_coef
        top = M.max(axis=1)
        M -= top[:, None]
        np.exp(M, out=M)
        out[sl] = np.log(M.sum(axis=1)) + top
    return out


def relevance_scales(X_source, X_target):
    """Per-column factors of an ARD-like kernel: how much each column shifts.

    ``s_j = (|mean_t - mean_s| / sd_j + |log(sd_t / sd_s)|) / sd_j`` with
    ``sd_j`` the pooled standard deviation: after multiplying column ``j`` by
    ``s_j`` its spread is its standardised shift in location plus scale. The
    ratio ``p_t / p_s`` is constant along columns whose distribution does not
    change (and that are independent of the others), so one isotropic width
    spent on them only dilutes every distance; this is the screen of
    automatic relevance determination (MacKay 1994; Rasmussen & Williams,
    2006, Sec. 5.1) computed from the two samples' first two moments instead
    of a marginal likelihood. Columns that are constant get 0 (they never
    change a distance). A shift that changes no column's mean or SD (an
    interaction) is invisible to this screen.
    """
    X = np.vstack([X_source, X_target])
    sd = X.std(axis=0)
    sd_s, sd_t = X_source.std(axis=0), X_target.std(axis=0)
    ok = sd > 0
    scales = np.zeros(X.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        loc = np.abs(X_target.mean(axis=0) - X_source.mean(axis=0)) / sd
        spread = np.where((sd_s > 0) & (sd_t > 0), np.abs(np.log(sd_t / sd_s)), 0.0)
        scales[ok] = (loc[ok] + spread[ok]) / sd[ok]
    if not scales.any():  # no column moves: keep the standardised geometry
        scales[ok] = 1.0 / sd[ok]
    return scales
