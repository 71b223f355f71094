# shellcheck shell=bash
# Shared helpers for the scripts in this folder: logging, system packages, Rust,
# free ports and readiness polling. Source it; it sets no shell options of its own
# and works under `set -euo pipefail`.

GODKEND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---------------------------------------------------------------------------
# Logging (to stderr, so stdout stays free for values a function returns)

if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then
    _c_bold=$'\033[1m' _c_red=$'\033[31m' _c_green=$'\033[32m' _c_yellow=$'\033[33m' _c_off=$'\033[0m'
else
    _c_bold='' _c_red='' _c_green='' _c_yellow='' _c_off=''
fi

log() { printf '%s==>%s %s\n' "$_c_bold" "$_c_off" "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
warn() { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
ok() { printf '%s%s%s\n' "$_c_green" "$*" "$_c_off" >&2; }
die() {
    printf '%serror:%s %s\n' "$_c_red" "$_c_off" "$*" >&2
    exit 1
}

# Seconds since the epoch with a fraction where bash offers one.
now() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        printf '%s\n' "${EPOCHREALTIME/,/.}"
    else
        date +%s
    fi
}

# elapsed START [END]: "12.3s" or "4m 05.6s".
elapsed() {
    awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN {
        d = b - a; if (d < 0) d = 0
        if (d < 60) printf "%.1fs", d; else printf "%dm %04.1fs", int(d / 60), d - 60 * int(d / 60)
    }'
}

# ---------------------------------------------------------------------------
# System packages

is_debian() {
    [ -r /etc/os-release ] || return 1
    local ids
    # shellcheck source=/dev/null
    ids=$(. /etc/os-release && printf '%s %s' "${ID:-}" "${ID_LIKE:-}")
    case " $ids " in
        *" debian "* | *" ubuntu "*) return 0 ;;
    esac
    return 1
}

