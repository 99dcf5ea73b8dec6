import os

# Thread pools pinned before numpy loads: 2 shared cores, OpenMP learners.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402


@pytest.fixture
def shift_data():
    from instransfer.datasets import make_covariate_shift

    return make_covariate_shift(400, 300, 2, shift=0.7, random_state=0)
