#!/usr/bin/env bash
# Puts the project's own `alpha` (package.json "bin") into node_modules/.bin, where `npx alpha` looks
# first. npm links the bins of dependencies there, not the project's own: without this, `npx alpha`
# in a clone installed the clone itself into npm's _npx cache, ran its postinstall again (the native
# builds) and, interrupted, left that cache entry broken for every later `npx alpha`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p node_modules/.bin
ln -sfn ../../bin/alpha.mjs node_modules/.bin/alpha
