"""Density ratio by probabilistic classification of the domain.

By Bayes' rule, ``p_t(x) / p_s(x) = (n_s / n_t) * P(t | x) / P(s | x)`` for a
classifier trained to tell target rows (label 1) from source rows (label 0)
(Bickel, Brückner & Scheffer, ICML 2007; Sugiyama, Suzuki & Kanamori,
"Density Ratio Estimation in Machine Learning", 2012, ch. 4). We work with the
log-odds so that confident predictions neither overflow nor round to 0/1.
"""

from functools import partial
from numbers import Integral

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import check_cv
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from .._validation import _num_rows, check_numeric_covariates
from ..base import BaseWeighter
from ..exceptions import SaturatedProbabilityWarning  # noqa: F401 (old path)
from ..utils._compat import HasMethods, Interval, StrOptions, _safe_indexing
from ..utils._crossfit import crossfit, domain_folds
from ..utils._docstrings import fill_doc


def _default_domain_classifier(sparse=False, owned=False):
    """Standardised logistic regression, the default domain classifier.

    Scaling makes it converge on raw clinical units (ages in years beside lab
    values in thousands) and regularise every feature alike. Centring matters
    too: a column far from 0 relative to its spread (calendar years) left
    uncentred stalls lbfgs with that coefficient at 0, silently. Sparse input
    is scaled only (centring would densify it). The max-abs step first makes
    the pipeline invariant to the units of X at any scale: a standardised
    logistic regression is, in exact arithmetic, but StandardScaler's variance
    underflows to 0 for values near 1e-200 (the column is then taken as
    constant: uniform weights) and overflows near 1e154 (NaN); divided by
    their largest magnitude first, the values are of order 1.

    Memory (issue #23): the scaled matrix is the one copy of ``X`` the fit
    makes. The first step copies the caller's rows (or, with ``owned=True``,
    scales rows the caller made for this fit, a cross-fitting fold, in
    place); the standardisation then works in place on that new array. Two
    chained copies were 2.2 copies of ``X`` at the peak of each fit.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        _PowerOfTwoScaler(copy=not owned),
        # in place: its input is always the array the first step made
        _BatchedStandardScaler(with_mean=not sparse, copy=False),
        LogisticRegression(),
    )


class _BatchedStandardScaler(StandardScaler):
    """StandardScaler whose ``fit`` reads the rows in batches.

    ``StandardScaler.fit`` makes temporaries the size of ``X`` (centred
    squares): 1.13 copies of ``X`` above the scaled matrix, measured at
    120 000 x 30. ``partial_fit`` over ~2 MB batches accumulates the same
    mean and variance (the pairwise update of Chan, Golub & LeVeque, 1982,
    which scikit-learn implements) with temporaries of one batch.
    """

    def fit(self, X, y=None, sample_weight=None):
        for name in ("n_samples_seen_", "mean_", "var_", "scale_"):
            self.__dict__.pop(name, None)  # partial_fit starts afresh
        batch = max(1024, 2**18 // max(1, X.shape[1]))
        for start in range(0, max(X.shape[0], 1), batch):
            stop = start + batch
            self.partial_fit(
                X[start:stop],
                None,
                None if sample_weight is None else sample_weight[start:stop],
            )
        return self


class _PowerOfTwoScaler(TransformerMixin, BaseEstimator):
    """Divide each column by the power of two nearest its largest magnitude.

    Exact in floating point (no rounding of any value), so the pipeline's
    result at ordinary scales is unchanged. scikit-learn's MaxAbsScaler would
    not do: it leaves columns whose scale is below ``10 * eps`` unscaled.

    ``copy=False`` scales a writeable float64 array in place in
    ``fit_transform`` only (a pipeline's ``fit``); ``transform`` always
    returns a new array, so predicting never touches the caller's rows.
    """

    def __init__(self, copy=True):
        self.copy = copy

    def fit(self, X, y=None):
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=True)
        self._fit_scale(X)
        return self

    def _fit_scale(self, X):
        if issparse(X):
            amax = np.asarray(abs(X).max(axis=0).todense()).ravel()
        else:
            # column maxima of |x| without an |X| temporary (a copy of X)
            amax = np.maximum(X.max(axis=0), -X.min(axis=0))
            amax = np.where(np.isnan(amax), np.inf, amax)
        exponent = np.frexp(np.where(np.isfinite(amax) & (amax > 0), amax, 1.0))[1]
        self.scale_ = np.ldexp(1.0, np.minimum(-exponent, 1000))  # finite

    def fit_transform(self, X, y=None, **fit_params):
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=True)
        self._fit_scale(X)
        if (
            not self.copy
            and not issparse(X)
            and X.dtype == np.float64
            and X.flags.writeable
        ):
            return np.multiply(X, self.scale_, out=X)
        if issparse(X):
            return X.multiply(self.scale_).tocsr()
        return X * self.scale_

    def transform(self, X):
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        if issparse(X):
            return X.multiply(self.scale_).tocsr()
        return X * self.scale_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _domain_log_odds(estimator, X, n_fit):
    """``log P(t|x) - log P(s|x)`` from a fitted domain classifier.

    ``n_fit`` is the number of rows the classifier was fit on. Returns the
    log-odds and the numbers of rows whose probability of the target was
    exactly 0 and exactly 1.
    """
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.pipeline import Pipeline

    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    if isinstance(final, LogisticRegression | LogisticRegressionCV):
        # exact log-odds, no rounding of probabilities near 0 or 1
        d = estimator.decision_function(X)
        return (d if final.classes_[1] == 1 else -d), (0, 0)
    proba = estimator.predict_proba(X)
    # float64 first: in float32 (xgboost) 1 - eps rounds back to 1, log1p(-1)
    p = np.asarray(proba[:, list(final.classes_).index(1)], dtype=np.float64)
    n_saturated = int(np.count_nonzero(p <= 0)), int(np.count_nonzero(p >= 1))
    # A classifier fit on n rows cannot resolve a probability finer than one
    # row: P(t|x) is bounded half a row below 1, p <= 1 - 1/(2n) (log-odds <=
    # log(2n - 1)), the smoothing of Schapire & Singer (1999), ln((W+ + eps) /
    # (W- + eps)) with eps of the order of 1/n. A fixed 1 - 1e-12 gave
    # log-odds 27.6 and one row ~1e12 times the weight of the others. Only the
    # top is bounded: a small P(t|x) only makes a small weight, and flooring it
    # would flatten the weights of every source row far from the target.
    p = np.clip(p, 1e-12, 1 - 0.5 / n_fit)
    return np.log(p) - np.log1p(-p), n_saturated


def _batched_log_odds(estimator, X, n_fit, rows=None):
    """:func:`_domain_log_odds` at ``X[rows]`` (all rows for None), in batches.

    A classifier's prediction makes its own copies of the rows it gets (the
    default pipeline scales them): at most ~2 MB of rows at a time keeps
    those copies off the peak of a fit on a large ``X`` (issue #23).
    """
    n = _num_rows(X) if rows is None else rows.shape[0]
    n_features = X.shape[1] if len(getattr(X, "shape", ())) == 2 else 1
    batch = max(1024, 2**18 // max(1, n_features))
    if rows is None and n <= batch:
        return _domain_log_odds(estimator, X, n_fit)
    rows = np.arange(n) if rows is None else rows
    parts, n_saturated = [], np.zeros(2, dtype=int)
    for start in range(0, n, batch):
        log_odds, n_sat = _domain_log_odds(
            estimator, _safe_indexing(X, rows[start : start + batch]), n_fit
        )
        parts.append(log_odds)
        n_saturated += n_sat
    return (np.concatenate(parts) if parts else np.zeros(0)), tuple(n_saturated)


def _fitted_range(estimator, X_fit, n_fit, rows=None):
    """Smallest and largest log-odds of a classifier on the rows it was fit on.

    A row outside that range is one the classifier has not seen the like of:
    logistic log-odds are linear in ``x`` and grow without bound along it (an
    outlier at ``x0 = 20`` took 199.6 of the mean-1 weight of 200 source
    rows). Held-out and new rows are clamped to the range, so no weight
    exceeds the largest one the fitted rows support. This is the bounded
    overlap that importance weighting assumes (Shimodaira, 2000, Sec. 2;
    Chernozhukov et al., 2018, Assumption 5.1, ``P(t|x)`` bounded away from 0
    and 1), enforced at the data's own bound, and what isotonic calibration
    does beyond its fitted range (Zadrozny & Elkan, KDD 2002). Inside the
    range nothing changes: ratio NMSE on ``make_covariate_shift`` is
    unchanged (benchmarks/results/hardening.md).
    """
    log_odds = _batched_log_odds(estimator, X_fit, n_fit, rows)[0]
    return float(log_odds.min()), float(log_odds.max())


@fill_doc
class ClassifierWeighter(BaseWeighter):
    """Importance weights from a probabilistic classifier of the domain.

    A classifier learns ``P(target | x)`` on the stacked rows; the ratio is
    ``(n_s / n_t) * P(t | x) / P(s | x)``, computed from the log-odds. The
    weights of the fit's source rows are **cross-fitted**: each comes from a
    classifier that did not see that row (``cv`` folds, stratified by domain),
    so an over-fitting classifier cannot inflate them. :meth:`predict_weights`
    uses a classifier fit on all rows.

    A classifier exposing only probabilities has its probability of the
    target bounded by ``1 - 1 / (2 n)``, ``n`` the number of rows it was fit on
    (half a row, the smoothing of Schapire & Singer, 1999), so a row's raw
    ratio is at most ``(n_s / n_t) (2 n - 1)``; logistic regression's exact
    log-odds are used unbounded. A probability of exactly 1 (isotonic
    calibration, k-nearest neighbours, trees with pure leaves) hits that bound
    and ``fit`` warns with :class:`SaturatedProbabilityWarning`: prefer
    ``calibration="sigmoid"``, a smoother classifier, or ``clip`` /
    ``clip_quantile``.

    Parameters
    ----------
    estimator : classifier, default=None
        Any classifier with ``predict_proba`` (or a
        :class:`~sklearn.pipeline.Pipeline` ending in one, which may do its own
        encoding and imputation of a raw DataFrame). ``None`` means
        ``make_pipeline(StandardScaler(), LogisticRegression())``
        (``StandardScaler(with_mean=False)`` for sparse input). A
        ``random_state`` left at ``None`` in it is seeded from this
        weighter's; one you set is kept.
    cv : int, cross-validation generator, iterable, "in_sample" or None, \
default=5
        Folds for cross-fitting the source weights: an int is that many folds
        stratified by domain, ``None`` 5 of them (as everywhere in
        scikit-learn and this library); a splitter or an iterable of
        ``(train, test)`` splits of the stacked rows is used as given (every
        source row in exactly one test fold). ``"in_sample"`` fits once on
        all rows and reuses that model (in-sample weights, faster, optimistic
        where the classifier over-fits).
    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate the classifier's probabilities with
        :class:`~sklearn.calibration.CalibratedClassifierCV`. ``"isotonic"``
        is a step function, 0 or 1 at its ends: the rows there get the
        bounded weights described above.
    n_jobs : int or None, default=None
        Folds fitted in parallel (joblib, threads by default: they share
        ``X``, and the fits release the GIL). Each running fold holds its
        own training rows, ``(cv - 1) / cv`` of ``X``: peak memory grows by
        that much per job. On one machine it pays only with idle cores:
        ``benchmarks/results/engineer.md`` gives the measured speed-up.
    verbose : int, default=0
        1 announces the number of classifier fits up front (one on all rows
        plus one per cross-fitting fold); 2 and more also print joblib's
        progress over the folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold split and, when it has a ``random_state``, the
        classifier.
    %(weight_transform)s

    Attributes
    ----------
    estimator_ : classifier
        Domain classifier fitted on all rows (used by ``predict_weights``).
    weights_ : ndarray of shape (n_source,)
        Cross-fitted weights of the source rows seen in ``fit``, mean 1.
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
    NearestNeighborWeighter : Non-parametric weighting without a classifier.

    References
    ----------
    .. [1] S. Bickel, M. Brückner and T. Scheffer, "Discriminative learning for
       differing training and test distributions", ICML 2007.
    .. [2] M. Sugiyama, T. Suzuki and T. Kanamori, "Density Ratio Estimation in
       Machine Learning", Cambridge University Press, 2012, ch. 4.
    .. [3] R. E. Schapire and Y. Singer, "Improved boosting algorithms using
       confidence-rated predictions", Machine Learning 37, 1999.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> wtr = it.ClassifierWeighter(random_state=0).fit(data.X, data.domain)
    >>> wtr.weights_.shape, round(wtr.weights_.mean(), 6)
    ((500,), 1.0)
    """

    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "cv": [
            Interval(Integral, 2, None, closed="left"),
            "cv_object",
            StrOptions({"in_sample"}),
            None,
        ],
        "calibration": [StrOptions({"sigmoid", "isotonic"}), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    _validate_numeric = False  # the inner classifier validates X itself
    # Clamp held-out and new rows' log-odds to the fitted range (see
    # _fitted_range); False only to measure what the bound changes.
    _bounded = True

    def __init__(
        self,
        estimator=None,
        *,
        cv=5,
        calibration=None,
        n_jobs=None,
        verbose=0,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.estimator = estimator
        self.cv = cv
        self.calibration = calibration
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _make_estimator(self, seed, sparse=False, owned=False):
        if self.estimator is None:
            est = _default_domain_classifier(sparse, owned)
        else:
            est = clone(self.estimator)
        params = est.get_params()
        # seed only what the user left unseeded: a random_state they set stays
        seeded = {
            k: seed
            for k, v in params.items()
            if k.endswith("random_state") and v is None
        }
        if seeded:
            est.set_params(**seeded)
        if self.calibration is not None:
            from sklearn.calibration import CalibratedClassifierCV

            est = CalibratedClassifierCV(est, method=self.calibration)
        return est

    def _fit_one(self, X, domain, seed, owned=False):
        from sklearn import config_context

        est = self._make_estimator(seed, issparse(X), owned)
        # BaseWeighter.fit skips nested validation (the kernel weighters call
        # validated helpers such as gen_batches hundreds of times per fit);
        # the user's classifier is nested but must have its parameters
        # checked: LogisticRegression(C=-1) or max_iter=-5 would else fit
        # silently (to all-1 weights, for the latter).
        with config_context(skip_parameter_validation=False):
            est.fit(X, domain)
        if owned:
            # fitted in place on the fold's rows; a refit would copy again
            est.steps[0][1].copy = True
        return est

    def _fit_fold(self, X, domain, train, test, *, seed, is_target):
        """One cross-fitting fold: the log-odds of its held-out source rows.

        Runs in the joblib worker, with the whole ``X`` and the fold's row
        indices: the fold's rows are taken here (a new array, which the
        default classifier then scales in place) and freed before the
        predictions, which run in batches. Returns the held-out source rows,
        their log-odds (clamped to the fold model's fitted range), the fold's
        log prior and its saturation counts; the model itself stays here.
        """
        X_train = _safe_indexing(X, train)
        # only our default pipeline scales in place, uncalibrated
        owned = (
            self.estimator is None
            and self.calibration is None
            and isinstance(X, np.ndarray)
            and X_train is not X
        )
        model = self._fit_one(X_train, domain[train], seed, owned)
        del X_train  # scaled in place when owned: predictions re-read X
        te_s = test[~is_target[test]]
        log_odds, n_sat = _batched_log_odds(model, X, train.shape[0], te_s)
        if self._bounded:
            lo, hi = _fitted_range(model, X, train.shape[0], train)
            log_odds = np.clip(log_odds, lo, hi)
        n_t = np.count_nonzero(domain[train] == 1)
        prior = np.log((train.shape[0] - n_t) / n_t)
        return te_s, log_odds + prior, n_sat

    def _fit_stacked(self, X, is_target):
        # the stacked rows as passed: the classifier is fit on them directly
        domain = is_target.astype(int)
        n_t = int(np.count_nonzero(is_target))
        n_s = domain.shape[0] - n_t
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        folds = self._crossfit_folds(X, is_target, seed)
        if self.verbose:
            k = 0 if folds is None else len(folds)
            name = type(self._make_estimator(seed)).__name__
            print(
                f"[ClassifierWeighter] Fitting {name} on all {n_s + n_t} rows and "
                f"on {k} cross-fitting folds, totalling {k + 1} fits",
                flush=True,
            )
        self.estimator_ = self._fit_one(X, domain, seed)
        self._n_fit = n_s + n_t
        self._log_prior = np.log(n_s / n_t)
        self._range = _fitted_range(self.estimator_, X, self._n_fit)
        if folds is None:
            log_odds, n_saturated = _batched_log_odds(
                self.estimator_, X, self._n_fit, np.flatnonzero(~is_target)
            )
            self._warn_saturated(n_saturated, n_s)
            return log_odds + self._log_prior
        results = crossfit(
            partial(self._fit_fold, seed=seed, is_target=is_target),
            X,
            domain,
            folds,
            n_jobs=self.n_jobs,
            verbose=max(0, self.verbose - 1) * 10,
        )
        # each source row's position among the source rows (weights_' order)
        within = np.cumsum(~is_target) - 1
        log_r = np.empty(n_s)
        n_saturated = np.zeros(2, dtype=int)
        for te_s, log_r_fold, n_sat in results:
            log_r[within[te_s]] = log_r_fold
            n_saturated += n_sat
        self._warn_saturated(n_saturated, n_s)
        return log_r

    def _crossfit_folds(self, X, is_target, seed):
        """The cross-fitting folds, or None for one in-sample fit."""
        if self.cv == "in_sample":
            return None
        n_t = int(np.count_nonzero(is_target))
        n_s = is_target.shape[0] - n_t
        cv = 5 if self.cv is None else self.cv
        if isinstance(cv, Integral):
            n_splits = min(cv, n_t, n_s)
            self._check_fold_rows(n_s, n_t, n_splits)
            return domain_folds(is_target, n_splits, seed) if n_splits >= 2 else None
        folds = [
            (np.asarray(train), np.asarray(test))
            for train, test in check_cv(self.cv).split(X, is_target.astype(int))
        ]
        tested = np.zeros(is_target.shape[0], dtype=int)
        for k, (train, test) in enumerate(folds):
            tested[test] += 1
            if is_target[train].all() or not is_target[train].any():
                raise ValueError(
                    f"Fold {k} of cv trains on one domain only; each training fold "
                    "needs source and target rows. Use an int cv (stratified by "
                    "domain) or a splitter stratified by the domain."
                )
        if np.any(tested[~is_target] != 1):
            raise ValueError(
                "cv must put every source row in exactly one test fold (as K-fold "
                "splitters do): each source row's weight comes from the model of "
                "the fold that held it out."
            )
        return folds

    def _warn_saturated(self, n_saturated, n_source):
        n_one = int(n_saturated[1])
        if n_one == 0:  # a probability of 0 only makes a weight of ~0
            return
        import warnings

        warnings.warn(
            f"The domain classifier gave {n_one} of the {n_source} source rows "
            "a target probability of exactly 1, so their weights sit at a bound, "
            'not an estimate; use calibration="sigmoid", a smoother classifier '
            "or clip=. See ClassifierWeighter's docstring.",
            SaturatedProbabilityWarning,
            stacklevel=5,  # _fit_stacked, BaseWeighter.fit, _fit_context
        )

    def _check_fold_rows(self, n_s, n_t, n_splits):
        """Refuse cross-fitting folds too small for the classifier's own split.

        Calibration (stratified folds) and early stopping (a stratified
        validation split) need 2 rows of each domain in the rows they get; a
        fold trains on ``c - ceil(c / n_splits)`` of the ``c`` rows of a
        domain, which is 1 for 2 rows. scikit-learn would then fail deep
        inside with a one-class error.
        """
        if n_splits < 2:
            return
        if self.calibration is not None:
            splitter = f"calibration={self.calibration!r} (CalibratedClassifierCV)"
        else:
            est = self.estimator
            params = est.get_params(deep=True) if hasattr(est, "get_params") else {}
            stops = [
                k
                for k, v in params.items()
                if k.split("__")[-1] == "early_stopping" and v is True
            ]
            if not stops:
                return
            splitter = f"the classifier's {stops[0]}=True"
        for name, c in (("source", n_s), ("target", n_t)):
            in_fold = c - -(-c // n_splits)
            if in_fold < 2:
                raise ValueError(
                    f"{splitter} needs 2 {name} rows in each fold's training "
                    f"set, but cv={self.cv} leaves {in_fold} of the {c} {name} "
                    "rows; give more rows, pass cv='in_sample', or turn the "
                    "calibration / early stopping off."
                )

    def _log_odds(self, X):
        log_odds = _batched_log_odds(self.estimator_, X, self._n_fit)[0]
        return np.clip(log_odds, *self._range) if self._bounded else log_odds

    def _log_ratio(self, X):
        return self._log_odds(X) + self._log_prior

    def _validate_X(self, X, reset):
        if reset:
            self._fit_sparse = issparse(X)
        elif issparse(X) != getattr(self, "_fit_sparse", issparse(X)):
            # the default model centres dense input and cannot centre sparse
            # input: scikit-learn's error would name a scaler the user never made
            kinds = ("sparse", "dense") if self._fit_sparse else ("dense", "sparse")
            raise ValueError(
                f"ClassifierWeighter was fit on {kinds[0]} X but got {kinds[1]} "
                f"rows; pass them {kinds[0]} too (X.toarray() or "
                "scipy.sparse.csr_matrix(X))."
            )
        if self.estimator is None:
            # the default scaler + logistic regression needs numbers; a user's
            # classifier (e.g. a Pipeline with a ColumnTransformer) may not
            check_numeric_covariates(
                X,
                "ClassifierWeighter's default classifier (StandardScaler + "
                "LogisticRegression)",
            )
        return super()._validate_X(X, reset)

    def _score_terms(self, X_source, X_target):
        # per-row domain log-likelihood: log P(s|x) = -log(1 + e^l), computed
        # without overflow for confident classifiers
        terms = []
        for X_part, sign in ((X_source, 1.0), (X_target, -1.0)):
            if _num_rows(X_part) == 0:
                terms.append(np.zeros(0))
            else:
                log_odds = self._log_odds(X_part)
                terms.append(-np.logaddexp(0, sign * log_odds))
        return terms

    def score(self, X, y):
        """Held-out domain log-likelihood, mean over rows (higher is better).

        This is minus the log-loss of the domain classifier, the criterion by
        which the classifier-based ratio is fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Domain of each row (0 source, 1 target).

        Returns
        -------
        score : float
        """
        return super().score(X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        from sklearn.utils import get_tags

        inner = get_tags(  # the default's sparse variant: it takes sparse X
            self.estimator
            if self.estimator is not None
            else _default_domain_classifier(sparse=True)
        )
        for name in ("allow_nan", "string", "categorical", "sparse"):
            setattr(tags.input_tags, name, getattr(inner.input_tags, name))
        return tags