# have_tool NAME: NAME is a command on PATH or an absolute path to an executable.
have_tool() {
    case "$1" in
        /*) [ -x "$1" ] ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

# need_debian TOOL:PACKAGE...
# Makes sure the system tools a script needs are there. On Debian/Ubuntu it installs
# the packages with apt_install (GODKEND_SKIP_APT=1 skips that and only checks).
# Elsewhere it checks each TOOL (a command or an absolute path) and, if any is
# missing, says what to install by hand and exits 1.
need_debian() {
    _need have_tool tools "$@"
}

# need_pkg_config MODULE:PACKAGE...: the same for libraries a build finds through
# pkg-config.
need_pkg_config() {
    _need _have_pkg_config "libraries (pkg-config modules)" "$@"
}

_have_pkg_config() {
    pkg-config --exists "$1" 2>/dev/null
}

# _need CHECK WHAT NAME:PACKAGE...: installs the packages on Debian/Ubuntu; elsewhere
# (or with GODKEND_SKIP_APT=1) runs CHECK on each NAME and names what is missing.
_need() {
    local check=$1 what=$2 spec name pkg missing=()
    shift 2
    if is_debian && [ "${GODKEND_SKIP_APT:-0}" != 1 ]; then
        local pkgs=()
        for spec in "$@"; do pkgs+=("${spec#*:}"); done
        apt_install "${pkgs[@]}"
        return 0
    fi
    for spec in "$@"; do
        name=${spec%%:*} pkg=${spec#*:}
        "$check" "$name" || missing+=("$name (Debian/Ubuntu package: $pkg)")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if is_debian; then
        printf '%serror:%s GODKEND_SKIP_APT=1 is set and these %s are missing:\n' "$_c_red" "$_c_off" "$what" >&2
    else
        printf '%serror:%s this script installs its %s itself only on Debian/Ubuntu.\n' "$_c_red" "$_c_off" "$what" >&2
        printf 'Install these with your system package manager, then run it again:\n' >&2
    fi
    printf '  - %s\n' "${missing[@]}" >&2
    printf '(Where a script takes a tool path from a GODKEND_* variable, --help names it.)\n' >&2
    exit 1
}

# dpkg_installed PACKAGE
dpkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'
}

# Run as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root, and sudo is not installed: run it as root, or install the packages named above by hand"
    fi
}

_godkend_apt_updated=0

# apt_install PACKAGE...: installs the packages that are not installed yet.
# `apt-get update` runs at most once per script run; each apt step is retried once,
# because a parallel apt run can hold the lock or delete the cached .debs.
apt_install() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "Installing system packages: ${missing[*]}"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
    if [ "$_godkend_apt_updated" = 0 ]; then
        _retry_once as_root "${apt[@]}" update ||
            die "apt-get update failed twice; check the network and /etc/apt/sources.list"
        _godkend_apt_updated=1
    fi
    _retry_once as_root "${apt[@]}" install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed twice for: ${missing[*]}"
}

_retry_once() {
    "$@" && return 0
    warn "'$*' failed; retrying once"
    "$@"
}

# ---------------------------------------------------------------------------
# Rust

# need_rust [COMPONENT...]: cargo (and e.g. the rustfmt and clippy components) present.
need_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        printf '%serror:%s Rust is not installed (cargo not found). Install it with rustup:\n' "$_c_red" "$_c_off" >&2
        printf "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y\n" >&2
        # shellcheck disable=SC2016 # printed for the user to run, not expanded here
        printf '  . "$HOME/.cargo/env"\n' >&2
        printf 'then run this script again.\n' >&2
        exit 1
    fi
    local want have
    want=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$GODKEND_ROOT/Cargo.toml" | head -n 1)
    have=$(rustc --version 2>/dev/null | awk '{print $2}')
    if [ -n "$want" ] && [ -n "$have" ] && ! version_at_least "${have%%-*}" "$want"; then
        die "Rust $want or newer is needed, found $have: run 'rustup update stable'"
    fi
    local component
    for component in "$@"; do
        case "$component" in
            rustfmt) cargo fmt --version >/dev/null 2>&1 ||
                die "cargo fmt is missing: run 'rustup component add rustfmt'" ;;
            clippy) cargo clippy --version >/dev/null 2>&1 ||
                die "cargo clippy is missing: run 'rustup component add clippy'" ;;
            *) die "need_rust: unknown component $component" ;;
        esac
    done
}

# version_at_least HAVE WANT: dotted numeric versions.
version_at_least() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# The directory cargo builds into (respects CARGO_TARGET_DIR and .cargo/config).
cargo_target_dir() {
    cargo metadata --format-version 1 --no-deps --manifest-path "$GODKEND_ROOT/Cargo.toml" |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# ---------------------------------------------------------------------------
# Network

# port_in_use PORT: something accepts connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    local port tries=0
    while [ $tries -lt 100 ]; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    die "found no free TCP port on 127.0.0.1"
}

# wait_http URL TIMEOUT_SECONDS [PID]: polls URL until it answers 2xx. Fails after the
# timeout, or at once when PID (the process that should serve URL) has exited.
wait_http() {
    local url=$1 timeout=$2 pid=${3:-} deadline
    deadline=$(awk -v n="$(now)" -v t="$timeout" 'BEGIN { printf "%.3f", n + t }')
    while :; do
        curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            warn "the process ($pid) that should answer $url has exited"
            return 1
        fi
        if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n >= d) }'; then
            warn "$url did not answer within ${timeout}s"
            return 1
        fi
        sleep 0.2
    done
}

# pid_alive PID: the process exists and is not a zombie waiting to be reaped.
pid_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -r "/proc/$1/stat" ]; then
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [ "${stat%% *}" != Z ] || return 1
    fi
    return 0
}

# stop_pid PID [GRACE_SECONDS]: SIGTERM, wait, then SIGKILL. Only for processes the
# calling script started itself.
stop_pid() {
    local pid=$1 grace=${2:-10} i=0
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while pid_alive "$pid" && [ $i -lt $((grace * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if pid_alive "$pid"; then
        warn "process $pid did not stop within ${grace}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
# PostgreSQL (throw-away clusters for tests)

# pg_bin_dir: the directory holding initdb and pg_ctl (newest Debian version first).
pg_bin_dir() {
    local dir
    if [ -n "${GODKEND_PG_BIN:-}" ]; then
        printf '%s\n' "$GODKEND_PG_BIN"
        return 0
    fi
    dir=$(for d in /usr/lib/postgresql/*/bin; do if [ -d "$d" ]; then printf '%s\n' "$d"; fi; done | sort -V | tail -n 1)
    if [ -z "$dir" ] && command -v initdb >/dev/null 2>&1; then
        dir=$(dirname "$(command -v initdb)")
    fi
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || return 1
    printf '%s\n' "$dir"
}

