#!/usr/bin/env bash
# Measures the desktop app (release build) in the same headless desktop as the tests
# (benches/idle/main.rs says what and in which order): RSS and CPU idle with the
# window open on home, on a request, after the window closes and in the tray only;
# launch → tray icon; RP create → notification shown by dunst; the browser hand-off
# listener's own RSS; and KeePassXC beside it, as the reference, in the same run.
# It measures the app as the packages ship it: the `dist` profile (size-tuned, fat
# LTO; scripts/package.sh). GODKEND_BENCH_APP_PROFILE=release measures the release
# build instead, and GODKEND_APP_BINARY any other binary.
# GODKEND_BENCH_SMOKE=1 (scripts/bench.sh --smoke): seconds instead of minutes,
# KeePassXC is neither installed nor measured, and the release build that cargo
# bench makes anyway is measured (a cold dist build takes longer than the smoke run
# may; GODKEND_BENCH_APP_PROFILE=dist measures dist there too).
# (Outside the smoke run the dist build is extra to cargo bench's own.)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GODKEND_ROOT"
# shellcheck disable=SC2119 # no components needed
need_rust
if [ "${GODKEND_BENCH_SMOKE:-0}" != 1 ] && ! have_tool keepassxc; then
    # apt_install retries once, then dies: in a subshell, so the app is still measured.
    if ! (apt_install keepassxc); then
        warn "!!!!! KeePassXC (Debian package keepassxc) could not be installed: the reference figures are missing from this run"
    fi
fi
cargo build --release --locked -p godkend-server
# The smoke run measures the app `cargo bench` builds for it (a separate release
# build would compile every dependency again: the bench's dev-dependencies change
# their features).
if [ -z "${GODKEND_APP_BINARY:-}" ] &&
    { [ "${GODKEND_BENCH_SMOKE:-0}" != 1 ] || [ -n "${GODKEND_BENCH_APP_PROFILE:-}" ]; }; then
    profile=${GODKEND_BENCH_APP_PROFILE:-dist}
    cargo build --profile "$profile" --locked -p godkend
    GODKEND_APP_BINARY="$(cargo_target_dir)/$profile/godkend"
    export GODKEND_APP_BINARY GODKEND_BENCH_APP_PROFILE="$profile"
fi
trap stop_desktop_services EXIT
start_desktop_services
cargo bench --locked -p godkend --bench idle
