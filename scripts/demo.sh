#!/usr/bin/env bash
# The README's demo command: builds the server and the app, starts a local server with
# a demo user and relying party, activates the app from a fresh link, and sends it a
# sample login request once it is activated.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    cat <<'EOF'
Usage: scripts/demo.sh [--port PORT]

Builds godkend-server and godkend (release), starts the server on 127.0.0.1 with the
demo relying parties, activates the app for user "demo" and sends it a sample login
request. In a graphical session that is the desktop app (as a separate demo device)
and the request comes from the demo login page, opened in your browser; elsewhere it
is the terminal stand-in. Ctrl-C stops everything the demo started.

Environment:
  GODKEND_DEMO_DIR    server data dir (default ~/.local/share/godkend-demo)
  GODKEND_DEMO_PORT   port to listen on (default 8420, or a free one if it is taken)
  GODKEND_DEMO_TERMINAL=1  use the terminal stand-in even in a graphical session
  GODKEND_SKIP_APT=1  do not install packages, only check they are there
EOF
}

port=${GODKEND_DEMO_PORT:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --port) [ $# -ge 2 ] || die "--port needs a value"; port=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

cd "$GODKEND_ROOT"

# ---------------------------------------------------------------------------
# Tools and build

tools=(curl:curl jq:jq pkg-config:pkg-config)
have_tool cc || tools+=(cc:build-essential)
need_debian "${tools[@]}"
# shellcheck disable=SC2119 # no components needed to build
need_rust

# In a graphical session the demo runs the desktop app as a separate device, the
# profile "demo" (GODKEND_PROFILE): its own files, keyring entries and tray icon, so it
# never touches an installed Godkend's device. Elsewhere it runs the terminal stand-in
# (godkend --terminal), which keeps its keys in memory only.
gui=0
if [ "${GODKEND_DEMO_TERMINAL:-0}" != 1 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    gui=1
    info "The demo runs the Godkend desktop app (window, tray icon, notifications) as a separate"
    info "demo device; your own Godkend set-up, if any, is not touched."
else
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        warn "no graphical session: neither DISPLAY nor WAYLAND_DISPLAY is set."
        info "The Godkend desktop app (tray, window, notifications) needs a graphical session;"
    fi
    info "this demo runs the app's terminal stand-in (godkend --terminal) in this terminal."
    [ -t 0 ] || warn "standard input is not a terminal: the app will not be able to ask for a PIN and code"
fi

# Chosen before the build, so a taken --port fails in seconds, not minutes.
if [ -n "$port" ]; then
    if port_in_use "$port"; then die "port $port on 127.0.0.1 is taken; choose another with --port"; fi
else
    port=8420
    if port_in_use "$port"; then
        port=$(free_port)
        info "port 8420 is taken; using $port instead"
    fi
fi

log "Building godkend-server and godkend (release; the first build takes several minutes)"
cargo build --release --locked -p godkend-server -p godkend
target_dir=$(cargo_target_dir)
[ -n "$target_dir" ] || die "could not find cargo's target directory (cargo metadata failed)"
server_bin=$target_dir/release/godkend-server
app_bin=$target_dir/release/godkend
for bin in "$server_bin" "$app_bin"; do
    [ -x "$bin" ] || die "the build did not produce $bin"
done

# ---------------------------------------------------------------------------
# Server

demo_dir=${GODKEND_DEMO_DIR:-$HOME/.local/share/godkend-demo}
mkdir -p "$demo_dir"
chmod 700 "$demo_dir"
server_log=$demo_dir/server.log
cli_err=$demo_dir/cli.err

base_url=http://127.0.0.1:$port
# Lets the admin CLI put the right server URL into the activation link, should it
# read the public URL from the environment; loopback needs no HTTPS.
export GODKEND_PUBLIC_URL=$base_url

server_pid=''
sender_pid=''
app_pid=''

# shellcheck disable=SC2317 # runs from the EXIT trap
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$sender_pid" ]; then stop_pid "$sender_pid" 2; fi
    if [ -n "$app_pid" ]; then retire_demo_device; fi
    if [ -n "$server_pid" ]; then
        info "stopping the demo server (pid $server_pid); its log: $server_log"
        stop_pid "$server_pid" 10
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "Starting godkend-server on $base_url (data dir $demo_dir)"
"$server_bin" --data-dir "$demo_dir" serve --listen "127.0.0.1:$port" --demo >"$server_log" 2>&1 &
server_pid=$!
if ! wait_http "$base_url/readyz" 60 "$server_pid"; then
    tail -n 30 "$server_log" >&2 || true
    die "the server did not become ready; full log: $server_log"
fi

# server_cli ARGS...: the admin CLI with --json; prints its stdout, keeps stderr in
# $cli_err for error messages.
server_cli() {
    "$server_bin" --data-dir "$demo_dir" --json "$@" 2>"$cli_err"
}

# cli_failed_with TEXT OUTPUT: the last CLI call failed saying TEXT (stdout or stderr).
cli_failed_with() {
    printf '%s\n' "$2" | cat - "$cli_err" | grep -qi -- "$1"
}

cli_die() {
    printf '%s\n' "$2" >&2
    cat "$cli_err" >&2
    die "godkend-server $1 failed"
}

# jq program: the serial of every active device in a `device list` answer, wherever
# the device objects sit in it.
active_serials='[.. | objects | select(has("serial") and ((.status // .state // "") == "active" or .active == true)) | .serial] | .[]'

log "Setting up user 'demo' and relying party 'demo-shop'"
if ! out=$(server_cli user add demo); then
    cli_failed_with "already exists" "$out" || cli_die "user add demo" "$out"
    info "user demo already exists"
fi

if ! rp_json=$(server_cli rp add demo-shop --name "Demo Shop"); then
    cli_failed_with "already exists" "$rp_json" || cli_die "rp add demo-shop" "$rp_json"
    info "relying party demo-shop exists; adding it again for a fresh API key"
    out=$(server_cli rp remove demo-shop) || cli_die "rp remove demo-shop" "$out"
    rp_json=$(server_cli rp add demo-shop --name "Demo Shop") || cli_die "rp add demo-shop" "$rp_json"
fi
api_key=$(printf '%s' "$rp_json" | jq -er .api_key) || die "rp add printed no api_key: $rp_json"

# Each run starts with a new device: earlier demo devices would count against the
# limit of 3 active devices per user, and the sample request must go to this app.
devices=$(server_cli device list demo) || cli_die "device list demo" "$devices"
old_serials=$(printf '%s' "$devices" | jq -r "$active_serials") || die "device list printed no JSON: $devices"
while read -r serial; do
    [ -n "$serial" ] || continue
    info "revoking the earlier demo device $serial"
    out=$(server_cli device revoke "$serial") || cli_die "device revoke $serial" "$out"
done <<<"$old_serials"

activation=$(server_cli activation create demo) || cli_die "activation create demo" "$activation"
link=$(printf '%s' "$activation" | jq -er .link) || die "activation create printed no link: $activation"
code=$(printf '%s' "$activation" | jq -r .code)
expires_at=$(printf '%s' "$activation" | jq -r .expires_at)
server_kid=$(printf '%s' "$activation" | jq -r .server_kid)
case "$link" in
    *"127.0.0.1:$port"* | *"127.0.0.1%3A$port"*) ;;
    *) warn "the activation link does not name $base_url; the app may fail to reach the server" ;;
