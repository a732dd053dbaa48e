#!/usr/bin/env bash
# Writes real public market data shipped in Debian's R packages as CSV, for `alpha data ingest`
# (docs/lake.md, "Real data"): fBasics' DowJones30 (daily closes of 30 stocks, 1990–2001) and usdthb
# (USD/THB tick quotes). Installs r-base-core (Rscript) and r-cran-fbasics with apt when missing
# (under flock /tmp/apt.lock), then reads the data with Rscript into the cache folder, once:
#   $SERVICES_CACHE_DIR/r-data/ (default .services/cache/r-data/): dowjones30.csv, usdthb.csv
# The CSVs are not committed. Prints the folder. Usage: bash scripts/data/r-datasets.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${SERVICES_CACHE_DIR:-${SERVICES_DIR:-$root/.services}/cache}/r-data"
stamp="$out/.stamp"
want="$(sha256sum "$here/r-datasets.R" | cut -c1-64)"
if [[ "${1:-}" != --force && -f "$stamp" && "$(cat "$stamp")" == "$want" && -s "$out/dowjones30.csv" && -s "$out/usdthb.csv" ]]; then
  echo "$out"
  exit 0
fi

# shellcheck source=../lib/need-packages.sh
source "$root/scripts/lib/need-packages.sh"
need_packages r-base-core r-cran-fbasics

mkdir -p "$out"
tmp="$(mktemp -d "$out/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
Rscript --vanilla "$here/r-datasets.R" "$tmp" >&2
mv -f "$tmp/dowjones30.csv" "$out/dowjones30.csv"
mv -f "$tmp/usdthb.csv" "$out/usdthb.csv"
echo "$want" >"$stamp"
echo "$out"
