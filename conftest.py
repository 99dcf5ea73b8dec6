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
