#!/usr/bin/env bash
# The Windows installers under Wine (Debian's Wine 8; not real Windows): builds
# godkend.exe for x86_64-pc-windows-gnu, the NSIS setup.exe and the MSI through
# scripts/package.sh, then in a fresh Wine prefix installs each silently, checks the
# files, the Start-menu entry, the godkend:// scheme, start at login and the uninstall
# entry, runs the installed `godkend.exe --version`, then the installed app under Xvfb
# through its window (tests/desktop/wine.rs: activation against the real server, keys
# in Wine's Credential Manager, a request approved with code and PIN, the tray icon,
# toasts failing cleanly), uninstalls and checks that all of it is gone. Not checked
# here: SmartScreen, UAC, real msiexec/ICE validation, tray clicks and toasts (Wine 8
# has neither), and anything only real Windows shows (shared/notes/windows-under-wine.md).
# Skips loudly (exit 0) when the Windows Rust target cannot be added.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-package.sh
. "$GODKEND_ROOT/scripts/lib-package.sh"

cd "$GODKEND_ROOT"
export GODKEND_PACKAGE_PROFILE=${GODKEND_PACKAGE_PROFILE:-debug}
# shellcheck disable=SC2119 # no components needed
need_rust
package_setup
# skip WHY: says loudly that none of this ran, and why; exits 0.
skip() {
    warn "=================================================================="
    warn "SKIPPED: the Windows installers and the app under Wine: $1."
    warn "=================================================================="
    exit 0
}
(need_windows_target) ||
    skip "the Rust target $WINDOWS_TARGET could not be added (add it by hand to run them)"
(need_debian /usr/lib/wine/wine64:wine64 x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64) ||
    skip "Wine or MinGW-w64 could not be installed (Debian/Ubuntu: wine64, gcc-mingw-w64-x86-64)"
need_debian makensis:nsis wixl:wixl Xvfb:xvfb xdotool:xdotool import:imagemagick \
    /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core

scripts/package.sh nsis msi

wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver64
export WINEPREFIX=$target_dir/wine-packages WINEDEBUG=-all DISPLAY=
export WINEDLLOVERRIDES='mscoree,mshtml='
rm -rf "$WINEPREFIX"
log "A fresh Wine prefix in $WINEPREFIX"
"$wine" wineboot --init >/dev/null 2>&1
"$wineserver" -w
# TEST-ONLY shim for Wine 8 (see the source's comment). Real Windows has the DLL.
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$GODKEND_ROOT/scripts/wine/bcryptprimitives.c" -ladvapi32

user=$(id -un)
run_wine() { "$wine" "$@"; "$wineserver" -w; }
reg_has() { "$wine" reg query "$@" >/dev/null 2>&1; }
reg_value() { "$wine" reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | awk -v n="$2" '$1 == n { $1 = ""; $2 = ""; sub(/^  */, ""); print }'; }
reg_default() { "$wine" reg query "$1" /ve 2>/dev/null | tr -d '\r' | awk '/REG_SZ/ { sub(/^.*REG_SZ[ \t]*/, ""); print }'; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }

check_installed_exe() {
    local exe=$1 version
    version=$("$wine" "$exe" --version | tr -d '\r')
    "$wineserver" -w
    [ "$version" = "godkend $package_version" ] || die "the installed godkend.exe --version printed '$version'"
}

# NSIS: per user, with start at login.
log "NSIS: silent install with /AUTOSTART"
setup=$package_out/godkend-$package_version-setup.exe
run_wine "$setup" /S /AUTOSTART
dir="$WINEPREFIX/drive_c/users/$user/AppData/Local/Programs/Godkend"
lnk="$WINEPREFIX/drive_c/users/$user/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Godkend.lnk"
for f in "$dir/godkend.exe" "$dir/godkend.ico" "$dir/uninstall.exe" "$lnk"; do
    [ -f "$f" ] || die "NSIS did not install $f"
done
uninstall_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Godkend'
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
exe_win="C:\\users\\$user\\AppData\\Local\\Programs\\Godkend\\godkend.exe"
[ "$(reg_value "$uninstall_key" DisplayVersion)" = "$package_version" ] || die "no uninstall entry with the version"
[ "$(reg_value "$run_key" Godkend)" = "\"$exe_win\" --tray" ] ||
    die "the Run value is '$(reg_value "$run_key" Godkend)'"
scheme_command=$(reg_default 'HKCU\Software\Classes\godkend\shell\open\command')
[ "$scheme_command" = "\"$exe_win\" \"%1\"" ] || die "godkend:// opens '$scheme_command'"
reg_has 'HKCU\Software\Classes\godkend' /v 'URL Protocol' || die "the godkend key lacks 'URL Protocol'"
check_installed_exe "$exe_win"
# A windows-subsystem (GUI) binary, so no console window opens beside the app; the
# --version above shows that its output still reaches whoever started it.
subsystem=$(x86_64-w64-mingw32-objdump -p "$dir/godkend.exe" | awk '$1 == "Subsystem" { print $3, $4 }')
[ "$subsystem" = "(Windows GUI)" ] || die "godkend.exe is not a GUI-subsystem binary: $subsystem"
info "installed: files, Start-menu entry, uninstall entry, Run value, godkend:// scheme; --version works; GUI subsystem"

