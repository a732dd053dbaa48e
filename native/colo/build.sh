#!/usr/bin/env bash
# Builds native/colo in Release: the library, the Node addon (copied to native/colo/colo.node), colo_venue, colo_fastpath,
# colo_bench and the GoogleTest suite. Missing Debian build packages (cmake, ninja, g++,
# GoogleTest, Abseil, OpenSSL) are installed with apt-get (as root, or with sudo -n).
#   --optional  when the toolchain cannot be had, warn and exit 0 (npm ci: `npm start` does not
#               need the addon); without it (npm test, build:native) that is an error.
#   --addon     build only colo.node and colo_venue (what `npm ci` needs; test.sh builds the rest).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
optional=0
addon_only=0
for arg in "$@"; do
  case "$arg" in
    --optional) optional=1 ;;
    --addon) addon_only=1 ;;
    *) echo "[native/colo] unknown flag $arg (accepted: --optional --addon)" >&2; exit 2 ;;
  esac
done
source "$here/toolchain.sh"

need_packages cmake ninja-build g++ libgtest-dev libabsl-dev libssl-dev || give_up "the colo build packages could not be installed"

if ((addon_only)); then what=(-DCOLO_TESTS=OFF -DCOLO_BENCH=OFF); target=(--target colo_addon colo_venue); else what=(-DCOLO_TESTS=ON -DCOLO_BENCH=ON); target=(); fi
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${what[@]}" \
  -DNODE_API_HEADERS_DIR="$root/node_modules/node-api-headers/include" \
  -DNODE_ADDON_API_DIR="$root/node_modules/node-addon-api" \
  -DNODE_INCLUDE_DIR="$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")" >"$here/build.log" 2>&1 ||
  { tail -30 "$here/build.log" >&2; give_up "cmake configure failed (log: native/colo/build.log)"; }
cmake --build "$here/build" "${target[@]}" -j "${COLO_JOBS:-2}" >>"$here/build.log" 2>&1 ||
  { grep -E -A5 'error|Error' "$here/build.log" | head -60 >&2; give_up "the colo build failed (log: native/colo/build.log)"; }
cp "$here/build/colo.node" "$here/colo.node.tmp" && mv "$here/colo.node.tmp" "$here/colo.node"
if ((addon_only)); then echo "[native/colo] built colo.node and colo_venue" >&2; else echo "[native/colo] built colo.node, colo_bench, colo_venue, colo_fastpath and colo_tests" >&2; fi
