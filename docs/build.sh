#!/usr/bin/env bash
# Build the documentation with warnings as errors, as CI does.
#
#   bash docs/build.sh              # HTML in docs/_build/html
#   PYTHON=/path/to/python bash docs/build.sh
#
# Installs nothing: the interpreter must have the docs extra
# (pip install -e ".[docs]"). Examples run single-threaded with the Agg
# backend. Extra arguments are passed to sphinx-build (e.g. -D plot_gallery=0
# to skip running the examples).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python}"

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export MPLBACKEND=Agg PYTHONHASHSEED=0

start=$(date +%s)
# -E: read every source afresh, so warnings of unchanged pages are reported
# again; the examples' outputs are still reused when their code is unchanged.
"$PYTHON" -m sphinx -W --keep-going -E -b html "$@" "$here" "$here/_build/html"
echo "docs built in $(( $(date +%s) - start )) s: $here/_build/html/index.html"
