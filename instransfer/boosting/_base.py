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
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .._validation import (
    NoDomainWarning,
    _num_rows,
    check_domain,
    check_sample_weight,
    refuse_non_numeric_frame,
    unlabeled_mask,
)
from ..utils._compat import _safe_indexing
from ..utils._routing import check_weightable as _check_weightable
from ..utils._routing import final_step as _final_step
from ..utils._routing import fit_weighted as _fit_weighted

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
        refuse_non_numeric_frame(X, type(est).__name__, est._template())
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
        ensure_all_finite="allow-nan" if _allows_nan(est._template()) else True,
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
    final step.
    """

    def __init__(self, template, owner):
        self.template = template
        self.path, self.final = _check_weightable(template, owner)

    def fit(self, rng, X, y, sample_weight):
        learner = _seeded_clone(self.template, rng)
        # the clone's own final step: with metadata routing on, its fit
        # request is set on it, never on the user's estimator
        path, final = _final_step(learner)
        _fit_weighted(learner, X, y, sample_weight, path, final)
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


def _split_validation(target_idx, y, validation_fraction, rng, stratify, owner):
    """Hold out a fraction of the labeled target rows for early stopping."""
    from sklearn.model_selection import train_test_split

    m = target_idx.shape[0]
    n_val = int(np.ceil(validation_fraction * m))
    if m < 2 or n_val >= m:
        raise ValueError(
            f"early_stopping holds out validation_fraction={validation_fraction} "
            f"of the {m} labeled target row(s), which leaves no target row to "
            f"train on. Label more target rows, lower validation_fraction, or "
            f"set early_stopping=False."
        )
    seed = int(rng.randint(_SEED_MAX))
    strat = y[target_idx] if stratify else None
    try:
        train, val = train_test_split(
            target_idx, test_size=n_val, random_state=seed, stratify=strat
        )
    except ValueError:  # a class too rare to stratify: split plainly
        train, val = train_test_split(target_idx, test_size=n_val, random_state=seed)
    return np.sort(train), np.sort(val)
