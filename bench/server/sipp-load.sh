#!/usr/bin/env bash
# A first load run of the carillon server with SIPp: REGISTER with digest authentication for
# distinct users at a fixed rate, then calls from a SIPp uac (alice, authenticated) to a SIPp
# uas registered as bob, through the record-routing proxy. Prints, for each: completed,
# failed, wall time, achieved rate and the server's CPU time (user+sys) per 1,000.
#
# Not part of the test suite: machines are shared and noisy, so run it on a quiet machine
# and read the figures as a first look (the Kamailio comparison is the benchmark issue's).
#
#   bench/server/sipp-load.sh [REGISTERS] [REG_RATE] [CALLS] [CALL_RATE]
#
# Defaults: 20000 registrations at 2000/s, 5000 calls at 300/s. It runs in a network
# namespace with only loopback (unshare -rn), builds the release binary first, and needs
# sipp (apt-get install sip-tester).
set -euo pipefail
cd "$(dirname "$0")/../.."
regs=${1:-20000}
reg_rate=${2:-2000}
calls=${3:-5000}
call_rate=${4:-300}

if [ -z "${CARILLON_IN_NS:-}" ]; then
    cargo build --release -p carillon
    exec unshare -rn env CARILLON_IN_NS=1 "$0" "$@"
fi
ip link set lo up

bin=$(pwd)/target/release/carillon
scen=$(pwd)/carillon/tests/sipp
work=$(mktemp -d /tmp/carillon-load.XXXXXX)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

echo "SEQUENTIAL" > reg.csv
: > users.txt
for i in $(seq 0 $((regs - 1))); do
    echo "u$i 127.0.0.1 pw$i" | awk '{print $1";"$2";"$3}' >> reg.csv
    echo "u$i@127.0.0.1 pw$i" >> users.txt
done
echo "alice@127.0.0.1 alice-pw" >> users.txt
echo "bob@127.0.0.1 bob-pw" >> users.txt
printf 'SEQUENTIAL\nalice;127.0.0.1;alice-pw;bob;127.0.0.1\n' > alice.csv
printf 'SEQUENTIAL\nbob;127.0.0.1;bob-pw\n' > bob.csv
"$bin" --data data user import users.txt >/dev/null

# Every request comes from one SIPp address: the per-address rate limit would ban it.
printf '[security]\nrate_limit = 0\n' > carillon.toml
RUST_LOG=warn "$bin" --data data serve --config carillon.toml --listen 127.0.0.1:5060 \
    --metrics 127.0.0.1:9060 2> server.log &
server=$!
sleep 1

cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
tck=$(getconf CLK_TCK)
report() { # name count failed start_ticks end_ticks seconds
    awk -v n="$1" -v c="$2" -v f="$3" -v a="$4" -v b="$5" -v s="$6" -v t="$tck" 'BEGIN {
        cpu = (b - a) / t;
        printf "%-10s %7d ok %5d failed  %6.2f s  %8.0f /s  server CPU %.2f s = %.1f ms per 1000\n",
            n, c, f, s, c / s, cpu, (c > 0 ? 1000 * cpu * 1000 / c : 0) }'
}
counter() { grep -E "^ +$2 " "$1" | tail -1 | awk -F'|' '{gsub(/ /, "", $3); print $3}'; }

sipp_run() { # scenario csv port rate count out [extra...]
    local sc=$1 csv=$2 port=$3 rate=$4 count=$5 out=$6
    shift 6
    sipp -sf "$scen/$sc" -inf "$csv" -i 127.0.0.1 -p "$port" -m "$count" -r "$rate" \
        -l 5000 -nostdin -timeout 300s -timeout_error -t u1 "$@" 127.0.0.1:5060 > "$out" 2>&1 || true
}

a=$(cpu); t0=$(date +%s.%N)
sipp_run register.xml reg.csv 6000 "$reg_rate" "$regs" reg.out
t1=$(date +%s.%N); b=$(cpu)
report REGISTER "$(counter reg.out 'Successful call')" "$(counter reg.out 'Failed call')" \
    "$a" "$b" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"

sipp_run register.xml bob.csv 6100 10 1 bobreg.out
sipp -sf "$scen/uas.xml" -i 127.0.0.1 -p 6100 -mp 16000 -m "$calls" -nostdin \
    -timeout 300s -t u1 127.0.0.1:5060 > uas.out 2>&1 &
uas=$!
sleep 0.5
a=$(cpu); t0=$(date +%s.%N)
sipp_run uac_auth.xml alice.csv 6200 "$call_rate" "$calls" uac.out -mp 18000
t1=$(date +%s.%N); b=$(cpu)
wait "$uas" || true
report CALL "$(counter uac.out 'Successful call')" "$(counter uac.out 'Failed call')" \
    "$a" "$b" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
echo "server resident memory: $(awk '/VmRSS/ {print $2, $3}' "/proc/$server/status")"
