"""Shared machinery of the transfer-boosting estimators.

Boosting weights live in log space: TrAdaBoost multiplies source weights by
``beta`` and target weights by ``1 / beta_t`` every round, so after a hundred
rounds they span hundreds of orders of magnitude. Normalising with
``logsumexp`` keeps every update exact where plain products would underflow
or overflow.
"""

import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .._validation import (
    NoDomainWarning,
    _num_rows,
    check_domain,
    check_sample_weight,
    unlabeled_mask,
)
from ..utils._compat import _safe_indexing
from ..utils._routing import check_weightable as _check_weightable
from ..utils._routing import final_step as _final_step
from ..utils._routing import fit_weighted as _fit_weighted
from ..utils._scoring import check_cv_scorer, target_score

_SEED_MAX = np.iinfo(np.int32).max

# Weights handed to a base learner are floored at machine epsilon (relative to
# a total of 1), as scikit-learn's AdaBoost does: a row whose weight underflows
# stays in the training set instead of vanishing.
_EPS = np.finfo(np.float64).eps


def _seeded_clone(template, rng):
    """Clone ``template``; give every ``random_state`` in it an integer seed."""
    est = clone(template)
    keys = [
        k
        for k in est.get_params(deep=True)
        if k == "random_state" or k.endswith("__random_state")
    ]
    if keys:
        est.set_params(**{k: int(rng.randint(_SEED_MAX)) for k in keys})
    return est


def _allows_nan(estimator):
    try:
        return bool(get_tags(estimator).input_tags.allow_nan)
    except Exception:  # third-party estimators without tags
        return False


def _validate_X(est, X, reset):
    """Validated ``X`` for the base learners; DataFrames stay DataFrames.

    A DataFrame goes to the learners as it is (only its feature names and
    width are checked here), so a Pipeline that selects columns by name (a
    ColumnTransformer) works, as in the weighted estimators; the learner
    validates the values itself. Other input is checked as scikit-learn's
    ensembles check it.
    """
    if hasattr(X, "columns") and hasattr(X, "iloc"):
        validate_data(est, X, reset=reset, skip_check_array=True)
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
                f"of 1 is required by {type(est).__name__}."
            )
        return X
    return validate_data(
        est,
        X,
        reset=reset,
        accept_sparse=["csr", "csc"],
        dtype=None,
        ensure_all_finite="allow-nan" if get_tags(est).input_tags.allow_nan else True,
    )