esac

# ---------------------------------------------------------------------------
# The sample request, sent from the background once the app has activated

# rp_call METHOD PATH [JSON_BODY]: calls the RP API with the demo API key (passed to
# curl on stdin, so it never shows in the process list). Prints the HTTP status; the
# body goes to $rp_body.
rp_body=$demo_dir/rp-response.json
rp_call() {
    local args=(-sS --max-time 75 -X "$1" -o "$rp_body" -w '%{http_code}')
    if [ $# -ge 3 ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$3")
    fi
    printf 'header = "Authorization: Bearer %s"\n' "$api_key" | curl -K - "${args[@]}" "$base_url$2"
}

banner() {
    printf '\n%s========================================================%s\n' "$_c_bold" "$_c_off" >&2
    printf '%s  %s%s\n' "$_c_bold" "$*" "$_c_off" >&2
    printf '%s========================================================%s\n\n' "$_c_bold" "$_c_off" >&2
}

send_sample_request() {
    local tries=0 status request_id request_code
    # The activation code is valid for 15 minutes; wait that long for the app.
    until [ "$(server_cli device list demo | jq -r "$active_serials" 2>/dev/null | wc -l)" -gt 0 ]; do
        pid_alive "$server_pid" || return 0
        tries=$((tries + 1))
        [ $tries -lt 900 ] || { warn "the app did not activate within 15 minutes; no sample request sent"; return 0; }
        sleep 1
    done

    log "The app is activated. Demo Shop sends a sample login request..."
    local body='{"user":"demo","kind":"login","title":"Sign in to Demo Shop","message":"Sign in from Firefox on Linux","context":{"ip":"127.0.0.1","location":"Copenhagen, Denmark","user_agent":"Firefox"}}'
    status=$(rp_call POST /v1/rp/requests "$body") || { warn "could not reach the server"; return 0; }
    case "$status" in
        2??) ;;
        *) warn "creating the request failed (HTTP $status): $(cat "$rp_body")"; return 0 ;;
    esac
    request_id=$(jq -r .request_id "$rp_body")
    request_code=$(jq -r .code "$rp_body")
    banner "type this code in the app: $request_code"

    local state=pending rounds=0
    while [ "$state" = pending ] && [ $rounds -lt 11 ]; do
        rounds=$((rounds + 1))
        status=$(rp_call GET "/v1/rp/requests/$request_id/wait?timeout=60") || { warn "lost the server"; return 0; }
        case "$status" in
            2??) state=$(jq -r .status "$rp_body") ;;
            *) warn "waiting for the result failed (HTTP $status): $(cat "$rp_body")"; return 0 ;;
        esac
    done
    banner "Demo Shop got the result: $state"
    if [ "$(jq -r '.result != null' "$rp_body")" = true ]; then
        info "The result is signed by the server (kid $(jq -r '.result.signatures[0].kid' "$rp_body")); an RP checks it with the key from $base_url/v1/server-info."
    fi
    info "Try more requests from the demo login page: $base_url/demo"
}

