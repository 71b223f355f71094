#!/usr/bin/env bash
# Every benchmark of issue 13 in one command, then ONE table with the machine and the
# date, each figure beside its target (design.md §7):
#   1. the crypto floor (criterion, godkend-protocol);
#   2. the server under load (crates/server/benches/load): SQLite at its default
#      durability and with synchronous=FULL, and PostgreSQL with fsync and
#      synchronous_commit on, in a throw-away cluster unless
#      GODKEND_BENCH_DATABASE_URL names one;
#   3. what one SQL statement costs the server on SQLite: its own work against the
#      hand-off to sqlx's connection thread (crates/server/benches/statement_cost.rs);
#   4. the desktop app (scripts/bench-app.sh; KeePassXC beside it as the reference).
# The run fails when a benchmark fails or a figure the table expects is missing.
# Options: --no-app, --no-postgres, and
#   --smoke  what scripts/test.sh runs: a few seconds of each with small counts, in
#            the test profile (`cargo test --bench`: the UNOPTIMISED build `cargo test
#            --workspace` made; no release build). Its figures prove the benchmarks
#            work and are no measurements. PostgreSQL: GODKEND_BENCH_DATABASE_URL,
#            else the tests' cluster (GODKEND_TEST_POSTGRES_URL, fsync off), else
#            skipped; no cluster is started. KeePassXC is measured if installed.
# The load bench's own settings (GODKEND_BENCH_USERS, ...) pass through; see
# crates/server/benches/load/main.rs.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-postgres.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-postgres.sh"
# shellcheck source=lib-bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
cd "$GODKEND_ROOT"

smoke=0 app=1 postgres=1
for arg in "$@"; do
    case $arg in
        --smoke) smoke=1 ;;
        --no-app) app=0 ;;
        --no-postgres) postgres=0 ;;
        -h | --help)
            sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $arg (try --help)" ;;
    esac
done
# shellcheck disable=SC2119 # no components needed
need_rust
# What a full run needs from the system, installed before anything is built (on
# Debian/Ubuntu; elsewhere need_debian names what is missing): PostgreSQL to start a
# cluster of, and the headless desktop the app runs in. The smoke run uses what
# scripts/test.sh installed and started.
if [ "$smoke" != 1 ]; then
    if [ "$postgres" = 1 ] && [ -z "${GODKEND_BENCH_DATABASE_URL:-}" ] && ! pg_bin_dir >/dev/null; then
        need_debian initdb:postgresql
    fi
    if [ "$app" = 1 ]; then need_debian "${DESKTOP_TOOLS[@]}" "${GUI_TOOLS[@]}"; fi
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/godkend-bench.XXXXXX")
cleanup() {
    stop_postgres
    rm -rf "$out"
}
trap cleanup EXIT
started=$(now)

# The plan, exported: the load bench runs it and lib-bench.sh checks its figures.
if [ "$smoke" = 1 ]; then
    export GODKEND_BENCH_SMOKE=1 GODKEND_BENCH_STATEMENTS=${GODKEND_BENCH_STATEMENTS:-200}
    plan=("1,8" 2 20 2 "0,100" 3)
else
    plan=("1,8,64,512" 6 "50,200,500" 15 "0,1000,10000" 60)
fi
export GODKEND_BENCH_USERS=${GODKEND_BENCH_USERS:-${plan[0]}}
export GODKEND_BENCH_SECONDS=${GODKEND_BENCH_SECONDS:-${plan[1]}}
export GODKEND_BENCH_RATES=${GODKEND_BENCH_RATES:-${plan[2]}}
export GODKEND_BENCH_RATE_SECONDS=${GODKEND_BENCH_RATE_SECONDS:-${plan[3]}}
export GODKEND_BENCH_IDLE_STREAMS=${GODKEND_BENCH_IDLE_STREAMS:-${plan[4]}}
export GODKEND_BENCH_IDLE_SECONDS=${GODKEND_BENCH_IDLE_SECONDS:-${plan[5]}}
export GODKEND_BENCH_PHASES=${GODKEND_BENCH_PHASES:-throughput,latency,idle,statements}
export GODKEND_BENCH_SQLITE=${GODKEND_BENCH_SQLITE-normal,full}

# run_bench PACKAGE BENCH: optimised (`cargo bench`), or in the smoke run the test
# profile, whose dependencies `cargo test --workspace` already built: --workspace
# keeps its feature set, so nothing but the bench itself is compiled.
run_bench() {
    if [ "$smoke" = 1 ]; then
        cargo test --locked --workspace --bench "$2"
    else
        cargo bench --locked -p "$1" --bench "$2"
    fi
}

if [ "$smoke" = 1 ]; then
    log "building the benchmarks (test profile, unoptimised)"
    benches=(--bench crypto_floor --bench load --bench statement_cost)
    if [ "$app" = 1 ]; then benches+=(--bench idle); fi
    cargo test --locked --workspace --no-run "${benches[@]}"