def _stacked_training_set(est, X, y, domain, sample_weight, task):
    """Validate stacked input; keep the labeled rows with positive weight.

    Returns a dict with the training rows ``X``, ``y`` (class codes for
    classification), ``is_target``, the user weights ``weight`` and, for
    classification, ``classes``; ``rows`` indexes them in the caller's ``X``.
    """
    name = type(est).__name__
    X = _validate_X(est, X, reset=True)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    n = _num_rows(X)
    weight = (
        np.ones(n) if sample_weight is None else check_sample_weight(sample_weight, n)
    )
    if not (weight > 0).any():
        raise ValueError(
            "Sample weights must contain at least one non-zero number: every "
            f"row has zero sample_weight, so {name} has nothing to fit."
        )
    labeled = ~unlabeled_mask(y, task)
    check_cv_scorer(est, task)
    if domain is None:
        # As SelfTrainingClassifier does without unlabeled rows: say so loudly,
        # then fit the degenerate model. Every labeled row is a target row and
        # there is no source row, so TrAdaBoost is AdaBoost on them (Dai et al.
        # 2007 with n_s = 0; AdaBoost.R2, Drucker 1997, for regression).
        warnings.warn(
            f"{name}.fit got no domain=, so every labeled row is a target row "
            f"and {name} is plain AdaBoost on them; pass domain= (0 source, 1 "
            "target), e.g. from instransfer.stack_domains(X_source, X_target).",
            NoDomainWarning,
            stacklevel=4,
        )
        is_target = np.ones(n, dtype=bool)
    else:
        is_target = check_domain(domain, n, min_source=0, min_target=0)
    fit = labeled & (weight > 0)
    if not (fit & is_target).any():
        n_t = int(is_target.sum())
        n_lab = int((labeled & is_target).sum())
        detail = (
            f"all {n_lab} labeled target rows have sample_weight 0"
            if n_lab
            else f"{n_t} target row(s), none labeled"
        )
        if domain is None:
            raise ValueError(
                f"y has no labeled rows with positive weight ({detail}): every "
                "row is unlabeled (-1, None or NaN for classes, NaN for "
                f"regression). {name} needs labeled rows."
            )
        raise ValueError(
            f"No labeled target rows ({detail}); Label a few for {name} (1-5 % of "
            "the source size is typical). Without target labels, use "
            "ImportanceWeightedClassifier/Regressor instead."
        )
    source = ~is_target
    if source.any() and not (labeled & source).any():
        # Source rows given but none labeled: TrAdaBoost would silently be
        # AdaBoost on the target rows, which is rarely what the caller meant
        # (e.g. a class coded -1, read as unlabeled). With domain all ones, or
        # source rows of zero weight, the caller asked for no source rows.
        raise ValueError(
            f"No labeled source rows: every row with domain=0 is unlabeled in y. "
            f"{name} transfers from labeled source rows (domain=0). To boost on "
            "the target rows alone, drop the source rows or pass domain all ones."
        )
    rows = np.flatnonzero(fit)
    out = {
        "X": _safe_indexing(X, rows),
        "is_target": is_target[rows],
        "weight": weight[rows],
        "rows": rows,
        "n_samples": n,
    }
    if task == "classification":
        y_fit = y[rows]
        check_classification_targets(y_fit)
        classes, codes = np.unique(y_fit, return_inverse=True)
        if classes.shape[0] < 2:
            hint = ""
            if y.dtype.kind in "iuf" and np.any(y == -1):
                hint = (
                    " Rows with y = -1 are read as unlabeled and ignored; if -1 "
                    "is one of your classes (y in {-1, 1}), recode it, e.g. "
                    "y = (y == 1).astype(int)."
                )
            raise ValueError(
                f"{name} needs at least two classes among the labeled rows with "
                f"positive weight; got only one class, {classes.tolist()}.{hint}"
            )
        out["y"], out["classes"] = codes.astype(np.intp), classes
    else:
        out["y"] = check_array(
            y[rows], ensure_2d=False, dtype=np.float64, input_name="y"
        )
    return out


def _weights_for_fit(log_w, scale):
    """Boosting weights as ``sample_weight``: sum ``scale``, floored at eps.

    ``scale`` is the total user weight of the rows, so the first round fits
    the base learner exactly as ``fit(X, y, sample_weight)`` would: base
    learners whose regularisation depends on the weight scale (the ``C`` of
    LogisticRegression, ``min_child_weight`` of xgboost) see the usual scale.
    """
    p = np.exp(log_w - logsumexp(log_w))
    np.maximum(p, _EPS, out=p)
    p *= scale
    return p


class _Learners:
    """Fits seeded clones of a base estimator with ``sample_weight``.

    A :class:`~sklearn.pipeline.Pipeline` works too: the weight goes to its
    final step. A learner that fails on a DataFrame's text columns gets an
    error naming them and the encoding recipe.
    """

    def __init__(self, template, owner, X=None):
        self.template = template
        self.path, self.final = _check_weightable(template, owner)
        self._categorical = bool(_non_numeric_columns(X)) if X is not None else False

    def fit(self, rng, X, y, sample_weight):
        learner = _seeded_clone(self.template, rng)
        # the clone's own final step: with metadata routing on, its fit
        # request is set on it, never on the user's estimator
        path, final = _final_step(learner)
        try:
            _fit_weighted(learner, X, y, sample_weight, path, final)
        except (ValueError, TypeError) as exc:
            if not self._categorical:
                raise
            _raise_if_categorical(X, learner, exc)
        return learner


def _target_error(log_w, error, is_target):
    """Weighted mean of ``error`` over target rows, weights normalised there.

    Dai et al. (2007), Algorithm 1, step 3; Pardoe & Stone (2010),
    Algorithm 2, step 2c.
    """
    lt = log_w[is_target]
    p = np.exp(lt - lt.max())
    return float(np.dot(p, error[is_target]) / p.sum())


def _adjusted_errors(abs_residual, loss):
    """AdaBoost.R2's per-row loss in [0, 1] (Drucker, ICML 1997, step 3)."""
    d = abs_residual.max()
    if not d > 0:
        return np.zeros_like(abs_residual)
    e = abs_residual / d
    if loss == "square":
        return e * e
    if loss == "exponential":
        return -np.expm1(-e)
    return e


