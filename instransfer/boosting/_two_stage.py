"""Two-stage TrAdaBoost.R2 (Pardoe & Stone, ICML 2010, Algorithm 3).

Stage 1 moves weight from the source rows to the target rows in ``S`` steps,
on a fixed schedule, taking it first from the source rows the current learner
fits worst. At every step, stage 2 boosts an AdaBoost.R2 ensemble with the
source weights frozen and its error is estimated by cross-validation on the
target rows; the step with the lowest error wins.
"""

from numbers import Integral

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state

from ..utils._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    _safe_indexing,
)
from ._base import (
    _EPS,
    _SEED_MAX,
    _adjusted_errors,
    _BaseTransferBoost,
    _grid_cv_results,
    _stacked_training_set,
    _target_error,
    _target_folds,
    _vote_weights,
    _weighted_median,
    _weights_for_fit,
)
from ._tradaboost_r2 import TrAdaBoostRegressor


def _predict_float(learner, X):
    return np.asarray(learner.predict(X), dtype=np.float64).ravel()


def _adaboost_r2_frozen(
    learners, X, y, is_target, log_w, scale, n_estimators, loss, rng, first_w=None
):
    """AdaBoost.R2 whose source weights stay frozen (Pardoe & Stone's R2').

    Rows with weight 0 (``log_w = -inf``) are left out. Each round the target
    rows get AdaBoost.R2's update ``w_i * beta_t ** (1 - e_i)`` (Drucker 1997,
    step 7) and are renormalised to their previous total, so every source
    weight keeps its value: that is what *frozen* means here. ``eps_t`` is
    measured on the target rows, as in TrAdaBoost.R2, so that the vote
    weights ``ln(1 / beta_t)`` reward fitting the target.

    ``scale`` is the total user weight of the rows kept (see
    ``_weights_for_fit``). ``first_w``, when ``log_w`` are still the user's
    initial weights, are those weights as given: the first learner is fit
    with them rather than with their exp(log) round trip, so integer weights
    equal repeated rows bit for bit (and split ties in trees break the same
    way). Returns the learners, their vote weights and their errors.
    """
    keep = np.isfinite(log_w)
    if not keep.all():
        idx = np.flatnonzero(keep)
        X, y = _safe_indexing(X, idx), y[idx]
        is_target, log_w = is_target[idx], log_w[idx]
        first_w = None if first_w is None else first_w[idx]
    log_w = log_w - logsumexp(log_w)
    estimators, alphas, errors = [], [], []
    for iboost in range(n_estimators):
        if first_w is not None and iboost == 0:
            fit_w = np.maximum(first_w, _EPS * scale)
        else:
            fit_w = _weights_for_fit(log_w, scale)
        learner = learners.fit(rng, X, y, fit_w)
        log_w, alpha, error = _boost_frozen(
            iboost, learner, X, y, is_target, log_w, loss
        )
        if alpha is None:
            break
        estimators.append(learner)
        alphas.append(alpha)
        errors.append(error)
        if log_w is None:
            break
    return estimators, np.asarray(alphas, dtype=float), np.asarray(errors, dtype=float)


def _boost_frozen(iboost, learner, X, y, is_target, log_w, loss):
    """One stage-2 round: ``(log_w, alpha, error)`` as TrAdaBoost's ``_boost``.

    ``eps_t >= 0.5`` keeps a first learner alone (weight 1) and otherwise
    discards it (``alpha`` None); ``eps_t = 0`` ends with weight ``inf``
    (``log_w`` None ends the boosting after this learner).
    """
    e = _adjusted_errors(np.abs(_predict_float(learner, X) - y), loss)
    eps = _target_error(log_w, e, is_target)
    if eps >= 0.5:
        return None, (1.0 if iboost == 0 else None), eps
    if eps == 0:
        return None, np.inf, eps
    alpha = np.log((1.0 - eps) / eps)  # ln(1 / beta_t)
    log_w = log_w.copy()
    lt = log_w[is_target]
    total = logsumexp(lt)
    lt = lt - alpha * (1.0 - e[is_target])
    log_w[is_target] = lt + (total - logsumexp(lt))
    return log_w, alpha, eps


def _ensemble_predict(estimators, alphas, X):
    preds = np.column_stack([_predict_float(e, X) for e in estimators])
    return _weighted_median(preds, _vote_weights(alphas))


