#!/bin/sh
# The image's entry point: one image, one command per service.
#   cts-entrypoint orchestrator|agent-runner|test-runner|git-committer   run that service
#   cts-entrypoint topics [--partitions N] [--replication-factor R]      create the topics
#   cts-entrypoint healthcheck [/healthz|/readyz]                        probe this container
#   cts-entrypoint cts ...                                               the cts CLI
set -eu

service="${1:-}"
[ "$#" -gt 0 ] && shift

case "$service" in
  orchestrator)  exec python -m cts_orchestrator "$@" ;;
  agent-runner)  exec python -m cts_agent_runner "$@" ;;
  test-runner)   exec python -m cts_test_runner "$@" ;;
  git-committer) exec python -m cts_git_committer "$@" ;;
  topics)        exec python -m cts_runtime.topics_admin "$@" ;;
  healthcheck)   exec python -m cts_runtime.observability.probe "$@" ;;
  cts)           exec cts "$@" ;;
  *)
    echo "usage: cts-entrypoint orchestrator|agent-runner|test-runner|git-committer|topics|healthcheck|cts [args]" >&2
    exit 2
    ;;
esac
