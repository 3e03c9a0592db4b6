#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on loopback, for `make demo`, the tests and CI.
#
#   scripts/pg.sh start    initdb (first time), start, create the app database, print its URL
#   scripts/pg.sh stop     stop the cluster (data is kept until `scripts/pg.sh destroy`)
#   scripts/pg.sh destroy  stop and delete the cluster's data
#   scripts/pg.sh url      print the database URL
#   scripts/pg.sh status   exit 0 when the cluster answers
#
# Settings (environment): PGPORT (54329), PGBIN (/usr/lib/postgresql/15/bin),
# PGDATA_ROOT (a directory the server user can write; default /tmp/invoice-toolkit-pg-$PGPORT),
# PG_DB (invoices), PG_USER (invoice).
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user
# (or PG_RUN_AS). Authentication is trust on 127.0.0.1 only: this cluster is for
# local development and tests and never listens on another address.
set -euo pipefail

PGPORT=${PGPORT:-54329}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGDATA_ROOT=${PGDATA_ROOT:-/tmp/invoice-toolkit-pg-$PGPORT}
PG_DB=${PG_DB:-invoices}
PG_USER=${PG_USER:-invoice}
DATA="$PGDATA_ROOT/data"
LOG="$PGDATA_ROOT/server.log"

die() { echo "pg.sh: error: $*" >&2; exit 1; }

run_as() {
  if [ "$(id -u)" -eq 0 ]; then
    local user=${PG_RUN_AS:-postgres}
    id "$user" >/dev/null 2>&1 || die "running as root and user '$user' does not exist; create an unprivileged user (useradd -r $user) or set PG_RUN_AS"
    # runuser keeps no root privileges; env -i keeps secrets of the caller out of the server
    runuser -u "$user" -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"
  else
    "$@"
  fi
}

check_bin() {
  [ -x "$PGBIN/postgres" ] && [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] || die "PostgreSQL 15 server binaries not found in $PGBIN.
  Install them (Debian/Ubuntu: apt-get install postgresql-15) or set PGBIN to their directory."
}

url() { echo "postgresql://$PG_USER@127.0.0.1:$PGPORT/$PG_DB"; }

answers() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" >/dev/null 2>&1; }

port_in_use() {
  python3 - "$PGPORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
# Like postgres itself: connections left in TIME_WAIT by a stopped server do not block it.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

ours_running() { [ -f "$DATA/postmaster.pid" ] && run_as "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  check_bin
  if ours_running; then url; return 0; fi
  if port_in_use; then
    die "port $PGPORT on 127.0.0.1 is already in use by another program; stop it or choose another port: PGPORT=5433 scripts/pg.sh start"
  fi
  mkdir -p "$PGDATA_ROOT"
  if [ "$(id -u)" -eq 0 ]; then chown "${PG_RUN_AS:-postgres}" "$PGDATA_ROOT"; chmod 700 "$PGDATA_ROOT"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    run_as "$PGBIN/initdb" -D "$DATA" -U "$PG_USER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PGDATA_ROOT/initdb.log" 2>&1 \
      || { cat "$PGDATA_ROOT/initdb.log" >&2; die "initdb failed (log above)"; }
  fi
  run_as "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$PGDATA_ROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { tail -20 "$LOG" >&2 || true; die "the server did not start (log: $LOG)"; }
  if ! "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U "$PG_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
    "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U "$PG_USER" "$PG_DB"
  fi
  url
}

stop() {
  [ -d "$DATA" ] || return 0
  if ours_running; then run_as "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  destroy) stop; rm -rf "$PGDATA_ROOT" ;;
  url) url ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|destroy|url|status" >&2; exit 2 ;;
esac
