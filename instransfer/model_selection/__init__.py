"""Importance-weighted cross-validation: scorers, splitters, choosing ``flatten``."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "make_iw_scorer": "._scorer",
        "DomainStratifiedKFold": "._split",
        "ImportanceWeightedClassifierCV": "._iwcv",
        "ImportanceWeightedRegressorCV": "._iwcv",
    },
)
