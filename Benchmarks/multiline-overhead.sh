#!/usr/bin/env bash
# multiline-overhead.sh [SIZE_MB] — what multi-line grouping costs: `connwatch scan --multiline auto` against the
# plain `connwatch scan` on the same corpus, in the same run.
#
# Uses the benchmark corpus of scan-throughput.sh (Benchmarks/gen-corpus.py, same seed, same file when it is
# there), times the two variants alternating REPS times (whole process, JSON to a file, file in page cache) and
# prints best wall and best CPU (user+sys) seconds of each and the ratios; the target is a CPU ratio within
# 1.15. On a shared machine the best of several runs is the steadier figure (CPU time counts only this
# process, wall time counts everything else running too). (valgrind's callgrind, which would count
# instructions exactly, fails on the Swift runtime's dispatch threads here.) A benchmark, not a test: it
# exits 0 whatever the figures are, 1 only when it cannot measure.
#
# Environment: CONNWATCH_BIN (skip the build), BENCH_DIR (default /tmp/connwatch-bench), BENCH_SEED (1),
# BENCH_REPS (5).

set -u -o pipefail
export LC_ALL=C

SIZE_MB=${1:-600}
case $SIZE_MB in '' | *[!0-9]* | 0) echo "usage: $0 [SIZE_MB]" >&2; exit 1 ;; esac
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/connwatch-bench}
SEED=${BENCH_SEED:-1}
REPS=${BENCH_REPS:-5}
TARGET=1.15
die() { printf 'multiline-overhead: %s\n' "$*" >&2; exit 1; }
mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt package 'time')"

if [ -n "${CONNWATCH_BIN:-}" ]; then
    CW=$(command -v -- "$CONNWATCH_BIN") || die "CONNWATCH_BIN=$CONNWATCH_BIN not found"
else
    (cd "$REPO" && swift build -c release --product connwatch) || die "swift build failed"
    CW=$(cd "$REPO" && swift build -c release --show-bin-path)/connwatch
fi
echo "connwatch: $CW"

# The corpus scan-throughput.sh makes (its file when size and seed agree), else one of our own.
CORPUS=$BENCH_DIR/corpus.log
if [ "$(stat -c %s "$CORPUS" 2> /dev/null || echo -1)" != $((SIZE_MB * 1048576)) ] \
    || [ "$(sed -n 's/^seed=//p' "$BENCH_DIR/corpus.meta" 2> /dev/null)" != "$SEED" ]; then
    CORPUS=$BENCH_DIR/multiline-corpus-$SIZE_MB-$SEED.log
    if [ "$(stat -c %s "$CORPUS" 2> /dev/null || echo -1)" != $((SIZE_MB * 1048576)) ]; then
        echo "generating corpus: $SIZE_MB MiB, seed $SEED -> $CORPUS"
        python3 "$SCRIPT_DIR/gen-corpus.py" "$CORPUS" "$SIZE_MB" --seed "$SEED" 2> /dev/null || die "gen-corpus.py failed"
    fi
fi
cat "$CORPUS" > /dev/null

declare -A WALL CPU COUNT
run() { # variant rep
    local v=$1 args=() tf=$BENCH_DIR/ml-time.$1 t0 t1 wall user sys
    [ "$v" = multiline ] && args=(--multiline auto)
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%U %S' -o "$tf" "$CW" scan --no-throttle --format json "${args[@]}" "$CORPUS" > "$BENCH_DIR/ml-out.$v" 2> /dev/null
    [ $? -le 1 ] || { echo "  $v run $2 failed" >&2; return; }
    t1=$EPOCHREALTIME
    read -r user sys < "$tf"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    local cpu
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    COUNT[$v]=$(grep -c '' "$BENCH_DIR/ml-out.$v")
    awk -v a="$wall" -v b="${WALL[$v]:-1e9}" 'BEGIN { exit !(a < b) }' && WALL[$v]=$wall
    awk -v a="$cpu" -v b="${CPU[$v]:-1e9}" 'BEGIN { exit !(a < b) }' && CPU[$v]=$cpu
    printf '  run %d %-10s wall %7.3f s  cpu %6.2f s  %s findings\n' "$2" "$v" "$wall" "$cpu" "${COUNT[$v]}"
}
echo "timing plain and --multiline auto, $REPS runs each, alternating (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for rep in $(seq "$REPS"); do run plain "$rep"; run multiline "$rep"; done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
echo ""
echo "corpus: $CORPUS ($SIZE_MB MiB)"
printf '%-12s %12s %12s %10s\n' variant "best wall s" "best cpu s" findings
for v in plain multiline; do printf '%-12s %12s %12s %10s\n' "$v" "${WALL[$v]:--}" "${CPU[$v]:--}" "${COUNT[$v]:--}"; done
WR=$(ratio "${WALL[multiline]:-0}" "${WALL[plain]:-0}")
CR=$(ratio "${CPU[multiline]:-0}" "${CPU[plain]:-0}")
echo "multiline/plain: wall $WR, cpu $CR (target <= $TARGET: $(awk -v x="$CR" -v t=$TARGET 'BEGIN { print (x != "-" && x <= t) ? "PASS" : "MISS" }'))"

exit 0
