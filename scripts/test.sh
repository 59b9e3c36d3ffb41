#!/usr/bin/env bash
# The whole test suite: what the README calls "run the tests" and what CI runs.
# It installs what the tests need through the normal package clients, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# ----- Peers for the interop tests (crates/sip-ua/tests, carillon/tests): SIPp, baresip,
# linphonec, PJSIP (pjsua2-python) and the Python `websockets` package. Installed only when
# missing. A test whose peer is missing fails and names it, unless CARILLON_SKIP_INTEROP=1,
# which makes it print a loud SKIPPED line.

apt_updated=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "!! not root: cannot apt-get install $*; install it yourself" >&2
        return 1
    fi
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if [ "${CARILLON_SKIP_INTEROP:-}" != 1 ]; then
    if ! command -v sipp >/dev/null 2>&1; then
        echo "== installing SIPp (apt-get install sip-tester)"
        apt_install sip-tester
    fi
    if ! command -v baresip >/dev/null 2>&1; then
        echo "== installing baresip (apt-get install baresip-core)"
        apt_install baresip-core
    fi
    if ! command -v linphonec >/dev/null 2>&1; then
        echo "== installing linphonec (apt-get install linphone-cli)"
        apt_install linphone-cli
    fi

    venv=target/interop-venv
    if ! "$venv/bin/python" -c 'import pjsua2, websockets, sipvicious' >/dev/null 2>&1; then
        echo "== creating $venv with pjsua2-python, websockets and sipvicious (pip)"
        rm -rf "$venv"
        mkdir -p target
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            # Debian's python3 needs python3-venv for `python3 -m venv`.
            rm -rf "$venv"
            apt_install python3 python3-venv
            python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install -q --disable-pip-version-check pjsua2-python websockets sipvicious
    fi
    CARILLON_PYTHON="$(pwd)/$venv/bin/python"
    export CARILLON_PYTHON
else
    echo "!! CARILLON_SKIP_INTEROP=1: the interop tests (SIPp, baresip, linphonec, PJSIP, WebSocket) will be SKIPPED"
fi

# ----- Build with the network (cargo may need the registry), then test without it. Every
# crate runs even when an earlier one fails (--no-fail-fast); the exit status is still non-zero.

echo "== cargo test --no-run (workspace)"
cargo test --workspace --locked --no-run

# The tests run in a network namespace that has only loopback, so no peer (nor our own agent)
# can reach or advertise another interface.
if ! command -v ip >/dev/null 2>&1 && [ "${CARILLON_SKIP_INTEROP:-}" != 1 ]; then
    apt_install iproute2 || true
fi
if command -v ip >/dev/null 2>&1 && unshare -rn sh -c 'ip link set lo up' >/dev/null 2>&1; then
    echo "== cargo test (workspace), in a network namespace with only loopback"
    unshare -rn sh -c 'ip link set lo up && exec cargo test --workspace --locked --offline --no-fail-fast'
else
    echo "!! WARNING: cannot create a network namespace (unshare -rn, or ip, unavailable):"
    echo "!!          running the tests in the machine's own network namespace"
    echo "== cargo test (workspace)"
    cargo test --workspace --locked --no-fail-fast
fi
