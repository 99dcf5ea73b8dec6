"""Fit parameters reach the wrapped estimator (routing off and on)."""

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import instransfer as it


@pytest.fixture(scope="module")
def data():
    d = it.datasets.make_covariate_shift(n_source=400, n_target=200, random_state=0)
    y_masked = np.where(d.domain == 1, -1, d.y)
    src = np.flatnonzero(d.domain == 0)
    return d, y_masked, src


def _sgd():
    # one epoch from a given start: the result depends on coef_init
    return SGDClassifier(max_iter=1, tol=None, shuffle=False, random_state=0)


def _reference(d, src, model, coef_init):
    # the same SGD fit by hand on the labeled source rows and the model's weights
    return (
        _sgd()
        .fit(d.X[src], d.y[src], coef_init=coef_init, sample_weight=model.weights_)
        .coef_
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_params_reach_a_plain_estimator_routing_off(data):
    d, y_masked, src = data
    start = np.full((1, d.X.shape[1]), 3.0)
    model = it.ImportanceWeightedClassifier(_sgd(), random_state=0)
    model.fit(d.X, y_masked, coef_init=start)
    np.testing.assert_allclose(model.estimator_.coef_, _reference(d, src, model, start))
    plain = it.ImportanceWeightedClassifier(_sgd(), random_state=0).fit(d.X, y_masked)
    assert not np.allclose(plain.estimator_.coef_, model.estimator_.coef_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_params_reach_a_pipeline_step_routing_off(data):
    d, y_masked, _ = data
    start = np.full((1, d.X.shape[1]), 3.0)
    pipe = make_pipeline(StandardScaler(), _sgd())
    model = it.ImportanceWeightedClassifier(pipe, random_state=0)
    model.fit(d.X, y_masked, sgdclassifier__coef_init=start)
    plain = it.ImportanceWeightedClassifier(pipe, random_state=0).fit(d.X, y_masked)
    assert not np.allclose(plain.estimator_[-1].coef_, model.estimator_[-1].coef_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_params_are_routed_when_requested(data):
    d, y_masked, src = data
    start = np.full((1, d.X.shape[1]), 3.0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = _sgd().set_fit_request(coef_init=True, sample_weight=True)
        model = it.ImportanceWeightedClassifier(est, random_state=0)
        model.fit(d.X, y_masked, coef_init=start)
        np.testing.assert_allclose(
            model.estimator_.coef_, _reference(d, src, model, start)
        )
        # scikit-learn's own error when the estimator did not ask for it
        with pytest.raises(UnsetMetadataPassedError, match="coef_init"):
            it.ImportanceWeightedClassifier(_sgd()).fit(d.X, y_masked, coef_init=start)
        routing = model.get_metadata_routing()
        assert "coef_init" in str(routing) and "domain" in str(routing)


def _xgb():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBClassifier(
        n_estimators=300, early_stopping_rounds=5, n_jobs=1, verbosity=0
    )


@pytest.mark.parametrize("routing", [False, True])
def test_xgboost_early_stopping_through_the_wrapper(data, routing):
    d, y_masked, src = data
    val = src[:100]  # an eval set drawn from the labeled source
    Xv, yv = d.X[val], d.y[val]
    with sklearn.config_context(enable_metadata_routing=routing):
        est = _xgb()
        if routing:
            est.set_fit_request(
                eval_set=True, sample_weight_eval_set=True, verbose=True
            )
        model = it.ImportanceWeightedClassifier(est, random_state=0)
        model.fit(d.X, y_masked, eval_set=[(Xv, yv)], verbose=False)
        first = model.estimator_
        assert first.best_iteration < 299  # stopped early on the eval set
        # the documented recipe: weigh the eval rows like the fit rows
        w_val = model.importance_weights(Xv)
        model.fit(
            d.X,
            y_masked,
            eval_set=[(Xv, yv)],
            sample_weight_eval_set=[w_val],
            verbose=False,
        )
    # the weighted eval loss is the importance-weighted log-loss of the rows
    from sklearn.metrics import log_loss

    best = model.estimator_.best_iteration
    loss = model.estimator_.evals_result()["validation_0"]["logloss"][best]
    proba = model.estimator_.predict_proba(Xv, iteration_range=(0, best + 1))
    assert loss == pytest.approx(log_loss(yv, proba, sample_weight=w_val), rel=1e-4)


class _Recorder(SGDClassifier):
    """Records the extra fit parameters of every fit (in this process)."""

    calls = []

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        _Recorder.calls.append(
            (X.shape[0], None if coef_init is None else float(coef_init.flat[0]))
        )
        # a copy: SGDClassifier updates coef_init in place
        return super().fit(
            X,
            y,
            coef_init=None if coef_init is None else coef_init.copy(),
            intercept_init=intercept_init,
            sample_weight=sample_weight,
        )


def _cv_model(estimator, **params):
    weighter = it.ClassifierWeighter(cv="in_sample", random_state=0)
    return it.ImportanceWeightedClassifierCV(
        estimator, weighter, flattens=(0.0, 1.0), cv=3, n_repeats=1, **params
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("routing", [False, True])
def test_cv_passes_fit_params_to_every_fold_and_the_final_fit(data, routing):
    d, y_masked, src = data
    start = np.full((1, d.X.shape[1]), 3.0)
    est = _Recorder(max_iter=1, tol=None, shuffle=False, random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            est.set_fit_request(coef_init=True, sample_weight=True)
        _Recorder.calls = []
        model = _cv_model(est).fit(d.X, y_masked, coef_init=start)
    # 3 folds x 2 candidates, then the final fit on all labeled source rows
    assert len(_Recorder.calls) == 7
    assert all(c == 3.0 for _, c in _Recorder.calls)
    assert _Recorder.calls[-1][0] == src.shape[0]
    # the final model is the parent's fit with the same parameters
    parent = it.ImportanceWeightedClassifier(
        _sgd(),
        it.ClassifierWeighter(cv="in_sample", random_state=0),
        flatten=model.flatten_,
    ).fit(d.X, y_masked, coef_init=start)
    np.testing.assert_allclose(model.estimator_.coef_, parent.estimator_.coef_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_cv_fit_params_change_the_fit_and_unrequested_ones_are_refused(data):
    d, y_masked, _ = data
    start = np.full((1, d.X.shape[1]), 3.0)
    plain = _cv_model(_sgd()).fit(d.X, y_masked)
    started = _cv_model(_sgd()).fit(d.X, y_masked, coef_init=start)
    assert not np.allclose(plain.scores_, started.scores_)
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError, match="coef_init"):
            _cv_model(_sgd()).fit(d.X, y_masked, coef_init=start)


def test_cv_passes_xgboost_eval_set(data):
    d, y_masked, src = data
    val = src[:100]
    model = _cv_model(_xgb()).fit(
        d.X, y_masked, eval_set=[(d.X[val], d.y[val])], verbose=False
    )
    assert model.estimator_.best_iteration < 299  # stopped early on the eval set
