#!/usr/bin/env bash
# Print each local service as up or down, with its address; exit 1 if any is down.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOWN=0
# show NAME CHECK ADDRESS PIDFILE MARKER
show() {
  local name="$1" check="$2" addr="$3" pidfile="$4" marker="$5" how
  if pid_alive "$pidfile" "$marker"; then how="pid $(read_pid "$pidfile"), started by up.sh"
  else how="not started by up.sh"; fi
  if "$check"; then
    status_line "$name" "$addr" "$how" 1
  else
    if pid_alive "$pidfile" "$marker"; then how="pid $(read_pid "$pidfile") running but not healthy"
    else how="not running"; fi
    status_line "$name" "$addr" "$how" 0
    DOWN=1
  fi
}
show kafka kafka_healthy "127.0.0.1:$KAFKA_PORT" "$KAFKA_DIR/kafka.pid" kafka.Kafka
show schema-registry schema_registry_healthy "$SCHEMA_REGISTRY_URL" "$REGISTRY_DIR/registry.pid" apicurio-registry-
show redis redis_healthy "127.0.0.1:$REDIS_PORT" "$REDIS_DIR/redis.pid" redis-server
bash "$SERVICES_SCRIPTS/seaweedfs.sh" status || DOWN=1
# Prometheus is started on its own (prometheus.sh up): shown once it was, not counted down before.
if [[ -d "$SERVICES_DIR/prometheus" ]]; then bash "$SERVICES_SCRIPTS/prometheus.sh" status || DOWN=1; fi
exit "$DOWN"
