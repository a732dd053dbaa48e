#!/usr/bin/env bash
# npm run test:colo — the colo C++ library's own tests, as CI runs them:
#   1. the GoogleTest suite in the Release build (build/), through ctest;
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/), minus the
#      Wireshark cross-checks (they test Wireshark's reading of our bytes, not our memory safety);
#   3. each libFuzzer target (build-fuzz/, clang) from its committed corpus, for COLO_FUZZ_SECONDS
#      in all (default 30), split evenly. New inputs go to a scratch copy, never into the corpus.
# Installs what it needs from Debian (clang, libclang-rt-14-dev for libFuzzer; tshark for the
# cross-checks) when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
optional=0
source "$here/toolchain.sh"
jobs="${COLO_JOBS:-2}"
fuzz_seconds="${COLO_FUZZ_SECONDS:-30}"

need_packages cmake ninja-build g++ libgtest-dev libabsl-dev libssl-dev clang libclang-rt-14-dev tshark ||
  give_up "the colo test packages could not be installed"

log="$here/test.log"
: >"$log"
build() { # build DIR CMAKE-ARGS...
  local dir="$1"
  shift
  cmake -S "$here" -B "$dir" -G Ninja "$@" >>"$log" 2>&1 || { tail -30 "$log" >&2; give_up "cmake configure of $dir failed (log: native/colo/test.log)"; }
  cmake --build "$dir" -j "$jobs" >>"$log" 2>&1 || { grep -E -A5 'error|Error' "$log" | head -60 >&2; give_up "build of $dir failed (log: native/colo/test.log)"; }
}
run_ctest() { # run_ctest DIR LABEL CTEST-ARGS...
  local dir="$1" label="$2"
  shift 2
  local out
  if ! out="$(cd "$dir" && ctest --output-on-failure -j "$jobs" "$@" 2>&1)"; then
    # The failures' own lines first: with -j the failing test's output can be far from the end.
    echo "$out" | grep -E -A8 ': Failure|ERROR: AddressSanitizer|runtime error:' | head -80 >&2 || true
    echo "$out" | tail -30 >&2
    give_up "$label: GoogleTest failures"
  fi
  echo "[native/colo] $label: $(echo "$out" | grep -E 'tests passed' | tail -1)"
}

start=$(date +%s)
build "$here/build" -DCMAKE_BUILD_TYPE=Release -DCOLO_TESTS=ON -DCOLO_BENCH=ON \
  -DNODE_API_HEADERS_DIR="$root/node_modules/node-api-headers/include" \
  -DNODE_ADDON_API_DIR="$root/node_modules/node-addon-api" \
  -DNODE_INCLUDE_DIR="$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")"
run_ctest "$here/build" "GoogleTest (Release)"

build "$here/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCOLO_SANITIZE=ON -DCOLO_TESTS=ON -DCOLO_ADDON=OFF -DCOLO_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "$here/build-asan" "GoogleTest (ASan+UBSan)" -E Tshark

CXX=clang++ build "$here/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOLO_FUZZ=ON -DCOLO_ADDON=OFF -DCOLO_BENCH=OFF
mapfile -t targets < <(find "$here/build-fuzz" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x -printf '%f\n' | sort)
((${#targets[@]} > 0)) || give_up "no fuzz targets were built"
per=$((fuzz_seconds / ${#targets[@]}))
((per >= 1)) || per=1
mkdir -p "$here/fuzz/artifacts"
for t in "${targets[@]}"; do
  corpus="$here/fuzz/corpus/$t"
  [[ -d "$corpus" ]] || give_up "fuzz target $t has no committed corpus at native/colo/fuzz/corpus/$t"
  scratch="$(mktemp -d)"
  out="$("$here/build-fuzz/$t" "$scratch" "$corpus" -max_total_time="$per" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$here/fuzz/artifacts/$t-" -print_final_stats=1 2>&1)" || {
    echo "$out" | tail -40 >&2
    rm -rf "$scratch"
    give_up "fuzz target $t failed; the input is in native/colo/fuzz/artifacts/"
  }
  rm -rf "$scratch"
  runs="$(echo "$out" | sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' | tail -1)"
  cov="$(echo "$out" | grep -oE 'cov: [0-9]+' | tail -1)"
  echo "[native/colo] fuzz $t: ${runs:-?} inputs in ${per}s, ${cov:-cov: ?}, no crash"
done
echo "[native/colo] all colo tests passed in $(($(date +%s) - start))s"
