#!/usr/bin/env bash
# Instruction counts of the parse / transaction / proxy hot paths under callgrind, compared
# with bench/instructions/baseline.txt. See bench/instructions/README.md.
#
#   bench/instructions/run.sh            compare; exit 1 if a workload is over the tolerance
#   bench/instructions/run.sh --record   rewrite baseline.txt with this run's figures
#
# Environment: TOLERANCE_PERCENT (default 3), WORKLOADS (default: all, space separated).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
baseline="$here/baseline.txt"
tolerance="${TOLERANCE_PERCENT:-3}"
record=0
case "${1:-}" in
  --record) record=1 ;;
  "") ;;
  *) echo "usage: $0 [--record]" >&2; exit 2 ;;
esac

# Workload, then the two sizes: the difference cancels start-up (process, allocator, first
# table growths) and the end-of-run drain's fixed part.
sizes() {
  case "$1" in
    parse) echo "10000 20000" ;;
    *) echo "1000 2000" ;;
  esac
}
all="parse transaction-options transaction-invite proxy-call"
workloads="${WORKLOADS:-$all}"

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

cd "$root"
cargo build --release --quiet -p instruction-guard
bin="$root/target/release/instruction-guard"
out="$root/target/instruction-guard"
mkdir -p "$out"

# Ir (instructions executed) of one run, from callgrind's "summary:" line.
count() {
  local w="$1" n="$2" file="$out/callgrind.$1.$2.out"
  valgrind --tool=callgrind --callgrind-out-file="$file" "$bin" "$w" "$n" \
    >"$out/$w.$n.log" 2>&1 || { echo "$w $n failed:" >&2; tail -5 "$out/$w.$n.log" >&2; exit 1; }
  awk '/^summary:/ { print $2 }' "$file"
}

declare -A now
for w in $workloads; do
  read -r n1 n2 < <(sizes "$w")
  i1="$(count "$w" "$n1")"
  i2="$(count "$w" "$n2")"
  now[$w]=$(( (i2 - i1) / (n2 - n1) ))
done

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi

if [ "$record" = 1 ]; then
  {
    echo "# Instructions per unit of work under callgrind (bench/instructions/run.sh --record)."
    echo "# workload  instructions_per_unit  commit"
    # A workload not run this time (WORKLOADS=...) keeps its recorded line.
    for w in $all; do
      if [ -n "${now[$w]:-}" ]; then
        echo "$w ${now[$w]} $commit"
      elif [ -f "$baseline" ]; then
        awk -v w="$w" '$1 == w' "$baseline"
      fi
    done
  } >"$baseline.new"
  mv "$baseline.new" "$baseline"
  printf '%-22s %14s\n' workload "instr/unit"
  for w in $workloads; do printf '%-22s %14s\n' "$w" "${now[$w]}"; done
  echo "recorded in $baseline at $commit"
  exit 0
fi

[ -f "$baseline" ] || { echo "no $baseline: run $0 --record" >&2; exit 2; }
status=0
printf '%-22s %14s %14s %8s  %s\n' workload baseline now ratio verdict
for w in $workloads; do
  base="$(awk -v w="$w" '$1 == w { print $2 }' "$baseline")"
  if [ -z "$base" ]; then
    printf '%-22s %14s %14s %8s  %s\n' "$w" - "${now[$w]}" - "no baseline"
    continue
  fi
  read -r ratio verdict < <(awk -v b="$base" -v n="${now[$w]}" -v t="$tolerance" 'BEGIN {
    r = n / b
    v = (r > 1 + t / 100) ? "SLOWER" : (r < 1 - t / 100) ? "faster(--record?)" : "ok"
    printf "%.3f %s\n", r, v }')
  [ "$verdict" = SLOWER ] && status=1
  printf '%-22s %14s %14s %8s  %s\n' "$w" "$base" "${now[$w]}" "$ratio" "$verdict"
done
echo "baseline from $(awk '!/^#/ { print $3; exit }' "$baseline"), now $commit; tolerance ${tolerance} %"
echo "callgrind files: $out (callgrind_annotate FILE)"
exit "$status"
