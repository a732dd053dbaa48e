# Sourced by build.sh and test.sh: install missing Debian packages, report failures.

give_up() {
  if ((${optional:-0})); then
    echo "[native/colo] WARNING: $*; 'alpha itch' will not work until 'npm run build:native' succeeds" >&2
    exit 0
  fi
  echo "[native/colo] ERROR: $*" >&2
  exit 1
}

# need_packages PKG...: apt-get install those of PKG that dpkg does not list as installed.
NEED_PACKAGES_WHO="[native/colo]"
# shellcheck source=../../scripts/lib/need-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/need-packages.sh"
