"""TrAdaBoost (Dai et al., ICML 2007) and TrAdaBoost.R2 (Pardoe & Stone, ICML 2010).

Both boost a base learner on the stacked labeled rows of a large source and a
small labeled target sample. Each round measures the learner's error on the
target rows only; misfit target rows gain weight as in AdaBoost, misfit source
rows *lose* weight by a fixed factor ``beta`` (Hedge(beta), Freund & Schapire
1997), so source rows whose labels disagree with the target concept fade out.
The final model votes with the second half of the learners.

By default the number of rounds is chosen by cross-validation over the
labeled target rows, one round (the base learner on all labeled rows) unless
more are clearly better, so boosting falls back where it does not help.
"""

import numpy as np
from scipy.special import logsumexp
from sklearn.base import ClassifierMixin

from ..utils._compat import StrOptions
from ._base import (
    _vote_weights,
    booster_score,
)
from ._calibration import apply_recalibration, closed_test_recalibration
from ._rounds import _BaseTrAdaBoost


class TrAdaBoostClassifier(ClassifierMixin, _BaseTrAdaBoost):
    """TrAdaBoost: transfer boosting from a source to a few labeled target rows.

    Boosts ``estimator`` on the labeled rows of a stacked ``X`` (a large source
    sample and a few labeled target rows, ``domain`` telling them apart). In
    round ``t`` (Dai et al., 2007, Algorithm 1):

    1. fit the learner ``h_t`` with the current weights of all labeled rows;
    2. measure its error ``eps_t`` **on the target rows only**, with weights
       normalised over the target rows (step 3);
    3. ``beta_t = eps_t / (1 - eps_t)``, ``beta = 1 / (1 + sqrt(2 ln n_s / N))``
       (step 4; ``n_s`` labeled source rows, ``N = n_estimators``);
    4. multiply each misclassified source row's weight by ``beta`` (< 1) and
       each misclassified target row's by ``1 / beta_t`` (> 1) (step 5).

    The prediction is the vote of learners ``ceil(N/2), ..., N`` (1-based:
    ``floor(N/2) + 1`` learners) weighted by ``ln(1 / beta_t)``; for two
    classes it is exactly the paper's output rule, predicting ``classes_[1]``
    when ``prod beta_t^-h_t(x) >= prod beta_t^-1/2``.

    **Safe by default** (an addition to the paper, issue-driven): on real
    age-shifted cohorts with 10-50 labeled target rows, Algorithm 1 run for
    all its rounds was worse than the learner fit on source and target rows
    together in every draw, and its hard vote gave probabilities of exactly 0
    or 1 (``benchmarks/results/boosting_cohorts.md``). So by default
    (``early_stopping="cv"``) the number of rounds ``T`` is chosen by
    cross-validation over the labeled target rows: each fold boosts on all
    source rows and the other target rows, the Brier score of its vote after
    ``1, 2, ...`` rounds is measured on its held-out target rows, and more
    than one round is kept only if the best count beats one round in a
    Bonferroni-corrected paired t-test and in every fold (then ``T`` is the
    fewest rounds within one paired standard error of the best). One
    round is the base learner fit on all labeled rows (the *pooled* fit, with
    the default uniform ``w^1``): boosting falls back to it unless the target
    rows show that more rounds help. The vote is soft (``vote="soft"``: the
    ``ln(1 / beta_t)``-weighted mean of the voters' ``predict_proba``) and,
    for two classes, recalibrated on the out-of-fold target votes by logistic
    recalibration chosen by closed testing (``calibration="closed_test"``;
    Vergouwe et al. 2017), which leaves the risks as they are unless the
    target rows show them miscalibrated. ``early_stopping=False,
    vote="hard", calibration=None`` with ``estimator=DecisionTreeClassifier
    (max_depth=3)`` is the paper's algorithm as earlier versions ran it.

    **Multiclass** (an extension; the paper is binary): SAMME's correction
    (Zhu, Zou, Rosset & Hastie, 2009), ``ln(1 / beta_t) = ln((1 - eps_t) /
    eps_t) + ln(K - 1)``, used both for the target update and the vote. It
    makes the learner's weight positive exactly when it beats random guessing
    (``eps_t < 1 - 1/K``) rather than only when ``eps_t < 1/2``, which a
    learner over many classes rarely reaches early on; for ``K = 2`` the term
    is 0 and the update is the paper's. The source factor ``beta`` does not
    depend on ``K`` (it comes from Hedge(beta), a bound on the total loss of
    the source rows).

    Dai et al. require ``0 < eps_t < 1/2`` and say nothing of the rest; the
    default ``update="stabilised"`` handles the two ends as follows
    (``update="dai"`` keeps the conventions of earlier versions, noted in
    brackets; within ``0 < eps_t < 1/2`` both are Algorithm 1 exactly).

    **Error 0** ends the boosting, as in scikit-learn's
    :class:`~sklearn.ensemble.AdaBoostClassifier`. The paper's vote weight
    ``ln(1 / beta_t)`` would be infinite, the learner deciding alone; but an
    error of 0 on a few target rows the learner was fit on is an in-sample
    estimate, and a depth-3 tree or a logistic regression fits 15-20 heavily
    weighted rows outright. The vote weight is therefore smoothed as
    Schapire & Singer (1999, Sec. 4.2) smooth ``ln(W+ / W-)``: the missing
    error mass ``W- = 0`` becomes half a target row, giving
    ``ln(1 + 2 n_t)`` (plus ``ln(K - 1)``), with ``n_t`` the number of
    labeled target rows (Schapire & Singer's ``1 / (2 m)`` counts examples,
    whatever their weights). That is the weight of
    an error ``1 / (2 (n_t + 1))``; smaller positive errors are floored there,
    so a perfect learner never weighs less than an imperfect one (above it,
    Algorithm 1 is unchanged). The learner still carries the vote among the
    window's learners unless they outweigh it. [``"dai"``: weight ``inf``, it
    decides alone; no floor.]

    **Error >= 1 - 1/K** (``>= 1/2`` for two classes, up to rounding): the
    learner gets vote weight 0, as AdaBoost would discard it, and the source
    update is applied, so boosting goes on. AdaBoost stops here; TrAdaBoost
    should not: while the target rows hold little weight the next learner
    barely changes and, by construction of the target update, its target
    error is exactly 1/2. That is a fixed point: the source rows the stuck
    learner misfits fade, which only confirms it, and the target rows can no
    longer pull it away (with 5 % of the rows as target, a depth-3 tree stayed
    at 1/2 for most of the 50 rounds on the partial-disagreement problem of
    ``benchmarks/suite_tradaboost.py``). So after such a round the target rows
    restart from their initial weights ``w^1`` (the AdaBoost distribution
    that made this learner a coin flip carries no more information), with
    their total ``T`` raised to ``max(T, min(T / beta, S))``, ``S`` the
    source total: the target rows gain, relative to the source, the factor
    ``1 / beta`` a misfit source row loses in a round, up to half the weight,
    and never lose share.
    Both parts matter (measured on the benchmark's synthetic problems while
    designing the rule): the growth moves the tree off the fixed point, the
    restart keeps a logistic regression from being fit to the few hardest
    target rows (growing without restarting made it far worse than the source
    alone on the synthetic problems). [``"dai"``: the
    target weights are left as they are, since ``beta_t >= 1`` would *lower*
    the weight of the target rows the learner misfits.] If every voter has
    weight 0, they vote equally.

    By default (``hypothesis="hard"``) the row loss is the 0/1 error of
    ``predict``, so learners without probabilities or with hard ones work.
    ``hypothesis="soft"`` takes the learner's probabilities as a real-valued
    hypothesis, which Algorithm 1 allows as it is written with
    ``|h_t(x_i) - c(x_i)|`` (real-valued hypotheses ``h_t: X -> [0, 1]`` are
    Freund & Schapire's, 1997, Sec. 4): ``h_t(x) = P(classes_[1] | x)``, the
    row loss ``1 - P(true class | x)`` in the error and both updates, and the
    vote the ``ln(1 / beta_t)``-weighted mean of the probability vectors, so
    for two classes the output rule is the paper's with these ``h_t``. For
    ``K > 2`` classes the same loss (half the L1 distance between the
    probability vector and the one-hot label) and the SAMME weights are used;
    with one-hot probabilities it is the hard version. A soft error is 0 only
    when every target row gets probability 1 for its class (pure leaves, e.g. a
    fully grown tree), and is then handled as a hard error of 0.

    A fully grown tree fits every training row, so its target error is 0 at
    once and the model is that single tree fit on source and target rows
    (adapt's soft-error TrAdaBoost instead runs every round with weights that
    never move): limit the depth (``max_depth``, ``min_samples_leaf``) to let
    boosting work.

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier whose ``fit`` accepts ``sample_weight`` (or a
        :class:`~sklearn.pipeline.Pipeline` ending in one), e.g.
        DecisionTreeClassifier, LogisticRegression,
        HistGradientBoostingClassifier or ``xgboost.XGBClassifier``. Labels are
        passed to it as codes ``0, ..., K-1``. ``None`` means a
        LogisticRegression on standardised covariates, missing values
        imputed, and a DataFrame's categorical (non-numeric) columns one-hot
        encoded; its pooled fit was the best baseline in log-loss on the
        cohort benchmark. A learner of yours that fails on text columns gets
        an error naming them.
    n_estimators : int, default=50
        Largest number of boosting rounds ``N`` (it sets ``beta``).
    target_weight : "balanced", float in (0, 1) or None, default=None
        Share of the total initial weight held by the labeled target rows
        (the initial weight vector ``w^1`` is a free input of Dai et al.'s
        Algorithm 1): ``None`` is the uniform ``w^1``, so the target share is
        their share of the rows, and one round is the pooled fit;
        ``"balanced"`` is 0.5; a float gives that share (of the total weight,
        ``sample_weight`` included).
    update : {"stabilised", "dai"}, default="stabilised"
        What happens at the ends of the error range, where Dai et al.'s
        Algorithm 1 is undefined (see above): ``"stabilised"`` restarts the
        target weights with a larger share after a round no better than
        guessing and gives a learner with (almost) no target error the
        smoothed vote weight ``ln(1 + 2 n_t)``; ``"dai"`` leaves the target
        weights after such a round and gives a zero-error learner an infinite
        vote weight. Between the ends both are Algorithm 1
        (``benchmarks/results/tradaboost.md``, column ``update='dai'``).
    hypothesis : {"hard", "soft"}, default="hard"
        What ``h_t(x)`` is in the error and the updates: ``"hard"`` the
        predicted class (0/1 loss), ``"soft"`` the learner's ``predict_proba``
        (loss ``1 - P(true class)``); ``"soft"`` needs ``predict_proba``.
    vote : {"soft", "hard"}, default="soft"
        How the voters combine: ``"soft"`` the ``ln(1 / beta_t)``-weighted
        mean of their ``predict_proba`` (real-valued hypotheses, Freund &
        Schapire 1997, Sec. 4), ``"hard"`` the paper's weighted vote of the
        predicted classes, whose shares are not risks. ``"soft"`` needs a
        learner with ``predict_proba``.
    early_stopping : "cv" or bool, default="cv"
        ``"cv"`` (or True): choose the number of rounds by cross-validation
        over the labeled target rows (see above); the rounds of the folds
        stop once the out-of-fold Brier score has not improved for
        ``n_iter_no_change`` rounds. False: run all ``n_estimators`` rounds
        (Dai et al.), stopping only where AdaBoost stops.
    cv : int, cross-validation generator, iterable or None, default=None
        Folds over the labeled target rows, for ``early_stopping`` and
        ``calibration``. None: 5 folds (fewer with fewer labeled target rows)
        of :class:`~instransfer.model_selection.DomainStratifiedKFold`,
        stratified by class, deterministic without ``random_state``; an int:
        that many folds; a splitter: run on the labeled rows with ``y`` the
        target rows' class codes and ``-1`` on source rows; an iterable of
        ``(train, test)`` index pairs into the rows given to ``fit``. Only the
        target rows of each test part are held out; every fold trains on all
        other labeled rows.
    n_iter_no_change : int, default=10
        Rounds without improvement of the out-of-fold score before the folds
        stop.
    calibration : {"closed_test"} or None, default="closed_test"
        For two classes: recalibrate the vote on the out-of-fold target votes
        (``logit p' = a + b logit p``), choosing no update, the intercept, or
        intercept and slope by likelihood-ratio tests at level 0.001 (closed
        testing; Vergouwe et al. 2017, who use 0.05). None: no
        recalibration. Not applied for more than two classes.
    random_state : int, RandomState instance or None, default=None
        Draws an integer seed for each round's learner (every ``random_state``
        parameter in it) and the folds.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted learners, one per round.
    estimator_weights_ : ndarray of shape (n_rounds,)
        ``ln(1 / beta_t)`` (plus ``ln(K - 1)``) of each learner; 0 for a
        learner no better than guessing; for a learner with no target error
        ``ln(1 + 2 n_t)`` (plus ``ln(K - 1)``), ``inf`` with
        ``update="dai"``. Learners from ``ceil(n_rounds / 2)`` on vote.
    estimator_errors_ : ndarray of shape (n_rounds,)
        Error ``eps_t`` of each learner on the target rows.
    n_rounds_ : int
        Number of rounds run for the final model (chosen by
        cross-validation with ``early_stopping="cv"``).
    cv_results_ : dict of ndarray
        With cross-validation: one candidate per number of rounds
        (``params``, ``param_n_rounds``), scores minus the mean Brier score of
        the out-of-fold vote (``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``split{k}_test_score``), as GridSearchCV's.
    calibration_ : tuple of (str, tuple of float)
        The recalibration chosen, ``("none" | "intercept" | "logistic",
        (a, b))``.
    classes_ : ndarray of shape (n_classes,)
        Labels of the labeled rows with positive weight.
    n_classes_ : int
        Number of classes.
    boost_weights_ : ndarray of shape (n_samples,)
        Boosting weights the last learner was fit with, summing to 1 over the
        training rows; 0 for unlabeled rows and rows with zero
        ``sample_weight``. Low weights mark source rows the target disagrees
        with. (``weights_`` is a deprecated alias: elsewhere in instransfer
        ``weights_`` means importance weights.)
    n_source_, n_target_ : int
        Labeled source and target rows boosted on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    TrAdaBoostRegressor : TrAdaBoost.R2, the regression version.
    instransfer.ImportanceWeightedClassifier : Transfer without target labels,
        by importance weighting.

    Notes
    -----
    Check ``estimator_errors_``: errors that sit at 1/2 round after round
    (possible with ``update="dai"``; the stabilised update breaks such runs)
    mean the target rows hold too little weight to change the learner (label
    more target rows, raise ``target_weight``, or use a more flexible
    learner); an early error of 0 means the learner fits the few target rows
    outright (use a less flexible one).

    ``boost_weights_`` and the errors use the paper's initial weights ``w^1`` given
    by ``sample_weight``, so an integer weight on a target row is the same as
    repeating the row, up to the first learner with almost no target error:
    its smoothed vote counts the rows, and that vote also drives the round's
    target update, so the learners after it differ too. The source factor ``beta``
    counts rows (``n_s``), as the paper does, so repeating a source row is
    not the same as weighting it.
    Base learners are fit with ``sample_weight`` summing to the total initial
    weight (the number of rows by default), so the first learner is exactly
    ``estimator.fit(X_labeled, y_labeled, sample_weight)``.

    With no source rows (``fit`` without ``domain``, which warns, or with
    ``domain`` all ones) TrAdaBoost is AdaBoost (SAMME; Dai et al. 2007 with
    ``n_s = 0``): ``beta`` multiplies nothing, the target update and errors are
    AdaBoost's, an error ``>= 1 - 1/K`` stops the boosting (no source update
    could change the next learner), and the vote is still that of the second
    half of the learners.

    Cross-validation scores: :meth:`score` with ``domain`` counts only the
    target rows; pass ``domain`` to it through metadata routing
    (``set_score_request(domain=True)``) when tuning with ``GridSearchCV``.

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for transfer
       learning", ICML 2007, Algorithm 1.
    .. [2] J. Zhu, H. Zou, S. Rosset and T. Hastie, "Multi-class AdaBoost",
       Statistics and Its Interface 2, 2009 (SAMME).
    .. [3] Y. Freund and R. E. Schapire, "A decision-theoretic generalization
       of on-line learning and an application to boosting", JCSS 55, 1997.
    .. [4] R. E. Schapire and Y. Singer, "Improved boosting algorithms using
       confidence-rated predictions", Machine Learning 37, 1999, Sec. 4.2
       (smoothed weights).
    .. [5] Y. Vergouwe, D. Nieboer, R. Oostenbrink et al., "A closed testing
       procedure to select an appropriate method for updating prediction
       models", Statistics in Medicine 36, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer import TrAdaBoostClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(330, 2))
    >>> domain = np.r_[np.zeros(300), np.ones(30)].astype(int)
    >>> # the target's boundary is at right angles to the source's
    >>> y = np.where(domain == 0, X[:, 0] > 0, X[:, 1] > 0).astype(int)
    >>> clf = TrAdaBoostClassifier(n_estimators=20, random_state=0)
    >>> clf.fit(X, y, domain=domain).predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.n_rounds_  # kept by cross-validation over the 30 target rows
    13
    >>> # a boundary only tilted: boosting does not pay, the pooled fit is kept
    >>> y = np.where(domain == 0, X[:, 0] > 0, X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf.fit(X, y, domain=domain).n_rounds_
    1
    """

    _task = "classification"
    _xfail_checks = {
        "check_classifiers_classes": (
            "the check's last case has labels {-1, 1}; -1 marks an unlabeled row "
            "(scikit-learn's semi-supervised convention, which the check itself "
            "exempts for SelfTrainingClassifier), so one class is left and fit "
            "raises a ValueError telling to recode -1. The string-label cases of "
            "the check pass."
        ),
        **dict.fromkeys(
            [
                "check_sample_weight_equivalence_on_dense_data",
                "check_sample_weight_equivalence_on_sparse_data",
            ],
            (
                "the default base learner standardises the covariates before its "
                "logistic regression, and a Pipeline hands sample_weight to its "
                "last step only, so the scaler sees repeated rows, not weights. "
                "With a weight-aware learner integer weights equal repeated rows: "
                "tests/test_tradaboost.py checks it."
            ),
        ),
    }

    _parameter_constraints: dict = {
        **_BaseTrAdaBoost._parameter_constraints,
        "update": [StrOptions({"stabilised", "dai"})],
        "hypothesis": [StrOptions({"hard", "soft"})],
        "vote": [StrOptions({"hard", "soft"})],
        "calibration": [StrOptions({"closed_test"}), None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=50,
        target_weight=None,
        update="stabilised",
        hypothesis="hard",
        vote="soft",
        early_stopping="cv",
        cv=None,
        n_iter_no_change=10,
        calibration="closed_test",
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.target_weight = target_weight
        self.update = update
        self.hypothesis = hypothesis
        self.vote = vote
        self.early_stopping = early_stopping
        self.cv = cv
        self.n_iter_no_change = n_iter_no_change
        self.calibration = calibration
        self.random_state = random_state

    # -- the family's round ------------------------------------------------

    def _init_task(self, data):
        template = self._template()
        for option, what in ((self.hypothesis, "hypothesis"), (self.vote, "vote")):
            if option == "soft" and not hasattr(template, "predict_proba"):
                raise ValueError(
                    f"{what}='soft' uses the base learner's predict_proba, and "
                    f"{type(template).__name__} has none. Use {what}='hard', or a "
                    "learner with predict_proba (e.g. wrap it in "
                    "sklearn.calibration.CalibratedClassifierCV)."
                )
        self.classes_ = data["classes"]
        self.n_classes_ = int(self.classes_.shape[0])

    def _needs_cv(self):
        return self.early_stopping is not False or (
            self.calibration is not None and self.n_classes_ == 2
        )

    def _max_error(self):
        return 1.0 - 1.0 / self.n_classes_

    def _vote_weight(self, eps, n_t):
        # SAMME's term (Zhu et al. 2009); 0 for two classes
        offset = np.log(self.n_classes_ - 1.0)
        if self.update == "dai":
            return super()._vote_weight(eps, n_t) + offset
        # Smoothed as Schapire & Singer (1999, Sec. 4.2) smooth ln(W+ / W-):
        # an error of 0 becomes half a target row, delta = 1 / (2 n_t) of the
        # target weight, so ln((1 + delta) / delta) = ln(1 + 2 n_t); that is
        # the weight of an error e0 = 1 / (2 (n_t + 1)), and every smaller
        # error is floored there, so the vote weight never decreases as the
        # error falls (Algorithm 1 unchanged for errors >= e0). n_t counts the
        # target rows, so the scale of sample_weight does not matter.
        if eps >= 0.5 / (n_t + 1.0):
            return super()._vote_weight(eps, n_t) + offset
        return np.log1p(2.0 * n_t) + offset

    def _weak_round(self, iboost, row_error, eps, log_w, ctx):
        """No better than guessing on the target: vote 0, boosting goes on.

        The learner gets no vote (AdaBoost would discard it) and the source
        update is applied. While the target rows hold little weight the next
        learner barely changes and its target error is exactly 1/2: a fixed
        point. With ``update="stabilised"`` the target rows therefore restart
        from their initial weights with their total ``T`` raised to
        ``max(T, min(T / beta, S))`` (``S`` the source total). Without source
        rows nothing could change the next learner: AdaBoost's rule.
        """
        if ctx["n_source"] == 0:
            return super()._weak_round(iboost, row_error, eps, log_w, ctx)
        is_t, log_beta = ctx["is_t"], ctx["log_beta"]
        log_w = log_w.copy()
        log_w[~is_t] += row_error[~is_t] * log_beta
        if self.update == "stabilised":
            total_t = logsumexp(log_w[is_t])
            total_s = logsumexp(log_w[~is_t])
            log_w[is_t] = ctx["log_w0_t"] + max(
                total_t, min(total_t - log_beta, total_s)
            )
        return log_w, 0.0, eps

    def _hypothesis(self, learner, X, soft):
        """Class codes, or probabilities over all classes if ``soft``."""
        if soft:
            proba = np.asarray(learner.predict_proba(X), dtype=np.float64)
            if not np.isfinite(proba).all():
                raise ValueError(
                    f"{type(learner).__name__}.predict_proba returned non-finite "
                    "values. Use hypothesis='hard' and vote='hard', or a learner "
                    "whose probabilities are finite."
                )
            # columns follow the learner's classes_ (codes); a class it never
            # saw gets probability 0
            codes = np.asarray(learner.classes_).astype(np.intp, copy=False)
            out = np.zeros((proba.shape[0], self.n_classes_))
            out[:, codes] = proba
            return out
        return np.asarray(learner.predict(X)).astype(np.intp, copy=False)

    def _row_error(self, learner, X, y):
        h = self._hypothesis(learner, X, self.hypothesis == "soft")
        if h.ndim == 1:
            return (h != y).astype(np.float64)
        # |h_t(x) - c(x)| with h_t(x) = P(class 1) for two classes (Dai et al.
        # 2007, Algorithm 1; real-valued hypotheses, Freund & Schapire 1997,
        # Sec. 4): 1 - P(true class). For K > 2 the same, half the L1
        # distance to the one-hot label; clipped for rounding.
        return np.clip(1.0 - h[np.arange(y.shape[0]), y], 0.0, 1.0)

    def _vote_output(self, learner, X):
        return self._hypothesis(learner, X, self.vote == "soft")

    def _combine(self, preds, alphas, X):
        """Vote shares, sum 1.

        Vote weights summed per predicted class, or the vote-weighted mean of
        the probability vectors.
        """
        alphas = _vote_weights(alphas)
        n_samples = X.shape[0]
        shares = np.zeros((n_samples, self.n_classes_))
        rows = np.arange(n_samples)
        for a, h in zip(alphas, preds, strict=True):
            if a > 0:
                if h.ndim == 1:
                    shares[rows, h] += a
                else:
                    shares += a * h
        shares /= alphas.sum()
        return shares

    def _row_losses(self, run, y):
        """Brier score of each held-out row.

        Bounded and proper (Brier 1950): steadier than log-loss on a few
        rows when a hard vote says 0 or 1.
        """
        shares = self._staged_vote(run, len(run["preds"]))
        onehot = np.zeros_like(shares)
        onehot[np.arange(y.shape[0]), y] = 1.0
        return ((shares - onehot) ** 2).sum(axis=1)

    def _finish(self, oof, data):
        self.calibration_ = ("none", (0.0, 1.0))
        if oof is None or self.calibration is None or self.n_classes_ != 2:
            return
        rows = oof["rows"]
        method, coef = closed_test_recalibration(
            oof["vote"][:, 1], data["y"][rows], data["weight"][rows]
        )
        self.calibration_ = (method, coef)

    # -- prediction ----------------------------------------------------------

    def _shares(self, X, n_fitted=None):
        sl = self._vote_slice(n_fitted)
        preds = [self._vote_output(e, X) for e in self.estimators_[sl]]
        return self._combine(preds, self.estimator_weights_[sl], X)

    def _staged_shares(self, X):
        """Vote shares after each round, with a sliding window of voters."""
        preds = [self._vote_output(e, X) for e in self.estimators_]
        for n_fitted in range(1, len(preds) + 1):
            sl = self._vote_slice(n_fitted)
            yield self._combine(preds[sl], self.estimator_weights_[sl], X)

    def _calibrated(self, shares):
        if self.calibration_[0] == "none":
            return shares
        p1 = apply_recalibration(shares[:, 1], self.calibration_[1])
        return np.column_stack([1.0 - p1, p1])

    def _decision_from_shares(self, shares):
        if self.n_classes_ == 2:
            return shares[:, 1] - shares[:, 0]
        k = self.n_classes_
        # SAMME's symmetric coding: +1 for the voted class, -1/(K-1) otherwise
        return (k * shares - 1.0) / (k - 1.0)

    def _predict_from_shares(self, shares):
        if self.n_classes_ == 2:
            # Algorithm 1's output: class 1 when its vote is at least half
            return self.classes_[(shares[:, 1] >= shares[:, 0]).astype(np.intp)]
        return self.classes_[np.argmax(shares, axis=1)]

    def predict(self, X):
        """Predict classes: the most probable under :meth:`predict_proba`.

        With ``vote="hard"`` and no recalibration this is the paper's
        weighted vote of the last half of the learners.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._predict_from_shares(self.predict_proba(X))

    def predict_proba(self, X):
        """Class probabilities: the vote, recalibrated on the target.

        With ``vote="soft"`` the ``ln(1 / beta_t)``-weighted mean of the
        voters' probabilities; with ``vote="hard"`` the normalised vote
        shares, which rank rows but are not risks. For two classes, then
        mapped through the recalibration in ``calibration_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._calibrated(self._shares(self._check_X(X)))

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba` (``-inf`` for a class with no vote).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """Signed vote margin.

        For two classes, the vote share of ``classes_[1]`` minus that of
        ``classes_[0]``, in ``[-1, 1]``; ``>= 0`` predicts ``classes_[1]``.
        For ``K > 2`` classes, SAMME's symmetric coding of the shares,
        ``(K * share - 1) / (K - 1)``, summing to 0 over the classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to evaluate.

        Returns
        -------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._decision_from_shares(self.predict_proba(X))

    def staged_predict(self, X):
        """Predictions of the vote after each round.

        After ``T`` rounds the vote is that of learners ``ceil(T/2), ..., T``:
        the paper's output rule applied to the first ``T`` learners (a model
        refit with ``n_estimators=T`` would differ, since ``beta`` depends on
        the number of rounds).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
        """
        for shares in self._staged_shares(self._check_X(X)):
            yield self._predict_from_shares(shares)

    def staged_predict_proba(self, X):
        """Vote after each round, not recalibrated (see :meth:`staged_predict`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to predict.

        Yields
        ------
        proba : ndarray of shape (n_samples, n_classes)
        """
        yield from self._staged_shares(self._check_X(X))

    def staged_decision_function(self, X):
        """Decision function after each round (see :meth:`staged_predict`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to evaluate.

        Yields
        ------
        score : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        for shares in self._staged_shares(self._check_X(X)):
            yield self._decision_from_shares(shares)

    def score(self, X, y, *, domain=None, sample_weight=None):
        """Accuracy on the target population, by the library's score rule.

        Labeled target rows marked by ``domain`` -> plain accuracy on them.
        Without ``domain`` and with every row labeled, the rows given are the
        population of interest, so ``score(X_target, y_target)`` is the target
        accuracy. A booster has no density ratio to weight source rows with,
        so a ``domain`` that marks no labeled target row raises, and so does a
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
        from sklearn.metrics import accuracy_score

        return booster_score(
            self,
            X,
            y,
            domain=domain,
            sample_weight=sample_weight,
            metric=accuracy_score,
        )


# TrAdaBoost.R2 lives in its own module; the old import path keeps working
from ._tradaboost_r2 import TrAdaBoostRegressor  # noqa: E402, F401