else
    log "building the benchmarks (optimised, once)"
    cargo bench --locked -p godkend-protocol --bench crypto_floor --no-run
    cargo bench --locked -p godkend-server --bench load --bench statement_cost --no-run
fi
built=$(now)
info "built in $(elapsed "$started")"

log "crypto floor"
# Under `cargo test` criterion runs each benchmark once (its test mode); the floor
# line is a fixed loop of its own, printed either way.
run_bench godkend-protocol crypto_floor | tee "$out/crypto.txt"

log "server under load"
pg_skip=''
if [ "$postgres" = 0 ]; then
    pg_skip="--no-postgres"
elif [ "$smoke" = 1 ]; then
    # Seconds of load prove the backend works; a durable cluster is not worth starting.
    export GODKEND_BENCH_DATABASE_URL=${GODKEND_BENCH_DATABASE_URL:-${GODKEND_TEST_POSTGRES_URL:-}}
    if [ -z "$GODKEND_BENCH_DATABASE_URL" ]; then
        pg_skip="no database URL (GODKEND_BENCH_DATABASE_URL, GODKEND_TEST_POSTGRES_URL); the smoke run starts no cluster"
    fi
elif [ -z "${GODKEND_BENCH_DATABASE_URL:-}" ]; then
    # Our own cluster, durable as in production (the tests' one runs with fsync off).
    unset GODKEND_TEST_POSTGRES_URL
    GODKEND_PG_FSYNC=on start_postgres
    export GODKEND_BENCH_DATABASE_URL=$GODKEND_TEST_POSTGRES_URL
fi
if [ -n "$pg_skip" ]; then
    unset GODKEND_BENCH_DATABASE_URL
    warn "PostgreSQL is not benchmarked: $pg_skip"
    postgres=0
fi
pg_settings='-'
if [ -n "${GODKEND_BENCH_DATABASE_URL:-}" ]; then
    pg_tools=${pg_bin:-$(pg_bin_dir || true)}
    psql=${pg_tools:+$pg_tools/}psql
    pg_settings=$("$psql" -X -q -t -A -d "$GODKEND_BENCH_DATABASE_URL" \
        -c "select 'fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit')")
    info "PostgreSQL: $pg_settings"
fi
run_bench godkend-server load | tee "$out/load.txt"
if bench_has_phase statements; then
    log "SQL statement costs (SQLite)"
    # Into the same file: its BENCH lines are read and checked like the load bench's.
    run_bench godkend-server statement_cost | tee -a "$out/load.txt"
fi

if [ "$app" = 1 ]; then
    log "desktop app"
    bash scripts/bench-app.sh | tee "$out/app.txt"
fi

# ---------------------------------------------------------------------------
# The table

# fig KEY: a figure the load bench reported, or "-".
fig() {
    sed -n "s/^BENCH $1=//p" "$out/load.txt" | tail -n 1 | grep . || echo -
}
# num VALUE DIGITS: VALUE rounded, or "-" (none, or NaN or infinity from Rust).
num() {
    case $1 in
        - | NaN | nan | inf | -inf) echo - ;;
        *) printf "%.${2}f" "$1" ;;
    esac
}
floor_us=$(sed -n 's/^CRYPTO_FLOOR_US=//p' "$out/crypto.txt" | tail -n 1)
floor_us=${floor_us:--}
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
# A VM's model name is often just "AMD EPYC": the family and model tell its
# generations apart, whose cores differ by 2x in the crypto floor.
cpu_field() { sed -n "s/^$1[[:space:]]*: //p" /proc/cpuinfo | head -n 1; }
cpu="$(cpu_field 'model name') (family $(cpu_field 'cpu family'), model $(cpu_field model), $(cpu_field 'cpu MHz' | cut -d. -f1) MHz)"

