"""The method pages state the defaults and solvers the code uses.

The numbers are read from the code objects and searched in the .rst text, so
a change on either side fails here until the other follows.
"""

import re
from pathlib import Path

import numpy as np

from instransfer._optim import _simplex
from instransfer.density_ratio import _kliep, _ulsif

METHODS = Path(__file__).resolve().parents[1] / "docs" / "methods"


def _text(name):
    # one line per paragraph: the rst wraps sentences anywhere
    return re.sub(r"\s+", " ", (METHODS / name).read_text())


def _grid_exponents():
    factors = np.asarray(_ulsif.DEFAULT_GAMMA_FACTORS)
    exponents = np.log2(factors)
    np.testing.assert_array_equal(exponents, np.round(exponents))  # powers of 2
    return int(exponents[0])


def _tops():
    """K of the default grid 2^lo..2^K at each row count where it changes."""
    tops, prev = {}, None
    for n in np.unique(np.geomspace(10, 1e6, 400).astype(int)):
        top = int(np.log2(_ulsif.default_gamma_factors(int(n))[-1]))
        if top != prev:
            tops[int(n)], prev = top, top
    return tops


def test_width_grid_of_the_pages_is_the_codes():
    lo = _grid_exponents()
    tops = _tops()
    ks = list(tops.values())
    grid = re.compile(rf"2\^\{{{lo}\}}, \\dots, 2\^\{{?K\}}?")
    lsif, kliep = _text("lsif.rst"), _text("kliep.rst")
    assert grid.search(lsif) and grid.search(kliep)
    # K = 3 up to 4 000 rows, 4 up to 16 000, 5 above: read from the code
    changes = sorted(tops)[1:]
    n4, n5 = (
        min(n for n in changes if tops[n] == ks[1]),
        min(n for n in changes if tops[n] == ks[2]),
    )
    # the first row count with the next K lies just above the stated bound
    bound4, bound5 = 4 * _ulsif._DEFAULT_TOP_ROWS, 16 * _ulsif._DEFAULT_TOP_ROWS
    assert bound4 <= n4 <= bound4 * 1.05 and bound5 <= n5 <= bound5 * 1.05

    def rows(n):
        return f"{n:,}".replace(",", " ")

    stated = (
        f":math:`K = {ks[0]}` up to {rows(bound4)} rows in the smaller domain, "
        f"{ks[1]} up to {rows(bound5)}, {ks[2]} above"
    )
    assert stated in lsif
    assert len(ks) == 3 and ks[-1] == int(np.log2(_ulsif.DEFAULT_GAMMA_FACTORS[-1]))


def test_regularisation_grid_of_the_page_is_the_codes():
    lams = np.log10(_ulsif.DEFAULT_REG_LAMBDAS)
    lo, hi = int(round(lams[0])), int(round(lams[-1]))
    assert rf"10^{{{lo}}}, \dots, 10^{{{hi}}}" in _text("lsif.rst")


def test_kliep_page_names_the_solver_the_code_uses():
    # the solver the code calls, and the name its docstring gives it
    assert _kliep.kliep_solve is _simplex.kliep_solve
    doc = " ".join(_simplex.kliep_solve.__doc__.split())
    assert doc.split(":")[0] == "Projected Newton" or "Projected Newton" in doc
    page = _text("kliep.rst")
    assert "solves it by a projected Newton method" in page
    assert "solves it by accelerated projected gradient" not in page
