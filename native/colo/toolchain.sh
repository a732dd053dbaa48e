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
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "[native/colo] apt-get not found; install ${missing[*]}" >&2; return 1; }
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "[native/colo] need root to install ${missing[*]}" >&2; return 1; }
    sudo=(sudo -n)
  fi
  echo "[native/colo] apt-get install ${missing[*]}" >&2
  local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}")
  "${install[@]}" >/dev/null 2>&1 || { "${sudo[@]}" apt-get update -q >/dev/null 2>&1 && "${install[@]}" >/dev/null; }
}
