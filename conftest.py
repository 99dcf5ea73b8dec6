"""Repository-wide pytest setup (doctests in the package and tests)."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _numpy_scalar_repr():
    # doctests show 1.0, not np.float64(1.0), as scikit-learn's do (numpy 2
    # changed scalar reprs; numpy 1.x prints them that way already)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        np.set_printoptions(legacy="1.25")
        yield
        np.set_printoptions(legacy=False)
    else:
        yield


@pytest.fixture(autouse=True)
def _restore_sklearn_config():
    # A test cannot change the next one's configuration, nor can a peer it
    # imports: `import skada` switches metadata routing on for the process.
    import sklearn

    config = sklearn.get_config()
    yield
    sklearn.set_config(**config)


# Docstring examples that fit on make_covariate_shift's shifted default data
# with a weighter that leaves part of the shift by design: nearest-neighbour
# smoothing (a / (1 + a) of it, tests/test_nn_smoothing.py) and the relative
# ratio of RULSIF (alpha > 0). Every other example must run without the
# fit-time diagnostics.
_DOCTESTS_LEAVING_IMBALANCE = {
    "instransfer.density_ratio._nearest_neighbors.NearestNeighborWeighter",
    "instransfer.density_ratio._ulsif.RULSIF",
    "instransfer.density_ratio._ulsif.RULSIFCV",
}


def pytest_collection_modifyitems(items):
    """Mark the docstring examples above (a mark on a doctest needs a hook)."""
    for item in items:
        if item.name in _DOCTESTS_LEAVING_IMBALANCE:
            item.add_marker(
                pytest.mark.filterwarnings(
                    "ignore::instransfer.exceptions.ResidualImbalanceWarning"
                )
            )
