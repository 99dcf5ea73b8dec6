"""Scale-out on Dask: the same estimators on dask arrays and DataFrames.

Nothing here is imported by ``import instransfer``: the estimators dispatch to
it when they are given a dask collection (see :doc:`/at_scale`).
"""

from ._input import SAMPLE_ROWS, is_dask_collection

__all__ = ["SAMPLE_ROWS", "is_dask_collection"]
