# shellcheck shell=bash
# A throw-away PostgreSQL cluster for the tests (scripts/test.sh) and the benchmarks
# (scripts/bench.sh): start_postgres exports GODKEND_TEST_POSTGRES_URL, stop_postgres
# removes the cluster. GODKEND_PG_FSYNC=on|off (default off: the tests need no
# durability). Sourced by lib.sh's users after lib.sh (info, warn, die, free_port,
# pg_bin_dir).

pg_dir=''
pg_bin=''
pg_user=''

# Runs a PostgreSQL tool as the cluster's owner: `postgres` when we are root (the
# server refuses to run as root), else ourselves.
pg_as_owner() {
    if [ -n "$pg_user" ]; then
        local cmd
        printf -v cmd '%q ' "$@"
        su "$pg_user" -s /bin/sh -c "cd $(printf %q "$pg_dir") && $cmd"
    else
        "$@"
    fi
}

start_postgres() {
    # The tests trade durability for speed; the benchmarks set `on`, as in production.
    : "${GODKEND_PG_FSYNC:=off}"
    if [ -n "${GODKEND_TEST_POSTGRES_URL:-}" ]; then
        info "using GODKEND_TEST_POSTGRES_URL from the environment; no cluster started"
        return 0
    fi
    pg_bin=$(pg_bin_dir) ||
        die "initdb/pg_ctl not found: install PostgreSQL (Debian/Ubuntu package: postgresql) or set GODKEND_PG_BIN"
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/godkend-pg.XXXXXX")
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 ||
            die "running as root needs the 'postgres' system user (the postgresql package creates it)"
        pg_user=postgres
        chown postgres "$pg_dir"
    fi
    local port attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        info "starting PostgreSQL ($pg_bin) on 127.0.0.1:$port in $pg_dir"
        if [ ! -d "$pg_dir/data" ]; then
            pg_as_owner "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >"$pg_dir/initdb.log" 2>&1 || {
                cat "$pg_dir/initdb.log" >&2
                return 1
            }
            # A throw-away certificate, so the tests can check TLS to PostgreSQL too.
            openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
                -keyout "$pg_dir/data/server.key" -out "$pg_dir/data/server.crt" >/dev/null 2>&1 ||
                die "openssl could not make the test certificate (Debian/Ubuntu package: openssl)"
            chmod 600 "$pg_dir/data/server.key"
            [ -z "$pg_user" ] || chown "$pg_user" "$pg_dir/data/server.key" "$pg_dir/data/server.crt"
        fi
        # The port can be taken between free_port and the bind; try another one then.
        if pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 60 \
            -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=$GODKEND_PG_FSYNC -c ssl=on" start >/dev/null; then
            export GODKEND_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
            info "GODKEND_TEST_POSTGRES_URL=$GODKEND_TEST_POSTGRES_URL"
            return 0
        fi
        warn "PostgreSQL did not start (attempt $attempt); its log:"
        tail -n 20 "$pg_dir/log" >&2 || true
    done
    return 1
}

# postgres_pid: the postmaster's pid, from the file it writes in its data dir.
postgres_pid() {
    [ -n "$pg_dir" ] && [ -r "$pg_dir/data/postmaster.pid" ] && head -n 1 "$pg_dir/data/postmaster.pid"
}

stop_postgres() {
    [ -n "$pg_dir" ] || return 0
    local pid
    if pid=$(postgres_pid); then
        info "stopping PostgreSQL (pid $pid)"
        if ! pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop >/dev/null; then
            warn "pg_ctl stop failed; killing the postmaster ($pid) this run started"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$pg_dir"
    pg_dir=''
}
