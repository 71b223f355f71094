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
    local spec tool pkg missing=()
    if is_debian && [ "${GODKEND_SKIP_APT:-0}" != 1 ]; then
        local pkgs=()
        for spec in "$@"; do pkgs+=("${spec#*:}"); done
        apt_install "${pkgs[@]}"
        return 0
    fi
    for spec in "$@"; do
        tool=${spec%%:*} pkg=${spec#*:}
        have_tool "$tool" || missing+=("$tool (Debian/Ubuntu package: $pkg)")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if is_debian; then
        printf '%serror:%s GODKEND_SKIP_APT=1 is set and these tools are missing:\n' "$_c_red" "$_c_off" >&2
    else
        printf '%serror:%s this script installs its tools itself only on Debian/Ubuntu.\n' "$_c_red" "$_c_off" >&2
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