def _vote_start(n_fitted):
    """First voting learner (0-based) after ``n_fitted`` rounds.

    The paper's output hypothesis votes with learners ``t = ceil(N/2), ..., N``
    (1-based; Dai et al. 2007, Algorithm 1, output): ``floor(N/2) + 1`` of them.
    """
    return (n_fitted + 1) // 2 - 1


def _vote_weights(alpha):
    """Vote weights; learners with zero target error (weight inf) decide alone.

    ``ln(1 / beta_t)`` tends to infinity as ``beta_t -> 0``: the limit of the
    weighted vote is the vote of the perfect learners only.
    """
    alpha = np.asarray(alpha, dtype=float)
    inf = np.isinf(alpha)
    if inf.any():
        return inf.astype(float)
    if not alpha.sum() > 0:  # every voter no better than guessing: equal votes
        return np.ones_like(alpha)
    return alpha


def _weighted_median(predictions, weights):
    """Weighted median of each row of ``predictions`` (n_samples, n_learners).

    The smallest prediction whose cumulative weight reaches half the total
    (Drucker 1997, output of AdaBoost.R2).
    """
    order = np.argsort(predictions, axis=1, kind="stable")
    cdf = np.cumsum(weights[order], axis=1)
    pick = (cdf >= 0.5 * cdf[:, -1:]).argmax(axis=1)
    return np.take_along_axis(predictions, order, axis=1)[
        np.arange(predictions.shape[0]), pick
    ]


# --------------------------------------------------------------------------
# Default base learners, categorical columns


def _non_numeric_columns(X):
    """Names of a DataFrame's non-numeric columns (empty for other input)."""
    if not (hasattr(X, "columns") and hasattr(X, "dtypes")):
        return []
    import pandas as pd

    return [
        c
        for c, t in X.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    ]


def _default_learner(task):
    """The default base learner (after :func:`_default_encoder`).

    Classification: a logistic regression on the standardised covariates.
    Measured on the age-shifted cohorts of
    ``benchmarks/suite_boosting_cohorts.py``: its pooled fit is the best of
    the baselines in log-loss, where a depth-3 tree pooled is worse, and its
    probabilities are the soft vote's raw material. Regression: a depth-3
    tree (NaN handled natively).
    """
    if task == "classification":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(max_depth=3)


def _default_encoder(task, X):
    """Unfitted encoder of ``X`` for the default learner, or None.

    Categorical (non-numeric) columns of a DataFrame are one-hot encoded
    (most frequent level for missing ones); for classification the numeric
    columns are median-imputed and standardised. It is fit once per ``fit``,
    not per round: it does not depend on the boosting weights, and refitting
    a ColumnTransformer every round made a cohort fit 4x slower.
    """
    from scipy import sparse
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = _non_numeric_columns(X)
    numeric = "passthrough"
    if task == "classification":
        numeric = make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(with_mean=not sparse.issparse(X)),
        )
    if not cats:
        return None if numeric == "passthrough" else numeric
    return make_column_transformer(
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
            cats,
        ),
        remainder=numeric,
        sparse_threshold=0.0,
    )


def _raise_if_categorical(X, learner, exc):
    """Re-raise a base learner's failure on text columns with the recipe."""
    cats = _non_numeric_columns(X)
    if not cats:
        raise exc
    raise ValueError(
        f"The base learner {type(learner).__name__} cannot read the non-numeric "
        f"columns {cats[:10]} of X: leave estimator=None (it one-hot encodes "
        "them) or put a OneHotEncoder in front of your learner (see 'Mixed-type "
        "cohort tables' in the data convention guide)."
    ) from exc


# --------------------------------------------------------------------------
# Cross-validation over the labeled target rows; the number of rounds