def _shift_to_target(log_w, is_target, error, fraction):
    """Stage-1 update: source weights times ``beta_t ** e_i``, target kept.

    ``beta_t`` is the root that makes the target rows hold ``fraction`` of the
    total weight (Pardoe & Stone 2010, Algorithm 3, step 2d; they use a binary
    search, we solve the same monotone equation in ``u = ln beta_t`` with
    Brent's method). When rows with zero error already hold more than the
    allowed source weight, no ``beta_t`` in (0, 1] reaches the schedule: the
    rows with error get weight 0 and the rest are scaled down uniformly.
    """
    log_w = log_w.copy()
    src = ~is_target & np.isfinite(log_w)
    log_target = logsumexp(log_w[is_target])
    if fraction >= 1.0:
        log_w[~is_target] = -np.inf
        return log_w - logsumexp(log_w)
    log_wanted = log_target + np.log1p(-fraction) - np.log(fraction)
    ls, es = log_w[src], error[src]
    if logsumexp(ls) <= log_wanted:  # already at or below the schedule
        return log_w
    zero = es <= 0
    log_zero = logsumexp(ls[zero]) if zero.any() else -np.inf
    if log_zero >= log_wanted:
        new = np.where(zero, ls + (log_wanted - log_zero), -np.inf)
    else:
        pos = ~zero
        log_pos = logsumexp(ls[pos])
        # g(u) <= log(Z0 + P exp(e_min u)) - log R; at u_lo the right side is
        # log((R + Z0) / 2) - log R < 0, so [u_lo, 0] brackets the root.
        log_gap = log_wanted + np.log1p(-np.exp(log_zero - log_wanted))
        # a tiny positive error (a tree leaf's mean 1 ulp off, squared: 1e-32)
        # puts u_lo near -1e33 or -inf; keep it finite, and allow Brent the
        # ~1 000 halvings such a bracket can take
        with np.errstate(over="ignore", divide="ignore"):
            u_lo = (log_gap - np.log(2.0) - log_pos) / es[pos].min()
        u_lo = max(u_lo, -1e300)

        def excess(u):
            return logsumexp(ls + es * u) - log_wanted

        u = brentq(excess, u_lo, 0.0, xtol=1e-12, rtol=1e-12, maxiter=2000)
        new = ls + es * u
        new += log_wanted - logsumexp(new)  # hit the schedule exactly
    log_w[src] = new
    return log_w - logsumexp(log_w)


