"""Choosing how much to weight: importance-weighted cross-validation of ``flatten``.

:class:`ImportanceWeightedClassifierCV` and :class:`ImportanceWeightedRegressorCV`
are to :class:`~instransfer.ImportanceWeightedClassifier` what
:class:`~sklearn.linear_model.LogisticRegressionCV` is to
:class:`~sklearn.linear_model.LogisticRegression`: they pick the exponent
``lambda`` of the weights ``w ** lambda`` from a grid (``lambda = 0``, the
unweighted model, included) by importance-weighted cross-validation (IWCV,
Sugiyama, Krauledat & Müller, JMLR 8, 2007), then refit the weighted model.

Per fold the weighter is fit **once**: the weights of every ``lambda`` are a
:class:`~instransfer._weights.WeightTransform` of that one ratio, and every
candidate is scored with the same full (``lambda = 1``) ratio of the held-out
labeled source rows, so all candidates estimate one quantity, the target risk.
"""

from numbers import Integral, Real

import numpy as np
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.utils import check_random_state

from .._importance_weighted import (
    ImportanceWeightedClassifier,
    ImportanceWeightedRegressor,
    default_weighter,
)
from ..utils._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
)
from ..utils._docstrings import fill_doc
from ..utils._routing import check_weightable, final_step
from ._iwcv_eval import (
    SCHEDULES,
    WEIGHTER_FITS,
    _weighted_mean_se,
    evaluate,
    fit_weighter_once,
)
from ._scorer import _IWScorer, make_iw_scorer
from ._split import DomainStratifiedKFold

__all__ = ["ImportanceWeightedClassifierCV", "ImportanceWeightedRegressorCV"]

DEFAULT_FLATTENS = (0.0, 0.25, 0.5, 0.75, 1.0)
_SELECTIONS = ("best", "one_se", "paired_se")


# --------------------------------------------------------------------------
# Selection rules on the (n_folds, n_flattens) matrix of held-out IW scores
# (higher is better), flattens sorted ascending.


def _select_flatten(scores, fold_weights=None, selection="paired_se"):
    """Index of the chosen ``flatten`` given per-fold scores (higher is better).

    Folds are averaged with ``fold_weights`` (default equal): with the total
    importance weight of each fold's held-out rows this is the pooled IWCV
    estimate over all held-out rows. Averaging self-normalised fold scores
    with equal weights instead lets a fold that holds no high-weight row vote
    as much as one that holds many, a bias towards ``lambda = 0`` that grows
    with the spread of the weights.

    - ``"best"``: largest mean score (plain IWCV).
    - ``"one_se"``: smallest ``lambda`` whose mean is within one standard
      error of the best mean (Hastie, Tibshirani & Friedman, "The Elements of
      Statistical Learning", 2009, Sec. 7.10).
    - ``"paired_se"``: smallest ``lambda`` whose mean is within one standard
      error of the *paired* per-fold difference to the best ``lambda``: the
      folds are shared by all candidates, so the paired difference removes the
      fold-to-fold variation of the weighted estimate that all candidates
      share, and tells "clearly better" from noise.
    """
    scores = np.asarray(scores, dtype=float)
    if fold_weights is None:
        fold_weights = np.ones(scores.shape[0])
    mean, se = _weighted_mean_se(scores, fold_weights)
    best = int(np.nanargmax(mean))
    if selection == "best" or scores.shape[0] < 2:
        return best
    if selection == "one_se":
        ok = mean >= mean[best] - se[best]
    else:
        _, se_diff = _weighted_mean_se(scores[:, [best]] - scores, fold_weights)
        ok = mean[best] - mean <= se_diff
    # the best always qualifies, even when its standard error is NaN (some
    # candidates' scores undefined: targets near 1e160 overflow R²)
    ok[best] = True
    return int(np.flatnonzero(ok)[0])


def _unlabel(y, rows, task):
    """Copy of ``y`` with ``rows`` marked unlabeled in the IW scorers' convention."""
    if task == "regression" or y.dtype.kind == "f":
        out = y.astype(float, copy=True)
        out[rows] = np.nan
    elif y.dtype.kind in "iub":
        out = y.astype(np.int64, copy=True)
        out[rows] = -1
    else:
        out = y.astype(object, copy=True)
        out[rows] = None
    return out


