"""instransfer: instance-weighting transfer learning for tabular data.

Data convention: one stacked ``X`` holding source and target rows and a 1-D
``domain`` (0 source, 1 target). Weights have mean 1 over the source rows.
"""

from ._lazy import attach

__version__ = "0.1.0.dev0"

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        # the contract
        "BaseWeighter": ".base",
        "ImportanceWeightedClassifier": "._importance_weighted",
        "ImportanceWeightedRegressor": "._importance_weighted",
        "importance_weights": "._importance_weighted",
        "stack_domains": ".utils._domain",
        # weighters
        "ClassifierWeighter": ".density_ratio",
        "NearestNeighborWeighter": ".density_ratio",
        "ULSIF": ".density_ratio",
        "ULSIFCV": ".density_ratio",
        "RULSIF": ".density_ratio",
        "RULSIFCV": ".density_ratio",
        "KLIEP": ".density_ratio",
        "KLIEPCV": ".density_ratio",
        "KMM": ".density_ratio",
        "EntropyBalancing": ".density_ratio",
        # boosting
        "TrAdaBoostClassifier": ".boosting",
        "TrAdaBoostRegressor": ".boosting",
        "TwoStageTrAdaBoostRegressor": ".boosting",
        # choosing how much to weight
        "ImportanceWeightedClassifierCV": ".model_selection",
        "ImportanceWeightedRegressorCV": ".model_selection",
        # encoding mixed-type tables
        "CovariateEncoder": ".preprocessing",
        # valid on the target: conformal prediction, calibration
        "WeightedConformalRegressor": ".conformal",
        "WeightedConformalClassifier": ".conformal",
        "ImportanceWeightedCalibratedClassifier": ".calibration",
        # warnings
        "NoTargetRowsWarning": ".exceptions",
        "FeatureScaleWarning": ".exceptions",
        "NoDomainWarning": ".exceptions",
        # subpackages
        "boosting": ".boosting",
        "calibration": ".calibration",
        "conformal": ".conformal",
        "datasets": ".datasets",
        "exceptions": ".exceptions",
        "SaturatedProbabilityWarning": ".exceptions",
        "LowEffectiveSampleSizeWarning": ".exceptions",
        "UnboundedPredictionWarning": ".exceptions",
        "UnreachableClipWarning": ".exceptions",
        "NoOverlapWarning": ".exceptions",
        "ResidualImbalanceWarning": ".exceptions",
        "WeightConcentrationWarning": ".exceptions",
        "density_ratio": ".density_ratio",
        "metrics": ".metrics",
        "report": ".report",
        "model_selection": ".model_selection",
        "plotting": ".plotting",
        "preprocessing": ".preprocessing",
        "survival": ".survival",
        "utils": ".utils",
    },
)
