"""A K-fold splitter that keeps both domains (and every class) in each fold."""

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import column_or_1d

from .._validation import _is_missing, check_domain


def _strata(y):
    """Stratum of each row: unlabeled (target) rows form their own stratum.

    Discrete ``y`` (classes with ``-1`` for unlabeled rows, or a 0/1 domain)
    is its own stratum vector; continuous ``y`` (regression, ``NaN`` for
    unlabeled rows) is reduced to labeled / unlabeled.
    """
    y = column_or_1d(y)
    if y.dtype.kind == "f":
        missing = np.isnan(y)
        labeled = y[~missing]
        if not np.all(labeled == np.round(labeled)):
            return missing.astype(int)
        y = np.where(missing, -1, y)
    if y.dtype.kind == "O":
        # None, NaN and pandas' NA (nullable "string", Int64 columns)
        missing = _is_missing(y)
        y = np.array(
            ["\0unlabeled" if m else str(v) for v, m in zip(y, missing, strict=True)]
        )
    return y


class DomainStratifiedKFold(StratifiedKFold):
    """Stratified K-fold on the domain, so every fold has source and target rows.

    Use it as ``cv=`` of :class:`~sklearn.model_selection.GridSearchCV` or
    ``cross_validate`` with a weighted estimator (``y`` with unlabeled target
    rows) or a weighter (``y`` is the domain). Strata are the class labels with
    the unlabeled rows as one more class; for a continuous ``y``, labeled vs
    unlabeled. A training fold without target rows would leave the weighter
    nothing to fit. When a class has fewer rows than folds, only the domains
    are stratified. If ``y`` labels the target rows too, the domain must come
    separately: ``split(X, y, domain=d)``, which metadata routing does for
    ``GridSearchCV(...).fit(X, y, domain=d)`` (``domain`` is requested by
    default).

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds.
    shuffle : bool, default=True
        Shuffle each stratum before splitting.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle. ``None`` is a fixed seed (0), so the folds are
        the same run to run; pass a ``RandomState`` instance for a new draw
        at every ``split``.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer.model_selection import DomainStratifiedKFold
    >>> y = np.r_[np.zeros(8), np.ones(8), np.full(4, np.nan)]
    >>> cv = DomainStratifiedKFold(n_splits=4, random_state=0)
    >>> [int(np.isnan(y[test]).sum()) for _, test in cv.split(np.zeros((20, 1)), y)]
    [1, 1, 1, 1]
    """

    def __init__(self, n_splits=5, *, shuffle=True, random_state=None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    # With metadata routing on, ``GridSearchCV(...).fit(X, y, domain=d)``
    # hands ``domain`` to split() too (requested by default, as scikit-learn's
    # group splitters request ``groups``); without it the domain is read from y.
    __metadata_request__split = {"domain": True}

    def get_n_splits(self, X=None, y=None, groups=None, domain=None):
        """Number of folds.

        Parameters
        ----------
        X, y, groups, domain : object
            Ignored; accepted because routed metadata reaches this method too.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def split(self, X, y, groups=None, domain=None):
        """Generate train/test indices stratified by domain (and class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,)
            Labels with unlabeled target rows, or a 0/1 domain vector.
        groups : None
            Ignored.
        domain : array-like of shape (n_samples,), default=None
            0 for source rows, 1 for target rows, when ``y`` holds labels of
            target rows too. Routed here by metadata routing
            (``sklearn.set_config(enable_metadata_routing=True)``); without
            it, mark the target rows unlabeled in ``y``.

        Yields
        ------
        train, test : ndarray
            Indices of each fold.
        """
        strata = _strata(y)
        is_target = None
        if domain is not None:
            is_target = check_domain(
                domain, strata.shape[0], min_source=0, min_target=0
            )
            # target rows are one stratum whatever their labels
            strata = np.unique(strata, return_inverse=True)[1].reshape(-1)
            strata[is_target] = -1
        _, counts = np.unique(strata, return_counts=True)
        if counts.min() < self.n_splits:
            # a rare class cannot be spread over all folds: keep just the domains
            read_from_y = is_target is None
            if read_from_y:
                is_target = _domain_of(y)
            strata = np.asarray(is_target, dtype=int)
            smallest = np.unique(strata, return_counts=True)[1].min()
            if smallest < self.n_splits:
                raise ValueError(
                    f"Cannot make {self.n_splits} folds that all contain source and "
                    f"target rows: the smallest domain has {smallest} rows. Use "
                    "fewer splits."
                    + (
                        _NO_UNLABELED_HELP
                        if read_from_y and not _has_unlabeled(y)
                        else ""
                    )
                )
        if self.shuffle and self.random_state is None:
            # deterministic by default: the same folds run to run
            seeded = StratifiedKFold(self.n_splits, shuffle=True, random_state=0)
            yield from seeded.split(X, strata, groups)
        else:
            yield from super().split(X, strata, groups)


_NO_UNLABELED_HELP = (
    " Note: y has no unlabeled rows (-1 or None for classes, NaN for "
    "regression), so it was read as a 0/1 domain vector (1 = target row). If y "
    "holds labels of target rows and the domain went to fit() separately, this "
    "splitter never saw it: mark the target rows unlabeled in y, or enable "
    "metadata routing (sklearn.set_config(enable_metadata_routing=True)) so that "
    "domain reaches split() as well."
)


def _has_unlabeled(y):
    y = column_or_1d(y)
    if _is_missing(y).any():
        return True
    if y.dtype.kind in "iufb":
        return bool(np.any(y == -1))
    if y.dtype.kind == "O":
        return any(isinstance(v, int | float) and v == -1 for v in y)
    return False


def _domain_of(y):
    """1 for target rows (unlabeled, or domain 1 when y is a 0/1 domain)."""
    y = column_or_1d(y)
    missing = _is_missing(y)
    if y.dtype.kind in "iufb" and not missing.any():
        if np.any(y == -1):
            return (y == -1).astype(int)
        if not np.isin(y, (0, 1)).all():
            raise ValueError(
                "DomainStratifiedKFold cannot tell target rows: y has no unlabeled "
                f"rows and is not a 0/1 domain (values {np.unique(y)[:5].tolist()}"
                "); mark target rows unlabeled in y (-1, None or NaN), or pass "
                "domain with metadata routing on."
            )
        return (y == 1).astype(int)
    if y.dtype.kind == "O":
        missing |= np.array([isinstance(v, int | float) and v == -1 for v in y])
    return missing.astype(int)
