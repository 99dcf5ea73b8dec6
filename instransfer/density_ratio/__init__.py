"""Density-ratio weighters: ``p_target(x) / p_source(x)`` for source rows."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "ClassifierWeighter": "._classifier",
        "NearestNeighborWeighter": "._nearest_neighbors",
        "ULSIF": "._ulsif",
        "ULSIFCV": "._ulsif",
        "RULSIF": "._ulsif",
        "RULSIFCV": "._ulsif",
        "KLIEP": "._kliep",
        "KLIEPCV": "._kliep",
        "KMM": "._kmm",
        "EntropyBalancing": "._entropy",
        "SaturatedProbabilityWarning": "..exceptions",
    },
)
