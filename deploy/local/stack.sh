#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (KRaft, single node) from Maven Central jars,
# FerretDB (MongoDB wire protocol, SQLite backend) built with `go install`, and PostgreSQL
# (Debian's, a private cluster) for the databases of the test-runner's runs.
#
#   stack.sh install          fetch jars and build FerretDB into .cache/ (once; later runs reuse it)
#   stack.sh up               install if needed, start the servers, wait until they answer
#   stack.sh down [server..]  stop exactly the processes this script started (pid files)
#   stack.sh status           exit 0 when every server runs and answers
#   stack.sh running          print the servers whose process runs (one per line)
#   stack.sh admin ...        run a command with the Kafka admin's credentials (when authenticated)
#
# Settings (environment): CTS_KAFKA_PORT (9092), CTS_KAFKA_CONTROLLER_PORT (9093),
# CTS_MONGO_PORT (27017), CTS_POSTGRES_PORT (55432), CTS_STACK_DIR (.cache/stack),
# CTS_STACK_TIMEOUT seconds (90), CTS_STACK_SERVERS ("kafka ferretdb postgres"),
# CTS_KAFKA_AUTH (none; scram: SASL/SCRAM and ACLs, see kafka_auth.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${CTS_CACHE_DIR:-$repo/.cache}"
stack_dir="${CTS_STACK_DIR:-$cache/stack}"
kafka_port="${CTS_KAFKA_PORT:-9092}"
controller_port="${CTS_KAFKA_CONTROLLER_PORT:-9093}"
mongo_port="${CTS_MONGO_PORT:-27017}"
postgres_port="${CTS_POSTGRES_PORT:-55432}"
servers="${CTS_STACK_SERVERS:-kafka ferretdb postgres}"
timeout_s="${CTS_STACK_TIMEOUT:-90}"
kafka_lib="$cache/kafka/lib"
ferretdb_bin="$cache/bin/ferretdb"
python="${CTS_PYTHON:-$repo/.venv/bin/python}"

say() { printf '[stack] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=deploy/local/kafka_auth.sh
. "$here/kafka_auth.sh"

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required: $2"
}

install_kafka() {
  if [ -f "$kafka_lib/.complete" ]; then return; fi
  need java "install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
  need mvn "install Maven (Debian: apt-get install maven)"
  say "fetching the Apache Kafka broker jars with Maven (first run only, ~1 min)..."
  rm -rf "$kafka_lib"
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$kafka_lib" -DincludeScope=runtime >&2
  touch "$kafka_lib/.complete"
  say "kafka jars ready: $(find "$kafka_lib" -name '*.jar' | wc -l) jars in $kafka_lib"
}

ferretdb_recipe() { # what the binary is built from: a change rebuilds it
  cat "$here/ferretdb/build.sh" "$here/ferretdb/main.go" "$here/ferretdb/go.mod" \
    "$here/ferretdb/go.sum" | sha256sum | cut -d' ' -f1
}

install_ferretdb() {
  local recipe
  recipe="$(ferretdb_recipe)"
  if [ -x "$ferretdb_bin" ] && [ "$(cat "$ferretdb_bin.recipe" 2>/dev/null)" = "$recipe" ]; then
    return
  fi
  need go "install Go 1.22 or newer"
  say "building FerretDB v1.24.2 (first run, or its build changed; 1-3 min)..."
  mkdir -p "$cache/bin"
  # deploy/local/ferretdb is a tiny module around FerretDB's embeddable package, pinned in its
  # go.mod/go.sum: a bare `go install .../cmd/ferretdb@v1.24.2` fails here (see main.go).
  # build.sh also makes its lookups by _id use the _id index (why: see there).
  bash "$here/ferretdb/build.sh" "$ferretdb_bin" "$cache/ferretdb-build" >&2
  printf '%s\n' "$recipe" >"$ferretdb_bin.recipe"
  say "ferretdb ready: $ferretdb_bin"
}

