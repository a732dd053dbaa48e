#!/usr/bin/env bash
# npm's postinstall: the native builds (OSQP, Parquet, librdkafka, the colo library).
#
# `npx alpha` in the project runs the project's own bin, which npm exec first installs into its _npx
# cache as a link to the project, running this script again there (npm_command=exec). The builds are
# the project's own, made by `npm ci`; building again made the first `npx alpha` slow (minutes where
# they were missing), and interrupted, that left a cache entry that broke every later `npx alpha`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ "${npm_command:-}" == exec ]]; then
  echo "postinstall: run by npm exec (npx) linking the project: its native builds are used as they are (npm run build:native makes them)"
  exit 0
fi
npm run build:osqp
npm run build:parquet
bash native/kafka/build.sh --optional
bash native/colo/build.sh --optional --addon
