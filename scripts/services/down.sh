#!/usr/bin/env bash
# Stop the services that scripts/services/up.sh started (by their pid files). A service
# that up.sh found already running and reused is left alone.
#   --purge   also delete their data (Kafka log dirs, registry temp files); the download
#             cache in .services/cache is kept.
#   --only=NAME  stop only this service (kafka, schema-registry, redis, venue, seaweedfs, prometheus); repeatable.
# The venue (scripts/services/venue.sh) and Prometheus (scripts/services/prometheus.sh) are stopped too when they run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PURGE=0
ONLY=()
for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=1 ;;
    --only=kafka|--only=schema-registry|--only=redis|--only=venue|--only=seaweedfs|--only=prometheus) ONLY+=("${arg#--only=}") ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

T_START="$(now)"

# stop NAME PIDFILE MARKER PORT GRACE
stop() {
  local name="$1" pidfile="$2" marker="$3" port="$4" grace="$5" t0 pid
  t0="$(now)"
  pid="$(read_pid "$pidfile")"
  if stop_pid "$name" "$pidfile" "$marker" "$grace"; then
    log "$name: stopped (pid $pid) in $(elapsed "$t0")"
  elif port_open "$port"; then
    log "$name: port $port is served by a process up.sh did not start; left alone"
  else
    log "$name: not running"
  fi
}

wanted() { ((${#ONLY[@]} == 0)) || [[ " ${ONLY[*]} " == *" $1 "* ]]; }

# Up to 60 s each: Kafka shuts down in a controlled way, and a JVM stopping for the first
# time writes its class-data archive (see up.sh).
if wanted schema-registry; then stop schema-registry "$REGISTRY_DIR/registry.pid" apicurio-registry- "$SCHEMA_REGISTRY_PORT" 60 & fi
if wanted redis; then stop redis "$REDIS_DIR/redis.pid" redis-server "$REDIS_PORT" 10 & fi
if wanted kafka; then stop kafka "$KAFKA_DIR/kafka.pid" kafka.Kafka "$KAFKA_PORT" 60 & fi
if wanted venue && [[ -f "$SERVICES_DIR/venue/venue.pid" ]]; then bash "$SERVICES_SCRIPTS/venue.sh" down & fi
if wanted seaweedfs; then bash "$SERVICES_SCRIPTS/seaweedfs.sh" down & fi
if wanted prometheus && [[ -f "$SERVICES_DIR/prometheus/prometheus.pid" ]]; then bash "$SERVICES_SCRIPTS/prometheus.sh" down & fi
wait

if ((PURGE)) && ((${#ONLY[@]})); then
  warn "--purge with --only: purging nothing (purge stops and drops everything)"
elif ((PURGE)); then
  rm -rf "$KAFKA_DIR" "$REGISTRY_DIR" "$REDIS_DIR" "$SERVICES_DIR/env" "$SERVICES_DIR/seaweedfs" "$SERVICES_DIR/prometheus"
  log "purged data in $SERVICES_DIR (kept the download cache)"
fi
log "down in $(elapsed "$T_START")"
