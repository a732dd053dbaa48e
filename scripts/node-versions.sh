#!/usr/bin/env bash
# The Node.js releases the project must keep running on besides the one it is developed on (Node 20):
# 22 and 24, from the npm registry's node-linux-<arch> packages (the official binaries), kept in
# .cache/node/<version>/ and reused. Prints each binary's path, one per line.
#   bash scripts/node-versions.sh            # 22.23.5 and 24.22.3
#   NODE_VERSIONS="22.23.5" bash scripts/node-versions.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${NODE_VERSIONS_CACHE:-$repo/.cache/node}"
versions="${NODE_VERSIONS:-22.23.5 24.22.3}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-versions: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
for v in $versions; do
  # A version names folders under the cache and one that is removed: digits and dots only.
  if ! [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "node-versions: NODE_VERSIONS holds \"$v\": expected versions MAJOR.MINOR.PATCH, e.g. 22.23.5" >&2
    exit 1
  fi
done
mkdir -p "$cache"
# What a fetch killed outright left (its process gone): up to 190 MB each.
for left in "$cache"/.fetch-*; do
  [ -e "$left" ] || continue
  pid="${left##*.}"
  kill -0 "$pid" 2> /dev/null || rm -rf "$left"
done
for v in $versions; do
  dir="$cache/$v"
  if [ ! -x "$dir/bin/node" ]; then
    tmp="$cache/.fetch-$v.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    if ! (cd "$tmp" && npm pack --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 "node-linux-$arch@$v" > /dev/null 2> npm.err); then
      echo "node-versions: cannot fetch node-linux-$arch@$v from the npm registry ($(grep -m1 -v '^\s*$' "$tmp/npm.err" || echo 'no answer')): it is needed once, then kept in $dir; or put Node $v's binary at $dir/bin/node" >&2
      exit 1
    fi
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp"/node-linux-"$arch"-"$v".tgz -C "$tmp/unpacked" --strip-components=1
    if [ "$("$tmp/unpacked/bin/node" --version)" != "v$v" ]; then
      echo "node-versions: node-linux-$arch@$v holds $("$tmp/unpacked/bin/node" --version), not v$v" >&2
      exit 1
    fi
    rm -rf "$dir"
    mv "$tmp/unpacked" "$dir"
    rm -rf "$tmp"
    trap - EXIT
  fi
  echo "$dir/bin/node"
done