def _target_folds(cv, data, random_state):
    """Folds over the labeled target rows: ``(train, test)`` training positions.

    ``test`` holds target rows only and ``train`` every other training row,
    so each fold trains on all source rows and the other target rows (Pardoe
    & Stone 2010, Algorithm 3; the model is for the target, so only target
    rows can tell how well it does there). ``cv``: None is 5 folds (fewer
    with fewer labeled target rows), an int that many folds, both over the
    target rows, stratified by class when every class has a row per fold
    (the target stratum of
    :class:`~instransfer.model_selection.DomainStratifiedKFold`); a splitter
    is run on the training rows (its ``y`` the class codes, ``-1`` on source
    rows); an iterable of
    ``(train, test)`` indexes the rows of the ``X`` given to ``fit``. Only the
    test part of each split is used.
    """
    from numbers import Integral

    from sklearn.model_selection import KFold, StratifiedKFold, check_cv

    is_t = data["is_target"]
    t_idx = np.flatnonzero(is_t)
    n_t = t_idx.shape[0]
    y = data["y"]
    classify = data.get("classes") is not None
    strata = np.where(is_t, y if classify else 0, -1)
    if cv is None or isinstance(cv, Integral):
        n_splits = min(5, n_t) if cv is None else int(cv)
        if n_splits > n_t:
            raise ValueError(
                f"cv={cv} folds over the labeled target rows, but there are only "
                f"{n_t}; pass a smaller cv."
            )
        # Only target rows are held out (source rows always train), so the
        # folds split the target rows alone: stratified by class as
        # DomainStratifiedKFold stratifies them, plainly when a class has
        # fewer rows than folds.
        splitter = KFold(n_splits, shuffle=True, random_state=random_state)
        counts = np.bincount(y[t_idx]) if classify else np.zeros(1)
        if classify and counts[counts > 0].min() >= n_splits:
            splitter = StratifiedKFold(
                n_splits, shuffle=True, random_state=random_state
            )
        splits = [
            (None, t_idx[test])
            for _, test in splitter.split(np.zeros((n_t, 1)), strata[t_idx])
        ]
    elif hasattr(cv, "split"):
        splits = check_cv(cv).split(data["X"], strata)
    else:
        pos = np.full(data["n_samples"], -1)
        pos[data["rows"]] = np.arange(data["rows"].shape[0])
        splits = []
        for _, test in cv:
            test = pos[np.asarray(test, dtype=np.intp)]
            splits.append((None, test[test >= 0]))
    folds = []
    for _, test in splits:
        test = np.asarray(test, dtype=np.intp)
        test = np.unique(test[is_t[test]])
        train = np.setdiff1d(np.arange(is_t.shape[0]), test)
        if test.size and is_t[train].any():
            folds.append((train, test))
    if not folds:
        raise ValueError(
            "cv gave no fold that holds out labeled target rows while keeping "
            "some to train on; pass cv=None, an int, or splits of the target rows."
        )
    return folds


def _paired_se(diff, w):
    """Mean of per-row differences (weights ``w``, sum 1) and its standard error."""
    n = diff.shape[0]
    mean = w @ diff
    if n < 2:
        return mean, np.full(np.shape(mean), np.inf)
    var = (w @ (diff - mean) ** 2) * n / (n - 1)
    return mean, np.sqrt(var / n)


def _one_se_rounds(losses, weights, folds, level=0.025):
    """Number of rounds: one unless more are clearly better, then the fewest.

    ``losses`` (n_rows, n_rounds) are out-of-fold per-row losses of the
    ensemble after 1, 2, ... rounds on the held-out target rows, ``folds``
    the fold of each row. The best number of rounds has the lowest weighted
    mean loss. It must beat one round (the base learner on all labeled rows)
    in a one-sided paired t-test at ``level``, Bonferroni-corrected for the
    ``n_rounds - 1`` round counts it was picked from (the best of many round
    counts scored on 10-50 rows is optimistic: the selection bias of Cawley
    & Talbot, JMLR 11, 2010), and in every fold: the per-row differences are
    heavy-tailed with so few rows, and a t-test alone let a few rows carry
    it. Measured on ``benchmarks/suite_boosting_cohorts.py``: with no gate,
    more rounds were kept in up to 45 % of the draws with 10 labeled target
    rows and the log-loss rose by up to 0.027 over the pooled fit; with a
    gate of 2 standard errors still by up to 0.022; with the corrected
    t-test alone, by 0.016 on one cohort with 20 rows. Past the
    gate, the choice is the smallest number of rounds whose mean exceeds the
    best by at most one paired standard error (the one-standard-error rule
    of Hastie, Tibshirani & Friedman, "The Elements of Statistical
    Learning", 2009, Sec. 7.10, paired because every candidate is scored on
    the same rows).
    """
    from scipy.stats import t as student_t

    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    n, k = losses.shape
    mean = w @ losses
    best = int(np.argmin(mean))
    if best == 0 or n < 3:
        return 1
    diff = losses[:, 0] - losses[:, best]
    gain, se_gain = _paired_se(diff, w)
    gate = student_t.ppf(1.0 - level / (k - 1), df=n - 1)
    if not gain > gate * se_gain:
        return 1
    if any(not (w[folds == f] @ diff[folds == f]) > 0 for f in np.unique(folds)):
        return 1
    excess, se = _paired_se(losses - losses[:, [best]], w)
    return int(np.flatnonzero(excess <= se)[0]) + 1


