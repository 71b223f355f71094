# shellcheck shell=bash
# Fingerprint test services (sourced by lib.sh; kept apart so lib.sh stays short):
# fprintd with libfprint's virtual reader on a private SYSTEM bus with the real polkitd
# (notes/platform-security.md §2.1). Nothing touches the machine's own system bus.

_fprintd_dir=''
_fprintd_bus_pid=''
_fprintd_empty_bus_pid=''
_fprintd_polkit_pid=''
_fprintd_pid=''
_fprintd_no_reader_bus_pid=''
_fprintd_no_reader_pid=''

# The programs the fingerprint tests run, as TOOL:DEBIAN_PACKAGE.
FPRINTD_TOOLS=(dbus-daemon:dbus gdbus:libglib2.0-bin /usr/libexec/fprintd:fprintd
    /usr/lib/polkit-1/polkitd:polkitd)

# start_fprintd_services: starts, in a fresh temp dir and as children of this shell,
#   - a private D-Bus system bus (its config has no service dirs, so nothing is
#     activated behind the test's back), a second, empty one ("no fprintd"), and a
#     third with an fprintd that finds no reader;
#   - the real polkitd on it. polkit always authorizes uid 0, so as root no rule is
#     needed; as another user fprintd's actions would need a rule in
#     /etc/polkit-1/rules.d, which a test must not write, so it refuses then;
#   - fprintd with only libfprint's virtual_device driver, its prints in the temp dir.
# Waits by polling the bus, not by sleeping. Exports GODKEND_TEST_FPRINTD_BUS (the
# bus address), GODKEND_TEST_FPRINTD_EMPTY_BUS (a bus without fprintd),
# GODKEND_TEST_FPRINTD_NO_READER_BUS (an fprintd without a reader) and
# GODKEND_TEST_FPRINTD_READER (the virtual reader's socket: it accepts connections only
# while the device is claimed, the file stays; each connection takes one command such
# as "SCAN finger-a").
# Returns 1 (after cleaning up) when something does not start.
start_fprintd_services() {
    local started tool missing=()
    started=$(now)
    for tool in "${FPRINTD_TOOLS[@]}"; do
        have_tool "${tool%%:*}" || missing+=("${tool%%:*} (Debian/Ubuntu package: ${tool#*:})")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        warn "the fingerprint test services need: ${missing[*]}"
        return 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
        warn "the fingerprint test services run only as root (polkit authorizes uid 0; other users need a polkit rule this script does not install)"
        return 1
    fi
    if [ -n "$_fprintd_dir" ]; then
        warn "the fingerprint test services are already running (bus pid $_fprintd_bus_pid)"
        return 1
    fi
    _fprintd_dir=$(mktemp -d "${TMPDIR:-/tmp}/godkend-fprintd.XXXXXX") || return 1
    local d=$_fprintd_dir
    # polkitd drops to the user "polkitd", which must reach the bus socket.
    chmod 755 "$d"
    mkdir -m 700 "$d/state" "$d/run"
    cat >"$d/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$d/system_bus_socket</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- fprintd's and polkit's own policies: who may own and call their names -->
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
CONF
    # --nofork keeps the buses our children (PID 1 here does not reap orphans).
    dbus-daemon --config-file="$d/bus.conf" --nofork --print-address=3 \
        3>"$d/bus.address" >"$d/dbus.log" 2>&1 &
    _fprintd_bus_pid=$!
    dbus-daemon --config-file="$d/bus.conf" --address="unix:path=$d/empty_bus_socket" \
        --nofork --print-address=3 3>"$d/empty-bus.address" >"$d/empty-dbus.log" 2>&1 &
    _fprintd_empty_bus_pid=$!
    dbus-daemon --config-file="$d/bus.conf" --address="unix:path=$d/no_reader_bus_socket" \
        --nofork --print-address=3 3>"$d/no-reader-bus.address" >"$d/no-reader-dbus.log" 2>&1 &
    _fprintd_no_reader_bus_pid=$!
    if ! _desktop_poll 10 "$_fprintd_bus_pid" test -s "$d/bus.address" ||
        ! _desktop_poll 10 "$_fprintd_empty_bus_pid" test -s "$d/empty-bus.address" ||
        ! _desktop_poll 10 "$_fprintd_no_reader_bus_pid" test -s "$d/no-reader-bus.address"; then
        warn "a private D-Bus system bus did not start; its logs:"
        tail -n 20 "$d/dbus.log" "$d/empty-dbus.log" "$d/no-reader-dbus.log" >&2 || true
        stop_fprintd_services
        return 1
    fi
    local address
    address=$(head -n 1 "$d/bus.address")
    info "private D-Bus system bus (pid $_fprintd_bus_pid): $address"

    DBUS_SYSTEM_BUS_ADDRESS=$address /usr/lib/polkit-1/polkitd --no-debug >"$d/polkitd.log" 2>&1 &
    _fprintd_polkit_pid=$!
    if ! _desktop_poll 20 "$_fprintd_polkit_pid" _fprintd_has_owner "$address" org.freedesktop.PolicyKit1; then
        warn "polkitd did not take org.freedesktop.PolicyKit1; its log:"
        tail -n 20 "$d/polkitd.log" >&2 || true
        stop_fprintd_services
        return 1
    fi
    info "polkitd (pid $_fprintd_polkit_pid) owns org.freedesktop.PolicyKit1"

    # -t: no exit when idle. The virtual reader's socket appears on each Claim.
    DBUS_SYSTEM_BUS_ADDRESS=$address FP_VIRTUAL_DEVICE="$d/reader.sock" \
        FP_DRIVERS_ALLOWLIST=virtual_device STATE_DIRECTORY="$d/state" RUNTIME_DIRECTORY="$d/run" \
        /usr/libexec/fprintd -t >"$d/fprintd.log" 2>&1 &
    _fprintd_pid=$!
    if ! _desktop_poll 20 "$_fprintd_pid" _fprintd_has_reader "$address"; then
        warn "fprintd did not offer the virtual reader; its log:"
        tail -n 20 "$d/fprintd.log" >&2 || true
        stop_fprintd_services
        return 1
    fi
    # No driver is allowed, so this one finds no reader (it asks polkit for nothing
    # before a device call, so its bus needs no polkitd).
    local no_reader
    no_reader=$(head -n 1 "$d/no-reader-bus.address")
    mkdir -m 700 "$d/no-reader-state" "$d/no-reader-run"
    DBUS_SYSTEM_BUS_ADDRESS=$no_reader FP_DRIVERS_ALLOWLIST=none STATE_DIRECTORY="$d/no-reader-state" \
        RUNTIME_DIRECTORY="$d/no-reader-run" /usr/libexec/fprintd -t >"$d/no-reader-fprintd.log" 2>&1 &
    _fprintd_no_reader_pid=$!
    if ! _desktop_poll 20 "$_fprintd_no_reader_pid" _fprintd_has_owner "$no_reader" net.reactivated.Fprint; then
        warn "the reader-less fprintd did not start; its log:"
        tail -n 20 "$d/no-reader-fprintd.log" >&2 || true
        stop_fprintd_services
        return 1
    fi
    export GODKEND_TEST_FPRINTD_NO_READER_BUS=$no_reader
    export GODKEND_TEST_FPRINTD_BUS=$address
    GODKEND_TEST_FPRINTD_EMPTY_BUS=$(head -n 1 "$d/empty-bus.address")
    export GODKEND_TEST_FPRINTD_EMPTY_BUS
    export GODKEND_TEST_FPRINTD_READER=$d/reader.sock
    unset GODKEND_TEST_FPRINTD_SKIP
    info "fprintd (pid $_fprintd_pid) offers the virtual reader; started in $(elapsed "$started")"
}