# ---------------------------------------------------------------------------
# Desktop services for tests: a private D-Bus session bus and a Secret Service

_desktop_dir=''
_desktop_bus_pid=''
_desktop_keyring_pid=''
_desktop_gui_pids=()
_desktop_saved_bus=''
_desktop_saved_bus_set=0

# What start_desktop_services and start_gui_services run, as TOOL:PACKAGE for
# need_debian (the test and benchmark commands install them from these lists).
DESKTOP_TOOLS=(dbus-daemon:dbus gnome-keyring-daemon:gnome-keyring gdbus:libglib2.0-bin)
GUI_TOOLS=(Xvfb:xvfb xdotool:xdotool dunst:dunst dunstctl:dunst import:imagemagick
    status-notifier-watcher:haskell-status-notifier-item-utils
    gtk-sni-tray-standalone:haskell-gtk-sni-tray-utils)

# start_desktop_services: starts, in a fresh temp dir and as children of this shell,
#   - a private D-Bus session bus whose config has no <servicedir>, so nothing is
#     D-Bus-activated behind the test's back (notes/gui-stack.md, gotcha 1);
#   - gnome-keyring-daemon (Secret Service only) on that bus, with a throw-away login
#     collection unlocked by a throw-away password.
# The daemons get the temp dir as HOME and XDG_* dirs; this shell keeps its own (cargo
# needs the real HOME). Waits by polling NameHasOwner and the collection's Locked
# property, not by sleeping. Exports DBUS_SESSION_BUS_ADDRESS and
# GODKEND_TEST_SECRET_SERVICE_BUS (the vault tests run only on that bus, never on a
# developer's own keyring). Returns 1 (after cleaning up) when something does not start.
# Then, for the desktop app's end-to-end test (start_gui_services): Xvfb, dunst and a
# StatusNotifierItem tray host, on the same bus.
start_desktop_services() {
    local tool missing=()
    for tool in "${DESKTOP_TOOLS[@]}"; do
        have_tool "${tool%%:*}" || missing+=("${tool%%:*} (Debian/Ubuntu package: ${tool#*:})")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        warn "the desktop test services need: ${missing[*]}"
        return 1
    fi
    if [ -n "$_desktop_dir" ]; then
        warn "the desktop test services are already running (bus pid $_desktop_bus_pid)"
        return 1
    fi
    _desktop_saved_bus_set=0
    if [ -n "${DBUS_SESSION_BUS_ADDRESS+x}" ]; then
        _desktop_saved_bus=$DBUS_SESSION_BUS_ADDRESS
        _desktop_saved_bus_set=1
    fi
    _desktop_dir=$(mktemp -d "${TMPDIR:-/tmp}/godkend-desktop.XXXXXX") || return 1
    local d=$_desktop_dir
    mkdir -m 700 "$d/home" "$d/run" "$d/data" "$d/config" "$d/cache"
    cat >"$d/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$d/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
    local denv=(env HOME="$d/home" XDG_RUNTIME_DIR="$d/run" XDG_DATA_HOME="$d/data"
        XDG_CONFIG_HOME="$d/config" XDG_CACHE_HOME="$d/cache" NO_AT_BRIDGE=1)

    # --nofork keeps the bus our child (PID 1 here does not reap orphans); it writes its
    # address to fd 3 once it listens.
    "${denv[@]}" dbus-daemon --config-file="$d/bus.conf" --nofork --print-address=3 \
        3>"$d/bus.address" >"$d/dbus.log" 2>&1 &
    _desktop_bus_pid=$!
    if ! _desktop_poll 10 "$_desktop_bus_pid" test -s "$d/bus.address"; then
        warn "the private D-Bus session bus did not start; its log:"
        tail -n 20 "$d/dbus.log" >&2 || true
        stop_desktop_services
        return 1
    fi
    local address
    address=$(head -n 1 "$d/bus.address")
    export DBUS_SESSION_BUS_ADDRESS=$address
    info "private D-Bus session bus (pid $_desktop_bus_pid): $address"

    # gnome-keyring-daemon reads the unlock password from stdin; a new HOME means it
    # creates a new "login" collection with it and makes it the default.
    printf '%s' "godkend-test-$RANDOM$RANDOM" |
        "${denv[@]}" DBUS_SESSION_BUS_ADDRESS="$address" \
            gnome-keyring-daemon --foreground --unlock --components=secrets >"$d/keyring.log" 2>&1 &
    _desktop_keyring_pid=$!
    if ! _desktop_poll 20 "$_desktop_keyring_pid" _desktop_has_owner org.freedesktop.secrets ||
        ! _desktop_poll 10 "$_desktop_keyring_pid" _desktop_default_collection_unlocked; then
        warn "gnome-keyring-daemon did not offer an unlocked Secret Service on the bus; its log:"
        tail -n 20 "$d/keyring.log" >&2 || true
        stop_desktop_services
        return 1
    fi
    export GODKEND_TEST_SECRET_SERVICE_BUS=$address
    info "gnome-keyring-daemon (pid $_desktop_keyring_pid) owns org.freedesktop.secrets, login collection unlocked"
    start_gui_services "${denv[@]}"
}