def _grid_cv_results(param, values, mean, split):
    """``cv_results_`` with GridSearchCV's keys, one candidate per value.

    ``split`` holds the folds' scores, shape (n_folds, n_candidates);
    ``mean`` the criterion the choice was made by (ties go to the first).
    """
    results = {
        "params": [{param: v} for v in np.asarray(values).tolist()],
        f"param_{param}": np.asarray(values),
        "mean_test_score": mean,
        "std_test_score": split.std(axis=0),
        "rank_test_score": (
            np.argsort(np.argsort(-mean, kind="stable"), kind="stable") + 1
        ),
    }
    for k, s in enumerate(split):
        results[f"split{k}_test_score"] = s
    return results


# --------------------------------------------------------------------------
# The base every transfer booster shares


def booster_score(est, X, y, *, domain, sample_weight, metric):
    """The score rule for a booster, which has no density ratio.

    A stacked ``y`` whose unlabeled markers (``-1``/``None``/``NaN``) name the
    target rows, given without ``domain``, leaves only source rows labeled;
    their plain metric would estimate the source, not the target, and a
    booster has no importance weights to correct it with: it raises, as with
    a ``domain`` that marks no labeled target row. Otherwise
    :func:`~instransfer.utils._scoring.target_score` applies.
    """
    if domain is None:
        marks = unlabeled_mask(column_or_1d(np.asarray(y, dtype=object)), est._task)
        if marks.any() and not marks.all():
            raise ValueError(
                f"y marks {int(marks.sum())} rows as unlabeled (the target rows), "
                f"so its labeled rows are source rows, and {type(est).__name__} "
                "has no importance weights to score them as the target: pass "
                "domain= with labeled target rows (score then uses them), or "
                "score the labeled target rows alone."
            )
    return target_score(
        est, X, y, domain=domain, sample_weight=sample_weight, metric=metric
    )


class _BaseTransferBoost(MetaEstimatorMixin, BaseEstimator):
    """Plumbing shared by the transfer boosters: learners, input, tags.

    Subclasses set ``_task`` ("classification" or "regression") and implement
    the boosting; this base builds the base learner (the default encodes
    categorical columns), validates ``X`` for prediction and reports tags.
    """

    _task = None

    def _template(self):
        """The base learner to clone: the user's, or the default."""
        if self.estimator is not None:
            return self.estimator
        return _default_learner(self._task)

    def _learners(self, data):
        """Learners for the training rows; with the default, encode them once.

        Sets ``encoder_`` (None with a learner of the user's) and replaces
        ``data["X"]`` by its encoding. The encoder sees every labeled row,
        the cross-validation's held-out target rows included: it uses no
        label, only the covariates' medians, scales and levels.
        """
        self.encoder_ = None
        if self.estimator is None:
            encoder = _default_encoder(self._task, data["X"])
            if encoder is not None:
                self.encoder_ = encoder.fit(data["X"])
                data["X"] = self.encoder_.transform(data["X"])
            return _Learners(self._template(), type(self).__name__)
        # only a user's learner can fail on text columns: the default encodes them
        return _Learners(self.estimator, type(self).__name__, data["X"])

    def _check_X(self, X):
        check_is_fitted(self)
        X = _validate_X(self, X, reset=False)
        if getattr(self, "encoder_", None) is not None:
            X = self.encoder_.transform(X)
        return X

    @property
    def weights_(self):
        """Deprecated alias of ``boost_weights_``.

        ``weights_`` means source-row importance weights (mean 1) everywhere
        else in instransfer; the boosting weights are another quantity.
        """
        warnings.warn(
            "weights_ of the boosting estimators was renamed boost_weights_ "
            "(weights_ means importance weights elsewhere); use boost_weights_.",
            FutureWarning,
            stacklevel=2,
        )
        return self.boost_weights_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        template = self._template()
        try:
            tags.input_tags.sparse = get_tags(template).input_tags.sparse
        except Exception:  # third-party estimators without tags
            tags.input_tags.sparse = False
        # the default encoder imputes missing values
        tags.input_tags.allow_nan = self.estimator is None or _allows_nan(template)
        tags.target_tags.required = True
        return tags
