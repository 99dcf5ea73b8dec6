"""A K-fold splitter that keeps both domains (and every class) in each fold."""

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import column_or_1d


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
        y = np.array(["\0unlabeled" if (v is None or v != v) else str(v) for v in y])
    return y


class DomainStratifiedKFold(StratifiedKFold):
    """Stratified K-fold on the domain, so every fold has source and target rows.

    Use it as ``cv=`` of :class:`~sklearn.model_selection.GridSearchCV` or
    ``cross_validate`` with a weighted estimator (``y`` with unlabeled target
    rows) or a weighter (``y`` is the domain). Strata are the class labels with
    the unlabeled rows as one more class; for a continuous ``y``, labeled vs
    unlabeled. A training fold without target rows would leave the weighter
    nothing to fit.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds.
    shuffle : bool, default=True
        Shuffle each stratum before splitting.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle.

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

    def split(self, X, y, groups=None):
        """Generate train/test indices stratified by domain (and class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,)
            Labels with unlabeled target rows, or a 0/1 domain vector.
        groups : None
            Ignored.

        Yields
        ------
        train, test : ndarray
            Indices of each fold.
        """
        strata = _strata(y)
        _, counts = np.unique(strata, return_counts=True)
        if counts.min() < self.n_splits:
            # a rare class cannot be spread over all folds: keep just the domains
            strata = _domain_of(y)
            smallest = np.unique(strata, return_counts=True)[1].min()
            if smallest < self.n_splits:
                raise ValueError(
                    f"Cannot make {self.n_splits} folds that all contain source and "
                    f"target rows: the smallest domain has {smallest} rows. Use "
                    "fewer splits."
                )
        yield from super().split(X, strata, groups)


def _domain_of(y):
    """1 for target rows (unlabeled, or domain 1 when y is a 0/1 domain)."""
    from .._validation import _is_missing

    y = column_or_1d(y)
    missing = _is_missing(y)
    if y.dtype.kind in "iufb" and not missing.any():
        if np.any(y == -1):
            return (y == -1).astype(int)
        return (y == 1).astype(int)
    if y.dtype.kind == "O":
        missing |= np.array([isinstance(v, int | float) and v == -1 for v in y])
    return missing.astype(int)