class TwoStageTrAdaBoostRegressor(RegressorMixin, _BaseTransferBoost):
    """Two-stage TrAdaBoost.R2: transfer boosting for regression.

    Pardoe & Stone (2010), Algorithm 3, on a stacked ``X`` with a ``domain``
    and a few labeled target rows. Steps ``t = 1, ..., S`` (``n_steps``):

    - **stage 2** (evaluation): an AdaBoost.R2 ensemble of ``n_estimators``
      learners is boosted from the current weights with the source weights
      frozen; its error is the mean squared error of ``cv``-fold
      cross-validation over the target rows (each fold trains on all source
      rows and the other target rows);
    - **stage 1** (weight shift): a learner fit with the current weights gives
      AdaBoost.R2's adjusted error ``e_i`` of each row; the source weights are
      multiplied by ``beta_t ** e_i``, ``beta_t`` chosen so that the target
      rows hold ``f_t = f_0 + t / (S - 1) * (1 - f_0)`` of the total weight
      (``f_0`` their initial share): the source weight drains away, worst-fit
      rows first, and is gone at the last step.

    The model is the stage-2 ensemble (refit on all rows) of the step with the
    lowest cross-validated error: the step count is chosen on the target rows.
    Its prediction is the weighted median of its learners (AdaBoost.R2).

    Details of our reading: in stage 2 the target rows are renormalised to
    their own total after each update, so each source weight keeps its exact
    value (*frozen*), and its ``eps_t`` is measured on the target rows, as in
    TrAdaBoost.R2. ``eps_t >= 0.5`` and ``eps_t = 0`` end a stage-2 ensemble
    as in scikit-learn's AdaBoost.R2 (see :class:`TrAdaBoostRegressor`).
    ``n_steps=1`` fits a single stage-2 ensemble on the initial weights and
    skips the cross-validation; ``n_estimators=1`` makes each ensemble one
    learner.

    Parameters
    ----------
    estimator : estimator object, default=None
        Regressor whose ``fit`` accepts ``sample_weight`` (or a Pipeline ending
        in one). ``None`` means ``DecisionTreeRegressor(max_depth=3)``.
    n_estimators : int, default=10
        Learners per stage-2 AdaBoost.R2 ensemble (the paper's ``N``).
    n_steps : int, default=10
        Number of weight-shifting steps ``S``.
    cv : int, cross-validation generator, iterable or None, default=None
        Folds of the cross-validation over the labeled target rows, the same
        folds at every step. None: 5 folds (fewer with fewer labeled target
        rows) of :class:`~instransfer.model_selection.DomainStratifiedKFold`,
        deterministic without ``random_state``; an int: that many folds; a
        splitter: run on the labeled rows; an iterable of ``(train, test)``
        index pairs into the rows given to ``fit``. Only the target rows of
        each test part are held out; every fold trains on all other labeled
        rows.
    loss : {"linear", "square", "exponential"}, default="linear"
        AdaBoost.R2 loss applied to the scaled residuals.
    random_state : int, RandomState instance or None, default=None
        Draws the integer seeds of every learner and of the fold splits.

    Attributes
    ----------
    estimators_ : list of estimators
        Learners of the chosen stage-2 ensemble.
    estimator_weights_ : ndarray of shape (n_learners,)
        Their vote weights ``ln(1 / beta_t)`` (``inf``: zero target error).
    estimator_errors_ : ndarray of shape (n_learners,)
        Their adjusted errors on the target rows.
    cv_errors_ : ndarray of shape (n_steps,)
        Cross-validated mean squared error of each step's ensemble on the
        target rows (``NaN`` when ``n_steps=1``; shape ``(1,)`` when there
        are no source rows).
    best_step_ : int
        Index of the chosen step in ``cv_errors_``.
    cv_results_ : dict of ndarray or None
        With ``n_steps > 1``: one candidate per step (``params``,
        ``param_step``), scores minus the held-out mean squared error
        (``mean_test_score``, pooled over the held-out rows as in
        ``cv_errors_``; ``std_test_score``, ``rank_test_score`` and
        ``split{k}_test_score`` over the folds), as GridSearchCV's; None
        otherwise.
    target_weight_fractions_ : ndarray of shape (n_steps,)
        Share of the total weight held by the target rows at each step
        (``[1.0]`` when there are no source rows).
    boost_weights_ : ndarray of shape (n_samples,)
        Weights of the chosen step (sum 1 over the labeled rows; 0 for rows
        not trained on); ``weights_`` is a deprecated alias.
    n_source_, n_target_ : int
        Labeled source and target rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    TrAdaBoostRegressor : TrAdaBoost.R2, the one-stage version.

    Notes
    -----
    With no source rows (``fit`` without ``domain``, which warns, or with
    ``domain`` all ones) stage 1 has no weight to shift, so it and its
    cross-validation are skipped: the model is one stage-2 ensemble, i.e.
    AdaBoost.R2 (Drucker 1997, fit with ``sample_weight``) on the labeled rows.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for regression transfer",
       ICML 2010, Algorithm 3.
    .. [2] H. Drucker, "Improving regressors using boosting techniques",
       ICML 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer import TwoStageTrAdaBoostRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-2, 2, size=(220, 1))
    >>> domain = np.r_[np.zeros(200), np.ones(20)].astype(int)
    >>> y = np.where(domain == 0, np.sin(X[:, 0]), np.sin(X[:, 0]) + 0.5 * X[:, 0])
    >>> reg = TwoStageTrAdaBoostRegressor(n_steps=4, n_estimators=5, random_state=0)
    >>> reg.fit(X, y, domain=domain).cv_errors_.shape
    (4,)
    >>> reg.target_weight_fractions_[-1]
    1.0
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "cv": ["cv_object"],
        "loss": [StrOptions({"linear", "square", "exponential"})],
        "random_state": ["random_state"],
    }

    _task = "regression"

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=10,
        n_steps=10,
        cv=None,
        loss="linear",
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_steps = n_steps
        self.cv = cv
        self.loss = loss
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, domain=None, sample_weight=None):
        """Run both stages on stacked source and labeled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Targets; rows with ``NaN`` are unlabeled and ignored.
        domain : array-like of shape (n_samples,), default=None
            0 (or False) for source rows, 1 (or True) for target rows. At
            least one target row must be labeled (two when there are source
            rows and ``n_steps > 1``, for the cross-validation). ``None``
            warns (:class:`~instransfer.NoDomainWarning`) and
            takes every labeled row as a target row: with no source rows,
            the model is AdaBoost.R2 on them (see Notes).
        sample_weight : array-like of shape (n_samples,), default=None
            Initial weights; ``None`` means uniform. Rows with weight 0 are
            left out. Never modified.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        data = _stacked_training_set(self, X, y, domain, sample_weight, "regression")
        rng = check_random_state(self.random_state)
        learners = self._learners(data)
        X, y, is_t, w0 = data["X"], data["y"], data["is_target"], data["weight"]
        m = int(is_t.sum())
        # Without source rows (fit without domain, or domain all ones) stage 1
        # has no weight to shift: every step would fit the same stage-2
        # ensemble, so stage 1 and its cross-validation are skipped and the
        # model is AdaBoost.R2 on the target rows (Drucker 1997).
        n_steps = self.n_steps if (~is_t).any() else 1
        if n_steps > 1 and m < 2:
            raise ValueError(
                f"n_steps={n_steps} chooses the step by cross-validation on the "
                f"labeled target rows, which needs at least 2 of them; got {m}. "
                "Label more target rows or set n_steps=1."
            )
        self.n_source_, self.n_target_ = int((~is_t).sum()), m

        log_w = np.log(w0)
        log_w -= logsumexp(log_w)
        f0 = float(np.exp(logsumexp(log_w[is_t])))
        cv_errors = np.full(n_steps, np.nan)
        fold_errors = []
        fractions = np.empty(n_steps)
        best = None  # (error, step, log weights, seed of the final ensemble)
        folds = None
        if n_steps > 1:
            # deterministic without random_state, as LogisticRegressionCV; the
            # same folds at every step, so the steps' errors compare paired
            fold_seed = 0 if self.random_state is None else int(rng.randint(_SEED_MAX))
            folds = _target_folds(self.cv, data, fold_seed)
        for step in range(n_steps):
            cv_seed, final_seed = (int(s) for s in rng.randint(_SEED_MAX, size=2))
            fractions[step] = np.exp(logsumexp(log_w[is_t]))
            if n_steps > 1:
                cv_errors[step], per_fold = self._cv_error(
                    learners, folds, X, y, is_t, w0, log_w, cv_seed, step == 0
                )
                fold_errors.append(per_fold)
            if best is None or cv_errors[step] < best[0]:
                best = (cv_errors[step], step, log_w.copy(), final_seed)
            if step == n_steps - 1:
                break
            keep = np.flatnonzero(np.isfinite(log_w))
            X_k = _safe_indexing(X, keep)
            fit_w = _weights_for_fit(log_w[keep], w0[keep].sum())
            h = learners.fit(rng, X_k, y[keep], fit_w)
            error = np.zeros_like(log_w)
            error[keep] = _adjusted_errors(
                np.abs(_predict_float(h, X_k) - y[keep]), self.loss
            )
            target_share = f0 + (step + 1) / (n_steps - 1) * (1.0 - f0)
            log_w = _shift_to_target(log_w, is_t, error, min(target_share, 1.0))

        _, self.best_step_, best_log_w, seed = best
        self.cv_errors_ = cv_errors
        # minus the criterion (MSE pooled over the held-out rows) and minus
        # each fold's own MSE
        self.cv_results_ = (
            _grid_cv_results(
                "step", np.arange(n_steps), -cv_errors, -np.asarray(fold_errors).T
            )
            if fold_errors
            else None
        )
        self.target_weight_fractions_ = fractions
        self.estimators_, self.estimator_weights_, self.estimator_errors_ = (
            _adaboost_r2_frozen(
                learners,
                X,
                y,
                is_t,
                best_log_w.copy(),
                float(w0[np.isfinite(best_log_w)].sum()),
                self.n_estimators,
                self.loss,
                np.random.RandomState(seed),
                w0 if self.best_step_ == 0 else None,
            )
        )
        self.boost_weights_ = np.zeros(data["n_samples"])
        self.boost_weights_[data["rows"]] = np.exp(best_log_w)
        return self

    def _cv_error(self, learners, folds, X, y, is_t, w0, log_w, seed, initial):
        """Cross-validated MSE on the target rows (source rows always train).

        Returns the MSE pooled over the held-out rows (the criterion) and
        each fold's own.
        """
        fold_rng = np.random.RandomState(seed)
        held, sq = [], []
        for train, test in folds:
            rows = train[np.isfinite(log_w[train])]
            est, alphas, _ = _adaboost_r2_frozen(
                learners,
                _safe_indexing(X, rows),
                y[rows],
                is_t[rows],
                log_w[rows],
                float(w0[rows].sum()),
                self.n_estimators,
                self.loss,
                fold_rng,
                w0[rows] if initial else None,
            )
            pred = _ensemble_predict(est, alphas, _safe_indexing(X, test))
            held.append(test)
            sq.append((pred - y[test]) ** 2)
        per_fold = np.array(
            [np.average(e, weights=w0[t]) for e, t in zip(sq, held, strict=True)]
        )
        pooled = np.average(np.concatenate(sq), weights=w0[np.concatenate(held)])
        return float(pooled), per_fold

    def predict(self, X):
        """Weighted median of the chosen ensemble's learners.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return _ensemble_predict(self.estimators_, self.estimator_weights_, X)

    def staged_predict(self, X):
        """Weighted median of the first ``T`` learners, for each ``T``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        preds = np.column_stack([_predict_float(e, X) for e in self.estimators_])
        for n_fitted in range(1, preds.shape[1] + 1):
            yield _weighted_median(
                preds[:, :n_fitted], _vote_weights(self.estimator_weights_[:n_fitted])
            )

    # the same target-row R² as TrAdaBoost.R2's
    score = TrAdaBoostRegressor.score
