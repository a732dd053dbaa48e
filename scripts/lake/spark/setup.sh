#!/usr/bin/env bash
# Installs what the Spark read check needs (scripts/lake/spark/check_read.py, docs/lake.md), idempotently:
#   1. the venv .venv/spark (Python 3.11) with requirements.txt beside this file: pyspark 3.5.3 and
#      delta-spark 3.3.2 (delta-spark's Python API; Spark itself is in pyspark's jars folder);
#   2. Delta Lake's jars for Spark (delta-spark_2.12, delta-storage), copied by Maven from pom.xml
#      into the services cache and then into .venv/spark/delta-jars/, checked against their sha256;
#   3. a Java that Spark 3.5 runs on (17, else 11): JAVA_HOME if it is one, else a JDK in
#      /usr/lib/jvm, else `java` on PATH; its home is written to .venv/spark/java-home.
# Downloads (pip's wheels — pyspark is a source archive, built into a wheel once — and Maven's jars)
# are kept in the services cache (.services/cache/spark-wheels, .services/cache/spark-jars-<hash>),
# so a second install needs no network, and a Spark session loads the jars from disk (spark.jars),
# never through Spark's own package resolution.
# A stamp in the venv (sha256 of this script, requirements.txt and pom.xml, the interpreter's version
# and the Java home) makes a re-run with nothing changed a no-op.
# Usage: bash scripts/lake/spark/setup.sh [--force]   (PYTHON=/path/to/python3.11 to choose the
#        interpreter, SPARK_VENV=/path to put the venv elsewhere, SERVICES_CACHE_DIR=/path for downloads)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${SPARK_VENV:-$root/.venv/spark}"
cache="${SERVICES_CACHE_DIR:-${SERVICES_DIR:-$root/.services}/cache}"
wheels="$cache/spark-wheels"
req="$here/requirements.txt"
pom="$here/pom.xml"
stamp="$venv/.spark-setup.sha256"
start_ns=$(date +%s%N)

# Delta's jars (pom.xml), checked after each copy. Spark's own jars, and the scala-library and
# antlr4-runtime that delta-spark needs, are pyspark's.
declare -A jar_sha256=(
  [delta-spark_2.12-3.3.2.jar]=4e92085d5d794cf949c50bb665b91384857cad58680c2d0bfc9c7ad353e98e85
  [delta-storage-3.3.2.jar]=c096975a2ca97ccc9b4005aa5cce16c9ac3903139d340da6665b66ace67d7c36
)
PYSPARK_JARS=(scala-library-2.12.18.jar antlr4-runtime-4.9.3.jar)

elapsed() { echo "$(( ($(date +%s%N) - start_ns) / 1000000 )) ms"; }
die() { echo "scripts/lake/spark/setup.sh: $*" >&2; exit 1; }

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
fi
# pyspark 3.5 supports Python 3.8 to 3.11.
if [[ -z "$python" ]] || ! "$python" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 11) else 1)' 2>/dev/null; then
  die "needs Python 3.8 to 3.11 with venv and pip for pyspark 3.5 (found: ${python:-none}); set PYTHON=/path/to/python3.11"
fi

java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*/\1/p' | head -n 1; }
java_fits() { [[ -x "$1/bin/java" ]] && [[ "$(java_major "$1")" == 17 || "$(java_major "$1")" == 11 ]]; }
find_java_home() {
  local h
  if [[ -n "${JAVA_HOME:-}" ]] && java_fits "$JAVA_HOME"; then echo "$JAVA_HOME"; return 0; fi
  for h in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/temurin-17-* /usr/lib/jvm/java-11-openjdk-*; do
    if java_fits "$h"; then echo "$h"; return 0; fi
  done
  if command -v java >/dev/null 2>&1; then
    h="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    if java_fits "$h"; then echo "$h"; return 0; fi
  fi
  return 1
}
java_home="$(find_java_home)" || die "needs Java 17 or 11 for Spark 3.5 (JAVA_HOME, /usr/lib/jvm or java on PATH; Java 21+ does not run Spark 3.5): apt-get install openjdk-17-jre-headless"

want="$(cat "${BASH_SOURCE[0]}" "$req" "$pom" | sha256sum | cut -d' ' -f1) $("$python" -c 'import platform; print(platform.python_version())') $java_home"
jars_ok() {
  local name
  for name in "${!jar_sha256[@]}"; do
    [[ -f "$venv/delta-jars/$name" && "$(sha256sum "$venv/delta-jars/$name" | cut -d' ' -f1)" == "${jar_sha256[$name]}" ]] || return 1
  done
}
ready() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && jars_ok \
    && "$venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("pyspark", "delta")) else 1)' 2>/dev/null
}
summary() {
  "$venv/bin/python" -c 'import pyspark, importlib.metadata as m; print("pyspark", pyspark.__version__ + ", delta-spark", m.version("delta-spark"), end="")'
  echo ", Java $(java_major "$java_home") ($java_home)"
}
if [[ "${1:-}" != "--force" ]] && ready; then
  echo "${SPARK_VENV:-.venv/spark} is up to date: $(summary) ($(elapsed))"
  exit 0
fi

rm -f "$stamp"
# The pinned wheels from the cache; what is missing there is downloaded (and pyspark's source archive
# built into a wheel) into it first.
# shellcheck source=../../lib/cached-venv.sh
source "$root/scripts/lib/cached-venv.sh"
CACHED_VENV_WHO=scripts/lake/spark/setup.sh cached_venv "$venv" "$python" "$req" "$wheels" wheel || exit 1

# Delta's jars: Maven copies them into a cache folder named after the pom's hash, once.
jars="$cache/spark-jars-$(sha256sum "$pom" | cut -c1-12)"
if [[ ! -f "$jars/.complete" ]]; then
  command -v mvn >/dev/null 2>&1 || die "mvn not found, needed once to fetch Delta's jars (apt-get install maven)"
  rm -rf "$jars.tmp"
  mkdir -p "$jars.tmp"
  if ! JAVA_HOME="$java_home" mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$jars.tmp" >"$jars.tmp/mvn.log" 2>&1; then
    tail -n 20 "$jars.tmp/mvn.log" >&2
    die "Maven could not copy the jars of $pom"
  fi
  touch "$jars.tmp/.complete"
  rm -rf "$jars"
  mv "$jars.tmp" "$jars"
fi
rm -rf "$venv/delta-jars"
mkdir -p "$venv/delta-jars"
for name in "${!jar_sha256[@]}"; do
  [[ -f "$jars/$name" ]] || die "$jars has no $name (see $pom)"
  cp "$jars/$name" "$venv/delta-jars/$name"
done
jars_ok || die "a jar in $venv/delta-jars does not have its sha256 (expected: ${jar_sha256[*]})"
extra="$(comm -13 <(printf '%s\n' "${!jar_sha256[@]}" | sort) <(cd "$jars" && ls ./*.jar | sed 's|^\./||' | sort))"
[[ -z "$extra" ]] || die "$pom copies jars this script does not check: $extra"

spark_jars="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
for name in "${PYSPARK_JARS[@]}"; do
  [[ -f "$spark_jars/$name" ]] || die "pyspark's jars folder $spark_jars has no $name, which delta-spark needs"
done

echo "$java_home" > "$venv/java-home"
echo "$want" > "$stamp"
echo "${SPARK_VENV:-.venv/spark} ready: $(summary), Delta jars ${!jar_sha256[*]} ($(elapsed))"
