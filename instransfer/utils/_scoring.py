"""The score rule: every estimator's ``score`` estimates performance on the target.

``score(X, y, *, domain=None, sample_weight=None)`` of every estimator of the
library goes through :func:`target_score`, which picks the rows and weights
from what it is given:

1. ``domain`` marks labeled target rows -> the plain metric on them;
2. otherwise, labeled source rows (``domain == 0``, or without ``domain`` the
   labeled rows of a ``y`` that marks unlabeled rows) -> the metric weighted
   by the estimated density ratio ``p_target / p_source`` at those rows
   (importance-weighted validation, Sugiyama, Krauledat & Müller, JMLR 8,
   2007, eq. 9): an estimate of the target metric from source rows;
3. no ``domain`` and no unlabeled marker in ``y`` -> the rows given are the
   population of interest: the plain metric on all of them, so
   ``model.score(X_target, y_target)`` is the target accuracy (or R²).

Estimators without a weighter (the TrAdaBoost family) have no ratio for
case 2: without ``domain`` they score the labeled rows given unweighted, and
with a ``domain`` that marks no labeled target row they raise.
"""

import warnings

import numpy as np
from sklearn.utils.validation import column_or_1d

from ._compat import (
    _num_samples,
    _safe_indexing,
    enclosing_cv_fold,
    label_reading_scorers,
)
from ._domain import as_indexable, check_domain, labels_array, unlabeled_mask

__all__ = ["check_cv_scorer", "target_score", "warn_labeled_target"]

_NO_TARGET_ROWS = (
    "No labeled target rows to score (domain=1 with a label), and {name} has no "
    "importance weights to score source rows with. In a cross-validation, use "
    "cv=DomainStratifiedKFold(...) (instransfer.model_selection) with metadata "
    "routing on, so that the domain passed to fit also reaches the splitter and "
    "score (set_fit_request(domain=True).set_score_request(domain=True))."
)


def check_cv_scorer(estimator, task):
    """Refuse a plain scorer that would read unlabeled held-out rows as labels.

    Called from ``fit``: inside scikit-learn's cross-validation
    (``cross_val_score``, ``GridSearchCV``, ...) with ``scoring`` a plain
    scikit-learn scorer (``"roc_auc"``, ``make_scorer(...)``), a held-out
    fold whose ``y`` marks unlabeled target rows (``-1``/``None``/``NaN``)
    would be scored with the marker taken for a class: NaN with multi-class
    warnings for ROC AUC, every target row counted wrong for accuracy.
    scikit-learn gives the estimator no hook into its scorers' ``y``, so the
    fold is read from the cross-validation's frame (``utils._compat``). The
    raise fails every fit; scikit-learn then raises its "All the fits failed"
    error, which carries this message.
    """
    fold = enclosing_cv_fold()
    if fold is None:
        return
    scorer, y, test = fold
    if y is None or test is None or not label_reading_scorers(scorer):
        return
    y_test = column_or_1d(_safe_indexing(as_indexable(y), test))
    if not unlabeled_mask(y_test, task).any():
        return
    raise ValueError(
        f"{type(estimator).__name__} is cross-validated with a plain scikit-learn "
        "scorer, which would read the held-out unlabeled target rows (-1/None/NaN "
        "in y) as labels; pass scoring=make_iw_scorer(...) from "
        "instransfer.model_selection, or scoring=None for the estimator's score."
    )


def warn_labeled_target(weighted, owner, stacklevel):
    """Warn that labeled target rows seen in fit are scored as source rows."""
    n = getattr(weighted, "_n_labeled_target", 0)
    if not n:
        return
    marker = "-1" if weighted._task == "classification" else "NaN"
    warnings.warn(
        f"The model was fit with {n} labeled target rows (domain=1), but {owner} "
        "got no domain, so each is scored as a source row; route domain to it "
        "(set_config(enable_metadata_routing=True)) or mask their labels in y "
        f"({marker}); see 'What the library refuses' in the docs.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def target_score(estimator, X, y, *, domain, sample_weight, metric, ratio=None):
    """Score ``estimator`` on the target population by the score rule.

    Parameters
    ----------
    estimator : fitted estimator
        Has ``predict`` and ``_task`` (``"classification"`` or
        ``"regression"``, which sets the unlabeled markers).
    X : array-like of shape (n_samples, n_features)
        Rows to score.
    y : array-like of shape (n_samples,)
        Their labels; unlabeled rows (``-1``/``None``/``NaN`` for classes,
        ``NaN`` for regression) are never scored.
    domain : array-like of shape (n_samples,) or None
        0 source, 1 target.
    sample_weight : array-like of shape (n_samples,) or None
        Multiplies the weights of the scored rows.
    metric : callable
        ``metric(y_true, y_pred, sample_weight=...)``, higher is better.
    ratio : callable or None, default=None
        ``ratio(X_rows)``: the full (unflattened, unclipped) estimated density
        ratio at labeled source rows; None for an estimator without a weighter.

    Returns
    -------
    score : float
    """
    task = estimator._task
    X = as_indexable(X)
    y = column_or_1d(y)
    from .._validation import check_same_rows, check_sample_weight

    n = _num_samples(X)
    check_same_rows(n, y=y, sample_weight=sample_weight)
    sw = None
    if sample_weight is not None:
        sw = check_sample_weight(sample_weight, n)
    labeled = ~unlabeled_mask(y, task)
    weighted = ratio is not None
    if domain is not None:
        is_target = check_domain(domain, n, min_source=0, min_target=0)
        rows = labeled & is_target
        if rows.any():  # the target rows themselves: no ratio needed
            weighted = False
        elif not weighted:
            raise ValueError(_NO_TARGET_ROWS.format(name=type(estimator).__name__))
        else:
            rows = labeled & ~is_target
    else:
        rows = labeled
        # all rows labeled: the population itself; no ratio needed
        weighted = weighted and not labeled.all()
        if weighted:
            # labeled rows are scored as source rows: labeled target rows of
            # the fit among them would be weighted as if they were
            warn_labeled_target(estimator, "score", stacklevel=3)
    if not rows.any():
        raise ValueError(
            "No labeled rows to score: every row given has an unlabeled y "
            f"({'-1, None or NaN' if task == 'classification' else 'NaN'})."
        )
    X_rows = _safe_indexing(X, np.flatnonzero(rows))
    w = ratio(X_rows) if weighted else None
    if sw is not None:
        w = sw[rows] if w is None else w * sw[rows]
    y_rows = labels_array(y[rows])
    if task == "regression":
        y_rows = y_rows.astype(np.float64)
    return float(metric(y_rows, estimator.predict(X_rows), sample_weight=w))
