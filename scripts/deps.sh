#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (real DNS and dyndns
# clients, TLS tooling, PostgreSQL server binaries, headless Chromium and its
# WebDriver) and schemathesis from PyPI when they are missing. Safe to run
# repeatedly.
set -euo pipefail

# command -> Debian package
declare -A PACKAGES=(
  [dig]=dnsutils
  [ddclient]=ddclient
  [inadyn]=inadyn
  [oathtool]=oathtool
  [openssl]=openssl
  [curl]=curl
  [chromium]=chromium
  [chromedriver]=chromium-driver
  # a pseudo-terminal for scripts/up.sh's Ctrl-C tests
  [script]=bsdutils
  # zone transfers: a TSIG-checking client and three real secondaries
  [kdig]=knot-dnsutils
  [knotd]=knot
  [nsd]=nsd
  [named]=bind9
)

missing=()
for cmd in "${!PACKAGES[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGES[$cmd]}")
done
# control's private PostgreSQL cluster (and the tests' one) needs the server
# binaries; Debian keeps them off PATH under /usr/lib/postgresql/<version>/bin.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# schemathesis (PyPI) checks the JSON API against its OpenAPI document; the
# version the tests were written against.
if ! command -v st >/dev/null 2>&1; then
  echo "installing: schemathesis (pip)" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis==4.32.5' >/dev/null
  command -v pyenv >/dev/null 2>&1 && pyenv rehash
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# ddclient's package asks debconf questions and would start a daemon; neither
# is wanted here.
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
