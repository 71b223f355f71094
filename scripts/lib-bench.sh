# shellcheck shell=bash
# What scripts/bench.sh expects its benchmarks to print, and the check that they did:
# a benchmark that runs but reports nothing (an empty percentile is NaN, a level with
# no round trip gives inf) must fail the run, not leave a "-" in the table. The plan
# is the exported GODKEND_BENCH_* settings bench.sh gives the load bench, so both
# sides read the same values. scripts/test-bench-check.sh tests this file.

# bench_is_number VALUE: a finite decimal number (Rust prints NaN, inf otherwise).
bench_is_number() {
    [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]
}

# bench_has_phase NAME: GODKEND_BENCH_PHASES lists NAME.
bench_has_phase() {
    [[ ,${GODKEND_BENCH_PHASES// /}, == *",$1,"* ]]
}

# bench_expected_load_keys POSTGRES(0|1): every `BENCH key` the load bench must
# print for the exported plan, one a line (crates/server/benches/load/main.rs).
bench_expected_load_keys() {
    local postgres=$1 labels=() level label n rate streams most=0
    if bench_has_phase throughput || bench_has_phase latency; then
        for level in ${GODKEND_BENCH_SQLITE//,/ }; do
            case $level in
                normal) labels+=(sqlite) ;;
                full) labels+=(sqlite_full) ;;
            esac
        done
        if [ "$postgres" = 1 ]; then labels+=(postgres); fi
    fi
    for label in ${labels[@]+"${labels[@]}"}; do
        if bench_has_phase throughput; then
            for n in ${GODKEND_BENCH_USERS//,/ }; do
                printf '%s\n' "$label.users$n.trips_per_s" "$label.users$n.server_cpu_ms" \
                    "$label.users$n.loadgen_cpu_ms"
            done
        fi
        if bench_has_phase latency; then
            for rate in ${GODKEND_BENCH_RATES//,/ }; do
                for n in event_p50_ms event_p99_ms event_max_ms answer_p50_ms answer_p99_ms \
                    result_p50_ms result_p99_ms; do
                    printf '%s\n' "$label.rate$rate.$n"
                done
            done
        fi
    done
    if bench_has_phase idle; then
        for streams in ${GODKEND_BENCH_IDLE_STREAMS//,/ }; do
            printf '%s\n' "idle.streams$streams.rss_mb"
            if [ "$streams" -gt "$most" ]; then most=$streams; fi
        done
        # Idle CPU is measured with the most streams only.
        if [ -n "${GODKEND_BENCH_IDLE_STREAMS// /}" ]; then
            printf '%s\n' "idle.streams$most.cpu_pct" "idle.streams$most.heartbeat_pct"
        fi
    fi
    # The statement costs (crates/server/benches/statement_cost.rs), alone and under load.
    if bench_has_phase statements; then
        for n in 1 16; do
            for key in read.cpu_us read.switches read_held.cpu_us sqlite_own_us tx1_per_statement_us \
                tx4_per_statement_us tx4_batch_per_statement_us; do
                printf '%s\n' "statement.tasks$n.$key"
            done
        done
    fi
}

# The app benchmark's figures that carry the issue's targets (benches/idle/main.rs
# prints them as `APP what|figure|target`), as patterns on `what`.
BENCH_APP_FIGURES=(
    '^idle, window open on home$'
    '^window open on a request$'
    '^[0-9]+ s after the window closes$'
    '^launch \(--tray\) → tray icon registered$'
    '^tray only, [0-9]+ s idle, push stream connected$'
    '^RP create → notification shown by dunst$'
)
BENCH_KEEPASSXC_FIGURES=('^KeePassXC idle, window open$' '^KeePassXC idle, minimised to its tray icon$')

# bench_missing_figures CRYPTO_OUT LOAD_OUT APP_OUT POSTGRES(0|1) KEEPASSXC(0|1):
# prints each expected figure that is missing or not a number, one a line, and
# returns 1 when there is any. APP_OUT empty: the app was not benchmarked.
bench_missing_figures() {
    local crypto=$1 load=$2 app=$3 postgres=$4 keepassxc=$5 missing=0 key value
    local patterns=() pattern what figure whats
    value=$(sed -n 's/^CRYPTO_FLOOR_US=//p' "$crypto" | tail -n 1)
    if ! bench_is_number "$value"; then
        echo "crypto floor (CRYPTO_FLOOR_US): '${value}'"
        missing=1
    fi
    while read -r key; do
        value=$(sed -n "s/^BENCH ${key//./\\.}=//p" "$load" | tail -n 1)
        if ! bench_is_number "$value"; then
            echo "load bench $key: '${value}'"
            missing=1
        fi
    done < <(bench_expected_load_keys "$postgres")
    if [ -n "$app" ]; then
        patterns=("${BENCH_APP_FIGURES[@]}")
        if [ "$keepassxc" = 1 ]; then patterns+=("${BENCH_KEEPASSXC_FIGURES[@]}"); fi
        whats=$(sed -n 's/^APP \([^|]*\)|.*/\1/p' "$app")
        for pattern in "${patterns[@]}"; do
            if ! grep -q -E "$pattern" <<<"$whats"; then
                echo "app figure missing: $pattern"
                missing=1
            fi
        done
        # Every figure the app printed holds a number, and no NaN or infinity.
        while IFS='|' read -r what figure _; do
            if ! [[ $figure =~ [0-9] ]] || [[ $figure =~ (^|[^a-z])(NaN|nan|inf) ]]; then
                echo "app figure '$what': '$figure'"
                missing=1
            fi
        done < <(sed -n 's/^APP //p' "$app")
    fi
    return "$missing"
}