def _check_folds(splits, is_target, fit_rows):
    """Every training fold needs both domains, every held-out fold labels."""
    for k, (train, test) in enumerate(splits):
        n_t = int(np.count_nonzero(is_target[train]))
        n_s = int(train.shape[0] - n_t)
        n_scored = int(np.count_nonzero(fit_rows[test]))
        if n_t < 2 or n_s < 2 or n_scored < 1:
            raise ValueError(
                f"Fold {k} of cv has {n_s} source and {n_t} target training rows "
                f"and {n_scored} labeled source held-out rows; each fold needs at "
                "least 2 of each domain to fit its weighter and 1 labeled source "
                "row to score. Use instransfer.model_selection.DomainStratifiedKFold "
                "(the default), which keeps both domains in every fold."
            )


def _check_fold_classes(splits, y, fit_rows):
    """Every held-out class must be one the fold's model was fit on."""
    for k, (train, test) in enumerate(splits):
        seen = set(y[train[fit_rows[train]]].tolist())
        unseen = set(y[test[fit_rows[test]]].tolist()) - seen
        if unseen:
            shown = sorted(unseen, key=str)[:5]
            raise ValueError(
                f"Fold {k} holds out class(es) {shown} that none of its training "
                "rows has (too few labeled source rows of the class); merge or "
                "drop rare classes, or use fewer folds."
            )


def _check_defined(scores, fold_weights, scorer):
    """Raise a clear error when no candidate has a defined pooled score."""
    mean, _ = _weighted_mean_se(scores, fold_weights)
    if not np.isnan(mean).all():
        return
    n_bad = int(np.isnan(scores).any(axis=1).sum())
    raise ValueError(
        f"The held-out score {scorer!r} is undefined (NaN) in {n_bad} of "
        f"{scores.shape[0]} folds for every flatten (a class too rare for the "
        "folds?); use fewer folds, a class-stratified cv, or "
        "scoring='neg_log_loss'."
    )


