#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the end-to-end tests that start
# the real binaries and drive them with real clients.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cargo build --workspace --bins --locked
# The end-to-end tests fail instead of skipping when a tool is missing.
export SPDYN_REQUIRE_TOOLS=1
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
