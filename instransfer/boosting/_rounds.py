"""The TrAdaBoost loop shared by the classifier and TrAdaBoost.R2.

``fit`` validates, chooses the number of rounds by cross-validation over the
labeled target rows (:meth:`_BaseTrAdaBoost._select_rounds`, the one
early-stopping helper) and runs the rounds (:meth:`_BaseTrAdaBoost._boost_path`,
one call of the family's ``_boost`` per round, as scikit-learn's
``BaseWeightBoosting``). Dai et al. (ICML 2007), Algorithm 1; Pardoe & Stone
(ICML 2010), Algorithm 2.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
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
    _BaseTransferBoost,
    _grid_cv_results,
    _one_se_rounds,
    _stacked_training_set,
    _target_error,
    _target_folds,
    _vote_start,
    _weights_for_fit,
)

# Target errors this close below the guessing level count as guessing.
_GUESS_TOL = 1e-9


class _BaseTrAdaBoost(_BaseTransferBoost):
    """The TrAdaBoost loop shared by the classifier and TrAdaBoost.R2.

    ``fit`` = validate, choose the number of rounds (:meth:`_select_rounds`,
    the one early-stopping helper), run the rounds (:meth:`_boost_path`,
    which calls the family's :meth:`_boost` once per round, as scikit-learn's
    ``BaseWeightBoosting``), then the family's :meth:`_finish`.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "target_weight": [
            StrOptions({"balanced"}),
            Interval(Real, 0, 1, closed="neither"),
            None,
        ],
        "early_stopping": [StrOptions({"cv"}), "boolean"],
        "cv": ["cv_object"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    @_fit_context(
        # the base estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, domain=None, sample_weight=None):
        """Boost on stacked source and labeled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Labels. Unlabeled rows (``-1``, ``None`` or ``NaN`` for classes,
            ``NaN`` for regression) may be present and are ignored: TrAdaBoost
            learns from labeled rows only.
        domain : array-like of shape (n_samples,), default=None
            0 (or False) for source rows, 1 (or True) for target rows. At
            least one target row must be labeled. ``None`` warns
            (:class:`~instransfer.NoDomainWarning`) and takes
            every labeled row as a target row: with no source rows, TrAdaBoost
            is AdaBoost on them (see Notes); ``domain`` all ones gives the
            same model without the warning.
        sample_weight : array-like of shape (n_samples,), default=None
            Initial weights (the paper's ``w^1``); ``None`` means uniform.
            With ``target_weight`` set, they multiply the rescaled uniform
            weights. Rows with weight 0 are left out. Never modified. Their
            scale does not change the errors, the vote weights or the target
            share, but the base learners are fit with weights of the same
            total, which matters to learners whose regularisation depends on
            it (``C`` of LogisticRegression, ``min_child_weight`` of xgboost).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        data = _stacked_training_set(self, X, y, domain, sample_weight, self._task)
        rng = check_random_state(self.random_state)
        learners = self._learners(data)
        self._init_task(data)
        is_t = data["is_target"]
        self.n_source_, self.n_target_ = int((~is_t).sum()), int(is_t.sum())
        self.cv_results_ = None
        n_rounds, oof = self._select_rounds(learners, data, rng)
        self.n_rounds_ = int(n_rounds)
        seed = int(rng.randint(_SEED_MAX))
        self.estimators_, alphas, errors = [], [], []
        for learner, alpha, error, fit_w in self._boost_path(
            learners, data["X"], data["y"], is_t, data["weight"], seed, n_rounds
        ):
            self.estimators_.append(learner)
            alphas.append(alpha)
            errors.append(error)
            kept_w = fit_w
        self.estimator_weights_ = np.asarray(alphas, dtype=float)
        self.estimator_errors_ = np.asarray(errors, dtype=float)
        self.boost_weights_ = np.zeros(data["n_samples"])
        self.boost_weights_[data["rows"]] = kept_w / kept_w.sum()
        self._finish(oof, data)
        return self

    # -- the rounds ------------------------------------------------------

    def _boost_path(self, learners, X, y, is_t, w0, seed, n_rounds):
        """Yield ``(learner, vote weight, error, fit weights)`` round by round.

        Runs at most ``n_rounds`` rounds of :meth:`_boost`; ``beta`` always
        comes from ``n_estimators`` (Dai et al. 2007, Algorithm 1, step 4:
        ``beta = 1 / (1 + sqrt(2 ln n_s / N))``), so a path cut at ``T``
        rounds is the first ``T`` rounds of the full one.
        """
        rng = np.random.RandomState(seed)
        n_source = int((~is_t).sum())
        w0 = self._initial_weights(w0, is_t)
        # With no source row (fit without domain, or domain all ones) beta
        # multiplies nothing and ln(0) must not be taken: the loop is then
        # AdaBoost on the target rows (SAMME, or AdaBoost.R2 for regression).
        log_beta = 0.0
        if n_source > 0:
            log_beta = -np.log1p(np.sqrt(2.0 * np.log(n_source) / self.n_estimators))
        log_w = np.log(w0)
        log_w -= logsumexp(log_w)
        ctx = {
            "is_t": is_t,
            "log_beta": log_beta,
            "n_source": n_source,
            # the target rows' shape of w^1, for restarts after a stalled round
            "log_w0_t": log_w[is_t] - logsumexp(log_w[is_t]),
            # the number of target rows (weight > 0), the m of Schapire &
            # Singer's smoothing 1 / (2 m): counted, not weighed, so that the
            # scale of sample_weight changes nothing
            "n_t": float(np.count_nonzero(w0[is_t])),
        }
        scale = float(w0.sum())
        for iboost in range(n_rounds):
            # The first learner gets the user's weights as given, not their
            # exp(log) round trip: integer weights then equal repeated rows
            # bit for bit, so split ties in trees break the same way.
            if iboost == 0:
                fit_w = np.maximum(w0, _EPS * scale)
            else:
                fit_w = _weights_for_fit(log_w, scale)
            learner = learners.fit(rng, X, y, fit_w)
            log_w, alpha, error = self._boost(iboost, learner, X, y, log_w, ctx)
            if alpha is None:  # discarded, as scikit-learn's AdaBoost
                return
            yield learner, alpha, error, fit_w
            if log_w is None:  # the boosting ends with this learner
                return
            log_w -= logsumexp(log_w)

    def _boost(self, iboost, learner, X, y, log_w, ctx):
        """One round after fitting ``learner``: new log weights, vote, error.

        Returns ``(log_w, alpha, error)``; ``log_w`` None ends the boosting
        after this learner, ``alpha`` None discards it and ends.
        """
        is_t = ctx["is_t"]
        row_error = self._row_error(learner, X, y)
        eps = _target_error(log_w, row_error, is_t)
        # After a target update, the learner just fit has error exactly 1/2
        # on the new weights; a next learner that makes the same predictions
        # lands on 1/2 give or take a few ulps and must count as guessing.
        if eps >= self._max_error() - _GUESS_TOL:
            return self._weak_round(iboost, row_error, eps, log_w, ctx)
        # ln(1 / beta_t), beta_t = eps / (1 - eps) (Algorithm 1, step 4), plus
        # SAMME's ln(K - 1) for K > 2 classes; at eps = 0 the learner fits
        # every target row and boosting ends, as in scikit-learn's AdaBoost.
        alpha = self._vote_weight(eps, ctx["n_t"])
        if eps == 0:
            return None, alpha, eps
        # Algorithm 1, step 5: source rows times beta^err, target rows times
        # beta_t^-err; in log space.
        log_w = log_w.copy()
        log_w[~is_t] += row_error[~is_t] * ctx["log_beta"]
        log_w[is_t] += row_error[is_t] * alpha
        return log_w, alpha, eps

    def _weak_round(self, iboost, row_error, eps, log_w, ctx):
        """A learner no better than guessing: AdaBoost's rule.

        The first learner is kept alone with weight 1 (as scikit-learn's
        AdaBoostRegressor keeps it: the model is then the base learner fit on
        all labeled rows); a later one is discarded and the boosting stops.
        """
        if iboost == 0:
            return None, 1.0, eps
        return None, None, eps

    def _vote_weight(self, eps, n_t):
        """``ln(1 / beta_t)``; ``inf`` at ``eps = 0`` (decides alone)."""
        if eps == 0:
            return np.inf
        return np.log((1.0 - eps) / eps)

    def _initial_weights(self, w0, is_t):
        """The paper's ``w^1`` with the target rows' share set, times ``w0``.

        Dai et al. (2007, Algorithm 1) take the initial weight vector as an
        input. Uniform over the rows, the few target rows hold
        ``n_t / (n_s + n_t)`` of the weight (1-5 % typically); giving them the
        share ``target_weight`` of a uniform-within-domain ``w^1`` lets the
        target labels shape the first learners. The share is of the total
        weight, ``sample_weight`` included, so an integer weight stays a
        repeated row; the total stays that of ``sample_weight``, the scale
        the base learners see.
        """
        share = 0.5 if self.target_weight == "balanced" else self.target_weight
        if share is None or is_t.all() or not is_t.any():
            return w0
        total, total_t = w0.sum(), w0[is_t].sum()
        return w0 * np.where(
            is_t, share * total / total_t, (1.0 - share) * total / (total - total_t)
        )

    # -- choosing the number of rounds -------------------------------------

    def _select_rounds(self, learners, data, rng):
        """Number of rounds, by cross-validation over the labeled target rows.

        The one early-stopping helper. Every fold boosts on all source rows
        and the other target rows; the folds advance in step, round by round,
        each fold's vote after ``T`` rounds is scored on its held-out target
        rows (:meth:`_row_losses`), and the rounds stop once the mean
        out-of-fold loss has not improved for ``n_iter_no_change`` rounds.
        The choice (``_one_se_rounds``) is one round, the base learner on all
        labeled rows, unless more rounds are clearly better on the target
        (a Bonferroni-corrected paired t-test, and better in every fold),
        then the fewest rounds within one paired standard error of the best.

        Returns the number of rounds and the out-of-fold votes at that number
        (``None`` without cross-validation).
        """
        if not self._needs_cv():
            return self.n_estimators, None
        is_t, y, w = data["is_target"], data["y"], data["weight"]
        # deterministic without random_state, as LogisticRegressionCV
        fold_seed = 0 if self.random_state is None else int(rng.randint(_SEED_MAX))
        if self.cv is None and is_t.sum() < 2:
            # one labeled target row cannot be split: the base learner on all
            # labeled rows, the fall-back, is the model
            return 1, None
        folds = _target_folds(self.cv, data, fold_seed)
        runs = []
        for train, test in folds:
            path = self._boost_path(
                learners,
                _safe_indexing(data["X"], train),
                y[train],
                is_t[train],
                w[train],
                int(rng.randint(_SEED_MAX)),
                self.n_estimators,
            )
            runs.append(
                {"path": path, "X": _safe_indexing(data["X"], test), "test": test}
            )
            runs[-1].update(preds=[], alphas=[])
        choose = self.early_stopping is not False
        columns, best = [], 0
        for r in range(self.n_estimators):
            live = False
            for run in runs:
                if run["path"] is None:
                    continue
                step = next(run["path"], None)
                if step is None:
                    run["path"] = None
                    continue
                live = True
                run["preds"].append(self._vote_output(step[0], run["X"]))
                run["alphas"].append(step[1])
            if not live and columns:
                break
            columns.append(
                np.concatenate([self._row_losses(run, y[run["test"]]) for run in runs])
            )
            test_w = np.concatenate([w[run["test"]] for run in runs])
            means = [np.average(c, weights=test_w) for c in columns]
            best = int(np.argmin(means))
            if choose and r - best >= self.n_iter_no_change:
                break
        losses = np.column_stack(columns)
        folds = np.concatenate(
            [np.full(run["test"].shape[0], k) for k, run in enumerate(runs)]
        )
        n_rounds = (
            _one_se_rounds(losses, test_w, folds) if choose else self.n_estimators
        )
        self._store_cv_results(losses, runs)
        oof = {
            "rows": np.concatenate([run["test"] for run in runs]),
            "vote": np.concatenate(
                [
                    self._staged_vote(run, min(n_rounds, len(run["preds"])))
                    for run in runs
                ]
            ),
        }
        return n_rounds, oof

    def _store_cv_results(self, losses, runs):
        """``cv_results_`` with GridSearchCV's keys, one candidate per round count."""
        n = losses.shape[1]
        sizes = np.cumsum([0] + [run["test"].shape[0] for run in runs])
        split = np.array(
            [
                -losses[a:b].mean(axis=0)
                for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            ]
        )
        self.cv_results_ = _grid_cv_results(
            "n_rounds", np.arange(1, n + 1), split.mean(axis=0), split
        )

    def _staged_vote(self, run, n_fitted):
        sl = slice(_vote_start(n_fitted), n_fitted)
        return self._combine(run["preds"][sl], run["alphas"][sl], run["X"])

    def _vote_slice(self, n_fitted=None):
        n_fitted = len(self.estimators_) if n_fitted is None else n_fitted
        return slice(_vote_start(n_fitted), n_fitted)

    def _finish(self, oof, data):
        pass