@fill_doc
class _BaseImportanceWeightedCV:
    """What the CV estimators add to the weighted ones: choosing ``flatten``.

    Mixed in before :class:`~instransfer.ImportanceWeightedClassifier` (or
    the regressor), as ``LogisticRegressionCV`` subclasses
    ``LogisticRegression``: the fitted model *is* the weighted estimator with
    ``flatten=flatten_``, so prediction, ``score`` and ``importance_weights``
    are inherited.
    """

    _weighted_class = None

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "weighter": [HasMethods(["fit", "predict_ratio"]), None],
        "flattens": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "selection": [StrOptions(set(_SELECTIONS))],
        "n_repeats": [Interval(Integral, 1, None, closed="left"), None],
        "schedule": [StrOptions(set(SCHEDULES))],
        "weighter_fit": [StrOptions(set(WEIGHTER_FITS))],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "clip": [Interval(Real, 1, None, closed="left"), None],
        "clip_quantile": [Interval(Real, 0, 1, closed="neither"), None],
    }

    def __init__(
        self,
        estimator=None,
        weighter=None,
        *,
        flattens=DEFAULT_FLATTENS,
        cv=10,
        scoring=None,
        selection="paired_se",
        n_repeats=None,
        schedule="adaptive",
        weighter_fit="once",
        n_jobs=None,
        verbose=0,
        random_state=None,
        clip=None,
        clip_quantile=None,
    ):
        self.estimator = estimator
        self.weighter = weighter
        self.flattens = flattens
        self.cv = cv
        self.scoring = scoring
        self.selection = selection
        self.n_repeats = n_repeats
        self.schedule = schedule
        self.weighter_fit = weighter_fit
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.clip = clip
        self.clip_quantile = clip_quantile

    # -- pieces shared with the folds -------------------------------------

    def _get_weighter(self):
        if self.weighter is not None:
            return self.weighter
        # seeded in fit (unfitted: for the tags only)
        return default_weighter(getattr(self, "_weighter_seed", None))

    def _make_weighted(self, weighter, flatten):
        return self._weighted_class(
            self.estimator,
            weighter,
            flatten=flatten,
            clip=self.clip,
            clip_quantile=self.clip_quantile,
        )

    def _get_scorer(self):
        if isinstance(self.scoring, _IWScorer):
            return self.scoring
        scoring = self.scoring
        if scoring is None:
            scoring = self._default_scoring()
        return make_iw_scorer(scoring)

    def _check_flattens(self):
        flattens = np.asarray(self.flattens, dtype=float)
        if flattens.ndim != 1 or flattens.shape[0] == 0:
            raise ValueError(
                "flattens must be a non-empty 1-D list of exponents, e.g. "
                f"(0, 0.25, 0.5, 0.75, 1); got {self.flattens!r}."
            )
        if not np.all(np.isfinite(flattens)) or np.any(flattens < 0):
            raise ValueError(
                f"flattens must be finite and >= 0 (0 is the unweighted model); "
                f"got {self.flattens!r}."
            )
        return np.unique(flattens)  # sorted: the rules prefer smaller lambda

    def _splits(self, X, y_cv, rng):
        from sklearn.model_selection import check_cv

        if self.cv is None or isinstance(self.cv, Integral):
            # None is scikit-learn's 5 folds; the default cv=10 is repeated
            # twice (the calibration of "paired_se", Notes)
            n_splits = 5 if self.cv is None else int(self.cv)
            n_repeats = self.n_repeats
            if n_repeats is None:
                n_repeats = 1 if self.cv is None else 2
            self._n_splits = n_splits
            splits = []
            for _ in range(n_repeats):
                seed = int(rng.randint(np.iinfo(np.int32).max))
                cv = DomainStratifiedKFold(n_splits, random_state=seed)
                splits.extend(cv.split(X, y_cv))
            return splits
        if self.n_repeats not in (None, 1):
            raise ValueError(
                "n_repeats applies when cv is None or an int; with a splitter "
                "object, pass a repeated splitter instead (got n_repeats="
                f"{self.n_repeats} and cv={self.cv!r})."
            )
        cv = check_cv(self.cv, y_cv, classifier=False)
        splits = list(cv.split(X, y_cv))
        # a splitter's own repeats are unknown: look after every few folds
        self._n_splits = min(len(splits), 10)
        return splits

    # -- fit ---------------------------------------------------------------

    @_fit_context(
        # the inner estimator and weighter are validated by their own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, domain=None, sample_weight=None, **fit_params):
        """Choose ``flatten`` by importance-weighted CV, then refit with it.

        Parameters
        ----------
        %(fit_X)s
        %(fit_y)s
        %(fit_domain)s
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplied with the importance weights of the source rows, in the
            folds' fits and scores and in the final fit. Not modified.
        **fit_params : dict
            Further parameters of ``estimator.fit`` (e.g. xgboost's
            ``eval_set``), given as they are to every fold's fit and to the
            final fit, and routed as
            :meth:`ImportanceWeightedClassifier.fit
            <instransfer.ImportanceWeightedClassifier.fit>` routes them: with
            metadata routing off as given, with it on to the estimator that
            requested them.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        flattens = self._check_flattens()
        check_weightable(clone(self._get_estimator()), type(self).__name__)
        fit_params = self._route_fit_params(fit_params)
        rows = self._resolve(X, y, domain, sample_weight)
        X, y, sw = rows.X, rows.y, rows.sample_weight
        is_target, fit_rows = rows.is_target, rows.fit_rows

        # None: a fixed seed, so that a refit repeats the folds and the default
        # weighter's seed (as LogisticRegressionCV's unshuffled folds do)
        rng = check_random_state(0 if self.random_state is None else self.random_state)
        self._weighter_seed = int(rng.randint(np.iinfo(np.int32).max))
        self._flattens = flattens
        scorer = self._get_scorer()
        final_weighter = None
        if is_target.any():
            # labels of target rows never reach a fold: unlabeled, they are
            # the weighter's target sample and skipped by the IW scorer
            y_cv = _unlabel(y, ~fit_rows, self._task)
            splits = self._splits(X, y_cv, rng)
            _check_folds(splits, is_target, fit_rows)
            if self._task == "classification":
                _check_fold_classes(splits, y, fit_rows)
            fold_weighter = None
            if self.weighter_fit == "once":
                # the final model's weighter, fitted first: the folds reuse its
                # ratios (_iwcv_eval.fit_weighter_once says why that is sound)
                final_weighter, *fold_weighter = fit_weighter_once(
                    self._get_weighter(), X, is_target
                )
                fold_weighter = tuple(fold_weighter)
            self.scores_, self.fold_weights_, self.n_fits_ = evaluate(
                self,
                X,
                y_cv,
                is_target,
                sw,
                splits,
                scorer,
                n_splits=self._n_splits,
                schedule=self.schedule,
                verbose=self.verbose,
                fit_params=fit_params,
                weighter=fold_weighter,
            )
            _check_defined(self.scores_, self.fold_weights_, scorer)
            best = _select_flatten(self.scores_, self.fold_weights_, self.selection)
        else:  # warned by resolve_rows: nothing to weight, every lambda is equal
            self.scores_ = np.empty((0, flattens.shape[0]))
            self.fold_weights_ = np.empty(0)
            self.n_fits_ = 0
            best = 0
        self.flatten_ = float(flattens[best])
        self.best_index_ = best
        self.cv_results_ = self._results(flattens, self.scores_, self.fold_weights_)
        self.best_estimator_ = self._refit(
            final_weighter, X, y, domain, sample_weight, fit_params
        )
        # the fitted state of the final model is this estimator's own
        # (weights_ is a property of these, computed from weighter_)
        for name in ("estimator_", "weighter_", "_fit_in_source", "n_source_fit_"):
            setattr(self, name, getattr(self.best_estimator_, name))
        self._transform = self.best_estimator_._transform
        self._n_labeled_target = self.best_estimator_._n_labeled_target
        return self

    def _refit(self, fitted_weighter, X, y, domain, sample_weight, fit_params):
        """The weighted model with ``flatten_`` on all rows.

        With the weighter already fitted on all rows (``weighter_fit="once"``)
        it is not fitted again: the model is fit with it frozen, then shows
        the weighter as a user would have it (``weighter`` the parameter,
        ``weighter_`` the fitted weighter itself).
        """
        from sklearn.frozen import FrozenEstimator

        if fitted_weighter is None:
            return self._make_weighted(self._get_weighter(), self.flatten_).fit(
                X, y, domain=domain, sample_weight=sample_weight, **fit_params
            )
        model = self._make_weighted(FrozenEstimator(fitted_weighter), self.flatten_)
        model.fit(X, y, domain=domain, sample_weight=sample_weight, **fit_params)
        model.weighter = self._get_weighter()
        model.weighter_ = fitted_weighter
        return model

    @staticmethod
    def _results(flattens, scores, fold_weights):
        # GridSearchCV's keys, then the extras (flatten, se_test_score)
        out = {"params": [{"flatten": float(f)} for f in flattens]}
        for k in range(scores.shape[0]):
            out[f"split{k}_test_score"] = scores[k].copy()
        if scores.shape[0]:
            mean, se = _weighted_mean_se(scores, fold_weights)
            std = scores.std(axis=0)
        else:
            mean = se = std = np.full(flattens.shape[0], np.nan)
        out["mean_test_score"] = mean
        out["std_test_score"] = std
        ranks = rankdata(-np.nan_to_num(mean, nan=-np.inf), method="min")
        out["rank_test_score"] = ranks.astype(np.int32)
        out["flatten"] = flattens.copy()
        out["se_test_score"] = se
        return out


_DOC_PARAMS = """
    flattens : array-like of float, default=(0, 0.25, 0.5, 0.75, 1)
        Candidate exponents ``lambda`` of the weights ``w ** lambda``; 0 is the
        unweighted model, 1 the full ratio. Sorted and deduplicated. They
        multiply the weighter's own ``flatten`` (``w ** (a * lambda)``): leave
        that at 1.
    cv : int, cross-validation generator, iterable or None, default=10
        An int is that many folds of
        :class:`~instransfer.model_selection.DomainStratifiedKFold` (every
        training fold keeps target rows), ``None`` 5 of them (scikit-learn's
        meaning of ``None``); a splitter or an iterable of ``(train, test)``
        splits is used as given. The folds split
        the stacked rows; a training fold's target rows fit the fold's
        weighter, its held-out labeled source rows score the candidates.
    scoring : str, scorer, metric or None, default=None
        Turned into an importance-weighted scorer by
        :func:`~instransfer.model_selection.make_iw_scorer` (higher is
        better). ``None`` means {default_scoring}.
    selection : {{"paired_se", "one_se", "best"}}, default="paired_se"
        How the scores choose ``lambda`` (flattens ascending):
        ``"paired_se"`` takes the smallest ``lambda`` whose mean score is
        within one standard error of the *paired* per-fold difference to the
        best mean; ``"one_se"`` the smallest within one standard error of the
        best mean (the classic one-standard-error rule); ``"best"`` the
        largest mean (plain IWCV). See Notes.
    n_repeats : int or None, default=None
        Repetitions of the K-fold split with different shuffles, when ``cv``
        is None or an int; the score matrix stacks all folds. ``None`` means
        2 when ``cv`` is an int (so the default is 2 x 10 folds: up to 20
        weighter fits and ``20 * n_flattens`` estimator fits) and 1 when it is
        None; ``cv=5, n_repeats=1`` is 4 times cheaper and noisier (Notes).
    schedule : {{"adaptive", "full"}}, default="adaptive"
        Which folds x candidates to fit. ``"full"`` fits every candidate on
        every fold. ``"adaptive"`` fits the same folds in the same order, in
        batches (6 folds for 10-fold splits, never fewer than 5); after each
        batch a candidate that the paired standard errors already rule out
        (projected to all folds, with a margin of 3 standard errors) is no
        longer fitted, and the folds stop once nothing below the projected
        choice and at most one candidate above it is left. Where no candidate
        is settled it is the full schedule, so close decisions are made on
        all folds (Notes).
    weighter_fit : {{"once", "per_fold"}}, default="once"
        ``"once"`` fits the weighter on all rows, the final model's weighter,
        and every fold reuses its ratios (the procedure of Sugiyama et al.
        2007: the weighter sees no label, so the held-out rows' covariates in
        its fit leak no outcome); a held-out source row is scored with its
        out-of-fold ratio when the weighter cross-fits. ``"per_fold"`` refits
        the weighter on every training fold, ``n_folds`` weighter fits more:
        the former behaviour, for comparison (Notes).
    n_jobs : int or None, default=None
        Folds fitted in parallel (joblib), each fitting its weighter once and
        then the candidates left. Each worker limits its BLAS/OpenMP pools
        to ``cpu_count // n_jobs`` threads so that the workers do not
        oversubscribe the cores. The result does not depend on ``n_jobs``.
    verbose : int, default=0
        1 announces the number of fits up front and, with the adaptive
        schedule, the candidates left after each batch; 2 and more also
        print joblib's progress.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds' shuffles and the default weighter. ``None`` is a
        fixed seed: the same data give the same result run to run, as with
        :class:`~sklearn.linear_model.LogisticRegressionCV`. A user weighter
        is used as given (set its own ``random_state`` for reproducibility).
    clip : float or None, default=None
        Largest weight as a multiple of the mean weight, applied after
        flattening, in the folds and the final model.
    clip_quantile : float or None, default=None
        Quantile of the weights at which to cap them, likewise."""

_DOC_ATTRS = """
    flatten_ : float
        The chosen exponent.
    best_index_ : int
        Its position in ``cv_results_["flatten"]``.
    scores_ : ndarray of shape (n_folds, n_flattens)
        Held-out importance-weighted score of every fold run (``n_repeats *
        n_splits`` rows with ``schedule="full"``, those run with
        ``"adaptive"``) and candidate; higher is better; NaN where the
        adaptive schedule no longer fitted a candidate it had ruled out.
    n_fits_ : int
        Estimator fits of the cross-validation (the final fit not counted):
        ``n_folds * n_flattens`` with ``schedule="full"``.
    fold_weights_ : ndarray of shape (n_folds,)
        Total importance weight of each fold's held-out labeled source rows:
        the folds' shares of the pooled IWCV estimate.
    cv_results_ : dict
        GridSearchCV's keys: ``params`` (``{{"flatten": value}}``, sorted),
        ``split{{k}}_test_score`` for every fold, ``mean_test_score`` (the
        pooled estimate: fold scores averaged with ``fold_weights_``),
        ``std_test_score`` (of the fold scores) and ``rank_test_score``;
        besides them ``flatten`` (the candidates as an array) and
        ``se_test_score`` (the standard error of the pooled mean, folds as
        clusters; with repeated splits every row is in several folds, which
        this treats as independent, so it is up to ``sqrt(n_repeats)`` too
        small, and the ``"paired_se"`` rule was calibrated with it as it is).
        The means, standard errors and deviations are NaN, and the rank
        last, for a candidate the adaptive schedule left out.
    best_estimator_ : {weighted}
        The final model, refit on all rows with ``flatten=flatten_``.
    estimator_ : estimator
        Its fitted inner estimator.
    weighter_ : weighter or None
        Its fitted weighter (None when fit without target rows).
    weights_ : ndarray of shape (n_source_fit_,)
        Its weights of the labeled source rows (``flatten_`` applied, mean 1).
    n_source_fit_ : int
        Number of labeled source rows of the final fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only)."""

_DOC_NOTES = """
    Importance-weighted CV (Sugiyama, Krauledat & Müller 2007, eq. 9)
    estimates the target risk of each candidate from held-out *source* rows
    weighted by the fold's estimated ratio ``w``. It is unbiased with the true
    ratio, but its variance grows with the spread of ``w``: on cohorts of a
    few hundred source rows the largest mean is often reached by a large
    ``lambda`` by chance, where weighting only adds variance. Two choices
    follow from measurements on packaged clinical cohorts split by a known
    age selection (:func:`~instransfer.datasets.make_age_shift`, the oracle
    ratio giving the target loss to aim at; ``benchmarks/suite_flatten_choice.py``,
    results in ``benchmarks/results/flatten_choice.md``):

    - the folds are *pooled*: fold scores are averaged with the total
      importance weight of their held-out rows (``fold_weights_``), which is
      the IWCV estimate over all held-out rows. An equal-weight average of
      self-normalised fold scores, as ``GridSearchCV`` with
      :func:`~instransfer.model_selection.make_iw_scorer` computes, lets a
      fold without high-weight rows vote as much as one with many;
    - ``selection="paired_se"`` over 2 x 10 folds: the smallest ``lambda``
      whose pooled score is within one standard error of the paired per-fold
      difference to the best one. In that study (18 settings, 30 random
      splits each, 227-319 source rows, effective sample size 17-25 % of
      them) it was the only rule compared that kept at least 80 % of the
      oracle weights' gain in 5 of the 6 settings where weighting helps (a
      linear model on a curved age effect) while its loss against the
      unweighted model stayed within 2 standard errors in all 12 where
      weighting does not help (the cohorts' own outcomes and well-specified
      models, where the oracle weights themselves lose 0.02-0.09 in loss).
      Plain IWCV (``"best"``) kept a little more of the gain but lost
      measurably in 4 of the 12; ``"one_se"``, and ``"paired_se"`` with a
      single 5- or 10-fold split, were too timid. In the sixth setting (235
      source rows, about 40 effective) no data-driven rule kept 80 %.

    The weighter is fit once, on all rows, and shared by all folds and
    candidates (``weighter_fit="once"``), and every candidate is scored with
    the same full ratio (IWCV needs the unflattened ratio to estimate one
    quantity), so the cost is one weighter fit plus ``n_folds * n_flattens``
    estimator fits, then the final estimator fit. Refitting the weighter per
    fold (``"per_fold"``, the former default) adds ``n_folds`` weighter fits,
    which were most of the time with a linear model; the decisions of both,
    side by side on the same replicates, are in
    ``benchmarks/results/flatten_choice.md``.

    The adaptive schedule (the default) spends fewer of those fits on the
    same decision: it runs the full schedule's folds in order and only
    leaves cells out, so its score matrix is the full one cut short, and it
    stops fitting a candidate only when the paired standard errors, projected
    to all folds, rule it out by 3 standard errors. Its choices on the
    cohorts above, side by side with the full schedule's on the same
    replicates, and its cost over one plain fit of LogisticRegression,
    HistGradientBoosting and XGBoost, are in
    ``benchmarks/results/flatten_choice_default.md`` and
    ``benchmarks/results/iwcv_cost.md``. HistGradientBoosting is fitted
    with its bin thresholds placed without the weights, which makes a
    weighted fit cost an unweighted one (docs: "When weighting helps")."""


class ImportanceWeightedClassifierCV(
    _BaseImportanceWeightedCV, ImportanceWeightedClassifier
):
    __doc__ = (
        """Importance-weighted classifier whose ``flatten`` is chosen by IWCV.

    Fits :class:`~instransfer.ImportanceWeightedClassifier` for every
    ``flatten`` of a grid in each cross-validation fold, scores each on the
    fold's held-out labeled source rows weighted by the fold weighter's full
    ratio (importance-weighted CV), picks ``flatten_`` by ``selection`` and
    refits the weighted classifier on all rows with it.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier to weight (its ``fit`` must accept ``sample_weight``, or
        the final step of a Pipeline); ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`.
    weighter : weighter object, default=None
        Any weighter; ``None`` means ``ClassifierWeighter()`` seeded from
        ``random_state``. Fit once on all rows (``weighter_fit``)."""
        + _DOC_PARAMS.format(
            default_scoring='``"neg_log_loss"`` when the estimator\n'
            '        has ``predict_proba``, else ``"accuracy"``'
        )
        + """

    Attributes
    ----------"""
        + _DOC_ATTRS.format(weighted="ImportanceWeightedClassifier")
        + """
    classes_ : ndarray
        Class labels.

    See Also
    --------
    ImportanceWeightedRegressorCV : The same for regression.
    instransfer.ImportanceWeightedClassifier : The weighted classifier with a
        fixed ``flatten``.
    instransfer.model_selection.make_iw_scorer : IW scorers for
        ``GridSearchCV``.

    Notes
    -----"""
        + _DOC_NOTES
        + """

    References
    ----------
    .. [1] M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate shift
       adaptation by importance weighted cross validation", JMLR 8, 2007
       (eq. 9: the IWCV estimate; Sec. 4: flattening ``w ** lambda``).
    .. [2] H. Shimodaira, "Improving predictive inference under covariate shift
       by weighting the log-likelihood function", J. Stat. Plan. Inference 90,
       2000 (Sec. 4: the exponent ``lambda``).

    Examples
    --------
    >>> import numpy as np
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> y = np.where(data.domain == 1, -1, data.y)
    >>> clf = it.ImportanceWeightedClassifierCV(random_state=0).fit(data.X, y)
    >>> clf.scores_.shape[1]  # 5 candidate flattens (rows: the folds run)
    5
    >>> clf.flatten_ in clf.cv_results_["flatten"]
    True
    """
    )

    _weighted_class = ImportanceWeightedClassifier

    def _default_scoring(self):
        _, final = final_step(self._get_estimator())
        return "neg_log_loss" if hasattr(final, "predict_proba") else "accuracy"


class ImportanceWeightedRegressorCV(
    _BaseImportanceWeightedCV, ImportanceWeightedRegressor
):
    __doc__ = (
        """Importance-weighted regressor whose ``flatten`` is chosen by IWCV.

    Fits :class:`~instransfer.ImportanceWeightedRegressor` for every
    ``flatten`` of a grid in each cross-validation fold, scores each on the
    fold's held-out labeled source rows (``y`` not NaN) weighted by the fold
    weighter's full ratio, picks ``flatten_`` by ``selection`` and refits on
    all rows with it.

    Parameters
    ----------
    estimator : estimator object, default=None
        Regressor to weight; ``None`` means :class:`~sklearn.linear_model.Ridge`.
    weighter : weighter object, default=None
        Any weighter; ``None`` means ``ClassifierWeighter()`` seeded from
        ``random_state``. Fit once on all rows (``weighter_fit``)."""
        + _DOC_PARAMS.format(default_scoring='``"neg_mean_squared_error"``')
        + """

    Attributes
    ----------"""
        + _DOC_ATTRS.format(weighted="ImportanceWeightedRegressor")
        + """

    See Also
    --------
    ImportanceWeightedClassifierCV : The same for classification.
    instransfer.ImportanceWeightedRegressor : The weighted regressor with a
        fixed ``flatten``.

    Notes
    -----"""
        + _DOC_NOTES
        + """

    References
    ----------
    .. [1] M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate shift
       adaptation by importance weighted cross validation", JMLR 8, 2007.
    .. [2] H. Shimodaira, "Improving predictive inference under covariate shift
       by weighting the log-likelihood function", J. Stat. Plan. Inference 90,
       2000.

    Examples
    --------
    >>> import numpy as np
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(task="regression", random_state=0)
    >>> y = np.where(data.domain == 1, np.nan, data.y)
    >>> reg = it.ImportanceWeightedRegressorCV(
    ...     cv=3, n_repeats=2, schedule="full", random_state=0
    ... )
    >>> reg.fit(data.X, y).scores_.shape, reg.predict(data.X[:2]).shape
    ((6, 5), (2,))
    """
    )

    _weighted_class = ImportanceWeightedRegressor

    def _default_scoring(self):
        return "neg_mean_squared_error"
