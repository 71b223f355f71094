#!/usr/bin/env bash
# The packages' tests (a step of scripts/test.sh; runs alone too): builds the packages
# with the debug profile through scripts/package.sh, lints them, installs and removes
# them on this machine, and checks what they put where.
#   default  sources (desktop entry, AppStream, icons, systemd unit, NSIS/WiX scripts,
#            macOS bundle), the app .deb and the server .deb (lintian, install, files,
#            scheme handler, --version, the server run as its user, remove, purge),
#            the AppImage (--version, same files as the .deb)
#   GODKEND_TEST_PACKAGES=all  also the .rpm pair (installs cargo-generate-rpm: about
#            15 minutes the first time) and the Windows installers under Wine,
#            with the installed app driven through its window
#            (scripts/test-windows-packages.sh)
# Needs root (or sudo) for dpkg. Refuses to touch a godkend or godkend-server package
# that was installed before it ran.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-package.sh
. "$GODKEND_ROOT/scripts/lib-package.sh"

cd "$GODKEND_ROOT"
export GODKEND_PACKAGE_PROFILE=${GODKEND_PACKAGE_PROFILE:-debug}
scope=${GODKEND_TEST_PACKAGES:-default}
case "$scope" in default | all) ;; *) die "GODKEND_TEST_PACKAGES must be default or all, not $scope" ;; esac
# shellcheck disable=SC2119 # no components needed
need_rust
package_setup
scratch=$(mktemp -d "${TMPDIR:-/tmp}/godkend-packages.XXXXXX")
server_pid=''
cleanup() {
    [ -z "$server_pid" ] || stop_pid "$server_pid" 5
    rm -rf "$scratch"
}
trap cleanup EXIT

need_debian desktop-file-validate:desktop-file-utils appstreamcli:appstream \
    rsvg-convert:librsvg2-bin icotool:icoutils png2icns:icnsutils lintian:lintian \
    systemd-analyze:systemd xdg-mime:xdg-utils setpriv:util-linux makensis:nsis wixl:wixl \
    curl:curl python3:python3 readelf:binutils pgrep:procps

check_sources() {
    desktop-file-validate installers/linux/dev.godkend.Godkend.desktop
    appstreamcli validate --no-net --pedantic installers/linux/dev.godkend.Godkend.metainfo.xml
    grep -q "<release version=\"$package_version\"" installers/linux/dev.godkend.Godkend.metainfo.xml ||
        die "the metainfo has no <release> for version $package_version"
    # The committed installer icons are what installers/icons.sh makes of today's sources.
    installers/icons.sh "$scratch/icons"
    local f
    for f in godkend-512.png godkend.ico godkend.icns; do
        cmp -s "$scratch/icons/$f" "resources/icons/app/$f" ||
            die "resources/icons/app/$f is out of date: run installers/icons.sh"
    done
    # The installer scripts compile (makensis and wixl need a file, not a Windows build).
    printf 'placeholder\n' >"$scratch/godkend.exe"
    makensis -V1 -WX -DVERSION="$package_version" -DEXE="$scratch/godkend.exe" \
        -DICON="$GODKEND_ROOT/resources/icons/app/godkend.ico" -DOUTFILE="$scratch/godkend-lint-setup.exe" \
        installers/nsis/godkend.nsi >&2
    cp resources/icons/app/godkend.ico "$scratch/"
    (cd "$scratch" && wixl -a x64 -D Version="$package_version" -D Exe=godkend.exe -D Icon=godkend.ico \
        -o "$scratch/godkend.msi" "$GODKEND_ROOT/installers/wix/godkend.wxs" 2>/dev/null)
    scripts/package.sh macos-app
    info "desktop entry, AppStream metadata, icons, NSIS, WiX and macOS bundle: OK"
}

# deb_files DEB: the regular files and links it installs, one path a line.
deb_files() {
    dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort
}

assert_gone() {
    local f
    for f in "$@"; do
        [ ! -e "$f" ] && [ ! -L "$f" ] || die "$f is still there"
    done
}

