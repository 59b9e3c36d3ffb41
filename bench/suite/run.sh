#!/usr/bin/env bash
# The server benchmark suite (issue 6): Carillon against Kamailio 5.6, one after the other in
# the same run, same SIPp scenarios, same machine. Prints a table with the ratio
# Carillon / Kamailio for every figure. See bench/suite/README.md for the procedure.
#
#   bench/suite/run.sh              # every scenario, both servers (long: 30 to 45 minutes)
#   BENCH_QUICK=1 bench/suite/run.sh    # smoke run: a few minutes, figures only indicative
#   bench/suite/run.sh --memory     # memory per registration at BENCH_MEM_BINDINGS bindings
#
# It installs SIPp (sip-tester) and Kamailio with apt-get when missing, builds the release
# binary, then runs everything in a network namespace with only loopback (unshare -rn).
# Results and logs are kept in target/bench-suite/RUN-ID/ (table.txt, trials.txt, logs).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
suite=$root/bench/suite

mode=rates
for a in "$@"; do
    case $a in
        --memory) mode=memory ;;
        -h | --help)
            sed -n '2,12p' "$0"
            exit 0
            ;;
        *)
            echo "unknown argument: $a" >&2
            exit 2
            ;;
    esac
done

# ---------------------------------------------------------------- knobs (environment)
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    d_dur=5 d_fixdur=5 d_bisect=0 d_cap=4000 d_pause=1 d_memn=20000
else
    d_dur=20 d_fixdur=20 d_bisect=3 d_cap=64000 d_pause=3 d_memn=100000
fi
DURATION=${BENCH_DURATION:-$d_dur}             # seconds each rate is held in the search
FIXED_DURATION=${BENCH_FIXED_DURATION:-$d_fixdur} # seconds of the fixed-rate run
BISECT=${BENCH_BISECT:-$d_bisect}              # bisection steps after the first failure
PAUSE=${BENCH_PAUSE:-$d_pause}                 # seconds between trials (tails drain)
USERS=${BENCH_USERS:-10000}                    # distinct REGISTER users
SCENARIOS=${BENCH_SCENARIOS:-"reg_noauth reg_auth call message"}
SERVERS=${BENCH_SERVERS:-"carillon kamailio"}
KAM_CHILDREN=${BENCH_KAM_CHILDREN:-4}
KAM_SHM=${BENCH_KAM_SHM:-256}                  # MB of Kamailio shared memory
MAX_FAIL_PPM=${BENCH_MAX_FAIL_PPM:-1000}       # < 0.1 % failed calls
MAX_RETRANS_PCT=${BENCH_MAX_RETRANS_PCT:-1}    # retransmissions per call, in %, above = storm
MIN_ACHIEVED_PCT=${BENCH_MIN_ACHIEVED_PCT:-95} # completions/s measured vs. target rate
CALL_HOLD_MS=${BENCH_CALL_HOLD_MS:-100}        # pause between ACK and BYE
MEM_BINDINGS=${BENCH_MEM_BINDINGS:-$d_memn}
# [server] threads for Carillon; unset: its default.
carillon_threads=${BENCH_CARILLON_THREADS:+threads = $BENCH_CARILLON_THREADS}
MEM_RATE=${BENCH_MEM_RATE:-2000}
MEM_SETTLE=${BENCH_MEM_SETTLE:-35}              # seconds between the last REGISTER and the measurement
CARILLON_PORT=5060
KAM_PORT=5070
start_rate() {
    local v="BENCH_START_$1"
    local d
    case $1 in
        reg_noauth) d=1000 ;; reg_auth) d=500 ;; call) d=250 ;; message) d=500 ;;
    esac
    [ "$quick" = 1 ] && d=$((d / 2 > 250 ? d / 2 : 250))
    echo "${!v:-$d}"
}
max_rate() { local v="BENCH_MAX_RATE_$1"; echo "${!v:-${BENCH_MAX_RATE:-$d_cap}}"; }
fixed_rate_override() { local v="BENCH_FIXED_RATE_$1"; echo "${!v:-}"; }

