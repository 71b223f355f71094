# shellcheck shell=bash
# The steps of scripts/package.sh: tools, builds, and one function per package format.
# Sourced after lib.sh; the test command (scripts/test-packages.sh) reads the same
# variables to find the packages.

# The AppImage runtime (type 2, AppImageKit 8bbf694) is the one the `appimage` crate
# 0.4.0 ships: fetched with cargo from the crate registry, checked against this digest.
APPIMAGE_RUNTIME_CRATE=appimage@0.4.0
APPIMAGE_RUNTIME_SHA256=328e0d745c5c6817048c27bc3e8314871703f8f47ffa81a37cb06cd95a94b323
WINDOWS_TARGET=x86_64-pc-windows-gnu

# package_setup: sets the profile, the folders and the version for the steps below.
package_setup() {
    GODKEND_PACKAGE_PROFILE=${GODKEND_PACKAGE_PROFILE:-dist}
    case "$GODKEND_PACKAGE_PROFILE" in
        dist | release) cargo_profile=$GODKEND_PACKAGE_PROFILE profile_dir=$GODKEND_PACKAGE_PROFILE ;;
        debug | dev) cargo_profile=dev profile_dir=debug GODKEND_PACKAGE_PROFILE=debug ;;
        *) die "GODKEND_PACKAGE_PROFILE must be dist, release or debug, not $GODKEND_PACKAGE_PROFILE" ;;
    esac
    target_dir=$(cargo_target_dir)
    [ -n "$target_dir" ] || die "cannot find cargo's target directory"
    package_out=${GODKEND_PACKAGE_OUT:-$target_dir/packages}
    package_work=$target_dir/package-work
    mkdir -p "$package_out" "$package_work"
    package_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$GODKEND_ROOT/Cargo.toml")
    [ -n "$package_version" ] || die "no version in [workspace.package] of Cargo.toml"
    produced=()
}

# need_cargo_tool NAME VERSION: `cargo NAME` works, or install it (one retry).
need_cargo_tool() {
    local tool=$1 version=$2
    if cargo "${tool#cargo-}" --version >/dev/null 2>&1; then return 0; fi
    log "Installing $tool $version (cargo install --locked; a few minutes, once)"
    _retry_once cargo install "$tool" --locked --version "$version" ||
        die "cargo install $tool failed twice"
}

# need_windows_target: the Rust standard library for Windows (rustup).
need_windows_target() {
    grep -qxF "$WINDOWS_TARGET" <<<"$(rustup target list --installed 2>/dev/null)" && return 0
    log "Adding the Rust target $WINDOWS_TARGET"
    timeout 300 rustup target add "$WINDOWS_TARGET" >&2 ||
        die "rustup target add $WINDOWS_TARGET failed (no network to the Rust distribution server?)"
}

build_linux_binaries() {
    local start
    start=$(now)
    log "Building godkend and godkend-server (profile $cargo_profile)"
    cargo build --locked --profile "$cargo_profile" -p godkend -p godkend-server
    info "built in $(elapsed "$start"): $(binary_sizes "$target_dir/$profile_dir/godkend" "$target_dir/$profile_dir/godkend-server")"
}

build_windows_binary() {
    local start
    start=$(now)
    log "Building godkend.exe for $WINDOWS_TARGET (profile $cargo_profile)"
    cargo build --locked --profile "$cargo_profile" --target "$WINDOWS_TARGET" -p godkend
    windows_exe=$target_dir/$WINDOWS_TARGET/$profile_dir/godkend.exe
    info "built in $(elapsed "$start"): $(binary_sizes "$windows_exe")"
}

binary_sizes() {
    local f
    for f in "$@"; do printf '%s %s  ' "$(basename "$f")" "$(human_size "$f")"; done
}

human_size() {
    awk -v b="$(stat -c %s "$1")" 'BEGIN {
        if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.0f KiB", b / 1024 }'
}

