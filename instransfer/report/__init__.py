"""A shareable report of a weighting: one self-contained HTML page.

:func:`write_report` writes the question and the data, the shift test and
the overlap share, balance before and after weighting, the weights and their
effective sample size, collapsed subgroups and target performance, each
section closed by one plain sentence computed from its numbers.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "write_report": "._html",
        "imbalance_reasons": "._words",
    },
)