# ---------------------------------------------------------------- outside the namespace
if [ -z "${BENCH_IN_NS:-}" ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    missing=""
    command -v sipp >/dev/null || missing="$missing sip-tester"
    command -v kamailio >/dev/null || missing="$missing kamailio"
    command -v python3 >/dev/null || missing="$missing python3"
    if [ -n "$missing" ]; then
        echo "installing:$missing"
        $sudo apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
    fi
    if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
        cargo build --release -p carillon || {
            echo "building carillon failed; BENCH_NO_BUILD=1 runs the existing" \
                "target/release/carillon instead" >&2
            exit 1
        }
    fi
    [ -x target/release/carillon ] || { echo "no target/release/carillon" >&2; exit 1; }
    ls -l --time-style=+%F.%T target/release/carillon | awk '{ print "carillon binary built", $6 }'
    run_id=$(date +%Y%m%d-%H%M%S)
    out=$root/target/bench-suite/$run_id
    mkdir -p "$out"
    # A private copy: target/ is shared, and a rebuild during the run must not change the
    # server between two scenarios.
    cp target/release/carillon "$out/carillon"
    echo "results in $out"
    exec unshare -rn env BENCH_IN_NS=1 BENCH_OUT="$out" "$0" "$@"
fi

# ---------------------------------------------------------------- inside the namespace
ip link set lo up
out=$BENCH_OUT
bin=$out/carillon
scen=$suite/sipp
work=$out/work
mkdir -p "$work"
cd "$work"
tck=$(getconf CLK_TCK)
trials=$out/trials.txt
table=$out/table.txt
: >"$trials"
server_pid=""
uas_pid=""
cleanup() {
    [ -n "$uas_pid" ] && kill "$uas_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    wait 2>/dev/null
    true
}
trap cleanup EXIT

log() { echo "[$(date +%T)] $*" | tee -a "$trials" >&2; }

# ---- users: one list for both servers
make_users() { # count prefix dir
    python3 - "$1" "$2" "$3" <<'EOF'
import hashlib, sys
n, prefix, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
realm = "127.0.0.1"
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
with open(f"{d}/users.csv", "w") as csv, open(f"{d}/users.txt", "w") as txt, \
        open(f"{d}/subscriber.rows", "w") as sub:
    csv.write("SEQUENTIAL\n")
    people = [(f"{prefix}{i}", f"pw{i}") for i in range(n)] + [("alice", "alice-pw"), ("bob", "bob-pw")]
    for i, (u, p) in enumerate(people):
        if u not in ("alice", "bob"):
            csv.write(f"{u};{realm};{p}\n")
        txt.write(f"{u}@{realm} {p}\n")
        sub.write(f"{i + 1}:{u}:{realm}:{p}:{md5(f'{u}:{realm}:{p}')}:{md5(f'{u}@{realm}:{realm}:{p}')}\n")
EOF
}

mkdir -p users
make_users "$USERS" u users
printf 'SEQUENTIAL\nalice;127.0.0.1;bob;127.0.0.1\n' >users/caller.csv
printf 'SEQUENTIAL\nbob;127.0.0.1;bob-pw\n' >users/callee.csv
log "importing $((USERS + 2)) users into a Carillon data template"
"$bin" --data carillon-template user import users/users.txt >/dev/null

# ---- servers
carillon_template=carillon-template
# Newer builds have abuse protection ([security]: per-address rate limits and bans, like
# Kamailio's pike, and overload 503s). The Kamailio script loads no pike or ratelimit, and
# SIPp sends thousands of requests a second from one address, so it is off here, when the
# binary knows the section (older ones refuse unknown sections).
printf '[security]\nenabled = false\n' >security-probe.toml
security_off=""
if "$bin" config check security-probe.toml >/dev/null 2>&1; then
    security_off=$'[security]\nenabled = false'
fi
# start_server NAME TRUST(yes|no) DIR [kamailio shm MB]: sets server_pid, server_port
start_server() {
    local name=$1 trust=$2 dir=$3 shm=${4:-$KAM_SHM}
    rm -rf "$dir"
    mkdir -p "$dir"
    case $name in
        carillon)
            cp -r "$carillon_template" "$dir/data"
            local t="[]"
            [ "$trust" = yes ] && t='["127.0.0.1"]'
            # Same work as the Kamailio script: one MD5 challenge, record-route, no
            # keep-alives (Kamailio loads no nathelper), no metrics endpoint, warnings only.
            cat >"$dir/carillon.toml" <<EOF
[server]
listen = ["udp:127.0.0.1:$CARILLON_PORT"]
$carillon_threads
[auth]
algorithms = ["MD5"]
trusted = $t
[proxy]
record_route = true
[nat]
keepalive_interval = 0
[metrics]
enabled = false
[log]
level = "warn"
$security_off
EOF
            RUST_LOG=warn "$bin" --data "$dir/data" --config "$dir/carillon.toml" serve \
                >"$dir/server.log" 2>&1 &
            server_pid=$!
            server_port=$CARILLON_PORT
            ;;
        kamailio)
            cp -r "$suite/kamailio/dbtext" "$dir/dbtext"
            cat users/subscriber.rows >>"$dir/dbtext/subscriber"
            [ "$trust" = yes ] && echo "1:1:127.0.0.1:32:0:" >>"$dir/dbtext/address"
            kamailio -DD -E -f "$suite/kamailio/kamailio.cfg" -m "$shm" -M 8 -w "$dir" \
                -A "DBURL=\"text://$dir/dbtext\"" -A "LISTEN=udp:127.0.0.1:$KAM_PORT" \
                -A "CHILDREN=$KAM_CHILDREN" >"$dir/server.log" 2>&1 &
            server_pid=$!
            server_port=$KAM_PORT
            ;;
    esac
    sleep 2
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "$name did not start:" >&2
        tail -20 "$dir/server.log" >&2
        exit 1
    fi
}
# terminate PID: SIGTERM, two seconds to go, then SIGKILL; reaps it.
terminate() {
    local i
    kill "$1" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
stop_server() {
    stop_uas
    # Figures are taken by now: Carillon's graceful drain (transactions still in their
    # wait timers) would cost seconds per stop, so it gets two, then SIGKILL.
    local pids
    pids=$(server_pids)
    terminate "$server_pid"
    # Kamailio's children, should its main process have been killed before them.
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    server_pid=""
}
# Every process of the server: Carillon is one process (its threads are in its stat);
# Kamailio is the main process and its children.
server_pids() { echo "$server_pid" $(pgrep -P "$server_pid" || true); }
# sum_proc FILE CMD...: CMD (reading /proc/PID/FILE on stdin, printing a number) summed over
# the server's processes.
sum_proc() {
    local file=$1 t=0 p
    shift
    for p in $(server_pids); do
        [ -r "/proc/$p/$file" ] || continue
        t=$((t + $("$@" <"/proc/$p/$file")))
    done
    echo "$t"
}
# Fields 14 and 15 (utime, stime), counted after the ")" of the command name.
server_ticks() { sum_proc stat awk '{ sub(/.*\) /, ""); print $12 + $13 }'; }
# Proportional set size summed over the server's processes, in kB: Kamailio's shared
# memory is mapped in every process and PSS counts each page once in total.
server_pss() { sum_proc smaps_rollup awk '/^Pss:/ { print $2 }'; }
# PSS once start-up is over: Carillon loads its users (and bindings) into memory at start and
# frees the loading buffers afterwards (a million users: hundreds of MB for a few seconds).
# Stable = under 1 % change in 2 s, or 60 s.
settled_pss() {
    local now prev i
    now=$(server_pss)
    for ((i = 0; i < 30; i++)); do
        prev=$now
        sleep 2
        now=$(server_pss)
        [ $(((now - prev) * 100)) -le "$prev" ] && [ $(((prev - now) * 100)) -le "$prev" ] && break
    done
    echo "$now"
}
server_rss() { sum_proc status awk '/^VmRSS:/ { print $2 }'; }

# ---- SIPp
sipp_common=(-i 127.0.0.1 -t u1 -nostdin -buff_size 4194304)
stop_uas() {
    if [ -n "$uas_pid" ]; then
        # A SIPp uas left with thousands of broken calls after an overloaded trial can ignore
        # SIGTERM for good (seen once, 16 minutes).
        terminate "$uas_pid"
        uas_pid=""
    fi
}
# The callee of the call and MESSAGE scenarios: registers bob from port 6100 (trusted,
# no challenge), then answers on that port until stopped.
start_uas() { # uas-scenario dir
    local dir=$2
    mkdir -p "$dir"
    (cd "$dir" && sipp -sf "$scen/reg_noauth.xml" -inf "$work/users/callee.csv" "${sipp_common[@]}" \
        -p 6100 -m 1 -recv_timeout 5000 "127.0.0.1:$server_port" >bob-register.out 2>&1) || {
        echo "registering the callee failed, see $dir/bob-register.out" >&2
        exit 1
    }
    (cd "$dir" && exec sipp -sf "$scen/$1" "${sipp_common[@]}" -p 6100 "127.0.0.1:$server_port" \
        >uas.out 2>&1) &
    uas_pid=$!
    sleep 0.5
}
uac_of() {
    case $1 in
        reg_noauth) echo "reg_noauth.xml users.csv" ;;
        reg_auth) echo "reg_auth.xml users.csv" ;;
        call) echo "call_uac.xml caller.csv" ;;
        message) echo "msg_uac.xml caller.csv" ;;
    esac
}
uas_of() {
    case $1 in
        call) echo call_uas.xml ;;
        message) echo msg_uas.xml ;;
        *) echo "" ;;
    esac
}
trust_of() { [ "$1" = reg_auth ] && echo no || echo yes; }

