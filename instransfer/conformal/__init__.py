"""Weighted conformal prediction: intervals and sets valid on the target.

Split conformal prediction calibrated on held-out labeled *source* rows,
each weighted by the density ratio ``p_target(x) / p_source(x)``, with the
test point's own weight in the quantile (Tibshirani, Barber, Candès & Ramdas,
"Conformal prediction under covariate shift", NeurIPS 2019). Under covariate
shift and with the true ratio, the intervals (regression) and sets
(classification) cover the target's labels with probability ``>= 1 - alpha``.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "WeightedConformalRegressor": "._regression",
        "WeightedConformalClassifier": "._classification",
        "weighted_conformal_quantile": "._quantile",
        "min_calibration_rows": "._quantile",
    },
)
