#!/usr/bin/env bash
# Installs what Parley needs on a fresh Debian/Ubuntu machine: Debian packages (when root), then a
# .venv with the project. `make run` and `make test` call it; it is quick when nothing is missing.
#   installer/bootstrap.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

# Runtime: Qt offscreen + X (Xvfb for the headless demo and screen share), PortAudio through
# PulseAudio, ffmpeg for checking recordings, fonts with CJK for the Chinese translation.
apt_run=(python3 python3-venv python3-dev gcc ffmpeg xvfb xauth x11-utils
  libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
  libx11-xcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
  libxcb-xfixes0 libxcb-xkb1 libxcb1 libxkbcommon-x11-0
  pulseaudio pulseaudio-utils libasound2-plugins libportaudio2 fonts-dejavu-core fonts-noto-cjk)
# Tests: the MSI toolchain and wine to install it for real, dpkg tools for the .deb.
apt_test=(msitools)
extra_file=installer/apt-test-packages.txt
if [ -f "$extra_file" ]; then mapfile -t more < <(grep -v '^#' "$extra_file" | tr ' ' '\n' | sed '/^$/d'); apt_test+=("${more[@]}"); fi

want=("${apt_run[@]}")
[ "$mode" = test ] && want+=("${apt_test[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # slapd: no database of its own and so no system daemon (the tests start a private one).
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages (run as root or: sudo apt-get install ${missing[*]})" >&2
  fi
fi

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$py" -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[dev]"
stamp=.venv/.parley-installed-$mode
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing Parley$extras into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi
