#!/usr/bin/env bash
# Makes sure a PostgreSQL server is reachable and prints its URL on stdout.
#   scripts/pg.sh url        DATABASE_URL if set, else the local server on
#                            127.0.0.1:5432 if it answers, else a private cluster
#   scripts/pg.sh private    always the private cluster (what quickstart uses)
#   scripts/pg.sh stop       stops the private cluster
# The private cluster lives in $BAOKAN_PGDATA (default .baokan/pg) on port
# $BAOKAN_PGPORT (default 54329). Server binaries come from Debian's
# postgresql package, installed here when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-url}"
data="${BAOKAN_PGDATA:-$PWD/.baokan/pg}"
port="${BAOKAN_PGPORT:-54329}"
private_url="postgres://postgres@127.0.0.1:${port}/baokan"

log() { echo "pg.sh: $*" >&2; }

install_postgres() {
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL server binaries not found; install Debian's 'postgresql' package or set DATABASE_URL"
    exit 1
  fi
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
}

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    install_postgres
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  echo "$bin"
}

reachable() { # url
  local bin; bin="$(pg_bin)"
  "$bin/pg_isready" -q -d "$1" -t 3 >/dev/null 2>&1
}

# Runs a command as the cluster owner (initdb refuses to run as root).
as_owner() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres >&2
  fi
  runuser -u postgres -- "$@"
}

# Where the cluster lives when the postgres user cannot reach the checkout.
fallback_data() { echo "/var/lib/baokan/pg-$(echo "$PWD" | md5sum | cut -c1-8)"; }

start_private() {
  local bin; bin="$(pg_bin)"
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then
    as_owner true
    chown -R postgres "$data"; chmod 700 "$data"
    if ! runuser -u postgres -- test -w "$data"; then
      # The checkout is not reachable by the postgres user (e.g. under /root).
      data="$(fallback_data)"
      log "using $data (the postgres user cannot reach the checkout)"
      mkdir -p "$data"; chown -R postgres "$data"; chmod 700 "$data"
    fi
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a private cluster in $data"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >&2
  fi
  if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "starting the private cluster on port $port"
    as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >&2
  fi
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tc \
    "SELECT 1 FROM pg_database WHERE datname = 'baokan'" | grep -q 1 \
    || "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE baokan" >&2
  echo "$private_url"
}

case "$mode" in
  url)
    if [ -n "${DATABASE_URL:-}" ]; then
      reachable "$DATABASE_URL" || { log "DATABASE_URL=$DATABASE_URL does not answer"; exit 1; }
      echo "$DATABASE_URL"
    elif reachable "postgres://postgres@127.0.0.1:5432/postgres"; then
      echo "postgres://postgres@127.0.0.1:5432/postgres"
    else
      start_private
    fi
    ;;
  private) start_private ;;
  stop)
    bin="$(pg_bin)"
    [ -f "$data/PG_VERSION" ] || data="$(fallback_data)"
    [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast stop >&2 || true
    ;;
  *) log "usage: scripts/pg.sh [url|private|stop]"; exit 2 ;;
esac
