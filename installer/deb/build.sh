#!/usr/bin/env bash
# Package a PyInstaller onedir build of the desktop client as a .deb.
#   installer/deb/build.sh PAYLOAD_DIR [OUT_DIR]
# PAYLOAD_DIR holds the `parley` executable at its top (dist/linux/Parley from `make deb`, or a
# stand-in tree in tests). Writes OUT_DIR/parley_VERSION_amd64.deb (OUT_DIR defaults to dist/) and
# prints its path. The version comes from shared/version.py, the only place it is set.
#
# Layout: /opt/parley/ (the frozen app), /usr/bin/parley -> /opt/parley/parley, the desktop file
# and the parley:// handler in /usr/share/applications, the icon in the hicolor theme, and
# /etc/parley/ for machine policy and settings (read by client/engine/settings.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
payload=${1:?usage: installer/deb/build.sh PAYLOAD_DIR [OUT_DIR]}
out=${2:-$root/dist}
[ -x "$payload/parley" ] || { echo "build.sh: $payload/parley is missing or not executable" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build.sh: dpkg-deb is missing (apt-get install dpkg-dev)" >&2; exit 1; }

version=$(sed -n 's/^__version__ *= *["'\'']\([^"'\'']*\)["'\''].*/\1/p' "$root/shared/version.py")
[ -n "$version" ] || { echo "build.sh: no __version__ in shared/version.py" >&2; exit 1; }
# Debian orders 1.0~rc1 before 1.0; PEP 440 writes 1.0rc1.
deb_version=$(printf '%s' "$version" | sed -E 's/(a|b|rc|\.dev)([0-9]+)$/~\1\2/')
arch=amd64

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/parley
install -d "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" \
  "$pkg/usr/share/icons/hicolor/256x256/apps" "$pkg/usr/share/icons/hicolor/scalable/apps" \
  "$pkg/usr/share/doc/parley/examples" "$pkg/etc/parley"
cp -a "$payload" "$pkg/opt/parley"
chmod -R u+rwX,go+rX,go-w "$pkg/opt/parley"
ln -s /opt/parley/parley "$pkg/usr/bin/parley"
install -m 644 "$root/resources/parley.desktop" "$root/resources/parley-url-handler.desktop" "$pkg/usr/share/applications/"
install -m 644 "$root/resources/icons/parley.png" "$pkg/usr/share/icons/hicolor/256x256/apps/parley.png"
install -m 644 "$root/resources/icons/parley.svg" "$pkg/usr/share/icons/hicolor/scalable/apps/parley.svg"
install -m 644 "$root/installer/deb/policy.toml.example" "$pkg/usr/share/doc/parley/examples/policy.toml"
install -m 644 "$root/installer/deb/parley.toml.example" "$pkg/usr/share/doc/parley/examples/parley.toml"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: parley
Version: $deb_version
Architecture: $arch
Maintainer: Parley maintainers <parley@localhost>
Installed-Size: $size
Section: net
Priority: optional
Depends: libc6 (>= 2.31), libportaudio2, libasound2, libegl1, libgl1, libglx0, libglvnd0, libglib2.0-0, libfontconfig1, libfreetype6, libdbus-1-3, libx11-6, libx11-xcb1, libxkbcommon0, libxkbcommon-x11-0, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xfixes0, libxcb-xkb1
Recommends: libasound2-plugins, pulseaudio | pipewire-pulse, xdg-utils
Homepage: https://parley.invalid/
Description: Parley meetings desktop client
 Self-hosted meetings: HD audio and video, screen sharing, in-call file
 transfer and recording, through your company's Parley relay.
 Machine policy and settings are read from /etc/parley (see
 /usr/share/doc/parley/examples).
EOF
# Register the desktop file and the parley:// handler with the desktop database. DPKG_ROOT is set
# by dpkg when it installs into another root (--root with --force-script-chrootless).
for script in postinst postrm; do
  cat > "$pkg/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "${DPKG_ROOT:-}/usr/share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "${DPKG_ROOT:-}/usr/share/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t "${DPKG_ROOT:-}/usr/share/icons/hicolor" || true
fi
EOF
  chmod 755 "$pkg/DEBIAN/$script"
done

mkdir -p "$out"
deb=$out/parley_${deb_version}_${arch}.deb
# zstd -9: 6 s for the ~380 MB onedir on 2 cores (xz -6 takes 4 minutes for 20% less). Debian 12
# and Ubuntu 21.10 or later read it; DEB_COMPRESSION="-Zxz -z6" makes a .deb older dpkg can read.
# shellcheck disable=SC2086
dpkg-deb --root-owner-group ${DEB_COMPRESSION:--Zzstd -z9} --build "$pkg" "$deb" >/dev/null
echo "$deb"
