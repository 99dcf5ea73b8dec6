"""The optimisation solvers of the kernel weighters, in one place.

- :mod:`._kmm_qp`: the box-and-slab quadratic programme of Kernel Mean
  Matching (primal-dual active set, interior-point fallback, certified
  duality gap), on the Gram operators of :mod:`._gram`;
- :mod:`._simplex`: KLIEP's maximum mean log-likelihood over the
  probability simplex (projected Newton, certified Frank-Wolfe gap).

uLSIF/RuLSIF need no iterative solver (a ridge system in closed form).
"""

from ._gram import DenseGram, LowRankGram
from ._kmm_qp import slab_bounds, solve_kmm_qp
from ._simplex import kliep_solve, project_simplex, simplex_qp

__all__ = [
    "DenseGram",
    "LowRankGram",
    "kliep_solve",
    "project_simplex",
    "simplex_qp",
    "slab_bounds",
    "solve_kmm_qp",
]
