"""The ``feature_scaling`` option shared by the kernel weighters."""

import numpy as np

from .. import _kernels
from ..utils._compat import StrOptions

FEATURE_SCALING_CONSTRAINT = [StrOptions({"none", "relevance"})]

# shared docstring text (``utils._docstrings.fill_doc(feature_scaling=...)``)
FEATURE_SCALING_DOC = """\
feature_scaling : {"none", "relevance"}, default="none"
    ``"none"``: one isotropic kernel width on the columns as given
    (standardise them first). ``"relevance"``: an ARD-like kernel, each
    column multiplied by its standardised shift in mean and SD between
    the domains (``instransfer._kernels.relevance_scales``), so the
    width is spent on the columns that move and columns that do not
    (irrelevant or unshifted) drop out; ``gamma``, ``centers`` and
    ``centers_`` are then in the scaled units, the factors in
    ``feature_scales_`` (``None`` with ``"none"``). Measured in
    ``benchmarks/results/kernel_defaults.md``."""


class FeatureScalingMixin:
    """Scale the columns before every kernel computation, in fit and after."""

    @property
    def _scale_sensitive(self):
        # one isotropic width: columns on very different scales deserve the
        # FeatureScaleWarning, unless the relevance scaling sets the scales
        return getattr(self, "feature_scaling", "none") != "relevance"

    def _scale_fit_inputs(self, X_source, X_target):
        Xs = np.asarray(X_source, dtype=np.float64)
        Xt = np.asarray(X_target, dtype=np.float64)
        if getattr(self, "feature_scaling", "none") != "relevance":
            self.feature_scales_ = None
            return Xs, Xt
        self.feature_scales_ = _kernels.relevance_scales(Xs, Xt)
        return Xs * self.feature_scales_, Xt * self.feature_scales_

    def _scaled(self, X):
        X = np.asarray(X, dtype=np.float64)
        scales = getattr(self, "feature_scales_", None)
        return X if scales is None else X * scales

    def _scaled_centers(self):
        if self.centers is None or getattr(self, "feature_scales_", None) is None:
            return self.centers
        return np.asarray(self.centers, dtype=np.float64) * self.feature_scales_
