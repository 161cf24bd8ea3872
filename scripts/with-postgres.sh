#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 server:
#   scripts/with-postgres.sh make test
# The server lives in a temporary directory, listens on a free loopback port, and is stopped
# and deleted when the command ends. MARKET_TEST_DATABASE_URL points the test suite at it.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL 15 not found in $PG_BIN (apt-get install -y postgresql)" >&2
    exit 1
fi

# The server refuses to run as root: run it as the postgres user when we are root.
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

TMP=$(mktemp -d /tmp/market-pg.XXXXXX)  # /tmp: the postgres user must reach it
DATA="$TMP/data"
SOCK="$TMP/sock"
LOG="$TMP/server.log"
mkdir -p "$SOCK"
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$TMP"
fi

cleanup() {
    local status=$?
    if [ -f "$DATA/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 \
            || kill -INT "$(head -1 "$DATA/postmaster.pid")" 2>/dev/null || true
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_pg "$PG_BIN/initdb" -D "$DATA" -U app --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 \
    || { cat "$TMP/initdb.log" >&2; exit 1; }

started=
for _ in 1 2 3 4 5; do
    PORT=$(free_port)
    if as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        started=1
        break
    fi
done
if [ -z "$started" ]; then
    echo "PostgreSQL did not start:" >&2
    cat "$LOG" >&2
    exit 1
fi

as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U app market_test

export MARKET_TEST_DATABASE_URL="postgresql+psycopg://app@127.0.0.1:$PORT/market_test"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT: MARKET_TEST_DATABASE_URL=$MARKET_TEST_DATABASE_URL"

"$@"
