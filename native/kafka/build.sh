#!/usr/bin/env bash
# Builds native/kafka/rdkafka.node, the librdkafka binding of the Kafka edges. librdkafka comes from
# the system (Debian's librdkafka-dev); when pkg-config cannot find it, it is installed with apt
# (as root, or with sudo -n).
#   --optional  when librdkafka cannot be had, warn and exit 0 (npm ci: `npm start` needs no Kafka);
#               without it (npm test, build:native) that is an error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
optional=0
[[ "${1:-}" == "--optional" ]] && optional=1

give_up() {
  if ((optional)); then
    echo "[native/kafka] WARNING: $*; the Kafka edges will not work until 'npm run build:native' succeeds" >&2
    exit 0
  fi
  echo "[native/kafka] ERROR: $*" >&2
  exit 1
}

if ! pkg-config --exists rdkafka 2>/dev/null; then
  command -v apt-get >/dev/null 2>&1 || give_up "librdkafka (pkg-config rdkafka) is missing and apt-get is not available"
  sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || give_up "librdkafka-dev is missing: install it as root (apt-get install librdkafka-dev pkg-config)"
    sudo=(sudo -n)
  fi
  echo "[native/kafka] installing librdkafka-dev and pkg-config with apt-get" >&2
  install() { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends librdkafka-dev pkg-config >/dev/null; }
  install || { "${sudo[@]}" apt-get update -q >/dev/null && install; } || give_up "apt-get install librdkafka-dev pkg-config failed"
fi

CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" npx napi build --release --manifest-path native/kafka/Cargo.toml \
  --config-path native/kafka/napi.json --output-dir native/kafka --dts rdkafka.d.ts