# stop_fprintd_services: stops exactly what start_fprintd_services started (by pid)
# and removes its temp dir. Safe to call when nothing was started, and more than once.
stop_fprintd_services() {
    local pid
    for pid in "$_fprintd_pid" "$_fprintd_no_reader_pid" "$_fprintd_polkit_pid" \
        "$_fprintd_empty_bus_pid" "$_fprintd_no_reader_bus_pid" "$_fprintd_bus_pid"; do
        if [ -n "$pid" ]; then stop_pid "$pid" 5; fi
    done
    _fprintd_pid='' _fprintd_no_reader_pid='' _fprintd_polkit_pid=''
    _fprintd_empty_bus_pid='' _fprintd_no_reader_bus_pid='' _fprintd_bus_pid=''
    if [ -n "$_fprintd_dir" ]; then
        rm -rf "$_fprintd_dir"
        _fprintd_dir=''
        unset GODKEND_TEST_FPRINTD_BUS GODKEND_TEST_FPRINTD_EMPTY_BUS \
            GODKEND_TEST_FPRINTD_NO_READER_BUS GODKEND_TEST_FPRINTD_READER
    fi
}

# _fprintd_has_owner ADDRESS NAME (NameHasOwner never activates anything).
_fprintd_has_owner() {
    DBUS_SYSTEM_BUS_ADDRESS=$1 gdbus call --system --timeout 2 --dest org.freedesktop.DBus \
        --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.NameHasOwner "$2" |
        grep -q true
}

# The daemon is up and has found the virtual reader.
_fprintd_has_reader() {
    _fprintd_has_owner "$1" net.reactivated.Fprint &&
        DBUS_SYSTEM_BUS_ADDRESS=$1 gdbus call --system --timeout 2 --dest net.reactivated.Fprint \
            --object-path /net/reactivated/Fprint/Manager \
            --method net.reactivated.Fprint.Manager.GetDefaultDevice >/dev/null
}
