#!/usr/bin/env bash
# Tests scripts/lib-bench.sh, the check that fails a benchmark run with a figure
# missing: a complete set of outputs passes, and each way a figure goes missing
# (absent, NaN, inf, an app figure without a number, KeePassXC expected but not
# measured) fails and names the figure. Runs in well under a second, no cargo.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/godkend-bench-check.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# The smoke plan, as bench.sh exports it.
export GODKEND_BENCH_USERS=1,8 GODKEND_BENCH_RATES=20 GODKEND_BENCH_IDLE_STREAMS=0,100
export GODKEND_BENCH_PHASES=throughput,latency,idle,statements GODKEND_BENCH_SQLITE=normal,full

# Outputs shaped like the benchmarks' own (lines taken from a real smoke run).
write_outputs() {
    printf '%s\n' 'crypto floor per round trip: 286.9 us of one core' 'CRYPTO_FLOOR_US=286.9' >"$dir/crypto.txt"
    bench_expected_load_keys 1 | sed 's/^/BENCH /; s/$/=1.250/' >"$dir/load.txt"
    cat >"$dir/app.txt" <<'OUT'
APP app build measured|debug, UNOPTIMISED (cargo test's build), 80.0 MB on disk (/t/debug/godkend)|-
APP idle, window open on home|RSS 41.3 MB (anonymous 6.1, files 35.2; PSS 36.8), CPU 0.000 % over 3 s|RSS < 25 MB; CPU < 0.1 %
APP window open on a request|RSS 41.8 MB (anonymous 6.2, files 35.7; PSS 37.3)|RSS < 25 MB
APP 3 s after the window closes|RSS 38.7 MB (anonymous 5.3, files 33.4; PSS 35.3), CPU 0.000 % over 3 s|RSS < 15 MB; CPU < 0.1 %
APP launch (--tray) → tray icon registered|32 ms|< 300 ms
APP tray only, 3 s idle, push stream connected|RSS 31.7 MB (anonymous 4.1, files 27.6; PSS 28.6), CPU 0.000 % over 3 s|RSS < 15 MB; CPU < 0.1 %
APP RP create → notification shown by dunst|p50 26.0 ms, p99 27.0 ms, max 32.4 ms over 5 requests|p50 < 100 ms
APP browser hand-off listener's own RSS (tray only, with minus without)|-0.11 MB (anonymous -0.13)|small
APP KeePassXC idle, window open|RSS 104.1 MB (anonymous 21.4, files 82.7; PSS 66.7), CPU 0.666 % over 3 s|(reference)
APP KeePassXC idle, minimised to its tray icon|RSS 50.1 MB (anonymous 10.3, files 39.8; PSS 40.7), CPU 0.000 % over 3 s|(reference)
OUT
}

check() { bench_missing_figures "$dir/crypto.txt" "$dir/load.txt" "$dir/app.txt" "$@"; }
failures=0

# expect_pass WHAT ARGS... / expect_missing WHAT NEEDLE ARGS...: the check's verdict.
expect_pass() {
    local what=$1 said
    shift
    if said=$(check "$@"); then return 0; fi
    warn "FAIL: $what: the check reported: $said"
    failures=$((failures + 1))
}
expect_missing() {
    local what=$1 needle=$2 said
    shift 2
    if said=$(check "$@"); then
        warn "FAIL: $what: the check passed"
        failures=$((failures + 1))
    elif [[ $said != *"$needle"* ]]; then
        warn "FAIL: $what: the check did not name $needle: $said"
        failures=$((failures + 1))
    fi
}

write_outputs
expect_pass "a complete run" 1 1
[ "$(bench_expected_load_keys 1 | wc -l)" = 57 ] || {
    warn "FAIL: the smoke plan should expect 57 load figures (3 backends × (2 levels × 3 + 7) + 2 RSS + 2 idle CPU + 2 × 7 statement costs), got $(bench_expected_load_keys 1 | wc -l)"
    failures=$((failures + 1))
}
# Without PostgreSQL its figures are not expected; with it they are.
grep -v '^BENCH postgres\.' "$dir/load.txt" >"$dir/x" && mv "$dir/x" "$dir/load.txt"
expect_pass "PostgreSQL skipped" 0 1
expect_missing "PostgreSQL run but silent" postgres.users1.trips_per_s 1 1

# Each way a figure goes missing: FILE, the sed edit that breaks it, what the check
# must name, and what the case is.
while IFS='%' read -r file edit needle what; do
    write_outputs
    sed -i "$edit" "$dir/$file"
    expect_missing "$what" "$needle" 1 1
done <<'CASES'
load.txt%/^BENCH sqlite_full\.rate20\.event_p99_ms=/d%sqlite_full.rate20.event_p99_ms%a latency figure absent
load.txt%s/^BENCH sqlite\.rate20\.answer_p50_ms=.*/BENCH sqlite.rate20.answer_p50_ms=NaN/%sqlite.rate20.answer_p50_ms%an empty percentile (NaN)
load.txt%s/^BENCH sqlite\.users8\.server_cpu_ms=.*/BENCH sqlite.users8.server_cpu_ms=inf/%sqlite.users8.server_cpu_ms%no round trip in a level (inf)
load.txt%/^BENCH idle\.streams100\.cpu_pct=/d%idle.streams100.cpu_pct%idle CPU absent
load.txt%/^BENCH statement\.tasks16\.tx4_per_statement_us=/d%statement.tasks16.tx4_per_statement_us%a statement cost absent
crypto.txt%s/^CRYPTO_FLOOR_US=.*/CRYPTO_FLOOR_US=/%CRYPTO_FLOOR_US%no crypto floor
app.txt%/^APP RP create → notification shown by dunst/d%notification shown by dunst%the push latency absent
app.txt%s/^APP launch (--tray) → tray icon registered.*/APP launch (--tray) → tray icon registered|NaN ms|< 300 ms/%launch (--tray)%an app figure NaN
CASES

write_outputs
sed -i '/^APP KeePassXC/d' "$dir/app.txt"
expect_pass "KeePassXC not installed" 1 0
expect_missing "KeePassXC installed but not measured" KeePassXC 1 1

if [ "$failures" -gt 0 ]; then die "lib-bench.sh: $failures check(s) wrong"; fi
ok "lib-bench.sh: the figure check passes a complete run and names each missing figure"