col() { # stat.csv column-name: value on the last line
    awk -F';' -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
        { v = $c } END { print v + 0 }' "$1"
}
secs() { # bash `times` line "XmY.YYYs XmY.YYYs": user+sys seconds
    awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] + 0 } print s }'
}

# trial SCENARIO RATE SECONDS DIR: runs the uac at RATE for SECONDS, sets the globals
# t_ok t_failed t_retrans t_achieved t_cpu_ticks t_wall t_sipp_cpu t_pass t_why, and leaves
# the response times (ms, one per call) in DIR/rtt.txt
trial() {
    local sc=$1 rate=$2 dur=$3 dir=$4
    local uac csv
    read -r uac csv <<<"$(uac_of "$sc")"
    local m=$((rate * dur))
    mkdir -p "$dir"
    local a b t0 t1
    a=$(server_ticks)
    t0=$(date +%s.%N)
    (
        cd "$dir"
        sipp -sf "$scen/$uac" -inf "$work/users/$csv" "${sipp_common[@]}" -p 6200 \
            -r "$rate" -rp 1000 -m "$m" -l $((rate * 10 + 100)) -recv_timeout 8000 -d "$CALL_HOLD_MS" \
            -default_behaviors all,-abortunexp \
            -timeout $((dur + 60))s -trace_stat -fd 1 -stf stat.csv -trace_rtt -rtt_freq 1 \
            "127.0.0.1:$server_port" >sipp.out 2>&1 || true
        times >sipp-times.all
        tail -1 sipp-times.all >sipp-times.txt
    )
    t1=$(date +%s.%N)
    b=$(server_ticks)
    t_cpu_ticks=$((b - a))
    t_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    t_sipp_cpu=$(secs <"$dir/sipp-times.txt")
    if [ -f "$dir/stat.csv" ]; then
        t_ok=$(col "$dir/stat.csv" 'SuccessfulCall(C)')
        t_failed=$(col "$dir/stat.csv" 'FailedCall(C)')
        t_retrans=$(col "$dir/stat.csv" 'Retransmissions(C)')
    else
        t_ok=0 t_failed=$m t_retrans=0
    fi
    cat "$dir"/*_rtt.csv 2>/dev/null | awk -F';' 'NR > 1 && $2 != "" && $1 ~ /^[0-9]/ { print $1, $2 }' \
        >"$dir/rtt.dated" || true
    awk '{ print $2 }' "$dir/rtt.dated" >"$dir/rtt.txt"
    # Completions per second over the held period, skipping the first second (ramp-up).
    t_achieved=$(awk -v d="$dur" '$1 >= 1000 && $1 < d * 1000 { n++ } END { printf "%.0f", n / (d - 1) }' \
        "$dir/rtt.dated")
    t_pass=1 t_why=ok
    if ! kill -0 "$server_pid" 2>/dev/null; then
        t_pass=0 t_why="server died"
    elif [ $((t_failed * 1000000)) -ge $((m * MAX_FAIL_PPM)) ]; then
        t_pass=0 t_why="failed calls"
    elif [ $(((t_ok + t_failed) * 1000000)) -lt $((m * (1000000 - MAX_FAIL_PPM))) ]; then
        t_pass=0 t_why="calls unfinished"
    elif [ $((t_retrans * 100)) -gt $((m * MAX_RETRANS_PCT)) ]; then
        t_pass=0 t_why="retransmission storm"
    elif [ $((t_achieved * 100)) -lt $((rate * MIN_ACHIEVED_PCT)) ]; then
        t_pass=0 t_why="rate not achieved"
    fi
}
trial_line() { # scenario server rate
    awk -v s="$1" -v v="$2" -v r="$3" -v ok="$t_ok" -v f="$t_failed" -v rt="$t_retrans" \
        -v ach="$t_achieved" -v c="$t_cpu_ticks" -v w="$t_wall" -v sc="$t_sipp_cpu" \
        -v t="$tck" -v why="$t_why" 'BEGIN {
        printf "%-10s %-8s %6d/s  ok %7d failed %5d retrans %6d  achieved %6d/s  server CPU %4.0f%%  uac CPU %4.0f%%  %s\n",
            s, v, r, ok, f, rt, ach, 100 * c / t / w, 100 * sc / w, why }'
}

# search SCENARIO SERVER: the highest rate held DURATION s (see README for the procedure);
# sets s_max (0 when even the start rate fails) and s_note.
search() {
    local sc=$1 sv=$2 rate lo=0 hi=0 cap step=0
    rate=$(start_rate "$sc")
    cap=$(max_rate "$sc")
    s_note=""
    while :; do
        step=$((step + 1))
        trial "$sc" "$rate" "$DURATION" "$work/$sc/$sv/search-$step-$rate"
        log "$(trial_line "$sc" "$sv" "$rate")"
        sleep "$PAUSE"
        if [ "$t_pass" = 1 ]; then
            lo=$rate
            [ "$hi" != 0 ] && break
            if [ $((rate * 2)) -gt "$cap" ]; then
                s_note="cap"
                break
            fi
            rate=$((rate * 2))
        else
            hi=$rate
            [ "$lo" != 0 ] && break
            # The start rate failed: halve down to 50/s.
            [ "$rate" -le 50 ] && break
            rate=$((rate / 2))
        fi
    done
    local i
    for ((i = 0; i < BISECT && lo > 0 && hi > lo; i++)); do
        rate=$(((lo + hi) / 2))
        [ $((hi - lo)) -lt $((lo / 20 + 1)) ] && break
        step=$((step + 1))
        trial "$sc" "$rate" "$DURATION" "$work/$sc/$sv/search-$step-$rate"
        log "$(trial_line "$sc" "$sv" "$rate")"
        sleep "$PAUSE"
        if [ "$t_pass" = 1 ]; then lo=$rate; else hi=$rate; fi
    done
    s_max=$lo
}

pct() { # percentile P of the numbers in FILE
    sort -n "$2" | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
        i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print a[i] }'
}

declare -A R
run_rates() {
    local sc sv
    for sc in $SCENARIOS; do
        # 1. the search, one server after the other
        for sv in $SERVERS; do
            log "== $sc on $sv: rate search"
            start_server "$sv" "$(trust_of "$sc")" "$work/$sc/$sv/server-search"
            [ -n "$(uas_of "$sc")" ] && start_uas "$(uas_of "$sc")" "$work/$sc/$sv/uas-search"
            search "$sc" "$sv"
            R[$sc.$sv.max]=$s_max
            R[$sc.$sv.note]=$s_note
            stop_server
        done
        # 2. the fixed rate both held: 80 % of the lower maximum
        local fixed low=0
        for sv in $SERVERS; do
            if [ "$low" = 0 ] || [ "${R[$sc.$sv.max]}" -lt "$low" ]; then low=${R[$sc.$sv.max]}; fi
        done
        fixed=$(fixed_rate_override "$sc")
        [ -z "$fixed" ] && fixed=$((low * 8 / 10))
        [ "$fixed" -lt 10 ] && fixed=10
        R[$sc.fixed]=$fixed
        for sv in $SERVERS; do
            log "== $sc on $sv: fixed rate $fixed/s for ${FIXED_DURATION}s"
            local dir=$work/$sc/$sv
            start_server "$sv" "$(trust_of "$sc")" "$dir/server-fixed"
            [ -n "$(uas_of "$sc")" ] && start_uas "$(uas_of "$sc")" "$dir/uas-fixed"
            trial "$sc" "$fixed" "$FIXED_DURATION" "$dir/fixed"
            log "$(trial_line "$sc" "$sv" "$fixed")"
            R[$sc.$sv.fixed_ok]=$t_pass
            R[$sc.$sv.retrans]=$t_retrans
            R[$sc.$sv.cpu]=$(awk -v c="$t_cpu_ticks" -v t="$tck" -v n="$t_ok" \
                'BEGIN { if (n > 0) printf "%.1f", 1000 * 1000 * c / t / n; else print "-" }')
            R[$sc.$sv.pss]=$(awk -v k="$(server_pss)" 'BEGIN { printf "%.1f", k / 1024 }')
            R[$sc.$sv.rss]=$(awk -v k="$(server_rss)" 'BEGIN { printf "%.1f", k / 1024 }')
            R[$sc.$sv.p50]=$(pct 50 "$dir/fixed/rtt.txt")
            R[$sc.$sv.p90]=$(pct 90 "$dir/fixed/rtt.txt")
            R[$sc.$sv.p99]=$(pct 99 "$dir/fixed/rtt.txt")
            R[$sc.$sv.p999]=$(pct 99.9 "$dir/fixed/rtt.txt")
            stop_server
            sleep "$PAUSE"
        done
    done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
print_table() {
    local sc c=carillon k=kamailio
    {
        echo "Carillon vs Kamailio $(kamailio -v | awk 'NR == 1 { print $3 }') ($KAM_CHILDREN UDP children), $(sipp -v 2>&1 | awk '/SIPp v/ { sub(/-.*/, "", $2); print "SIPp", $2 }'), $(nproc) cores"
        echo "search: ${DURATION}s per rate, < $(awk -v p="$MAX_FAIL_PPM" 'BEGIN { print p / 10000 }') % failed, retransmissions <= $MAX_RETRANS_PCT % of calls, >= $MIN_ACHIEVED_PCT % of the rate completed; $BISECT bisection steps; fixed-rate run ${FIXED_DURATION}s"
        echo "CPU = server user+sys ms per 1,000 scenario calls at the fixed rate; memory = server PSS after the fixed run; response times in ms (SIPp, 1 ms resolution)"
        echo
        printf '%-11s %-24s %12s %12s %8s\n' scenario figure Carillon Kamailio "C / K"
        printf '%-11s %-24s %12s %12s %8s\n' ----------- ------------------------ ------------ ------------ --------
        for sc in $SCENARIOS; do
            local mc="${R[$sc.$c.max]:--}${R[$sc.$c.note]:+ (cap)}" mk="${R[$sc.$k.max]:--}${R[$sc.$k.note]:+ (cap)}"
            printf '%-11s %-24s %12s %12s %8s\n' "$sc" "max rate /s" "$mc" "$mk" "$(ratio "${R[$sc.$c.max]:--}" "${R[$sc.$k.max]:--}")"
            local f=${R[$sc.fixed]} fo=""
            [ "${R[$sc.$c.fixed_ok]:-0}${R[$sc.$k.fixed_ok]:-0}" = 11 ] || fo=" (!)"
            printf '%-11s %-24s %12s %12s %8s\n' "" "CPU ms/1000 @ $f/s$fo" "${R[$sc.$c.cpu]:--}" "${R[$sc.$k.cpu]:--}" "$(ratio "${R[$sc.$c.cpu]:--}" "${R[$sc.$k.cpu]:--}")"
            printf '%-11s %-24s %12s %12s %8s\n' "" "retransmissions @ $f/s" "${R[$sc.$c.retrans]:--}" "${R[$sc.$k.retrans]:--}" "$(ratio "${R[$sc.$c.retrans]:--}" "${R[$sc.$k.retrans]:--}")"
            printf '%-11s %-24s %12s %12s %8s\n' "" "memory RSS sum MB" "${R[$sc.$c.rss]:--}" "${R[$sc.$k.rss]:--}" "$(ratio "${R[$sc.$c.rss]:--}" "${R[$sc.$k.rss]:--}")"
            printf '%-11s %-24s %12s %12s %8s\n' "" "memory PSS MB" "${R[$sc.$c.pss]:--}" "${R[$sc.$k.pss]:--}" "$(ratio "${R[$sc.$c.pss]:--}" "${R[$sc.$k.pss]:--}")"
            local p
            for p in p50 p90 p99 p999; do
                printf '%-11s %-24s %12s %12s %8s\n' "" "$p ms @ $f/s" "${R[$sc.$c.$p]:--}" "${R[$sc.$k.$p]:--}" "$(ratio "${R[$sc.$c.$p]:--}" "${R[$sc.$k.$p]:--}")"
            done
        done
        echo
        echo "(cap) = the search stopped at BENCH_MAX_RATE without a failure; (!) = a fixed-rate run did not pass."
    } | tee "$table"
}

