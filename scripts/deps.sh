#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (real DNS and dyndns
# clients, TLS tooling) when they are missing. Safe to run repeatedly.
set -euo pipefail

# command -> Debian package
declare -A PACKAGES=(
  [dig]=dnsutils
  [ddclient]=ddclient
  [inadyn]=inadyn
  [oathtool]=oathtool
  [openssl]=openssl
  [curl]=curl
)

missing=()
for cmd in "${!PACKAGES[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGES[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# ddclient's package asks debconf questions and would start a daemon; neither
# is wanted here.
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
