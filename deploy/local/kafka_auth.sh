# Sourced by stack.sh: Kafka with SASL/SCRAM and the standard authorizer (CTS_KAFKA_AUTH=scram).
#
# One principal per service and one for clients, each with a password generated at the first
# start and kept in $stack_dir/kafka-auth/<principal>.env (mode 600; the CTS_KAFKA_* variables
# a service reads: `set -a; . .cache/stack/kafka-auth/orchestrator.env; set +a`). `admin` is the
# only super user: the broker's own inter-broker and controller connections, topic creation
# and the ACLs, which `python -m cts_runtime.kafka_acls` applies (what each principal may do:
# cts_runtime/kafka_acls.py, docs/deploy.md). The controller listener takes SASL/PLAIN with the
# admin's password (KRaft keeps SCRAM credentials in the metadata log, which the controller
# must read before it could check one); clients reach only the SCRAM listener.

kafka_auth="${CTS_KAFKA_AUTH:-none}"
auth_dir="$stack_dir/kafka-auth"
auth_principals="admin orchestrator git-committer agent-runner test-runner client"

auth_on() { [ "$kafka_auth" = scram ]; }

auth_password() { # principal
  sed -n 's/^CTS_KAFKA_SASL_PASSWORD=//p' "$auth_dir/$1.env"
}

# The passwords exist before the storage is formatted (format writes the SCRAM credentials).
auth_credentials() {
  local name
  mkdir -p "$auth_dir"; chmod 700 "$auth_dir"
  for name in $auth_principals; do
    [ -f "$auth_dir/$name.env" ] && continue
    (umask 077; cat >"$auth_dir/$name.env" <<ENV
CTS_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT
CTS_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
CTS_KAFKA_SASL_USERNAME=$name
CTS_KAFKA_SASL_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ENV
)
  done
}

# A storage formatted in one mode is never started in the other: say so instead of failing
# later with authentication errors.
auth_check_mode() { # kafka dir
  local formatted="none"
  [ -f "$1/auth-mode" ] && formatted="$(cat "$1/auth-mode")"
  if [ -f "$1/data/meta.properties" ] && [ "$formatted" != "$kafka_auth" ]; then
    die "the kafka storage in $1 was formatted with authentication '$formatted', not" \
      "'$kafka_auth': use another CTS_STACK_DIR, or stop the stack and remove $1"
  fi
}

auth_format_args() { # the StorageTool arguments creating every principal
  local name
  for name in $auth_principals; do
    printf -- "--add-scram\nSCRAM-SHA-512=[name=%s,password=%s]\n" "$name" "$(auth_password "$name")"
  done
}

auth_properties() { # appended to server.properties: later keys override the PLAINTEXT ones
  local admin; admin="$(auth_password admin)"
  cat <<PROPS
listeners=SASL_PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin" user_admin="$admin";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
auto.create.topics.enable=false
PROPS
}

# Runs a command with the admin's credentials in its environment (the probe, topics, ACLs)
# when the running storage was formatted with authentication, whatever CTS_KAFKA_AUTH says now.
as_admin() {
  if [ "$(cat "$stack_dir/kafka/auth-mode" 2>/dev/null)" = scram ]; then
    (set -a; . "$auth_dir/admin.env"; set +a; "$@")
  else "$@"; fi
}