{
    echo
    echo "Godkend benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $cpu; load average before the run's end $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ "$smoke" = 1 ]; then
        echo
        echo "**SMOKE RUN: UNOPTIMISED (debug) builds, a few seconds per figure. These figures are NOT measurements: they prove the benchmarks run. The README command, scripts/bench.sh, measures.**"
    fi
    if [ "$postgres" = 1 ] && [[ $pg_settings != *"fsync=on, synchronous_commit=on"* ]]; then
        echo
        echo "**PostgreSQL ran with $pg_settings: not production durability, so its figures do not compare with a durable cluster's.**"
    fi
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
        grep -q "^BENCH $label\\." "$out/load.txt" || continue
        for users in ${GODKEND_BENCH_USERS//,/ }; do
            t=$(fig "$label.users$users.trips_per_s")
            [ "$t" != - ] || continue
            cpu=$(fig "$label.users$users.server_cpu_ms")
            gen=$(fig "$label.users$users.loadgen_cpu_ms")
            ratio=-
            if [ "$cpu" != - ] && [ "$floor_us" != - ]; then
                ratio=$(awk -v c="$cpu" -v f="$floor_us" 'BEGIN { printf "%.1f", c * 1000 / f }')
            fi
            tgt=$([ "$users" = 512 ] && echo "$target_rt; CPU ≤ 3× floor" || echo "CPU ≤ 3× floor")
            row "$name, $users users: round trips/s; server CPU per trip (× floor; its threads' context switches); load generator CPU; steal" \
                "$(num "$t" 0)/s; $(num "$cpu" 3) ms (${ratio}×; $(num "$(fig "$label.users$users.server_switches")" 0)); $(num "$gen" 3) ms; $(num "$(fig "$label.users$users.steal_pct")" 1) %" "$tgt"
        done
        for rate in ${GODKEND_BENCH_RATES//,/ }; do
            p=$(fig "$label.rate$rate.event_p99_ms")
            [ "$p" != - ] || continue
            tgt_e=$([ "$rate" = 200 ] && echo "p99 < 20 ms" || echo "-")
            tgt_a=$([ "$rate" = 200 ] && echo "p99 < 10 ms" || echo "-")
            row "$name, $rate req/s offered: create → device event p50 / p99 / max (of which create answered, p99; steal)" \
                "$(num "$(fig "$label.rate$rate.event_p50_ms")" 1) / $(num "$p" 1) / $(num "$(fig "$label.rate$rate.event_max_ms")" 1) ms ($(num "$(fig "$label.rate$rate.created_p99_ms")" 1) ms; $(num "$(fig "$label.rate$rate.steal_pct")" 1) %)" "$tgt_e"
            row "$name, $rate req/s offered: decision accepted → RP's wait answered p50 / p99" \
                "$(num "$(fig "$label.rate$rate.answer_p50_ms")" 2) / $(num "$(fig "$label.rate$rate.answer_p99_ms")" 2) ms" "$tgt_a"
            row "$name, $rate req/s offered: create → RP result p50 / p99" \
                "$(num "$(fig "$label.rate$rate.result_p50_ms")" 1) / $(num "$(fig "$label.rate$rate.result_p99_ms")" 1) ms" "-"
        done
    done
    while read -r streams; do
        tgt=$([ "$streams" = 10000 ] && echo "< 300 MB" || echo "-")
        row "server RSS with $streams idle device streams" "$(num "$(fig "idle.streams$streams.rss_mb")" 1) MB" "$tgt"
        cpu=$(fig "idle.streams$streams.cpu_pct")
        if [ "$cpu" != - ]; then
            row "server idle CPU with $streams streams (their heartbeat signatures alone at their pace; in a hot loop); steal" \
                "$(num "$cpu" 2) % ($(num "$(fig "idle.streams$streams.heartbeat_pct")" 2) %; $(num "$(fig "idle.streams$streams.heartbeat_hot_pct")" 2) %) of a core; steal $(num "$(fig "idle.streams$streams.steal_pct")" 1) % of the machine" "≤ 2× the heartbeats"
        fi
    done < <(sed -n 's/^BENCH idle\.streams\([0-9]*\)\.rss_mb=.*/\1/p' "$out/load.txt")
    for tasks in 1 16; do
        [ "$(fig "statement.tasks$tasks.read.cpu_us")" != - ] || continue
        row "SQLite through the server's Store, $tasks concurrent task(s): CPU per read (pooled / on a held connection); per statement of a write transaction (1 / 4 inserts; 4 inserts handed over at once); SQLite's own work per statement, at most" \
            "$(num "$(fig "statement.tasks$tasks.read.cpu_us")" 1) / $(num "$(fig "statement.tasks$tasks.read_held.cpu_us")" 1) µs; $(num "$(fig "statement.tasks$tasks.tx1_per_statement_us")" 1) / $(num "$(fig "statement.tasks$tasks.tx4_per_statement_us")" 1) µs; $(num "$(fig "statement.tasks$tasks.tx4_batch_per_statement_us")" 1) µs; $(num "$(fig "statement.tasks$tasks.sqlite_own_us")" 1) µs" "(explains the server's CPU)"
    done
    if [ -n "$pg_skip" ]; then row "PostgreSQL" "NOT RUN: $pg_skip" "-"; fi
    if [ "$app" = 1 ]; then
        # The app benchmark's figures: its `APP what|figure|target` lines.
        while IFS='|' read -r what figure target; do
            row "app: $what" "$figure" "$target"
        done < <(sed -n 's/^APP //p' "$out/app.txt")
    fi
} | tee "$out/table.md"

# Every figure there, or the run fails (a benchmark that printed nothing is broken).
# KeePassXC is measured where it is installed (bench-app.sh), unless switched off.
app_out='' keepassxc=0
if [ "$app" = 1 ]; then
    app_out=$out/app.txt
    if [ "${GODKEND_BENCH_KEEPASSXC:-}" != 0 ] && have_tool keepassxc; then keepassxc=1; fi
fi
if ! gaps=$(bench_missing_figures "$out/crypto.txt" "$out/load.txt" "$app_out" "$postgres" "$keepassxc"); then
    printf '%s\n' "$gaps" | sed 's/^/    missing: /' >&2
    die "the benchmarks left figures out (above)"
fi
ok "every figure printed; built in $(elapsed "$started" "$built"), ran in $(elapsed "$built")"
