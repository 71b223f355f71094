#!/usr/bin/env bash
# Every benchmark of issue 13 in one command, then ONE table with the machine and the
# date, each figure beside its target (design.md §7):
#   1. the crypto floor (criterion, godkend-protocol);
#   2. the server under load (crates/server/benches/load): SQLite at its default
#      durability and with synchronous=FULL, and PostgreSQL with fsync and
#      synchronous_commit on, in a throw-away cluster unless
#      GODKEND_BENCH_DATABASE_URL names one;
#   3. the desktop app (scripts/bench-app.sh; KeePassXC beside it as the reference).
# Options: --smoke (a few seconds of each, as in CI), --no-app, --no-postgres.
# The load bench's own settings (GODKEND_BENCH_USERS, ...) pass through; see
# crates/server/benches/load/main.rs.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-postgres.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-postgres.sh"
cd "$GODKEND_ROOT"

smoke=0 app=1 postgres=1
for arg in "$@"; do
    case $arg in
        --smoke) smoke=1 ;;
        --no-app) app=0 ;;
        --no-postgres) postgres=0 ;;
        -h | --help)
            sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $arg (try --help)" ;;
    esac
done
# shellcheck disable=SC2119 # no components needed
need_rust

out=$(mktemp -d "${TMPDIR:-/tmp}/godkend-bench.XXXXXX")
cleanup() {
    stop_postgres
    rm -rf "$out"
}
trap cleanup EXIT

log "building the benchmarks (optimised, once)"
cargo bench --locked -p godkend-protocol --bench crypto_floor --no-run
cargo bench --locked -p godkend-server --bench load --no-run

log "crypto floor"
if [ "$smoke" = 1 ]; then
    # criterion's quick mode; the floor line is measured the same way.
    cargo bench --locked -p godkend-protocol --bench crypto_floor -- --quick round_trip |
        tee "$out/crypto.txt"
else
    cargo bench --locked -p godkend-protocol --bench crypto_floor | tee "$out/crypto.txt"
fi

log "server under load"
if [ "$smoke" = 1 ]; then export GODKEND_BENCH_SMOKE=1; fi
if [ "$postgres" = 1 ] && [ -z "${GODKEND_BENCH_DATABASE_URL:-}" ]; then
    # Our own cluster, durable as in production (the tests' one runs with fsync off).
    unset GODKEND_TEST_POSTGRES_URL
    GODKEND_PG_FSYNC=on start_postgres
    export GODKEND_BENCH_DATABASE_URL=$GODKEND_TEST_POSTGRES_URL
fi
if [ "$postgres" = 0 ]; then unset GODKEND_BENCH_DATABASE_URL; fi
pg_settings='-'
if [ -n "${GODKEND_BENCH_DATABASE_URL:-}" ]; then
    psql=psql
    if [ -n "$pg_bin" ]; then psql=$pg_bin/psql; fi
    pg_settings=$("$psql" -X -q -t -A -d "$GODKEND_BENCH_DATABASE_URL" \
        -c "select 'fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit')")
    info "PostgreSQL: $pg_settings"
fi
cargo bench --locked -p godkend-server --bench load | tee "$out/load.txt"

if [ "$app" = 1 ]; then
    step "desktop app"
    bash scripts/bench-app.sh | tee "$out/app.txt"
fi

# ---------------------------------------------------------------------------
# The table

# fig KEY: a figure the load bench reported, or "-".
fig() {
    sed -n "s/^BENCH $1=//p" "$out/load.txt" | tail -n 1 | grep . || echo -
}
# num VALUE DIGITS: VALUE rounded, or "-".
num() {
    if [ "$1" = - ] || [ "$1" = nan ]; then echo -; else printf "%.${2}f" "$1"; fi
}
floor_us=$(sed -n 's/^CRYPTO_FLOOR_US=//p' "$out/crypto.txt" | tail -n 1)
floor_us=${floor_us:--}
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }

