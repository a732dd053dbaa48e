#!/usr/bin/env bash
# Puts the project's `alpha` command into node_modules/.bin, where `npx alpha` finds it and runs it
# as it is. package.json names no "bin" on purpose: for a command that the project's own "bin" names,
# npm exec installs the project into its _npx cache first (a link, with its postinstall run again:
# the native builds) and runs it from there; interrupted, that left a cache entry that broke every
# later `npx alpha`. npm links only dependencies' bins into node_modules/.bin, so this does it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p node_modules/.bin
ln -sfn ../../bin/alpha.mjs node_modules/.bin/alpha