# Installs a local .deb the way a user does: apt resolves its Depends.
# Stale package lists are refreshed once when a dependency cannot be found.
apt_install_deb() {
    local apt=(as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
    "${apt[@]}" install -y --no-install-recommends "$1" >&2 && return 0
    warn "apt-get install $1 failed; updating the package lists and retrying once"
    "${apt[@]}" update >&2
    "${apt[@]}" install -y --no-install-recommends "$1" >&2
}

check_app_deb() {
    local deb=$1 files
    lintian --fail-on error "$deb" >&2
    mapfile -t files < <(deb_files "$deb")
    apt_install_deb "$deb"
    local f
    for f in "${files[@]}"; do [ -e "$f" ] || die "the .deb lists $f, but it is not installed"; done
    for f in /usr/bin/godkend /usr/share/applications/dev.godkend.Godkend.desktop \
        /usr/share/metainfo/dev.godkend.Godkend.metainfo.xml \
        /usr/share/icons/hicolor/{16x16,22x22,24x24,32x32,48x48,64x64,128x128,256x256,512x512}/apps/godkend.png \
        /usr/share/icons/hicolor/scalable/apps/godkend.svg; do
        [ -f "$f" ] || die "$f is not installed"
    done
    check_dlopen_depends
    local version
    version=$(godkend --version)
    [ "$version" = "godkend $package_version" ] || die "godkend --version printed '$version'"
    desktop-file-validate /usr/share/applications/dev.godkend.Godkend.desktop
    appstreamcli validate --no-net /usr/share/metainfo/dev.godkend.Godkend.metainfo.xml >&2
    # The scheme handler, as a desktop asks for it: with no user choice in a fresh HOME,
    # the system's mimeinfo.cache (updated by the desktop-file-utils trigger) decides.
    grep -q '^x-scheme-handler/godkend=dev.godkend.Godkend.desktop;' /usr/share/applications/mimeinfo.cache ||
        die "mimeinfo.cache does not name Godkend for x-scheme-handler/godkend"
    local handler
    handler=$(env -i PATH="$PATH" HOME="$scratch/home" XDG_DATA_DIRS=/usr/share XDG_CONFIG_DIRS=/etc/xdg \
        xdg-mime query default x-scheme-handler/godkend)
    [ "$handler" = dev.godkend.Godkend.desktop ] ||
        die "xdg-mime says the godkend:// handler is '$handler'"
    info "godkend: $version, ${#files[@]} files, godkend:// opens $handler"
    as_root dpkg --purge godkend >&2
    assert_gone "${files[@]}"
    ! grep -q 'x-scheme-handler/godkend=' /usr/share/applications/mimeinfo.cache ||
        die "mimeinfo.cache still names a godkend:// handler after the purge"
    info "godkend purged: none of its files is left"
}

# The libraries the app loads at run time by name (winit, softbuffer and xkbcommon
# dlopen them, so $auto cannot see them) each come from a package its Depends names.
check_dlopen_depends() {
    local depends so pkg needed count=0
    depends=$(dpkg-query -W -f='${Depends}' godkend)
    needed=$(readelf -d /usr/bin/godkend | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
    while IFS= read -r so; do
        grep -qxF "$so" <<<"$needed" && continue
        pkg=$(dpkg -S "*/$so" 2>/dev/null | head -n 1 | cut -d: -f1) ||
            die "godkend loads $so, which no installed package provides"
        [ -n "$pkg" ] || die "godkend loads $so, which no installed package provides"
        grep -qE "(^|[ ,|])$pkg([ ,(|]|$)" <<<"$depends" ||
            die "godkend loads $so (package $pkg), which its Depends lacks: $depends"
        count=$((count + 1))
    done < <(strings -n 6 /usr/bin/godkend | grep -oE 'lib[A-Za-z0-9_+-]{1,24}\.so\.[0-9]+' | sort -u)
    [ "$count" -gt 0 ] || die "found no library the app loads at run time: has the check gone stale?"
    info "the $count libraries godkend loads at run time are in its Depends"
}

check_server_deb() {
    local deb=$1 files unit
    lintian --fail-on error "$deb" >&2
    mapfile -t files < <(deb_files "$deb")
    apt_install_deb "$deb"
    unit=$(dpkg -L godkend-server | grep '/systemd/system/godkend-server.service$')
    # No service manager runs here, so the unit is checked, not started (a unit that
    # starts fails this check too if its user, binary or options are wrong).
    local verify directive
    verify=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$unit" 2>&1) ||
        die "systemd-analyze verify: $verify"
    [ -z "$verify" ] || die "systemd-analyze verify complains: $verify"
    for directive in User=godkend-server StateDirectory=godkend-server StateDirectoryMode=0700 \
        UMask=0077 ProtectSystem=strict NoNewPrivileges=yes ProtectHome=yes PrivateTmp=yes; do
        grep -qx "$directive" "$unit" || die "the unit lacks $directive"
    done
    getent passwd godkend-server >/dev/null || die "the godkend-server user was not created"
    [ "$(stat -c '%a %U' /var/lib/godkend-server)" = "700 godkend-server" ] ||
        die "/var/lib/godkend-server is $(stat -c '%a %U' /var/lib/godkend-server), not 700 godkend-server"
    [ "$(stat -c '%a %U:%G' /etc/godkend-server/server.env)" = "640 root:godkend-server" ] ||
        die "/etc/godkend-server/server.env is $(stat -c '%a %U:%G' /etc/godkend-server/server.env)"
    run_server_as_its_user "$unit"
    as_root dpkg --remove godkend-server >&2
    assert_gone /usr/bin/godkend-server "$unit"
    [ -f /var/lib/godkend-server/server-key.json ] || die "remove deleted the signing key"
    info "removed: the binary and unit are gone, the signing key stays"
    as_root dpkg --purge godkend-server >&2
    assert_gone "${files[@]}" /var/lib/godkend-server /etc/godkend-server
    info "purged: the data dir and settings are gone"
}

# Starts the installed server the way its unit does, as far as this machine allows:
# its user, no new privileges and no capabilities, the unit's umask and environment
# (Environment= and the EnvironmentFile), on a free loopback port.
run_server_as_its_user() {
    local unit=$1 port env=() line
    port=$(free_port)
    while IFS= read -r line; do env+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
    while IFS= read -r line; do env+=("$line"); done < <(grep -E '^[A-Z_]+=' /etc/godkend-server/server.env)
    env+=("GODKEND_LISTEN=127.0.0.1:$port")
    local exec_start umask
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    umask=$(sed -n 's/^UMask=//p' "$unit")
    # Not through as_root: a function run with & is a subshell, and stopping it left
    # the server it started running. Here setpriv, env and sh each exec the next, so
    # $! is the server (sudo, when not root, passes the signal on).
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" setpriv --reuid=godkend-server --regid=godkend-server --init-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all \
        env -i PATH=/usr/bin:/bin "${env[@]}" sh -c "umask $umask && cd / && exec $exec_start" \
        >"$scratch/server.log" 2>&1 &
    server_pid=$!
    wait_http "http://127.0.0.1:$port/healthz" 30 "$server_pid" || {
        tail -n 20 "$scratch/server.log" >&2
        die "the installed server did not answer /healthz"
    }
    [ "$(stat -c '%a %U' /var/lib/godkend-server/server-key.json)" = "600 godkend-server" ] ||
        die "the key file is $(stat -c '%a %U' /var/lib/godkend-server/server-key.json)"
    # The admin commands, as the operator runs them (installers/README.md).
    as_root setpriv --reuid=godkend-server --regid=godkend-server --init-groups \
        env GODKEND_DATA_DIR=/var/lib/godkend-server godkend-server key show >&2
    stop_pid "$server_pid" 10
    server_pid=''
    if pgrep -u godkend-server -x godkend-server >/dev/null; then
        die "the installed server was still running after it was stopped"
    fi
    info "the installed server ran as godkend-server on 127.0.0.1:$port and answered /healthz"
}

check_appimage() {
    local image=$1 deb=$2 version
    version=$(APPIMAGE_EXTRACT_AND_RUN=1 "$image" --version)
    [ "$version" = "godkend $package_version" ] || die "the AppImage's --version printed '$version'"
    (cd "$scratch" && "$image" --appimage-extract >/dev/null)
    diff <(deb_files "$deb") <(cd "$scratch/squashfs-root" && find usr \( -type f -o -type l \) | sed 's|^|/|' | sort) >&2 ||
        die "the AppImage's usr/ and the .deb's files differ"
    for f in AppRun dev.godkend.Godkend.desktop godkend.png .DirIcon; do
        [ -e "$scratch/squashfs-root/$f" ] || die "the AppImage has no $f at its top"
    done
    info "AppImage: $version, the same files as the .deb"
}

check_rpms() {
    local app=$1 server=$2 root=$scratch/rpmroot
    # Lists first: under pipefail, `rpm | grep -q` fails when grep stops reading early.
    local app_files server_files
    app_files=$(rpm -qlp "$app")
    server_files=$(rpm -qlp "$server")
    grep -qx /usr/bin/godkend <<<"$app_files" || die "the app .rpm lacks /usr/bin/godkend"
    grep -qx /usr/lib/systemd/system/godkend-server.service <<<"$server_files" ||
        die "the server .rpm lacks its systemd unit"
    rpm --root "$root" --initdb
    # --noscripts: the alternate root has no shell for the scriptlets to run in.
    rpm --root "$root" -i --nodeps --noscripts "$app" "$server"
    local f
    while IFS= read -r f; do
        [ -e "$root$f" ] || die "rpm lists $f but did not install it"
    done <<<"$app_files
$server_files"
    rpm --root "$root" -e --noscripts godkend godkend-server
    [ -z "$(find "$root/usr" -type f 2>/dev/null)" ] || die "rpm -e left files under $root/usr"
    info "RPMs: listed, installed into $root and erased"
}

for pkg in godkend godkend-server; do
    if dpkg_installed "$pkg"; then
        die "the $pkg package is installed on this machine; these tests install and purge it. Remove it first (or run these tests on a throw-away machine)"
    fi
done

# check_provenance: SHA256SUMS covers every file package.sh made and verifies; each
# package has its SBOM, of the right crate and target.
check_provenance() {
    log "Checksums and SBOMs"
    (cd "$package_out" && sha256sum --check --strict --quiet SHA256SUMS) ||
        die "SHA256SUMS does not verify"
    local package crate target_os
    for package in $(awk '{print $2}' "$package_out/SHA256SUMS" | grep -v '\.cdx\.json$'); do
        grep -q " $package.cdx.json\$" "$package_out/SHA256SUMS" ||
            die "$package has no SBOM in SHA256SUMS"
        case "$package" in godkend-server*) crate=godkend-server ;; *) crate=godkend ;; esac
        case "$package" in *.exe | *.msi) target_os=windows ;; *) target_os=linux ;; esac
        python3 "$GODKEND_ROOT/installers/check-sbom.py" "$package_out/$package.cdx.json" "$crate" "$target_os"
    done
}

formats=(deb server-deb appimage)
if [ "$scope" = all ]; then
    need_debian rpm:rpm
    formats+=(rpm)
fi
check_sources
scripts/package.sh "${formats[@]}"
app_deb=$package_out/godkend_${package_version}-1_amd64.deb
server_deb=$package_out/godkend-server_${package_version}-1_amd64.deb
check_provenance
check_app_deb "$app_deb"
check_server_deb "$server_deb"
check_appimage "$package_out/Godkend-$package_version-x86_64.AppImage" "$app_deb"
if [ "$scope" = all ]; then
    check_rpms "$package_out/godkend-$package_version-1.x86_64.rpm" "$package_out/godkend-server-$package_version-1.x86_64.rpm"
    "$GODKEND_ROOT/scripts/test-windows-packages.sh"
fi
ok "packages: all checks passed"
