# Sourced: cached_venv VENV PYTHON REQUIREMENTS CACHE HOW makes VENV a venv of PYTHON (again when its
# interpreter does not start) and installs REQUIREMENTS from the wheels in CACHE, with no index. What
# the cache lacks is fetched into it first: HOW is `download` (pip download: the wheels as published)
# or `wheel` (pip wheel: a source archive, such as pyspark's, built into a wheel once). So a second
# install, a fresh venv or another worktree sharing the cache, needs no network. Fails (returns 1)
# with the reason on stderr, prefixed by $CACHED_VENV_WHO (default: the calling script's name).
cached_venv() {
  local venv="$1" python="$2" req="$3" cache="$4" how="$5"
  local who="${CACHED_VENV_WHO:-$(basename "${BASH_SOURCE[1]:-$0}")}"
  local pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input -q)
  mkdir -p "$cache"
  if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$venv"
    "$python" -m venv "$venv" || { echo "$who: could not make a venv with $python" >&2; return 1; }
  fi
  "${pip[@]}" install --no-index --find-links "$cache" -r "$req" 2>/dev/null && return 0
  case "$how" in
    download) "${pip[@]}" download -d "$cache" -r "$req" ;;
    wheel) "${pip[@]}" wheel -w "$cache" -r "$req" ;;
    *) false ;;
  esac || { echo "$who: could not ${how} the wheels of $req into $cache" >&2; return 1; }
  "${pip[@]}" install --no-index --find-links "$cache" -r "$req" || { echo "$who: could not install $req from $cache" >&2; return 1; }
}
