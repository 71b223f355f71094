#!/usr/bin/env bash
# Bounded fuzzing: builds every cargo-fuzz target in fuzz/ once, runs each for a
# fixed time from its committed seeds (fuzz/corpus/<target>), and prints per target
# the executions, executions per second, corpus size and crashes. A crash fails the
# run and prints the input that caused it (fuzz/artifacts/<target>/...).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'EOF'
Usage: scripts/fuzz.sh [TARGET...]

Runs every fuzz target (or the ones named) for GODKEND_FUZZ_SECONDS each.
Installs cargo-fuzz 0.13 (`cargo install cargo-fuzz --locked`, into ~/.cargo/bin)
when it is missing. On the stable toolchain its nightly flags are allowed through
RUSTC_BOOTSTRAP=1.

Environment:
  GODKEND_FUZZ_SECONDS     seconds per target (default 20)
  GODKEND_FUZZ_TARGET_DIR  where the instrumented build goes (default: the main
                           target dir's fuzz/ folder, so CI's cache keeps it)

To replay a crash:  RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...
EOF
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
esac

CARGO_FUZZ_VERSION=0.13
seconds=${GODKEND_FUZZ_SECONDS:-20}
case "$seconds" in
    '' | *[!0-9]*) die "GODKEND_FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" ;;
esac

need_rust
cd "$GODKEND_ROOT/fuzz"

# The instrumented build shares nothing with the main one; beside it, CI caches both.
if [ -z "${GODKEND_FUZZ_TARGET_DIR:-}" ]; then
    GODKEND_FUZZ_TARGET_DIR="$(cargo_target_dir)/fuzz"
fi
export CARGO_TARGET_DIR=$GODKEND_FUZZ_TARGET_DIR
# cargo-fuzz passes -Z flags to rustc (sanitizer, coverage); stable accepts them so.
export RUSTC_BOOTSTRAP=1

install_cargo_fuzz() {
    local have
    have=$(cargo fuzz --version 2>/dev/null | awk '{print $2}') || true
    case "$have" in
        "$CARGO_FUZZ_VERSION".*)
            info "cargo-fuzz $have (installed)"
            return 0
            ;;
    esac
    info "installing cargo-fuzz $CARGO_FUZZ_VERSION (cargo install --locked, a few minutes)"
    _retry_once cargo install cargo-fuzz --version "~$CARGO_FUZZ_VERSION" --locked >&2 ||
        die "could not install cargo-fuzz $CARGO_FUZZ_VERSION (cargo install cargo-fuzz --locked)"
}

t0=$(now)
install_cargo_fuzz
t_install=$(elapsed "$t0")

mapfile -t all_targets < <(cargo fuzz list)
[ ${#all_targets[@]} -gt 0 ] || die "cargo fuzz list found no targets in fuzz/"
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
for t in "${targets[@]}"; do
    printf '%s\n' "${all_targets[@]}" | grep -qxF "$t" || die "no fuzz target named '$t' (have: ${all_targets[*]})"
done

# Instrumented, optimised, with debug assertions and overflow checks (cargo-fuzz's
# defaults) and AddressSanitizer, which watches the unsafe code in dependencies (our
# crates deny unsafe code). One cargo invocation builds every target.
t0=$(now)
info "building ${#all_targets[@]} fuzz targets into $CARGO_TARGET_DIR"
cargo fuzz build --codegen-units 16 >&2
t_build=$(elapsed "$t0")

# Each run starts from the committed seeds (read-only: listed second) and writes what
# it finds into a scratch corpus, so the checkout stays clean.
work="$CARGO_TARGET_DIR/fuzz-runs"
rm -rf "$work"
mkdir -p "$work"
results=()
failed=()
t0=$(now)
for t in "${targets[@]}"; do
    seeds="$GODKEND_ROOT/fuzz/corpus/$t"
    [ -d "$seeds" ] || die "no seed corpus for $t: fuzz/corpus/$t (python3 fuzz/gen_corpus.py writes them)"
    mkdir -p "$work/$t/corpus"
    log_file="$work/$t/fuzz.log"
    info "fuzzing $t for ${seconds}s"
    rc=0
    cargo fuzz run --codegen-units 16 "$t" "$work/$t/corpus" "$seeds" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        >"$log_file" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log_file" | tail -n 1)
    corpus=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' "$log_file" | tail -n 1)
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log_file" | tail -n 1)
    crashes=0
    if [ "$rc" -ne 0 ] || [ -n "$artifact" ]; then
        crashes=1
        failed+=("$t")
    fi
    results+=("$(printf '%-16s %12s %10s %8s %8s' "$t" "${runs:-?}" "${rate:-?}" "${corpus:-?}" "$crashes")")
    if [ "$crashes" -ne 0 ]; then
        warn "=================================================================="
        warn "FUZZ CRASH in $t (exit $rc). The end of its log ($log_file):"
        tail -n 40 "$log_file" >&2
        warn "input: ${artifact:-none written; see the log}"
        warn "replay: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $t ${artifact:-ARTIFACT})"
        warn "=================================================================="
    fi
done
t_run=$(elapsed "$t0")

printf '\n%s%-16s %12s %10s %8s %8s%s\n' "$_c_bold" target executions exec/s corpus crashes "$_c_off" >&2
printf '%s\n' "${results[@]}" >&2
info "cargo-fuzz install ${t_install}, build ${t_build}, runs ${t_run} (${seconds}s per target)"
if [ ${#failed[@]} -gt 0 ]; then
    die "fuzzing found crashes in: ${failed[*]} (inputs under fuzz/artifacts/)"
fi
ok "fuzzing: ${#targets[@]} targets, no crashes"