# package_deb PACKAGE: godkend or godkend-server, with cargo-deb from the built binary.
package_deb() {
    local pkg=$1 deb
    log "Debian package $pkg"
    deb=$(cargo deb --no-build --locked --profile "$cargo_profile" -p "$pkg" -o "$package_out/" | tail -n 1)
    [ -f "$deb" ] || die "cargo deb did not say where $pkg's package went"
    produced+=("$deb")
}

package_rpms() {
    local pkg dir rpm
    for pkg in godkend:. godkend-server:crates/server; do
        dir=${pkg#*:} pkg=${pkg%%:*}
        log "RPM package $pkg"
        cargo generate-rpm --profile "$cargo_profile" -p "$dir" -o "$package_out/" >&2
        rpm=$package_out/$pkg-$package_version-1.x86_64.rpm
        [ -f "$rpm" ] || die "cargo generate-rpm did not write $rpm"
        produced+=("$rpm")
    done
}

# The AppImage holds the .deb's files (so both install the same tree), with AppRun,
# the desktop entry and the icon at the top as the AppImage format wants, behind the
# AppImage runtime that mounts (or extracts) it and runs AppRun.
package_appimage() {
    log "AppImage"
    local work=$package_work/appimage deb
    rm -rf "$work"
    mkdir -p "$work"
    deb=$package_out/godkend_$package_version-1_amd64.deb
    local made=" ${produced[*]} "
    if [ "${made/ $deb /}" = "$made" ]; then
        deb=$(cargo deb --no-build --locked --profile "$cargo_profile" -p godkend -o "$work/" | tail -n 1)
    fi
    local appdir=$work/Godkend.AppDir
    mkdir "$appdir"
    if command -v dpkg-deb >/dev/null; then
        dpkg-deb -x "$deb" "$appdir"
    else
        (cd "$work" && ar x "$deb" data.tar.xz && tar -xJf data.tar.xz -C "$appdir")
    fi
    ln -s usr/bin/godkend "$appdir/AppRun"
    cp "$appdir/usr/share/applications/dev.godkend.Godkend.desktop" "$appdir/"
    cp "$appdir/usr/share/icons/hicolor/256x256/apps/godkend.png" "$appdir/godkend.png"
    ln -s godkend.png "$appdir/.DirIcon"
    appimage_runtime >"$work/runtime"
    mksquashfs "$appdir" "$work/godkend.squashfs" -root-owned -noappend -quiet >&2
    local image=$package_out/Godkend-$package_version-x86_64.AppImage
    cat "$work/runtime" "$work/godkend.squashfs" >"$image"
    chmod 755 "$image"
    produced+=("$image")
}

# appimage_runtime: writes the runtime to stdout, from cargo's copy of the crate.
appimage_runtime() {
    local cache=${CARGO_HOME:-$HOME/.cargo}/registry/cache crate name=${APPIMAGE_RUNTIME_CRATE/@/-}
    crate=$(find "$cache" -name "$name.crate" 2>/dev/null | head -n 1)
    if [ -z "$crate" ]; then
        # `cargo info` downloads the crate into cargo's cache (run outside the
        # workspace, so it asks the registry and not the local manifests).
        (cd "${TMPDIR:-/tmp}" && cargo info "$APPIMAGE_RUNTIME_CRATE" >/dev/null) ||
            die "cargo could not fetch $APPIMAGE_RUNTIME_CRATE for the AppImage runtime"
        crate=$(find "$cache" -name "$name.crate" | head -n 1)
    fi
    [ -n "$crate" ] || die "$name.crate is not in cargo's cache ($cache)"
    local runtime=$package_work/appimage-runtime
    tar -xzf "$crate" -O "$name/assets/runtime-x86_64" >"$runtime"
    printf '%s  %s\n' "$APPIMAGE_RUNTIME_SHA256" "$runtime" | sha256sum -c --quiet >&2 ||
        die "the AppImage runtime from $crate has an unexpected SHA-256"
    cat "$runtime"
}

package_nsis() {
    log "NSIS installer"
    local setup=$package_out/godkend-$package_version-setup.exe
    makensis -V2 -WX -DVERSION="$package_version" -DEXE="$windows_exe" \
        -DICON="$GODKEND_ROOT/resources/icons/app/godkend.ico" -DOUTFILE="$setup" \
        "$GODKEND_ROOT/installers/nsis/godkend.nsi" >&2
    produced+=("$setup")
}

package_msi() {
    log "MSI installer"
    local msi=$package_out/godkend-$package_version-x64.msi work=$package_work/msi
    # wixl takes source files by paths relative to the current folder only.
    rm -rf "$work"
    mkdir -p "$work"
    cp "$windows_exe" "$work/godkend.exe"
    cp "$GODKEND_ROOT/resources/icons/app/godkend.ico" "$work/"
    # wixl warns that <Package Platform> is unknown to it; WiX on Windows needs it.
    (cd "$work" && wixl -a x64 -D Version="$package_version" -D Exe=godkend.exe -D Icon=godkend.ico \
        -o "$msi" "$GODKEND_ROOT/installers/wix/godkend.wxs" 2>&1 | grep -v "no property named 'Platform'" >&2;
        exit "${PIPESTATUS[0]}")
    produced+=("$msi")
}

# The macOS bundle cannot be built here (no macOS SDK): bundle.sh assembles it around
# a stand-in executable and check-bundle.py checks the layout and Info.plist.
package_macos_app_check() {
    log "macOS bundle layout (stand-in executable)"
    local work=$package_work/macos
    rm -rf "$work"
    mkdir -p "$work"
    printf '#!/bin/sh\necho "stand-in for the macOS build"\n' >"$work/godkend"
    chmod 755 "$work/godkend"
    "$GODKEND_ROOT/installers/macos/bundle.sh" "$work/godkend" "$work/Godkend.app" "$package_version"
    python3 "$GODKEND_ROOT/installers/macos/check-bundle.py" --stand-in "$work/Godkend.app" "$package_version"
}

# write_sboms: a CycloneDX SBOM beside each package (PACKAGE.cdx.json): cargo's
# dependency graph of the binary's crate for the package's target, without build and
# dev dependencies. cargo-cyclonedx writes into each crate's folder of the source tree
# under a temporary name; the files are moved out at once.
write_sboms() {
    [ ${#produced[@]} -gt 0 ] || return 0
    local f crate_dir target name=godkend-sbom-$$ sboms=()
    for f in "${produced[@]}"; do
        case "$(basename "$f")" in
            godkend-server*) crate_dir=crates/server ;;
            *) crate_dir=. ;;
        esac
        case "$f" in
            *.exe | *.msi) target=$WINDOWS_TARGET ;;
            *) target=x86_64-unknown-linux-gnu ;;
        esac
        cargo cyclonedx -q --manifest-path "$GODKEND_ROOT/Cargo.toml" -f json --spec-version 1.5 \
            --no-build-deps --target "$target" --override-filename "$name"
        mv "$GODKEND_ROOT/$crate_dir/$name.json" "$f.cdx.json"
        find "$GODKEND_ROOT" -maxdepth 3 -name "$name.json" -not -path '*/target/*' -delete
        sboms+=("$f.cdx.json")
    done
    produced+=("${sboms[@]}")
}

write_checksums() {
    [ ${#produced[@]} -gt 0 ] || return 0
    local f names=()
    for f in "${produced[@]}"; do names+=("$(basename "$f")"); done
    (cd "$package_out" && sha256sum "${names[@]}" >SHA256SUMS)
}

print_packages() {
    local f
    for f in "${produced[@]}"; do
        printf '%10s  %s\n' "$(human_size "$f")" "$f"
    done
    [ ${#produced[@]} -eq 0 ] || printf '%10s  %s\n' '' "$package_out/SHA256SUMS"
}
