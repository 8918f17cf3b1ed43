#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the end-to-end tests that start
# the real binaries and drive them with real clients.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cargo build --workspace --bins --locked
# The end-to-end tests run the binaries just built (target/debug), never
# those of an earlier SPDYN_BIN_DIR.
unset SPDYN_BIN_DIR
rm -f target/test-skips.txt

# One throwaway PostgreSQL cluster for the whole run (no fsync); every test
# creates its own database in it. Without DATABASE_URL (a plain `cargo test`)
# each test starts a private cluster of its own instead.
# It lives under /tmp: when run as root, PostgreSQL runs as the postgres user,
# which may not be able to enter the checkout (e.g. below /root).
pg_dir=$(mktemp -d /tmp/spdyn-test-pg.XXXXXX)
trap 'target/debug/control postgres stop --dir "$pg_dir" >/dev/null; rm -rf "$pg_dir"' EXIT
DATABASE_URL=$(target/debug/control postgres start --fast --dir "$pg_dir")
export DATABASE_URL
# The end-to-end tests fail instead of skipping when a tool is missing.
export SPDYN_REQUIRE_TOOLS=1
# One test holds 1,000 idle TCP connections (tests/it/abuse_dnsd.rs): more
# than the common default soft limit of 1,024 open files.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  ulimit -n 4096 2>/dev/null || true
fi
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