# ---------------------------------------------------------------------------
# The desktop app (graphical session)

# The demo profile's config file: there while the demo device exists.
demo_config=${XDG_CONFIG_HOME:-$HOME/.config}/godkend-demo/config.toml

# retire_demo_device: revokes the demo device at the server; the running app gets the
# signed "revoked" and deletes the device's files and keyring entries itself. Then
# the app is stopped.
# shellcheck disable=SC2317 # runs from the EXIT trap
retire_demo_device() {
    local serial out
    info "revoking the demo device; the app deletes its keys and files, then stops"
    while read -r serial; do
        [ -n "$serial" ] || continue
        out=$(server_cli device revoke "$serial") || warn "could not revoke $serial: $out"
    done < <(server_cli device list demo | jq -r "$active_serials" 2>/dev/null)
    local i=0
    while [ -e "$demo_config" ] && [ "$i" -lt 100 ] && pid_alive "$app_pid"; do
        sleep 0.1
        i=$((i + 1))
    done
    if [ -e "$demo_config" ]; then
        warn "the demo device's files are still in $(dirname "$demo_config"); the next demo run deletes them"
    fi
    stop_pid "$app_pid" 5
    app_pid=''
}

# demo_call METHOD PATH [JSON_BODY]: the demo page's own API (no key needed). Prints
# the HTTP status; the body goes to $rp_body.
demo_call() {
    # The user agent shows as "Browser" in the request: say who is really asking.
    local args=(-sS --max-time 30 -A 'Godkend demo (scripts/demo.sh)' -X "$1" -o "$rp_body" -w '%{http_code}')
    if [ $# -ge 3 ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$3")
    fi
    curl "${args[@]}" "$base_url$2"
}

run_desktop_demo() {
    local app_log=$demo_dir/app.log
    log "Starting the Godkend app (demo device). Its window opens with the activation link filled in:"
    info "choose a PIN, type it again, and press Activate (or Enter). Its tray icon is a blue shield."
    # Earlier demo devices were revoked above; files a demo that did not end cleanly
    # left behind go too (the new activation overwrites their keyring entries).
    local dir
    for dir in "${XDG_CONFIG_HOME:-$HOME/.config}" "${XDG_DATA_HOME:-$HOME/.local/share}" \
        "${XDG_CACHE_HOME:-$HOME/.cache}"; do
        rm -rf "$dir/godkend-demo"
    done
    GODKEND_PROFILE=demo "$app_bin" "$link" >"$app_log" 2>&1 &
    app_pid=$!

    local tries=0
    until [ "$(server_cli device list demo | jq -r "$active_serials" 2>/dev/null | wc -l)" -gt 0 ]; do
        pid_alive "$app_pid" || { tail -n 20 "$app_log" >&2; die "the app stopped; its log: $app_log"; }
        tries=$((tries + 1))
        [ $tries -lt 900 ] || die "the app did not activate within 15 minutes"
        sleep 1
    done

    # The page starts the sign-in itself and hands it to the app from the browser
    # (godkend.js): a page never takes a request id or code from its address.
    local page="$base_url/demo"
    if have_tool xdg-open && xdg-open "$page" >/dev/null 2>&1; then
        log "Activated. The demo login page is open in your browser."
        banner "On the page, press \"Sign in with Godkend\"; approve in Godkend with your PIN"
        info "The page hands the sign-in to the app, which shows that your browser vouched for the"
        info "site and needs no code. The page shows the result, and whether the origin was verified."
        info "Press Ctrl-C to end the demo: the demo device is then revoked and deletes itself."
        wait "$app_pid" || true
        app_pid=''
        return 0
    fi

    # No browser to open: sign in through the page's API from here, without a
    # hand-off, so the app asks for the typed code.
    log "Activated. No browser could be opened; the demo signs in as 'demo' from here..."
    local status request_id request_code
    status=$(demo_call POST /demo/api/login '{"user":"demo"}') || die "could not reach the server"
    case "$status" in
        2??) ;;
        *) die "the sign-in failed (HTTP $status): $(cat "$rp_body")" ;;
    esac
    request_id=$(jq -r .request_id "$rp_body")
    request_code=$(jq -r .code "$rp_body")
    info "Open the demo login page to sign in from a browser: $page"
    banner "Godkend shows a notification: Review it, type $request_code and your PIN, Approve"

    local state=pending rounds=0
    while [ "$state" = pending ] && [ $rounds -lt 200 ] && pid_alive "$app_pid"; do
        rounds=$((rounds + 1))
        status=$(demo_call GET "/demo/api/requests/$request_id") || {
            pid_alive "$server_pid" || { warn "the server stopped"; break; }
            sleep 1
            continue
        }
        state=$(jq -r .status "$rp_body" 2>/dev/null || echo pending)
        [ "$state" != pending ] || sleep 1
    done
    banner "The demo got the result: $state"
    info "Sign in again from $base_url/demo (user: demo) to try Deny and \"This was not me\"."
    info "Press Ctrl-C to end the demo: the demo device is then revoked and deletes itself."
    wait "$app_pid" || true
    app_pid=''
}

# ---------------------------------------------------------------------------
# The app, in the foreground

log "Activation for user demo (valid until $expires_at)"
info "link:       $link"
info "code:       $code   (for manual entry: server $base_url, user demo)"
info "server key: $server_kid"
info "Demo login page: $base_url/demo"
echo >&2

if [ "$gui" = 1 ]; then
    run_desktop_demo
    exit 0
fi

log "Starting the app. It activates itself from the link and asks you to choose a PIN;"
info "then Demo Shop sends a login request, and the app asks for the code shown here and your PIN."
info "Press Ctrl-C to stop the demo (app and server)."
echo >&2

send_sample_request &
sender_pid=$!

# The app keeps its state under the demo dir, so the demo never touches a real
# Godkend set-up of this user. Each run starts with a new device.
app_home=$demo_dir/app
rm -rf "$app_home"
mkdir -p "$app_home"/{config,data,state,cache}
app_rc=0
XDG_CONFIG_HOME=$app_home/config XDG_DATA_HOME=$app_home/data \
    XDG_STATE_HOME=$app_home/state XDG_CACHE_HOME=$app_home/cache \
    "$app_bin" --terminal "$link" || app_rc=$?
exit "$app_rc"
