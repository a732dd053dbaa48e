#!/usr/bin/env bash
# Installs the headless browser the tear-sheet test drives (test/report/*.browser.test.ts): Debian's
# `chromium`, through apt when dpkg does not list it, idempotently (a no-op of a few ms when it is there).
# playwright-core drives it through `executablePath`; nothing here downloads a browser of Playwright's own.
# Usage: bash scripts/browser/setup.sh       (prints the chromium binary's path on its last line)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# need_packages PKG...: apt-get install those dpkg does not list as installed.
# shellcheck source=../lib/need-packages.sh
source "$root/scripts/lib/need-packages.sh"

need_packages chromium || { echo "scripts/browser/setup.sh: cannot install Debian's chromium (apt-get install chromium)" >&2; exit 1; }
bin="$(command -v chromium || true)"
[[ -x "$bin" ]] || { echo "scripts/browser/setup.sh: chromium is installed but not on PATH" >&2; exit 1; }
echo "$bin"
