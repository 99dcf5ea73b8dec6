"""Transfer boosting: TrAdaBoost and its regression versions.

Estimators that learn from a large labeled source sample and a few labeled
target rows, stacked in one ``X`` with a ``domain`` vector (0 source,
1 target), by boosting away the source rows the target disagrees with.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "TrAdaBoostClassifier": "._tradaboost",
        "TrAdaBoostRegressor": "._tradaboost_r2",
        "TwoStageTrAdaBoostRegressor": "._two_stage",
    },
)
