"""Shared docstring text: one source, filled at import, nothing left unfilled."""

import re
import textwrap

import pytest

import instransfer as it
from instransfer.utils._docstrings import PARAMS, fill_doc
from instransfer.utils.discovery import all_estimators

_LEFT = re.compile(r"%\(\w+\)s|\{common\}|\{feature_scaling\}")


def _docs(cls):
    yield cls.__name__, cls.__doc__ or ""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        try:
            member = getattr(cls, name)
        except AttributeError:
            continue
        yield f"{cls.__name__}.{name}", getattr(member, "__doc__", None) or ""


@pytest.mark.parametrize("cls", [c for _, c in all_estimators()], ids=str)
def test_no_marker_is_left_unfilled(cls):
    for where, doc in _docs(cls):
        assert not _LEFT.search(doc), where


def test_shared_paragraphs_are_the_same_text_everywhere():
    score = textwrap.indent(PARAMS["score_params"], " " * 8)
    for cls in (
        it.ImportanceWeightedClassifier,
        it.ImportanceWeightedRegressor,
        it.conformal.WeightedConformalClassifier,
        it.conformal.WeightedConformalRegressor,
        it.calibration.ImportanceWeightedCalibratedClassifier,
    ):
        assert score in cls.score.__doc__, cls.__name__
    transform = textwrap.indent(PARAMS["weight_transform"], " " * 4)
    for cls in (it.ClassifierWeighter, it.KLIEP, it.ULSIFCV, it.KMM):
        assert transform in cls.__doc__, cls.__name__
    domain = textwrap.indent(PARAMS["fit_domain"], " " * 8)
    for cls in (
        it.ImportanceWeightedClassifier,
        it.ImportanceWeightedClassifierCV,
        it.conformal.WeightedConformalRegressor,
    ):
        assert domain in cls.fit.__doc__, cls.__name__


def test_fill_doc_touches_only_whole_line_markers():
    @fill_doc(extra="a : int\n    An extra paragraph.")
    def f():
        """Sum.

        Parameters
        ----------
        %(extra)s
        %(fit_domain)s

        Notes
        -----
        Labels in {0, 1}; 5 %(of)s the rows, inline, stay as written.
        """

    assert "        a : int\n            An extra paragraph.\n" in f.__doc__
    assert "        domain : array-like" in f.__doc__
    assert "{0, 1}; 5 %(of)s the rows" in f.__doc__
    with pytest.raises(KeyError, match="nothing_like_this"):
        fill_doc(type("C", (), {"__doc__": "    %(nothing_like_this)s\n"}))