{
    echo
    echo "Godkend benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average before the run's end $(cut -d' ' -f1-3 /proc/loadavg)"
    [ "$smoke" = 0 ] || echo "SMOKE RUN: seconds per figure, not a measurement"
    echo
    row "what" "figure" "target"
    row "---" "---" "---"
    row "crypto floor per round trip (server's 2 signs, 3 verifies)" "$(num "$floor_us" 1) µs" "(the reference)"
    for label in sqlite sqlite_full postgres; do
        case $label in
            sqlite) name="SQLite (synchronous=NORMAL)" target_rt="≥ 1,500/s at 512 users" ;;
            sqlite_full) name="SQLite (synchronous=FULL)" target_rt="(operator setting; no target)" ;;
            postgres) name="PostgreSQL ($pg_settings)" target_rt="≥ 1,000/s at 512 users" ;;
        esac
        [ "$(fig "$label.users1.trips_per_s")" != - ] || [ "$(fig "$label.users512.trips_per_s")" != - ] || continue
        for users in 1 8 64 512; do
            t=$(fig "$label.users$users.trips_per_s")
            [ "$t" != - ] || continue
            cpu=$(fig "$label.users$users.server_cpu_ms")
            gen=$(fig "$label.users$users.loadgen_cpu_ms")
            ratio=-
            if [ "$cpu" != - ] && [ "$floor_us" != - ]; then
                ratio=$(awk -v c="$cpu" -v f="$floor_us" 'BEGIN { printf "%.1f", c * 1000 / f }')
            fi
            tgt=$([ "$users" = 512 ] && echo "$target_rt; CPU ≤ 3× floor" || echo "CPU ≤ 3× floor")
            row "$name, $users users: round trips/s; server CPU per trip (× floor); load generator CPU" \
                "$(num "$t" 0)/s; $(num "$cpu" 3) ms (${ratio}×); $(num "$gen" 3) ms" "$tgt"
        done
        for rate in 50 200 500; do
            p=$(fig "$label.rate$rate.event_p99_ms")
            [ "$p" != - ] || continue
            tgt_e=$([ "$rate" = 200 ] && echo "p99 < 20 ms" || echo "-")
            tgt_a=$([ "$rate" = 200 ] && echo "p99 < 10 ms" || echo "-")
            row "$name, $rate req/s offered: create → device event p50 / p99 / max" \
                "$(num "$(fig "$label.rate$rate.event_p50_ms")" 1) / $(num "$p" 1) / $(num "$(fig "$label.rate$rate.event_max_ms")" 1) ms" "$tgt_e"
            row "$name, $rate req/s offered: decision accepted → RP's wait answered p50 / p99" \
                "$(num "$(fig "$label.rate$rate.answer_p50_ms")" 2) / $(num "$(fig "$label.rate$rate.answer_p99_ms")" 2) ms" "$tgt_a"
            row "$name, $rate req/s offered: create → RP result p50 / p99" \
                "$(num "$(fig "$label.rate$rate.result_p50_ms")" 1) / $(num "$(fig "$label.rate$rate.result_p99_ms")" 1) ms" "-"
        done
    done
    for streams in $(sed -n 's/^BENCH idle\.streams\([0-9]*\)\.rss_mb=.*/\1/p' "$out/load.txt"); do
        tgt=$([ "$streams" = 10000 ] && echo "< 300 MB" || echo "-")
        row "server RSS with $streams idle device streams" "$(num "$(fig "idle.streams$streams.rss_mb")" 1) MB" "$tgt"
        cpu=$(fig "idle.streams$streams.cpu_pct")
        if [ "$cpu" != - ]; then
            row "server idle CPU with $streams streams (their heartbeat signatures alone)" \
                "$(num "$cpu" 2) % ($(num "$(fig "idle.streams$streams.heartbeat_pct")" 2) %) of a core" "≤ 2× the heartbeats"
        fi
    done
    if [ "$app" = 1 ]; then
        # The app benchmark's figures: its `APP what|figure|target` lines.
        while IFS='|' read -r what figure target; do
            row "app: $what" "$figure" "$target"
        done < <(sed -n 's/^APP //p' "$out/app.txt")
    fi
} | tee "$out/table.md"
