#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS_PER_TARGET seconds (default 600) and writes each
# target's final numbers (executions, exec/s, outcome) to fuzz/last-run.txt.
#
#   fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]
#
# With no TARGET, every target runs and last-run.txt is rewritten; with some, only those run
# and their numbers are appended to last-run.txt.
#
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags, and the sanitizer
# is off (-s none), so a run finds panics (assertions, overflow checks, index errors), hangs and
# runaway memory, not the memory errors only ASan would see. Targets run one after another: the
# machine has two cores. A crashing target does not stop the others; the script then exits 1.
set -uo pipefail

seconds="${1:-600}"
all_targets=(message uri sdp offer_answer digest transactions)
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET [TARGET...]]  (targets: ${all_targets[*]})" >&2
    exit 2
fi
shift $(( $# > 0 ? 1 : 0 ))
if [ "$#" -gt 0 ]; then
    targets=("$@")
    for t in "${targets[@]}"; do
        if ! [[ " ${all_targets[*]} " == *" $t "* ]]; then
            echo "unknown target $t (targets: ${all_targets[*]})" >&2
            exit 2
        fi
    done
else
    targets=("${all_targets[@]}")
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here" || exit 2

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || exit 2
fi

export RUSTC_BOOTSTRAP=1
logs="$here/artifacts/logs"
mkdir -p "$logs"

RUSTC_BOOTSTRAP=1 cargo fuzz build -s none || exit 2

summary="$here/last-run.txt"
header="# cargo fuzz run -s none, ${seconds}s per target, $(date -u +%Y-%m-%dT%H:%M:%SZ)
# $(rustc --version); $(cargo fuzz --version)"
if [ "${#targets[@]}" -eq "${#all_targets[@]}" ]; then
    echo "$header" >"$summary"
else
    echo "$header; only ${targets[*]}" >>"$summary"
fi

# Seeds are read, never written. offer_answer takes SDP like the sdp target; the digest and
# transactions targets take structured input (arbitrary), for which text seeds mean nothing,
# and the digest one gets a dictionary of Authorization syntax instead.
seeds_for() {
    case "$1" in
        offer_answer) echo "corpus/seed-sdp" ;;
        *) [ -d "corpus/seed-$1" ] && echo "corpus/seed-$1" ;;
    esac
}

failed=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    log="$logs/$t.log"
    echo "== $t: ${seconds}s, log in $log" >&2
    # New inputs go to the first directory (git-ignored); the seeds are only read.
    dirs=("corpus/$t")
    seed=$(seeds_for "$t")
    [ -n "$seed" ] && dirs+=("$seed")
    extra=()
    [ -f "dicts/$t.dict" ] && extra+=("-dict=dicts/$t.dict")
    cargo fuzz run -s none "$t" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${extra[@]}" >"$log" 2>&1
    rc=$?

    runs=$(grep -o '^stat::number_of_executed_units: *[0-9]*' "$log" | tail -n1 | grep -o '[0-9]*$')
    rate=$(grep -o '^stat::average_exec_per_sec: *[0-9]*' "$log" | tail -n1 | grep -o '[0-9]*$')
    final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n1)
    if [ "$rc" -eq 0 ]; then
        outcome="ok"
    else
        failed=1
        artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n1 | sed 's/Test unit written to //')
        outcome="CRASH rc=$rc ${artifact:-(no artifact, see $log)}"
    fi
    line="$t: executions=${runs:-?} exec/s=${rate:-?} time=${seconds}s corpus_files=$(ls "corpus/$t" | wc -l) $outcome"
    echo "$line" | tee -a "$summary" >&2
    echo "  last status: ${final:-?}" >>"$summary"
done

exit "$failed"
