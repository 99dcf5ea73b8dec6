"""The structure the library is built on: the weighter hook, cross-fitting,
the domain-aware meta-estimator base and the layering of the modules."""

import numpy as np
import pytest

import instransfer as it
from instransfer.datasets import make_covariate_shift
from instransfer.utils._crossfit import domain_folds


def _interleave(data, seed=0):
    """The rows with the domains mixed, each domain's rows in their own order."""
    domain = np.random.RandomState(seed).permutation(data.domain)
    perm = np.empty_like(domain)
    perm[domain == 0] = np.flatnonzero(data.domain == 0)
    perm[domain == 1] = np.flatnonzero(data.domain == 1)
    return perm, data.X[perm], domain


def test_domain_folds_do_not_depend_on_how_the_domains_interleave():
    data = make_covariate_shift(n_source=40, n_target=30, random_state=0)
    perm, _, domain = _interleave(data)
    stacked = domain_folds(data.domain == 1, 5, 3)
    mixed = domain_folds(domain == 1, 5, 3)
    for (tr_a, te_a), (tr_b, te_b) in zip(stacked, mixed, strict=True):
        # the same original rows land in the same fold
        np.testing.assert_array_equal(np.sort(perm[te_b]), te_a)
        np.testing.assert_array_equal(np.sort(perm[tr_b]), tr_a)
        assert np.intersect1d(tr_a, te_a).size == 0
    assert np.array_equal(
        np.sort(np.concatenate([te for _, te in stacked])), np.arange(70)
    )


@pytest.mark.parametrize("cv", [None, 5])
def test_classifier_weighter_gives_each_source_row_its_weight_however_the_domains_mix(
    cv,
):
    # the cross-fitted weights follow the rows however the domains are mixed:
    # the weighter works on the stacked rows as passed, without re-stacking
    data = make_covariate_shift(n_source=120, n_target=80, random_state=1)
    perm, X, domain = _interleave(data, seed=2)
    ref = it.ClassifierWeighter(cv=cv, random_state=0).fit(data.X, data.domain)
    got = it.ClassifierWeighter(cv=cv, random_state=0).fit(X, domain)
    source_order = perm[domain == 0]  # original index of each source row
    np.testing.assert_allclose(got.weights_, ref.weights_[source_order], rtol=1e-6)
    assert not hasattr(got, "_fit_domain") and not hasattr(got, "domain_")


def test_kliepcv_user_splitter_sees_the_rows_as_passed():
    from sklearn.model_selection import KFold

    data = make_covariate_shift(n_source=60, n_target=40, random_state=0)
    _, X, domain = _interleave(data)
    seen = []

    class Spy(KFold):
        def split(self, X, y=None, groups=None):
            seen.append((np.asarray(X).copy(), np.asarray(y).copy()))
            return super().split(X, y, groups)

    wtr = it.KLIEPCV(gammas=[0.5, 1.0], cv=Spy(3), random_state=0).fit(X, domain)
    np.testing.assert_array_equal(seen[0][0], X)
    np.testing.assert_array_equal(seen[0][1], domain)
    assert not hasattr(wtr, "_fit_domain")


def test_iwcv_estimators_are_the_weighted_estimators():
    # as LogisticRegressionCV subclasses LogisticRegression
    assert issubclass(
        it.ImportanceWeightedClassifierCV, it.ImportanceWeightedClassifier
    )
    assert issubclass(it.ImportanceWeightedRegressorCV, it.ImportanceWeightedRegressor)


def test_old_import_paths_still_work():
    import instransfer.base as base

    assert base.ImportanceWeightedClassifier is it.ImportanceWeightedClassifier
    assert base.ImportanceWeightedRegressor is it.ImportanceWeightedRegressor
    assert base.stack_domains is it.stack_domains
    assert base.importance_weights is it.importance_weights
    from instransfer._validation import check_domain, resolve_rows, unlabeled_mask
    from instransfer.utils import _domain

    assert check_domain is _domain.check_domain
    assert resolve_rows is _domain.resolve_rows
    assert unlabeled_mask is _domain.unlabeled_mask


def test_the_contract_does_not_import_what_is_built_on_it():
    import subprocess
    import sys

    code = (
        "import sys, instransfer.base; "
        "print(any(m.startswith(('instransfer._importance_weighted', "
        "'instransfer.density_ratio', 'instransfer.model_selection')) "
        "for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_a_peer_that_flips_global_config_on_import(tmp_path, monkeypatch):
    # as skada does at import; the autouse fixture undoes it after this test
    import importlib

    import sklearn

    (tmp_path / "flipping_peer.py").write_text(
        "import sklearn\nsklearn.set_config(enable_metadata_routing=True)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("flipping_peer")
    assert sklearn.get_config()["enable_metadata_routing"]


def test_cannot_leak_into_the_next_test():
    import sklearn

    assert not sklearn.get_config()["enable_metadata_routing"]


def test_weighted_fit_routes_with_routing_on_or_off():
    # the demo's pipelines get their weights through the library's helper,
    # which routes by request when metadata routing is on
    from sklearn import config_context
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from instransfer.utils._routing import fit_weighted

    data = make_covariate_shift(n_source=80, n_target=40, random_state=0)
    w = np.random.RandomState(0).uniform(0.1, 3, data.X.shape[0])
    ref = LogisticRegression().fit(data.X, data.y, sample_weight=w)
    for routing in (False, True):
        with config_context(enable_metadata_routing=routing):
            model = make_pipeline(
                StandardScaler(with_mean=False, with_std=False), LogisticRegression()
            )
            fit_weighted(model, data.X, data.y, w)
        np.testing.assert_allclose(model[-1].coef_, ref.coef_, rtol=1e-6)


def test_classifier_weighter_cross_fits_over_any_splitter():
    from sklearn.model_selection import ShuffleSplit, StratifiedKFold

    data = make_covariate_shift(n_source=100, n_target=60, random_state=0)
    is_target = data.domain == 1
    # cv=5 is these folds: the same weights from the splits given as a list
    seed = int(np.random.RandomState(0).randint(np.iinfo(np.int32).max))
    folds = domain_folds(is_target, 5, seed)
    by_int = it.ClassifierWeighter(cv=5, random_state=0).fit(data.X, data.domain)
    by_list = it.ClassifierWeighter(cv=folds, random_state=0).fit(data.X, data.domain)
    np.testing.assert_allclose(by_list.weights_, by_int.weights_)
    splitter = StratifiedKFold(4, shuffle=True, random_state=1)
    by_splitter = it.ClassifierWeighter(cv=splitter, random_state=0)
    w = by_splitter.fit(data.X, data.domain).weights_
    assert w.shape == (100,) and np.isclose(w.mean(), 1.0)
    assert not np.allclose(w, by_int.weights_)  # other folds, other weights
    # every source row needs exactly one held-out prediction
    with pytest.raises(ValueError, match="exactly one test fold"):
        it.ClassifierWeighter(cv=ShuffleSplit(3, random_state=0)).fit(
            data.X, data.domain
        )
