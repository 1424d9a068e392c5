#!/usr/bin/env bash
# A private PostgreSQL 15 for the benchmark, configured like a production database on this machine
# (shared buffers that hold a million customers and their indexes, autovacuum on), on its own port
# and data directory: the machine's shared Postgres keeps its test settings (128 MB of shared
# buffers, autovacuum off) and its data. Usage:
#   bench/tuned_postgres.sh start   # prints the BENCH_POSTGRES_URL to use
#   bench/tuned_postgres.sh stop
# Settings: TUNED_PG_PORT (5499), TUNED_PG_SHARED_BUFFERS (2GB), TUNED_PG_DIR (bench/.tmp/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${TUNED_PG_PORT:-5499}"
DIR="$(realpath -m "${TUNED_PG_DIR:-bench/.tmp/postgres}")"
BIN="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -1)/bin"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
  mkdir -p "$DIR/run"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    echo "tuned-postgres: initdb in $DIR/data" >&2
    as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >/dev/null
    cat >>"$DIR/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/run'
max_connections = 100
shared_buffers = ${TUNED_PG_SHARED_BUFFERS:-2GB}
effective_cache_size = 8GB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
autovacuum = on
CONF
  fi
  if ! as_postgres "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w start >/dev/null
  fi
  echo "postgres://postgres@127.0.0.1:$PORT/postgres"
  ;;
stop)
  as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
