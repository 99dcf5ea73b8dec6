"""Data sets: covariate-shift problems with known ratios, and real cohorts."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "make_covariate_shift": "._synthetic",
        "gaussian_log_ratio": "._synthetic",
    },
)
