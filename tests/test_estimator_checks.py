"""Our weighter checks must catch broken weighters (a check that cannot fail is
a defect)."""

import numpy as np
import pytest
from _helpers import ignore_diagnostics

from instransfer.density_ratio import NearestNeighborWeighter
from instransfer.utils.estimator_checks import (
    check_bad_input,
    check_flatten_and_clip,
    check_inputs_not_modified,
    check_row_order_invariance,
    check_weighter,
    check_weights_near_one_without_shift,
)

# The checks fit deliberately broken weighters on a deliberately shifted
# sample, where the fit-time diagnostics are right to speak; what is tested is
# whether the checks catch the breakage, not the diagnostics.
pytestmark = ignore_diagnostics(
    "ResidualImbalanceWarning",
    "NoOverlapWarning",
    "WeightConcentrationWarning",
)


class _NoisyWeighter(NearestNeighborWeighter):
    """Ignores the data: log-normal noise."""

    def _fit_log_ratio(self, X_source, X_target):
        return np.random.RandomState(X_source.shape[0]).normal(
            0, 1.5, X_source.shape[0]
        )

    def _log_ratio(self, X):
        return np.zeros(X.shape[0])


class _MutatingWeighter(NearestNeighborWeighter):
    def _fit_log_ratio(self, X_source, X_target):
        X_target[:] = 0  # writes into a view of the caller's array? must not
        return super()._fit_log_ratio(X_source, X_target)


class _IgnoresFlatten(NearestNeighborWeighter):
    def fit(self, X, y):
        flatten, self.flatten = self.flatten, 1.0
        try:
            return super().fit(X, y)
        finally:
            self.flatten = flatten


class _OrderDependent(NearestNeighborWeighter):
    def _fit_log_ratio(self, X_source, X_target):
        return np.linspace(-1, 1, X_source.shape[0])


def test_noise_is_caught_without_shift():
    with pytest.raises(AssertionError, match="effective sample size"):
        check_weights_near_one_without_shift(_NoisyWeighter())


def test_ignored_flatten_is_caught():
    with pytest.raises(AssertionError):
        check_flatten_and_clip(_IgnoresFlatten())


def test_row_order_dependence_is_caught():
    with pytest.raises(AssertionError, match="row order"):
        check_row_order_invariance(_OrderDependent())


def test_inputs_are_copied_before_the_algorithm_sees_them():
    # validation hands the algorithm its own copy of the rows (boolean masks
    # copy), so even a careless subclass cannot write into the user's X
    check_inputs_not_modified(_MutatingWeighter())


def test_bad_input_check_runs_and_the_real_weighters_pass():
    check_bad_input(NearestNeighborWeighter())
    check_weighter(NearestNeighborWeighter())
