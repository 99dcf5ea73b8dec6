"""Helpers shared by the test modules (import with ``from _helpers import ...``).

One copy of each: a fix or a changed convention lands everywhere at once.
"""

import numpy as np


def nmse(estimate, truth):
    """Normalised MSE of a ratio estimate, both scaled to mean 1.

    The project's convention (``benchmarks/_harness.nmse`` is the same):
    ``mean((w_hat - w)^2) / mean(w^2)`` after dividing each by its mean.
    """
    estimate = np.asarray(estimate, float) / np.mean(estimate)
    truth = np.asarray(truth, float) / np.mean(truth)
    return float(np.mean((estimate - truth) ** 2) / np.mean(truth**2))


def masked(data, task="classification"):
    """``data.y`` with the target rows unlabeled (``-1``, or ``NaN`` for regression)."""
    if task == "regression":
        return np.where(data.domain == 1, np.nan, data.y)
    return np.where(data.domain == 1, -1, data.y)


def split_domains(data):
    """Source and target rows of a stacked dataset: ``(X_source, X_target)``."""
    source = data.domain == 0
    return data.X[source], data.X[~source]


def ignore_diagnostics(*names):
    """``pytestmark`` marks that let the named fit-time diagnostics pass.

    For modules whose data make the diagnostics legitimately speak (say why
    beside the call); every other test keeps them as errors (pyproject.toml).
    """
    import pytest

    return [
        pytest.mark.filterwarnings(f"ignore::instransfer.exceptions.{name}")
        for name in names
    ]
