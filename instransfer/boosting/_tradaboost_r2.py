"""TrAdaBoost.R2 (Pardoe & Stone, ICML 2010): transfer boosting for regression.

TrAdaBoost's round (``_tradaboost.py``) applied to AdaBoost.R2's losses: misfit
target rows gain weight, misfit source rows lose weight by ``beta``; the final
model is the weighted median of the second half of the learners. The number of
rounds is chosen by cross-validation over the labeled target rows.
"""

import numpy as np
from sklearn.base import RegressorMixin

from ..utils._compat import StrOptions
from ._base import (
    _adjusted_errors,
    _vote_weights,
    _weighted_median,
    booster_score,
)
from ._rounds import _BaseTrAdaBoost

__all__ = ["TrAdaBoostRegressor"]


class TrAdaBoostRegressor(RegressorMixin, _BaseTrAdaBoost):
    """TrAdaBoost.R2: transfer boosting for regression (Pardoe & Stone, 2010).

    TrAdaBoost's round applied to AdaBoost.R2's losses (Pardoe & Stone, 2010,
    Algorithm 2). In round ``t``:

    1. fit the learner ``h_t`` with the current weights of all labeled rows;
    2. adjusted error of each row ``e_i = L(|y_i - h_t(x_i)| / D_t)`` with
       ``D_t`` the largest absolute residual over all rows and ``L`` the
       ``loss`` (linear ``u``, square ``u**2``, exponential ``1 - exp(-u)``;
       Drucker, 1997);
    3. ``eps_t`` = weighted mean of ``e_i`` **over the target rows**, weights
       normalised there; ``beta_t = eps_t / (1 - eps_t)``,
       ``beta = 1 / (1 + sqrt(2 ln n_s / N))``;
    4. source weights times ``beta ** e_i``, target weights times
       ``beta_t ** -e_i``.

    The prediction is the weighted median of learners ``ceil(N/2), ..., N``
    with weights ``ln(1 / beta_t)``.

    As with :class:`~sklearn.ensemble.AdaBoostRegressor`, ``eps_t >= 0.5``
    discards the learner and stops (the first learner is kept alone, with
    weight 1), and ``eps_t = 0`` ends the boosting, that learner deciding
    alone (weight ``inf``). Unlike scikit-learn's AdaBoost.R2, learners are fit
    with ``sample_weight`` rather than on a weighted bootstrap sample, so a
    fit is deterministic given its seed.

    Pardoe & Stone found TrAdaBoost.R2 prone to letting the source weights
    collapse too fast; :class:`TwoStageTrAdaBoostRegressor` is their remedy,
    which they found more robust (on this project's benchmark the two are
    within standard errors, ``benchmarks/results/tradaboost.md``). The source
    factor ``beta`` counts rows (``n_s``), as the paper does, so repeating a
    source row is not the same as weighting it.

    Parameters
    ----------
    estimator : estimator object, default=None
        Regressor whose ``fit`` accepts ``sample_weight`` (or a Pipeline ending
        in one). ``None`` means ``DecisionTreeRegressor(max_depth=3)``.
    n_estimators : int, default=50
        Number of boosting rounds ``N``.
    loss : {"linear", "square", "exponential"}, default="linear"
        AdaBoost.R2 loss applied to the scaled residuals.
    target_weight : "balanced", float in (0, 1) or None, default="balanced"
        Share of the total initial weight held by the labeled target rows
        (Pardoe & Stone's Algorithm 2, like Dai et al.'s Algorithm 1, leaves
        the initial weights ``w^1`` free): ``"balanced"`` is 0.5, source and
        target rows holding half each; a float gives that share; ``None`` is
        the uniform ``w^1`` (target share = their share of the rows). The share
        is of the total weight, ``sample_weight`` included. The default is
        ``"balanced"`` (not the classifier's ``None``): with a uniform ``w^1``
        the few target rows barely move the first learners, the adjusted target
        error stays high and, on the drifted Friedman #1
        problem, some fits collapse (``benchmarks/results/tradaboost.md``,
        column ``target_weight=None``).
    early_stopping : "cv" or bool, default="cv"
        ``"cv"`` (or True): choose the number of rounds by cross-validation
        over the labeled target rows, as :class:`TrAdaBoostClassifier` does
        (out-of-fold squared error of the weighted median): one round, the
        base learner on all labeled rows, unless more are clearly better.
        False: all ``n_estimators`` rounds (Pardoe & Stone).
    cv : int, cross-validation generator, iterable or None, default=None
        Folds over the labeled target rows (see
        :class:`TrAdaBoostClassifier`); None is 5 folds.
    n_iter_no_change : int, default=10
        Rounds without improvement of the out-of-fold score before the folds
        stop.
    random_state : int, RandomState instance or None, default=None
        Draws an integer seed for each round's learner and the folds.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted learners.
    estimator_weights_ : ndarray of shape (n_rounds,)
        ``ln(1 / beta_t)`` of each learner (``inf`` for zero target error).
    estimator_errors_ : ndarray of shape (n_rounds,)
        Adjusted error ``eps_t`` of each learner on the target rows.
    boost_weights_ : ndarray of shape (n_samples,)
        Boosting weights the last learner was fit with (sum 1 over the
        training rows, 0 for rows not trained on); ``weights_`` is a
        deprecated alias.
    n_rounds_ : int
        Number of rounds run for the final model.
    cv_results_ : dict of ndarray
        With cross-validation: one candidate per number of rounds, scores
        minus the out-of-fold mean squared error (GridSearchCV's keys).
    n_source_, n_target_ : int
        Labeled source and target rows boosted on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    TwoStageTrAdaBoostRegressor : The two-stage version, more robust.
    TrAdaBoostClassifier : TrAdaBoost for classification.

    Notes
    -----
    With no source rows (``fit`` without ``domain``, which warns, or with
    ``domain`` all ones) TrAdaBoost.R2 is AdaBoost.R2 (Drucker 1997, with
    ``sample_weight`` instead of resampling): ``beta`` multiplies nothing and
    the target update ``beta_t ** -e_i`` is Drucker's ``beta_t ** (1 - e_i)``
    up to normalisation. The vote is still the second half of the learners.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for regression transfer",
       ICML 2010, Algorithm 2.
    .. [2] H. Drucker, "Improving regressors using boosting techniques",
       ICML 1997.
    .. [3] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for transfer
       learning", ICML 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer import TrAdaBoostRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-2, 2, size=(330, 1))
    >>> domain = np.r_[np.zeros(300), np.ones(30)].astype(int)
    >>> y = np.where(domain == 0, np.sin(X[:, 0]), np.sin(X[:, 0]) + 0.5 * X[:, 0])
    >>> reg = TrAdaBoostRegressor(n_estimators=20, random_state=0)
    >>> reg.fit(X, y, domain=domain).predict(X[:3]).shape
    (3,)
    """

    _task = "regression"

    _parameter_constraints: dict = {
        **_BaseTrAdaBoost._parameter_constraints,
        "loss": [StrOptions({"linear", "square", "exponential"})],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=50,
        loss="linear",
        target_weight="balanced",
        early_stopping="cv",
        cv=None,
        n_iter_no_change=10,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.loss = loss
        self.target_weight = target_weight
        self.early_stopping = early_stopping
        self.cv = cv
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def _init_task(self, data):
        pass

    def _needs_cv(self):
        return self.early_stopping is not False

    def _max_error(self):
        return 0.5

    def _vote_output(self, learner, X):
        return np.asarray(learner.predict(X), dtype=np.float64).ravel()

    def _row_error(self, learner, X, y):
        return _adjusted_errors(np.abs(self._vote_output(learner, X) - y), self.loss)

    def _combine(self, preds, alphas, X):
        return _weighted_median(np.column_stack(preds), _vote_weights(alphas))

    def _row_losses(self, run, y):
        return (self._staged_vote(run, len(run["preds"])) - y) ** 2

    def predict(self, X):
        """Weighted median of the last half of the learners.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        sl = self._vote_slice()
        preds = [self._vote_output(e, X) for e in self.estimators_[sl]]
        return self._combine(preds, self.estimator_weights_[sl], X)

    def staged_predict(self, X):
        """Prediction after each round: median of learners ``ceil(T/2)..T``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        preds = [self._vote_output(e, X) for e in self.estimators_]
        for n_fitted in range(1, len(preds) + 1):
            sl = self._vote_slice(n_fitted)
            yield self._combine(preds[sl], self.estimator_weights_[sl], X)

    def score(self, X, y, *, domain=None, sample_weight=None):
        """R² on the target population, by the library's score rule.

        Labeled target rows marked by ``domain`` -> plain R² on them.
        Without ``domain`` and with every row labeled, the rows given are the
        population of interest, so ``score(X_target, y_target)`` is the target
        R². A booster has no density ratio to weight source rows with, so a
        ``domain`` that marks no labeled target row raises, and so does a
        ``y`` without ``domain`` whose unlabeled markers leave only source rows
        labeled. See the table in the data-convention guide.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            True labels; unlabeled rows are never scored.
        domain : array-like of shape (n_samples,), default=None
            0 for source rows, 1 for target rows.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        Returns
        -------
        score : float
        """
        from sklearn.metrics import r2_score

        return booster_score(
            self, X, y, domain=domain, sample_weight=sample_weight, metric=r2_score
        )
