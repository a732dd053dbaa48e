#!/usr/bin/env bash
# Creates the project-local venv .venv/research and installs research/requirements.txt into it.
# Idempotent: the sha256 of requirements.txt (and the interpreter version) is stored in the venv,
# and a re-run with both unchanged and a working interpreter does nothing.
# Usage: bash research/setup.sh [--force]      (PYTHON=/path/to/python3.11 to choose the interpreter,
#                                               VENV=/path to build the venv somewhere else, e.g. to time a fresh install)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VENV:-$here/../.venv/research}"
label="${VENV:-.venv/research}"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
start_ns=$(date +%s%N)

# Import names (not distribution names) that must be importable for the venv to count as ready.
modules='"itchcpp", "cvxpy", "clarabel", "osqp", "numpy", "scipy", "pytest", "sklearn", "lightgbm", "onnx", "onnxmltools", "onnxruntime", "pyarrow"'

elapsed() { echo "$(( ($(date +%s%N) - start_ns) / 1000000 )) ms"; }

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
fi
if [[ -z "$python" ]] || ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  echo "research/setup.sh: needs Python 3.11 (found: ${python:-none}${python:+ $("$python" -V 2>&1)}); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

want="$(sha256sum "$req" | cut -d' ' -f1) $("$python" -c 'import platform; print(platform.python_version())')"

# One setup at a time (two `alpha model train` at once on a fresh clone): the second waits, then finds
# the venv up to date, instead of installing into a venv the first is still creating ("No module named pip").
if command -v flock >/dev/null 2>&1; then
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
fi

if [[ "${1:-}" != "--force" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('"$modules"')) else 1)' 2>/dev/null; then
  echo "$label is up to date ($(elapsed))"
  exit 0
fi

if ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req"
"$venv/bin/python" -c 'import importlib, sys; [importlib.import_module(m) for m in ('"$modules"')]' \
  || { echo "research/setup.sh: installed, but an import failed (see above)" >&2; exit 1; }
echo "$want" > "$stamp"
echo "$label ready: $("$venv/bin/python" -c 'import cvxpy, clarabel, osqp, numpy, scipy, sklearn, lightgbm, onnx, onnxruntime, pyarrow as pa; print(f"cvxpy {cvxpy.__version__}, clarabel {clarabel.__version__}, osqp {osqp.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, lightgbm {lightgbm.__version__}, onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, pyarrow {pa.__version__}")') ($(elapsed))"
