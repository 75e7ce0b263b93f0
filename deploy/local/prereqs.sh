#!/usr/bin/env bash
# Make sure the machine has what the local stack and the test runner need. As root on Debian
# it installs the missing packages; otherwise it names exactly what to install and fails.
set -euo pipefail

# bwrap is the test-runner's sandbox; the system python3's pytest is what a sandboxed pytest
# run finds (the sandbox sees /usr, never a virtualenv of the service). faketime (with
# libfaketime) gives the clock-skew tests a process whose wall clock is off.
declare -A package=( [java]=openjdk-17-jre-headless [mvn]=maven [git]=git [elixir]=elixir
                     [bwrap]=bubblewrap [setpriv]=util-linux
                     [faketime]=faketime )
missing_cmds=(); missing_pkgs=()
for cmd in java mvn git elixir bwrap setpriv faketime; do
  command -v "$cmd" >/dev/null 2>&1 || { missing_cmds+=("$cmd"); missing_pkgs+=("${package[$cmd]}"); }
done
if ! /usr/bin/python3 -c 'import pytest' >/dev/null 2>&1; then
  missing_cmds+=("pytest for /usr/bin/python3"); missing_pkgs+=(python3-pytest)
fi
# PostgreSQL for the runs' databases (the local stack starts a private cluster), and the
# Erlang PostgreSQL driver the fixture application examples/shop_app uses.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing_cmds+=("PostgreSQL (initdb)"); missing_pkgs+=(postgresql)
fi
if ! ls -d /usr/lib/erlang/lib/p1_pgsql-* >/dev/null 2>&1; then
  missing_cmds+=("the Erlang PostgreSQL driver p1_pgsql"); missing_pkgs+=(erlang-p1-pgsql)
fi
command -v openssl >/dev/null 2>&1 || { missing_cmds+=(openssl); missing_pkgs+=(openssl); }
if ! command -v go >/dev/null 2>&1; then
  echo "[prereqs] Go 1.22+ is required to build FerretDB (the local MongoDB-compatible server)." >&2
  echo "[prereqs] Install it from your distribution or https://go.dev/dl and run again." >&2
  exit 1
fi
if [ ${#missing_pkgs[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[prereqs] installing ${missing_pkgs[*]} with apt-get (missing: ${missing_cmds[*]})..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  echo "[prereqs] installed ${missing_pkgs[*]}" >&2
  exit 0
fi
echo "[prereqs] missing: ${missing_cmds[*]}" >&2
echo "[prereqs] install them first, e.g. on Debian/Ubuntu: sudo apt-get install ${missing_pkgs[*]}" >&2
echo "[prereqs] (Java 17+ and Maven for Kafka, git, Elixir 1.14+ for running generated tests," >&2
echo "[prereqs]  bubblewrap for the test-runner's sandbox, python3-pytest for sandboxed pytest runs," >&2
echo "[prereqs]  PostgreSQL for the runs' databases, erlang-p1-pgsql for the fixture app)" >&2
exit 1