# ---- memory per registration
run_memory() {
    local sv n=$MEM_BINDINGS
    mkdir -p memusers
    python3 - "$n" <<'EOF'
import sys
n = int(sys.argv[1])
with open("memusers/users.csv", "w") as csv, open("memusers/users.txt", "w") as txt:
    csv.write("SEQUENTIAL\n")
    for i in range(n):
        csv.write(f"m{i};127.0.0.1\n")
        txt.write(f"m{i}@127.0.0.1 mpw{i}\n")
EOF
    # Carillon answers 404 to a REGISTER for a user it does not know, trusted source or
    # not, so the users exist there; Kamailio's save() does not look at subscribers.
    log "importing $n users into a Carillon data template for the memory step"
    "$bin" --data carillon-mem-template user import memusers/users.txt >/dev/null
    carillon_template=carillon-mem-template
    # Each binding is a distinct Contact (user name and port differ) of a distinct user.
    local shm=$((KAM_SHM + n * 3 / 1000))
    {
        echo "memory per registration: $n distinct bindings, REGISTER from a trusted source at $MEM_RATE/s"
        printf '%-10s %12s %12s %12s %14s %12s\n' server "PSS before" "PSS after" "bytes/reg" "failed REGs" "disk MB"
    } | tee "$out/memory.txt"
    local -A per
    for sv in $SERVERS; do
        local dir=$work/memory/$sv
        start_server "$sv" yes "$dir/server" "$shm"
        local before after failed=0 ok=0
        before=$(settled_pss)
        mkdir -p "$dir/sipp"
        (cd "$dir/sipp" && sipp -sf "$scen/reg_noauth.xml" -inf "$work/memusers/users.csv" \
            "${sipp_common[@]}" -p 6300 -r "$MEM_RATE" -m "$n" -l 20000 -recv_timeout 10000 \
            -trace_stat -fd 5 -stf stat.csv "127.0.0.1:$server_port" >sipp.out 2>&1 || true)
        # Measure the bindings, not the transactions still absorbing retransmissions:
        # Carillon keeps a non-INVITE server transaction 64*T1 = 32 s (RFC 3261 Timer J),
        # Kamailio's tm a few seconds; wait until both are gone.
        sleep "$MEM_SETTLE"
        ok=$(col "$dir/sipp/stat.csv" 'SuccessfulCall(C)')
        failed=$(col "$dir/sipp/stat.csv" 'FailedCall(C)')
        after=$(server_pss)
        per[$sv]=$(awk -v a="$before" -v b="$after" -v n="$ok" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-" }')
        local disk="-"
        [ "$sv" = carillon ] && disk=$(du -sm "$dir/server/data" | awk '{ print $1 }')
        printf '%-10s %12s %12s %12s %14s %12s\n' "$sv" "$((before / 1024)) MB" "$((after / 1024)) MB" \
            "${per[$sv]}" "$failed" "$disk" | tee -a "$out/memory.txt"
        stop_server
    done
    echo "ratio Carillon / Kamailio per registration: $(ratio "${per[carillon]:--}" "${per[kamailio]:--}")" |
        tee -a "$out/memory.txt"
    [[ " $SERVERS " == *" carillon "* ]] || return 0
    # The REGISTER-path figure above can be too low for Carillon: bindings may reuse memory
    # its start-up freed (loading a million users). Carillon keeps its bindings on disk, so
    # a server started on the registered data holds them from the start, and one started on
    # the users alone is the same start-up without them: the difference is the bindings.
    local users_pss all_pss
    start_server carillon yes "$work/memory/carillon-users" "$shm"
    users_pss=$(settled_pss)
    stop_server
    carillon_template=$work/memory/carillon/server/data
    start_server carillon yes "$work/memory/carillon-restarted" "$shm"
    all_pss=$(settled_pss)
    stop_server
    per[restart]=$(awk -v a="$users_pss" -v b="$all_pss" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
    {
        echo "carillon restarted on the registered data: PSS $((all_pss / 1024)) MB; on the users alone: $((users_pss / 1024)) MB; ${per[restart]} bytes per binding"
        echo "ratio Carillon (restarted) / Kamailio per registration: $(ratio "${per[restart]}" "${per[kamailio]:--}")"
    } | tee -a "$out/memory.txt"
}

if [ "$mode" = memory ]; then
    run_memory
else
    run_rates
    echo
    print_table
fi
echo "logs: $out"
