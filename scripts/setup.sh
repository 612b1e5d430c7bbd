#!/usr/bin/env bash
# Installs what connwatch needs to build and test on Debian 12 (run as root, or with sudo available).
set -euo pipefail
# Build: the -dev packages. Tests: systemd(-journal-remote) for real journals, rsyslog and chromium (+ CJK fonts)
# for the forwarding and report integration tests, logrotate for the rotation example, util-linux for prlimit.
packages=(libsystemd-dev libvectorscan-dev libpcre2-dev libisal-dev pkg-config gzip systemd systemd-journal-remote ripgrep time python3
  rsyslog chromium fonts-noto-cjk logrotate util-linux bsdutils cmark)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Installing libsystemd-dev can upgrade systemd; if dpkg stops half-way, repair and retry once.
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    $SUDO apt-get install -f -y -qq >/dev/null || true
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
# The JSON Schema of findings is checked with python's jsonschema.
python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install -q jsonschema 2>/dev/null \
  || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"; $SUDO apt-get install -y -qq python3-jsonschema >/dev/null; }
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected the Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2; exit 1; }