# start_xvfb DIR [ENV...]: Xvfb on a display number it picks itself (-displayfd), run
# through ENV, its log in DIR. Sets DISPLAY (not exported) and XVFB_PID; returns 1,
# after showing its log, when it does not start (XVFB_PID is set then too).
start_xvfb() {
    local d=$1
    shift
    "$@" Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$d/display" >"$d/xvfb.log" 2>&1 &
    XVFB_PID=$!
    if ! _desktop_poll 10 "$XVFB_PID" test -s "$d/display"; then
        warn "Xvfb did not start; its log:"
        tail -n 20 "$d/xvfb.log" >&2 || true
        return 1
    fi
    DISPLAY=":$(head -n 1 "$d/display")"
}

# start_gui_services ENV...: the graphical session of the end-to-end test
# (notes/gui-stack.md §7), each daemon run through ENV (the private HOME and XDG dirs):
#   - Xvfb on a display number it picks itself (-displayfd);
#   - dunst, whose context menu ("dmenu") is a script that picks the action whose label
#     is in $GODKEND_TEST_DUNST_PICK, so a test can press a notification's buttons;
#   - status-notifier-watcher and gtk-sni-tray-standalone: a StatusNotifierItem host.
# Exports DISPLAY and GODKEND_TEST_DESKTOP=1. Without these programs it says what to
# install and returns 1.
start_gui_services() {
    local tool missing=()
    for tool in "${GUI_TOOLS[@]}"; do
        have_tool "${tool%%:*}" || missing+=("${tool%%:*} (Debian/Ubuntu package: ${tool#*:})")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        warn "the desktop end-to-end test needs: ${missing[*]}"
        return 1
    fi
    local d=$_desktop_dir pid started=0
    start_xvfb "$d" "$@" && started=1
    _desktop_gui_pids+=("$XVFB_PID")
    [ "$started" = 1 ] || return 1
    export DISPLAY
    info "Xvfb (pid $XVFB_PID) on display $DISPLAY"

    export GODKEND_TEST_DUNST_PICK=$d/dunst-pick
    : >"$GODKEND_TEST_DUNST_PICK"
    cat >"$d/dunst-dmenu" <<PICK
#!/bin/sh
# dunst pipes its context menu here; answer with the line of the wanted action.
grep -m1 -F "\$(cat "$GODKEND_TEST_DUNST_PICK")"
PICK
    chmod +x "$d/dunst-dmenu"
    # And a rule whose script records what each notification says, for the test to
    # check (dunst's history holds only notifications the user closed).
    export GODKEND_TEST_DUNST_SHOWN=$d/dunst-shown
    : >"$GODKEND_TEST_DUNST_SHOWN"
    cat >"$d/dunst-record" <<RECORD
#!/bin/sh
# dunst calls: script appname summary body icon urgency
printf '%s\t%s\t%s\n' "\$1" "\$2" "\$3" >>"$GODKEND_TEST_DUNST_SHOWN"
RECORD
    chmod +x "$d/dunst-record"
    {
        sed -e "s|^[[:space:]]*dmenu = .*|    dmenu = $d/dunst-dmenu|" /etc/xdg/dunst/dunstrc
        printf '\n[record-all]\n    appname = "*"\n    script = %s\n' "$d/dunst-record"
    } >"$d/dunstrc"
    "$@" DISPLAY="$DISPLAY" dunst -conf "$d/dunstrc" >"$d/dunst.log" 2>&1 &
    pid=$!
    _desktop_gui_pids+=("$pid")
    if ! _desktop_poll 10 "$pid" _desktop_has_owner org.freedesktop.Notifications; then
        warn "dunst did not take org.freedesktop.Notifications; its log:"
        tail -n 20 "$d/dunst.log" >&2 || true
        return 1
    fi
    info "dunst (pid $pid) owns org.freedesktop.Notifications"

    "$@" DISPLAY="$DISPLAY" status-notifier-watcher >"$d/sni-watcher.log" 2>&1 &
    pid=$!
    _desktop_gui_pids+=("$pid")
    if ! _desktop_poll 10 "$pid" _desktop_has_owner org.kde.StatusNotifierWatcher; then
        warn "status-notifier-watcher did not start; its log:"
        tail -n 20 "$d/sni-watcher.log" >&2 || true
        return 1
    fi
    "$@" DISPLAY="$DISPLAY" gtk-sni-tray-standalone --bottom --size 32 --color '#808080' \
        >"$d/sni-host.log" 2>&1 &
    pid=$!
    _desktop_gui_pids+=("$pid")
    if ! _desktop_poll 20 "$pid" _desktop_sni_host_registered; then
        warn "gtk-sni-tray-standalone did not register as a tray host; its log:"
        tail -n 20 "$d/sni-host.log" >&2 || true
        return 1
    fi
    info "tray host (pid $pid) registered with the StatusNotifierWatcher"
    export GODKEND_TEST_DESKTOP=1
    start_atspi_bus "$@"
}

# start_atspi_bus ENV...: at-spi2-core's accessibility bus for the screen-reader test
# (notes/accessibility.md): at-spi-bus-launcher owns org.a11y.Bus on the private
# session bus and starts the accessibility bus at once; at-spi2-registryd is
# activated on that bus when the first app registers. IsEnabled stays off (no screen
# reader runs) until a test switches it on. Exports GODKEND_TEST_ATSPI=1; without
# at-spi2-core it warns and the screen-reader test says what to install.
start_atspi_bus() {
    local launcher=/usr/libexec/at-spi-bus-launcher pid
    if [ ! -x "$launcher" ]; then
        warn "no $launcher (Debian/Ubuntu package: at-spi2-core): the screen-reader test cannot run"
        return 0
    fi
    # IsEnabled is kept in GSettings; dconf's writer is not on this bus (nothing is
    # activated), so a switch would bounce back to false: keep it in memory instead.
    "$@" DISPLAY="$DISPLAY" GSETTINGS_BACKEND=memory "$launcher" --launch-immediately \
        >"$_desktop_dir/atspi.log" 2>&1 &
    pid=$!
    _desktop_gui_pids+=("$pid")
    if ! _desktop_poll 10 "$pid" _desktop_has_owner org.a11y.Bus; then
        warn "at-spi-bus-launcher did not take org.a11y.Bus; its log:"
        tail -n 20 "$_desktop_dir/atspi.log" >&2 || true
        return 1
    fi
    info "at-spi-bus-launcher (pid $pid) owns org.a11y.Bus"
    export GODKEND_TEST_ATSPI=1
}