alive() { # pidfile
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_kafka() {
  local dir="$stack_dir/kafka" pidfile="$stack_dir/kafka.pid"
  if alive "$pidfile"; then say "kafka already running (pid $(cat "$pidfile"))"; return; fi
  mkdir -p "$dir/data"
  auth_check_mode "$dir"
  if auth_on; then auth_credentials; fi
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
message.max.bytes=8388608
EOF
  if auth_on; then auth_properties >>"$dir/server.properties"; fi
  local java_opts=(-Xms256m -Xmx1g -XX:+UseG1GC
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info
    -Dorg.slf4j.simpleLogger.showDateTime=true
    -Dorg.slf4j.simpleLogger.log.kafka=warn
    -Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn
    -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info
    -Dlog4j2.level=warn)
  if [ ! -f "$dir/data/meta.properties" ]; then
    say "formatting kafka storage in $dir/data (authentication: $kafka_auth)"
    local scram=(); if auth_on; then mapfile -t scram < <(auth_format_args); fi
    java -cp "$kafka_lib/*" "${java_opts[@]}" kafka.tools.StorageTool format --standalone \
      -t "$(java -cp "$kafka_lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      -c "$dir/server.properties" "${scram[@]}" >>"$stack_dir/kafka.log" 2>&1 || {
      tail -20 "$stack_dir/kafka.log" >&2; die "formatting kafka storage failed"; }
    echo "$kafka_auth" >"$dir/auth-mode"
  fi
  say "starting kafka on 127.0.0.1:$kafka_port (log: $stack_dir/kafka.log)"
  setsid java -cp "$kafka_lib/*" "${java_opts[@]}" kafka.Kafka "$dir/server.properties" \
    >>"$stack_dir/kafka.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

start_ferretdb() {
  local dir="$stack_dir/ferretdb" pidfile="$stack_dir/ferretdb.pid"
  if alive "$pidfile"; then say "ferretdb already running (pid $(cat "$pidfile"))"; return; fi
  mkdir -p "$dir/sqlite"
  say "starting ferretdb on 127.0.0.1:$mongo_port (log: $stack_dir/ferretdb.log)"
  setsid "$ferretdb_bin" -sqlite-url="file:$dir/sqlite/" -listen-addr="127.0.0.1:$mongo_port" \
    -log-level=warn \
    >>"$stack_dir/ferretdb.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user
# (Debian's package creates it) and every server command runs as that user.
postgres_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  echo "${CTS_POSTGRES_BIN:-${found:-$(dirname "$(command -v postgres 2>/dev/null || echo /usr/bin/x)")}}"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else "$@"; fi
}

# The cluster (data, socket directory, admin password) must be reachable by the postgres user:
# beside the other servers' files when it is, otherwise (a clone under a private home such as
# /root) in a directory of its own under that user's home, named after the stack directory.
cluster_dir() {
  local dir="$stack_dir/postgres" home
  mkdir -p "$dir"
  if [ "$(id -u)" != 0 ] || as_postgres test -x "$dir"; then echo "$dir"; return; fi
  home="$(getent passwd postgres | cut -d: -f6)"
  [ -n "$home" ] && [ -d "$home" ] || die "the postgres user cannot reach $dir and has no home" \
    "directory: set CTS_STACK_DIR to a directory it can reach"
  echo "$home/cts-stack-$(printf '%s' "$dir" | sha256sum | cut -c1-12)"
}

# The admin password lives with the cluster (mode 600), and the URL the test-runner reads
# (CTS_TEST_DATABASE_URL_FILE) is written beside the other servers' files: password
# authentication everywhere, so a sandboxed test that reaches the server can log in only as
# its own run's role.
init_postgres() { # cluster directory
  local dir="$stack_dir/postgres" cluster="$1" bin; bin="$(postgres_bin)"
  [ -x "$bin/initdb" ] || die "PostgreSQL is required (Debian: apt-get install postgresql)"
  mkdir -p "$cluster/run"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$cluster" "$cluster/run"; fi
  if [ ! -f "$cluster/data/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in $cluster/data"
    rm -rf "$cluster/data"; mkdir -p "$cluster/data"
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$cluster/admin-password")
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$cluster/data" "$cluster/admin-password"; fi
    as_postgres "$bin/initdb" -D "$cluster/data" -U postgres --pwfile="$cluster/admin-password" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      >>"$stack_dir/postgres.log" 2>&1 || { tail -20 "$stack_dir/postgres.log" >&2; die "initdb failed"; }
  fi
  printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' "$(cat "$cluster/admin-password")" \
    "$postgres_port" >"$dir/admin-url.tmp"
  chmod 600 "$dir/admin-url.tmp" && mv "$dir/admin-url.tmp" "$dir/admin-url"
}

start_postgres() {
  local pidfile="$stack_dir/postgres.pid" bin cluster
  if alive "$pidfile"; then say "postgres already running (pid $(cat "$pidfile"))"; return; fi
  cluster="$(cluster_dir)"
  init_postgres "$cluster"
  bin="$(postgres_bin)"
  say "starting postgres on 127.0.0.1:$postgres_port (log: $stack_dir/postgres.log)"
  # A scratch database server: durability is traded for speed (every run's database is
  # thrown away afterwards).
  local runas=(); [ "$(id -u)" = 0 ] && runas=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  setsid "${runas[@]}" "$bin/postgres" -D "$cluster/data" -p "$postgres_port" \
    -k "$cluster/run" -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=200 \
    >>"$stack_dir/postgres.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

postgres_answers() {
  "$(postgres_bin)/pg_isready" -q -h 127.0.0.1 -p "$postgres_port" -t 2
}

has() { case " $servers " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

probe() { # exit 0 when every server answers a real request
  local wait_s="$1" deadline=$((SECONDS + $1))
  if has postgres; then
    until postgres_answers; do
      if [ "$SECONDS" -ge "$deadline" ]; then say "postgres at 127.0.0.1:$postgres_port does not answer"; return 1; fi
      sleep 0.5
    done
  fi
  if ! has kafka && ! has ferretdb; then return 0; fi
  [ -x "$python" ] || die "no Python environment at $python: run 'make setup' first"
  as_admin "$python" "$here/probe.py" --kafka "127.0.0.1:$kafka_port" \
    --mongo "mongodb://127.0.0.1:$mongo_port/" --wait "$wait_s"
}

stop_one() { # name
  local pidfile="$stack_dir/$1.pid"
  if ! alive "$pidfile"; then rm -f "$pidfile"; say "$1 not running"; return; fi
  local pid; pid="$(cat "$pidfile")"
  say "stopping $1 (pid $pid)"
  # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave).
  if [ "$1" = postgres ]; then kill -INT "$pid" 2>/dev/null || true
  else kill -TERM "$pid" 2>/dev/null || true; fi
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "$1 did not stop in 30 s; killing"; kill -KILL "$pid" || true; fi
  rm -f "$pidfile"
}

cmd_up() {
  local t0=$SECONDS
  mkdir -p "$stack_dir"
  if has kafka; then install_kafka; start_kafka; fi
  if has ferretdb; then install_ferretdb; start_ferretdb; fi
  if has postgres; then start_postgres; fi
  say "waiting up to ${timeout_s}s for: $servers..."
  if ! probe "$timeout_s"; then
    for name in $servers; do
      say "---- last lines of $stack_dir/$name.log"; tail -n 25 "$stack_dir/$name.log" >&2 || true
    done
    die "the local stack did not come up in ${timeout_s}s (see the logs above)"
  fi
  if auth_on && has kafka; then
    CTS_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" as_admin "$python" -m cts_runtime.kafka_acls apply >&2 || die "applying the Kafka ACLs failed"
    say "kafka requires SASL/SCRAM: each principal's settings are in $auth_dir/<principal>.env"
  fi
  say "up in $((SECONDS - t0))s"
  has kafka && say "  CTS_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$kafka_port"
  has ferretdb && say "  CTS_MONGODB_URI=mongodb://127.0.0.1:$mongo_port/"
  has postgres && say "  CTS_TEST_DATABASE_URL_FILE=$stack_dir/postgres/admin-url"
  return 0
}

cmd_status() {
  local ok=0
  for name in $servers; do
    if alive "$stack_dir/$name.pid"; then say "$name: running (pid $(cat "$stack_dir/$name.pid"))"
    else say "$name: not running"; ok=1; fi
  done
  [ $ok -eq 0 ] && probe 0 || ok=1
  return $ok
}

cmd_down() {
  local name names
  if [ $# -gt 0 ]; then names=("$@"); else read -ra names <<<"$servers"; fi
  for name in "${names[@]}"; do
    has "$name" || die "unknown server $name (one of: $servers)"
    stop_one "$name"
  done
}

case "${1:-}" in
  install) install_kafka; install_ferretdb ;;
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  running) for name in $servers; do alive "$stack_dir/$name.pid" && echo "$name"; done; true ;;
  admin) shift; as_admin "$@" ;;
  *) echo "usage: $0 install|up|down [server...]|status|running|admin <command...>" >&2; exit 2 ;;
esac
