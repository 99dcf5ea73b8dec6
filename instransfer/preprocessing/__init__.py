"""Encoding of mixed-type covariate tables for the weighters."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "CovariateEncoder": "._encoder",
        "id_like_columns": "._encoder",
    },
)
