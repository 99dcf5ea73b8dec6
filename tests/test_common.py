"""scikit-learn's common checks and our weighter checks over every estimator.

Estimators are discovered by walking the package, so a new one is checked
without anyone listing it here. Expected failures are declared on the class
(``_xfail_checks``), each with its reason.
"""

import pytest
import sklearn
from _helpers import ignore_diagnostics
from sklearn.utils.estimator_checks import parametrize_with_checks

from instransfer.base import BaseWeighter
from instransfer.utils.discovery import all_estimators
from instransfer.utils.estimator_checks import WEIGHTER_CHECKS

ESTIMATORS = [cls() for _, cls in all_estimators()]

# The checks feed random or degenerate data (and the weighter checks a
# deliberately shifted sample), on which the fit-time diagnostics are right to
# speak; these checks test the API, not the diagnostics (tests/test_diagnostics.py
# and each weighter's own tests do).
pytestmark = ignore_diagnostics(
    "ResidualImbalanceWarning",
    "NoOverlapWarning",
    "WeightConcentrationWarning",
    "UnboundedPredictionWarning",
)


# scikit-learn < 1.7 draws a binary-only estimator's labels as
# {y[0], y[0] + 1} (1.7 takes y.min() instead, scikit-learn PR #30775), so
# these checks hand a weighter domains such as {2, 3}, which name no source
# and target side; it refuses them with its clear ValueError. They pass from
# 1.7 on (CI runs both the oldest supported and the latest release).
_SKLEARN_LT_1_7 = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 7)
_DOMAIN_LABEL_CHECKS = {
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
}


def _expected_failed_checks(estimator):
    failed = dict(getattr(estimator, "_xfail_checks", {}))
    if _SKLEARN_LT_1_7 and isinstance(estimator, BaseWeighter):
        reason = (
            "scikit-learn < 1.7 draws binary labels {y[0], y[0] + 1}, not a 0/1 "
            "domain; the check passes from scikit-learn 1.7 on"
        )
        failed.update(dict.fromkeys(_DOMAIN_LABEL_CHECKS, reason))
    return failed


def _seeded(estimator):
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator


@pytest.mark.filterwarnings("ignore::instransfer._validation.NoTargetRowsWarning")
@pytest.mark.filterwarnings("ignore::instransfer._validation.NoDomainWarning")
@parametrize_with_checks(
    [_seeded(e) for e in ESTIMATORS], expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


WEIGHTERS = [e for e in ESTIMATORS if isinstance(e, BaseWeighter)]


@pytest.mark.parametrize("weighter", WEIGHTERS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("check", WEIGHTER_CHECKS, ids=lambda c: c.__name__)
def test_weighter_checks(weighter, check):
    reason = _expected_failed_checks(weighter).get(check.__name__)
    if reason is not None:
        pytest.xfail(reason)
    check(weighter)


def test_discovery_finds_the_contract():
    names = {name for name, _ in all_estimators()}
    assert {
        "ClassifierWeighter",
        "NearestNeighborWeighter",
        "ImportanceWeightedClassifier",
        "ImportanceWeightedRegressor",
    } <= names
    assert not any(n.startswith("Base") or n.startswith("_") for n in names)
    # every public estimator class of the package is found (a module that
    # failed to import would silently drop its estimators from the checks)
    from sklearn.base import BaseEstimator

    import instransfer

    public = {
        n
        for n in instransfer.__all__
        if isinstance(getattr(instransfer, n), type)
        and issubclass(getattr(instransfer, n), BaseEstimator)
        and not n.startswith("Base")
    }
    assert public <= names