_desktop_sni_host_registered() {
    gdbus call --session --timeout 2 --dest org.kde.StatusNotifierWatcher \
        --object-path /StatusNotifierWatcher --method org.freedesktop.DBus.Properties.Get \
        org.kde.StatusNotifierWatcher IsStatusNotifierHostRegistered | grep -q true
}

# stop_desktop_services: stops exactly the processes start_desktop_services started
# (by pid), removes its temp dir and restores DBUS_SESSION_BUS_ADDRESS. Safe to call
# when nothing was started, and more than once.
stop_desktop_services() {
    local pid i
    # Newest first: the tray host before its watcher, dunst and Xvfb before the bus.
    for ((i = ${#_desktop_gui_pids[@]} - 1; i >= 0; i--)); do
        pid=${_desktop_gui_pids[$i]}
        stop_pid "$pid" 5
    done
    _desktop_gui_pids=()
    unset GODKEND_TEST_DESKTOP GODKEND_TEST_DUNST_PICK GODKEND_TEST_DUNST_SHOWN GODKEND_TEST_ATSPI
    if [ -n "$_desktop_keyring_pid" ]; then
        info "stopping gnome-keyring-daemon (pid $_desktop_keyring_pid)"
        stop_pid "$_desktop_keyring_pid" 5
        _desktop_keyring_pid=''
    fi
    if [ -n "$_desktop_bus_pid" ]; then
        info "stopping the private D-Bus session bus (pid $_desktop_bus_pid)"
        stop_pid "$_desktop_bus_pid" 5
        _desktop_bus_pid=''
    fi
    if [ -n "$_desktop_dir" ]; then
        rm -rf "$_desktop_dir"
        _desktop_dir=''
        unset GODKEND_TEST_SECRET_SERVICE_BUS
        if [ "$_desktop_saved_bus_set" = 1 ]; then
            export DBUS_SESSION_BUS_ADDRESS=$_desktop_saved_bus
        else
            unset DBUS_SESSION_BUS_ADDRESS
        fi
    fi
}

# _desktop_poll TIMEOUT_SECONDS PID COMMAND...: runs COMMAND every 0.1 s until it
# succeeds; fails after the timeout, or at once when PID has exited.
_desktop_poll() {
    local timeout=$1 pid=$2 deadline
    shift 2
    deadline=$(awk -v n="$(now)" -v t="$timeout" 'BEGIN { printf "%.3f", n + t }')
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        if ! pid_alive "$pid"; then
            warn "process $pid exited while waiting for: $*"
            return 1
        fi
        if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n >= d) }'; then
            warn "timed out after ${timeout}s waiting for: $*"
            return 1
        fi
        sleep 0.1
    done
}

# NameHasOwner never starts anything, unlike a call to the name itself.
_desktop_has_owner() {
    gdbus call --session --timeout 2 --dest org.freedesktop.DBus \
        --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.NameHasOwner "$1" |
        grep -q true
}

_desktop_default_collection_unlocked() {
    gdbus call --session --timeout 2 --dest org.freedesktop.secrets \
        --object-path /org/freedesktop/secrets/aliases/default \
        --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked |
        grep -q false
}

# start_fprintd_services / stop_fprintd_services: fprintd with a virtual reader on a
# private system bus, for the fingerprint tests.
# shellcheck source=scripts/lib-fprintd.sh
. "$GODKEND_ROOT/scripts/lib-fprintd.sh"