# The installed app through its window, under Xvfb (tests/desktop/wine.rs). Left in
# the prefix afterwards: its config and keys, as on Windows, where an uninstaller
# keeps a user's data; the checks below are about what the installer put there.
run_app_under_wine() {
    local start xvfb_dir rc=0
    start=$(now)
    log "NSIS: the installed app under Wine and Xvfb, driven through its window"
    # A real Windows has fonts; a fresh prefix has none, and the window draws no text.
    cp /usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf "$WINEPREFIX/drive_c/windows/Fonts/"
    # The test's real server: the Linux build the .deb step makes (so, in the test
    # command's `all` scope, already built).
    build_linux_binaries
    xvfb_dir=$(mktemp -d "${TMPDIR:-/tmp}/godkend-wine-xvfb.XXXXXX")
    start_xvfb "$xvfb_dir" || { stop_pid "$XVFB_PID" 5; die "Xvfb did not start"; }
    info "Xvfb (pid $XVFB_PID) on display $DISPLAY"
    DISPLAY=$DISPLAY GODKEND_TEST_WINE=1 \
        GODKEND_TEST_WINE_LOADER="$wine" GODKEND_TEST_WINE_EXE="$exe_win" \
        cargo test --locked -p godkend --test desktop -- --ignored --exact --nocapture \
        wine::the_installed_windows_build_activates_and_approves_under_wine || rc=$?
    # The app, Wine's explorer (the tray) and the prefix's wineserver.
    "$wineserver" -k 2>/dev/null || true
    stop_pid "$XVFB_PID" 5
    DISPLAY=
    rm -rf "$xvfb_dir"
    [ "$rc" -eq 0 ] || die "the installed app under Wine failed (above)"
    info "the app under Wine: activated, keys in the Credential Manager, one approval; $(elapsed "$start")"
}
run_app_under_wine
log "NSIS: silent uninstall"
# The uninstaller copies itself to %TEMP% and runs from there: wineserver -w waits.
run_wine "$dir/uninstall.exe" /S
assert_gone() { local f; for f in "$@"; do [ ! -e "$f" ] || die "$f is still there"; done; }
assert_gone "$dir" "$lnk"
for key in "$uninstall_key" 'HKCU\Software\Classes\godkend' 'HKCU\Software\Godkend'; do
    ! reg_has "$key" || die "$key is still in the registry"
done
# The app wrote its own Run value when it was activated above: the user's, not the
# machine's (which the uninstaller does not touch).
for key in "$run_key" 'HKLM\Software\Microsoft\Windows\CurrentVersion\Run'; do
    [ -z "$(reg_value "$key" Godkend)" ] || die "the Run value in $key is still there"
done
info "uninstalled: files, Start-menu entry, Run value, scheme and uninstall entry are gone"

# MSI: per machine, with the Autostart feature and two of the policy properties.
log "MSI: msiexec /i /qn ADDLOCAL=Main,Autostart BIOMETRICS=0 STARTATLOGIN=1"
msi=$(winpath "$package_out/godkend-$package_version-x64.msi")
policy_key='HKLM\SOFTWARE\Policies\Godkend'
run_wine msiexec /i "$msi" /qn ADDLOCAL=Main,Autostart BIOMETRICS=0 STARTATLOGIN=1
pdir="$WINEPREFIX/drive_c/Program Files/Godkend"
for f in "$pdir/godkend.exe" "$pdir/godkend.ico"; do [ -f "$f" ] || die "the MSI did not install $f"; done
reg_has 'HKLM\Software\Classes\godkend\shell\open\command' || die "the MSI did not register godkend://"
[ -n "$(reg_value 'HKLM\Software\Microsoft\Windows\CurrentVersion\Run' Godkend)" ] ||
    die "the MSI's Autostart feature wrote no Run value"
check_installed_exe 'C:\Program Files\Godkend\godkend.exe'
[ "$(reg_value "$policy_key" Biometrics)" = 0 ] && [ "$(reg_value "$policy_key" StartAtLogin)" = 1 ] ||
    die "the MSI did not write its policy properties under $policy_key"
[ -z "$(reg_value "$policy_key" LoopbackHandoff)" ] || die "LOOPBACKHANDOFF was not given, yet has a value"
# The installed app reads them (and the empty one as unset).
shown=$("$wine" 'C:\Program Files\Godkend\godkend.exe' --show-policy | tr -d '\r')
"$wineserver" -w
expected=$'start at login: fixed on\nbiometrics: off\nbrowser hand-off: on where the app can tell users apart'
[ "$shown" = "$expected" ] || die "godkend.exe --show-policy printed: $shown"
info "the MSI's policy: written under $policy_key and read by the app"
log "MSI: msiexec /x /qn"
run_wine msiexec /x "$msi" /qn
[ -z "$(reg_value "$policy_key" Biometrics)" ] || die "the MSI left its policy values"
assert_gone "$pdir/godkend.exe" "$pdir/godkend.ico"
! reg_has 'HKLM\Software\Classes\godkend' || die "the MSI left the godkend:// scheme"
[ -z "$(reg_value 'HKLM\Software\Microsoft\Windows\CurrentVersion\Run' Godkend)" ] ||
    die "the MSI left the Run value"
ok "Windows installers under Wine: NSIS and MSI install, run and uninstall cleanly"
