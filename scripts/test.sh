#!/usr/bin/env bash
# The whole test suite: what the README calls "run the tests" and what CI runs.
# It installs what the tests need through the normal package clients, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests that need external programs (SIPp, PJSIP, baresip) install them here as they arrive.
# The message core needs none.

echo "== cargo test (workspace)"
cargo test --workspace --locked
