#!/usr/bin/env bash
# The venue as a service (native/colo/build/colo_venue, see native/colo/README.md "Venue"):
#   bash scripts/services/venue.sh up       start it in the background (reused when already ours)
#   bash scripts/services/venue.sh down     stop it (End of Session, audit flushed)
#   bash scripts/services/venue.sh status   print its state and ports
# It plays VENUE_FLOW (default: the first day of data/sample as background flow, made with
# `alpha venue flow` into .services/venue/flow.itch, the sample generated if missing) at
# VENUE_SPEED (default 1: real time), on VENUE_OUCH_PORT (15000) and VENUE_REREQUEST_PORT (15001),
# users VENUE_USERS (alpha:alpha), audit trail .services/venue/audit.jsonl, log venue.log (its ready
# line, with open_at: when the day opens on the wall clock, for alpha live --open-at).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENUE_DIR="$SERVICES_DIR/venue"
VENUE_OUCH_PORT="${VENUE_OUCH_PORT:-15000}"
VENUE_REREQUEST_PORT="${VENUE_REREQUEST_PORT:-15001}"
VENUE_SPEED="${VENUE_SPEED:-1}"
VENUE_USERS="${VENUE_USERS:-alpha:alpha}"
VENUE_BIN="$REPO_ROOT/native/colo/build/colo_venue"
PIDFILE="$VENUE_DIR/venue.pid"
LOGFILE="$VENUE_DIR/venue.log"

status() {
  if pid_alive "$PIDFILE" colo_venue; then
    echo "venue  UP    ouch 127.0.0.1:$VENUE_OUCH_PORT  mold re-request 127.0.0.1:$VENUE_REREQUEST_PORT (pid $(read_pid "$PIDFILE"))"
  else
    echo "venue  DOWN  ouch 127.0.0.1:$VENUE_OUCH_PORT  (not running)"
    return 1
  fi
}

case "${1:-}" in
  up)
    mkdir -p "$VENUE_DIR"
    if pid_alive "$PIDFILE" colo_venue; then log "venue: already running (pid $(read_pid "$PIDFILE")), reusing it"; exit 0; fi
    port_open "$VENUE_OUCH_PORT" && die "venue: port $VENUE_OUCH_PORT is in use by another process (set VENUE_OUCH_PORT)"
    [[ -x "$VENUE_BIN" ]] || bash "$REPO_ROOT/native/colo/build.sh" --addon
    flow="${VENUE_FLOW:-$VENUE_DIR/flow.itch}"
    if [[ ! -s "$flow" ]]; then
      [[ -n "${VENUE_FLOW:-}" ]] && die "venue: VENUE_FLOW=$flow is not a file"
      [[ -f "$REPO_ROOT/data/sample/manifest.json" ]] || node "$REPO_ROOT/bin/alpha.mjs" data generate --out "$REPO_ROOT/data/sample" >/dev/null
      first="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).dates[0])' "$REPO_ROOT/data/sample/manifest.json")"
      node "$REPO_ROOT/bin/alpha.mjs" venue flow --data "$REPO_ROOT/data/sample" --date "$first" --out "$flow" --overwrite
    fi
    t0="$(now)"
    # The log is appended to: this start's lines are those after the ones there now.
    from=$(( $(cat "$LOGFILE" 2>/dev/null | wc -l) + 1 ))
    spawn "$PIDFILE" "$LOGFILE" "$VENUE_BIN" --flow "$flow" --speed "$VENUE_SPEED" --ouch-port "$VENUE_OUCH_PORT" \
      --rerequest-port "$VENUE_REREQUEST_PORT" --users "$VENUE_USERS" --audit "$VENUE_DIR/audit.jsonl"
    for _ in $(seq 1 100); do tail -n "+$from" "$LOGFILE" 2>/dev/null | grep -q '"ready":true' && port_open "$VENUE_OUCH_PORT" && break; sleep 0.1; done
    port_open "$VENUE_OUCH_PORT" || { tail_log "$LOGFILE" 20; die "venue: did not open port $VENUE_OUCH_PORT"; }
    # Its ready line says when its day opens on the wall clock: a live run given that as --open-at shares its clock.
    open_at="$(tail -n "+$from" "$LOGFILE" | grep -o '"open_at":"[^"]*"' | head -1 | cut -d'"' -f4 || true)"
    log "venue: up in $(elapsed "$t0") (ouch 127.0.0.1:$VENUE_OUCH_PORT, re-request 127.0.0.1:$VENUE_REREQUEST_PORT${open_at:+; its day opens at $open_at: alpha live --open-at $open_at})"
    ;;
  down)
    if stop_pid venue "$PIDFILE" colo_venue 10; then log "venue: stopped"; else log "venue: not running"; fi
    ;;
  status) status ;;
  *) die "usage: scripts/services/venue.sh up|down|status" ;;
esac
