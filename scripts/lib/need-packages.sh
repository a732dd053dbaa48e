# Sourced: need_packages PKG... installs with apt-get those of PKG that dpkg does not list as
# installed (sudo -n when not root), one apt-get at a time across the project's scripts (flock on
# /tmp/alpha-apt.lock: the colo build, the browser and the R data may be set up by parallel test
# workers). Messages start with $NEED_PACKAGES_WHO (default: the calling script's name).
need_packages() {
  local who="${NEED_PACKAGES_WHO:-$(basename "${BASH_SOURCE[1]:-$0}")}"
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "$who: apt-get not found; install ${missing[*]}" >&2; return 1; }
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "$who: need root to install ${missing[*]}" >&2; return 1; }
    sudo=(sudo -n)
  fi
  echo "$who: apt-get install ${missing[*]}" >&2
  local lock=(flock /tmp/alpha-apt.lock)
  local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}")
  "${lock[@]}" "${install[@]}" >/dev/null 2>&1 ||
    { "${lock[@]}" "${sudo[@]}" apt-get update -q >/dev/null 2>&1 && "${lock[@]}" "${install[@]}" >/dev/null; }
}
