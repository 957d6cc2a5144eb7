# Sourced by test.sh: a throwaway PostgreSQL server for the test suite (Debian's `postgresql`).
# `start_throwaway_postgres` installs the package if it is missing, makes a cluster in a temp
# folder owned by the `postgres` user (root may not run the server), starts it on a free local
# port with durability off (its data lives only as long as the run; PRODOPS_PG_OPTIONS replaces
# those server options), exports PRODOPS_TEST_PG and stops and removes it when the calling shell exits.

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

postgres_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_throwaway_postgres() {
  local bin port
  bin=$(postgres_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt_install postgresql
    bin=$(postgres_bin)
  fi
  PRODOPS_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/prodops-pg.XXXXXX")
  [ "$(id -u)" -eq 0 ] && chown postgres "$PRODOPS_PG_DIR"
  trap stop_throwaway_postgres EXIT
  port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$bin/initdb" -D "$PRODOPS_PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 >"$PRODOPS_PG_DIR/initdb.log" 2>&1 \
    || { cat "$PRODOPS_PG_DIR/initdb.log" >&2; return 1; }
  as_postgres "$bin/pg_ctl" -D "$PRODOPS_PG_DIR/data" -l "$PRODOPS_PG_DIR/server.log" -w -t 60 start -o \
    "-p $port -k $PRODOPS_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 ${PRODOPS_PG_OPTIONS:--c fsync=off -c synchronous_commit=off -c full_page_writes=off}" \
    >/dev/null || { cat "$PRODOPS_PG_DIR/server.log" >&2; return 1; }
  export PRODOPS_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "=== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway, in $PRODOPS_PG_DIR)" >&2
}

stop_throwaway_postgres() {
  local status=$?
  if [ -n "${PRODOPS_PG_DIR:-}" ] && [ -d "$PRODOPS_PG_DIR" ]; then
    as_postgres "$(postgres_bin)/pg_ctl" -D "$PRODOPS_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PRODOPS_PG_DIR"
  fi
  return $status
}
