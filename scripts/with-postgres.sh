#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server on loopback, for calp's tests:
#
#   scripts/with-postgres.sh ctest --test-dir build/dev -R postgres
#
# The server (PostgreSQL 15 from Debian, DESIGN.md §6) lives in a temporary folder owned
# by the `postgres` user (the server refuses to run as root), listens on 127.0.0.1 on a
# free port, trusts local connections, and is stopped and deleted when the command ends,
# whatever its outcome. The command sees
#
#   CALP_TEST_POSTGRES_URI=postgresql://calp@127.0.0.1:PORT/postgres
#
# and this script exits with the command's status. When CALP_TEST_POSTGRES_URI is
# already set (a server provided by the caller), the command just runs.
#
# The server runs with fsync off: it is thrown away, and the tests are about calp's
# transactions, not the disk's.
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

if [[ -n "${CALP_TEST_POSTGRES_URI:-}" ]]; then
  exec "$@"
fi

bindir="${CALP_POSTGRES_BINDIR:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
  echo "with-postgres: no PostgreSQL server in $bindir (run scripts/install-deps.sh)" >&2
  exit 2
fi

# As root, the server's files and processes belong to `postgres`; otherwise to us.
if [[ $(id -u) -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root needs the \`postgres\` user (package postgresql)" >&2
    exit 2
  fi
  as_server() { runuser -u postgres -- "$@"; }
else
  as_server() { "$@"; }
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/calp-pg.XXXXXX")"
started=0
cleanup() {
  local status=$?
  if ((started)); then
    as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 700 "$dir"
if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi

if ! as_server "$bindir/initdb" -D "$dir/data" -A trust -U calp -E UTF8 --locale=C --no-sync \
  >"$dir/initdb.log" 2>&1; then
  echo "with-postgres: initdb failed:" >&2
  cat "$dir/initdb.log" >&2
  exit 2
fi

# A port nobody listens on; another program may still take it before the server does,
# so a failed start is retried on another port.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  if port_in_use "$port"; then continue; fi
  if as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
  echo "with-postgres: the server did not start on port $port (attempt $attempt)" >&2
done
if ((!started)); then
  echo "with-postgres: could not start PostgreSQL; server log:" >&2
  tail -n 30 "$dir/server.log" >&2 || true
  exit 2
fi

export CALP_TEST_POSTGRES_URI="postgresql://calp@127.0.0.1:$port/postgres"
set +e
"$@"
status=$?
set -e
exit "$status"
