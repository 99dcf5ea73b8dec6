"""Diagnostic plots of importance weights (matplotlib, an optional extra).

Nothing here imports matplotlib until a plot is drawn; without it, a plot
raises an ImportError that says ``pip install "instransfer[plot]"``. Every
function draws on ``ax`` when given (else on a new figure) and returns the
matplotlib Axes.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "love_plot": "._plots",
        "plot_weight_distribution": "._plots",
        "plot_domain_overlap": "._plots",
        "plot_ess_flatten": "._plots",
    },
)
