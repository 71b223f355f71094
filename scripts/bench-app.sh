#!/usr/bin/env bash
# Measures the desktop app (release build) in the same headless desktop as the tests
# (benches/idle/main.rs says what and in which order): RSS and CPU idle with the
# window open on home, on a request, after the window closes and in the tray only;
# launch → tray icon; RP create → notification shown by dunst; the browser hand-off
# listener's own RSS; and KeePassXC beside it, as the reference, in the same run.
# It measures the app as the packages ship it: the `dist` profile (size-tuned, fat
# LTO; scripts/package.sh). GODKEND_BENCH_APP_PROFILE=release measures the release
# build instead, and GODKEND_APP_BINARY any other binary.
# GODKEND_BENCH_SMOKE=1 (scripts/bench.sh --smoke): seconds instead of minutes, in the
# test profile (`cargo test --bench idle`): the UNOPTIMISED app and server that
# `cargo test --workspace` built, no release build; KeePassXC is measured if it is
# installed (not installed for it). GODKEND_BENCH_APP_PROFILE measures that profile's
# app there instead. Desktop services already running (scripts/test.sh's, which
# export GODKEND_TEST_DESKTOP=1) are used as they are.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GODKEND_ROOT"
# shellcheck disable=SC2119 # no components needed
need_rust
smoke=${GODKEND_BENCH_SMOKE:-0}
if [ "${GODKEND_TEST_DESKTOP:-}" != 1 ]; then
    # The headless desktop the app runs in, before the builds (installed on
    # Debian/Ubuntu; elsewhere need_debian names what is missing).
    need_debian "${DESKTOP_TOOLS[@]}" "${GUI_TOOLS[@]}"
fi
if [ "$smoke" = 1 ]; then
    if [ -z "${GODKEND_BENCH_KEEPASSXC:-}" ] && have_tool keepassxc; then
        export GODKEND_BENCH_KEEPASSXC=1
    fi
elif ! have_tool keepassxc; then
    # apt_install retries once, then dies: in a subshell, so the app is still measured.
    if ! (apt_install keepassxc); then
        warn "!!!!! KeePassXC (Debian package keepassxc) could not be installed: the reference figures are missing from this run"
    fi
fi
if [ "$smoke" != 1 ]; then cargo build --release --locked -p godkend-server; fi
if [ -z "${GODKEND_APP_BINARY:-}" ] &&
    { [ "$smoke" != 1 ] || [ -n "${GODKEND_BENCH_APP_PROFILE:-}" ]; }; then
    profile=${GODKEND_BENCH_APP_PROFILE:-dist}
    cargo build --profile "$profile" --locked -p godkend
    GODKEND_APP_BINARY="$(cargo_target_dir)/$profile/godkend"
    export GODKEND_APP_BINARY GODKEND_BENCH_APP_PROFILE="$profile"
fi
if [ "${GODKEND_TEST_DESKTOP:-}" != 1 ]; then
    trap stop_desktop_services EXIT
    start_desktop_services
fi
if [ "$smoke" = 1 ]; then
    # --workspace: the feature set `cargo test --workspace` built the app with.
    cargo test --locked --workspace --bench idle
else
    cargo bench --locked -p godkend --bench idle
fi
