#!/usr/bin/env bash
# scan-throughput.sh [SIZE_MB] — throughput of `connwatch scan` against ripgrep on a generated corpus.
#
# Builds connwatch (release), generates a deterministic corpus (Benchmarks/gen-corpus.py) of SIZE_MB MiB
# (default 600) into ${BENCH_DIR:-/tmp/connwatch-bench}, then times, alternating, REPS runs each of
#   connwatch scan --format json FILE > OUT     and the reference     rg -c -f patterns.txt FILE
# (plus one-core `taskset -c 0` variants when taskset exists) under /usr/bin/time, and prints best wall
# time, MB/s, peak RSS, the connwatch/rg ratio, findings, planted lines, rule compile time and PASS/MISS
# against the targets. It is a benchmark, not a test: it exits 0 whatever the figures are (it exits 1
# only when it cannot measure at all, e.g. the build fails).
#
# Environment:
#   CONNWATCH_BIN   use this connwatch binary (path or command name); skips `swift build`
#   CONNWATCH_OPTS  extra options put after every connwatch subcommand (e.g. "--add-rules DIR")
#   BENCH_DIR       work directory (default /tmp/connwatch-bench)
#   BENCH_SEED      corpus seed (default 1)
#   BENCH_REPS      repetitions per variant (default 3)
#   BENCH_NO_TASKSET=1  skip the one-core variants
#   BENCH_RG_OPTS   extra options for the rg reference (default none)
#
# MB means MiB (2^20 bytes) everywhere.

set -u -o pipefail
export LC_ALL=C

SIZE_MB=${1:-600}
case $SIZE_MB in
    '' | *[!0-9]* | 0) echo "usage: $0 [SIZE_MB]   (positive integer, MiB; default 600)" >&2; exit 1 ;;
esac

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/connwatch-bench}
SEED=${BENCH_SEED:-1}
REPS=${BENCH_REPS:-3}
case $REPS in '' | *[!0-9]* | 0) echo "BENCH_REPS must be a positive integer" >&2; exit 1 ;; esac
case $SEED in '' | *[!0-9]*) echo "BENCH_SEED must be a non-negative integer" >&2; exit 1 ;; esac
read -r -a CW_OPTS <<< "${CONNWATCH_OPTS:-}"
read -r -a RG_OPTS <<< "${BENCH_RG_OPTS:-}"

CORPUS=$BENCH_DIR/corpus.log
META=$BENCH_DIR/corpus.meta
PATTERNS=$BENCH_DIR/patterns.txt
SIZE_BYTES=$((SIZE_MB * 1048576))

# targets
T_RATIO=3
T_MBPS=1000
T_RSS_MB=64
T_COMPILE_MS=250

say() { printf '%s\n' "$*"; }
warn() { printf 'scan-throughput: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"

apt_install() { # package — best effort, quiet
    command -v apt-get > /dev/null || return 1
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo > /dev/null || return 1
        sudo=(sudo -n)
    fi
    warn "installing $1 with apt-get"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "$1" > /dev/null 2>&1 && return 0
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q > /dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "$1" > /dev/null 2>&1
}

# ---- tools ------------------------------------------------------------------------------------------
TIME_BIN=/usr/bin/time
if [ ! -x "$TIME_BIN" ]; then
    apt_install time
    [ -x "$TIME_BIN" ] || die "/usr/bin/time is missing and could not be installed (apt package 'time')"
fi
command -v python3 > /dev/null || die "python3 is needed to generate the corpus"
if ! command -v rg > /dev/null; then
    apt_install ripgrep || true
fi
HAVE_RG=0
command -v rg > /dev/null && HAVE_RG=1
[ "$HAVE_RG" = 1 ] || warn "rg (ripgrep) not available: no reference figures"
HAVE_TASKSET=0
if [ "${BENCH_NO_TASKSET:-0}" != 1 ] && command -v taskset > /dev/null && taskset -c 0 true 2> /dev/null; then
    HAVE_TASKSET=1
fi

# ---- connwatch -------------------------------------------------------------------------------------
if [ -n "${CONNWATCH_BIN:-}" ]; then
    CW=$(command -v -- "$CONNWATCH_BIN") || die "CONNWATCH_BIN=$CONNWATCH_BIN not found"
    say "connwatch: $CW (CONNWATCH_BIN; build skipped)"
else
    command -v swift > /dev/null || die "swift not found (or set CONNWATCH_BIN)"
    say "building connwatch (release) ..."
    (cd "$REPO" && swift build -c release --product connwatch) || die "swift build failed"
    BIN_DIR=$(cd "$REPO" && swift build -c release --show-bin-path) || die "swift build --show-bin-path failed"
    CW=$BIN_DIR/connwatch
    [ -x "$CW" ] || die "built binary not found at $CW"
    say "connwatch: $CW"
fi

# ---- corpus ----------------------------------------------------------------------------------------
meta_get() { sed -n "s/^$1=//p" "$META" 2> /dev/null | head -n 1; }
GEN=$SCRIPT_DIR/gen-corpus.py
GEN_SUM=$(sha256sum "$GEN" | cut -d' ' -f1)
have_size=$(stat -c %s "$CORPUS" 2> /dev/null || echo -1)
if [ "$have_size" != "$SIZE_BYTES" ] || [ "$(meta_get seed)" != "$SEED" ] || [ "$(meta_get generator)" != "$GEN_SUM" ] \
    || [ -z "$(meta_get planted)" ]; then
    say "generating corpus: $SIZE_MB MiB, seed $SEED -> $CORPUS"
    rm -f "$CORPUS" "$META"
    gen_err=$(python3 "$GEN" "$CORPUS" "$SIZE_MB" --seed "$SEED" 2>&1 >/dev/null) || die "gen-corpus.py failed: $gen_err"
    printf '%s\n' "$gen_err" | sed -n '1p'
    stats=$(printf '%s\n' "$gen_err" | grep -o 'lines=[0-9]* planted=[0-9]*' | tail -n 1)
    [ -n "$stats" ] || die "cannot read line counts from gen-corpus.py output: $gen_err"
    {
        echo "size_bytes=$SIZE_BYTES"
        echo "seed=$SEED"
        echo "generator=$GEN_SUM"
        echo "lines=$(echo "$stats" | sed 's/lines=\([0-9]*\).*/\1/')"
        echo "planted=$(echo "$stats" | sed 's/.*planted=\([0-9]*\)/\1/')"
    } > "$META"
else
    say "corpus: $CORPUS (cached, $SIZE_MB MiB, seed $SEED)"
fi
LINES=$(meta_get lines)
PLANTED=$(meta_get planted)

# ---- patterns for the reference -------------------------------------------------------------------
# `--format rg` is the form ripgrep's default engine accepts (lookarounds dropped, names removed): it matches
# every line connwatch's patterns match, possibly a few more.
"$CW" rules export "${CW_OPTS[@]}" --format rg > "$PATTERNS" 2> "$BENCH_DIR/export.err" \
    || die "connwatch rules export failed: $(tail -n 3 "$BENCH_DIR/export.err")"
NPAT=$(grep -c '' "$PATTERNS")
[ "$NPAT" -gt 0 ] || warn "connwatch rules export wrote no patterns"
RG_ARGS=()
RG_PATS=$PATTERNS
RG_DESC="default engine, \`connwatch rules export --format rg\`"
RG_CORPUS=$CORPUS
RG_BYTES=$SIZE_BYTES
RG_REPS=$REPS
if [ "$HAVE_RG" = 1 ]; then
    # rg can be very slow on this pattern set (Unicode-aware classes in one big alternation); when a first
    # full run exceeds the budget, measure it on a prefix of the same corpus and say so.
    RG_BUDGET=${BENCH_RG_BUDGET:-60}
    if ! timeout "$RG_BUDGET" rg -c "${RG_OPTS[@]}" -f "$RG_PATS" "$CORPUS" > /dev/null 2> "$BENCH_DIR/rg-probe.err"; then
        if [ -s "$BENCH_DIR/rg-probe.err" ]; then
            warn "rg rejects the exported patterns: $(head -n 5 "$BENCH_DIR/rg-probe.err")"
            HAVE_RG=0
        else
            RG_MB=${BENCH_RG_PREFIX_MB:-16}
            RG_CORPUS=$BENCH_DIR/corpus.prefix.log
            head -c $((RG_MB * 1048576)) "$CORPUS" > "$RG_CORPUS"
            RG_BYTES=$((RG_MB * 1048576))
            RG_REPS=1
            RG_DESC="$RG_DESC; slower than ${RG_BUDGET} s on the whole corpus, so timed on its first $RG_MB MiB"
        fi
    fi
fi

# ---- rule compile time ------------------------------------------------------------------------------
COMPILE_MS="" COMPILE_RULES="" COMPILE_PATS=""
for _ in $(seq "$REPS"); do
    lint_out=$("$CW" rules lint "${CW_OPTS[@]}" --timing 2>&1)
    c=$(printf '%s\n' "$lint_out" | sed -n 's/.*compiled \([0-9][0-9]*\) rules (\([0-9][0-9]*\) patterns) in \([0-9][0-9.]*\) ms.*/\1 \2 \3/p' | tail -n 1)
    if [ -z "$c" ]; then
        warn "no 'compiled N rules (M patterns) in X ms' line from connwatch rules lint --timing: $(printf '%s\n' "$lint_out" | tail -n 2)"
        break
    fi
    read -r n m x <<< "$c"
    if [ -z "$COMPILE_MS" ] || awk -v a="$x" -v b="$COMPILE_MS" 'BEGIN { exit !(a < b) }'; then
        COMPILE_MS=$x COMPILE_RULES=$n COMPILE_PATS=$m
    fi
done

# ---- timed runs -------------------------------------------------------------------------------------
VARIANTS=(cw)
[ "$HAVE_RG" = 1 ] && VARIANTS+=(rg)
if [ "$HAVE_TASKSET" = 1 ]; then
    VARIANTS+=(cw1)
    [ "$HAVE_RG" = 1 ] && VARIANTS+=(rg1)
fi
declare -A LABEL=([cw]="connwatch" [rg]="rg" [cw1]="connwatch (1 core)" [rg1]="rg (1 core)")
declare -A BEST PEAK RCS COUNT

run_variant() { # variant rep
    local v=$1 rep=$2 pin=() out=$BENCH_DIR/out.$1 tf=$BENCH_DIR/time.$1 rc line wall rss t0 t1
    case $v in *1) pin=(taskset -c 0) ;; esac
    t0=${EPOCHREALTIME:-}
    case $v in
        cw*) "$TIME_BIN" -f '%e %M' -o "$tf" "${pin[@]}" "$CW" scan "${CW_OPTS[@]}" --format json "$CORPUS" \
                > "$out" 2> "$BENCH_DIR/err.$v" ;;
        rg*) "$TIME_BIN" -f '%e %M' -o "$tf" "${pin[@]}" rg -c "${RG_OPTS[@]}" "${RG_ARGS[@]}" -f "$RG_PATS" "$RG_CORPUS" \
                > "$out" 2> "$BENCH_DIR/err.$v" ;;
    esac
    rc=$?
    t1=${EPOCHREALTIME:-}
    line=$(tail -n 1 "$tf" 2> /dev/null)
    read -r wall rss <<< "$line"
    if ! [[ ${wall:-} =~ ^[0-9.]+$ && ${rss:-} =~ ^[0-9]+$ ]]; then
        warn "${LABEL[$v]} run $rep: no timing ($line); stderr: $(tail -n 2 "$BENCH_DIR/err.$v")"
        return
    fi
    # %e has 0.01 s steps (about 2% of a 0.6 s run); when bash gives EPOCHREALTIME (microseconds), use the
    # same run's wall time measured around /usr/bin/time instead (adds the ~1 ms start-up of time itself).
    if [[ $t0 =~ ^[0-9]+[.,][0-9]+$ && $t1 =~ ^[0-9]+[.,][0-9]+$ ]]; then
        wall=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", b - a }')
    fi
    if [ "$rc" -gt 1 ]; then # 0 = nothing found, 1 = found (grep convention); anything else: failed run
        RCS[$v]="${RCS[$v]:-}$rc "
        warn "${LABEL[$v]} run $rep exited $rc (run not counted); stderr: $(tail -n 2 "$BENCH_DIR/err.$v")"
        return
    fi
    local count
    case $v in
        cw*) count=$(grep -c '' "$out") ;;
        rg*) count=$(head -n 1 "$out"); count=${count:-0} ;;
    esac
    if [ -n "${COUNT[$v]:-}" ] && [ "${COUNT[$v]}" != "$count" ]; then
        warn "${LABEL[$v]}: count changed between runs (${COUNT[$v]} -> $count)"
    fi
    COUNT[$v]=$count
    if [ -z "${BEST[$v]:-}" ] || awk -v a="$wall" -v b="${BEST[$v]}" 'BEGIN { exit !(a < b) }'; then BEST[$v]=$wall; fi
    if [ -z "${PEAK[$v]:-}" ] || [ "$rss" -gt "${PEAK[$v]}" ]; then PEAK[$v]=$rss; fi
    printf '  run %d %-20s %8.3f s  %8.1f MB RSS\n' "$rep" "${LABEL[$v]}" "$wall" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}

say "warming the page cache ..."
cat "$CORPUS" > /dev/null
say "timing ${VARIANTS[*]}: $REPS repetitions each, alternating"
for rep in $(seq "$REPS"); do
    for v in "${VARIANTS[@]}"; do
        case $v in rg*) [ "$rep" -le "$RG_REPS" ] || continue ;; esac
        run_variant "$v" "$rep"
    done
done

# ---- report -----------------------------------------------------------------------------------------
mbps() { # wall [bytes] -> MB/s (empty if unknown)
    [ -n "${1:-}" ] || return 0
    awk -v b="${2:-$SIZE_BYTES}" -v w="$1" 'BEGIN { if (w > 0) printf "%.1f", b / 1048576 / w }' # 0.00 s: unknown
}
verdict() { # awk condition on x, value -> PASS / MISS / n/a
    case ${2:-} in
        '') echo "n/a " ;;
        *) awk -v x="$2" "BEGIN { print ($1) ? \"PASS\" : \"MISS\" }" ;;
    esac
}

say ""
say "corpus: $CORPUS  $SIZE_MB MB, $LINES lines, $PLANTED planted error lines"
say "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2> /dev/null | head -n 1), $(nproc) cores"
[ "$HAVE_RG" = 1 ] && say "reference: $(rg --version | head -n 1), $RG_DESC${RG_OPTS[*]:+, options: ${RG_OPTS[*]}}, $NPAT patterns"
say ""
printf '%-20s %12s %10s %14s\n' "tool" "best wall s" "MB/s" "peak RSS MB"
for v in "${VARIANTS[@]}"; do
    if [ -z "${BEST[$v]:-}" ]; then
        printf '%-20s %12s %10s %14s\n' "${LABEL[$v]}" "-" "-" "-"
        continue
    fi
    case $v in rg*) m=$(mbps "${BEST[$v]}" "$RG_BYTES") ;; *) m=$(mbps "${BEST[$v]}") ;; esac
    printf '%-20s %12.3f %10s %14.1f\n' "${LABEL[$v]}" "${BEST[$v]}" "${m:-n/a}" \
        "$(awk -v k="${PEAK[$v]}" 'BEGIN { print k / 1024 }')"
done
if [ -z "${EPOCHREALTIME:-}" ] && [ -n "${BEST[cw]:-}" ] && awk -v w="${BEST[cw]}" 'BEGIN { exit !(w < 1.0) }'; then
    say "note: wall times come from /usr/bin/time in 0.01 s steps; runs under 1 s are imprecise (use a larger SIZE_MB)"
fi
say ""

ratio() { # cw-variant rg-variant: ratio of MB/s (rg may have run on a prefix)
    [ -n "${BEST[$1]:-}" ] && [ -n "${BEST[$2]:-}" ] || return 0
    awk -v c="${BEST[$1]}" -v r="${BEST[$2]}" -v cb="$SIZE_BYTES" -v rb="$RG_BYTES" \
        'BEGIN { if (c > 0 && r > 0) printf "%.2f", (cb / c) / (rb / r) }'
}
RATIO=$(ratio cw rg)
RATIO1=$(ratio cw1 rg1)
CW_MBPS=$(mbps "${BEST[cw]:-}")
CW_RSS_MB=""
for v in cw cw1; do
    [ -n "${PEAK[$v]:-}" ] || continue
    r=$(awk -v k="${PEAK[$v]}" 'BEGIN { printf "%.1f", k / 1024 }')
    if [ -z "$CW_RSS_MB" ] || awk -v a="$r" -v b="$CW_RSS_MB" 'BEGIN { exit !(a > b) }'; then CW_RSS_MB=$r; fi
done

say "ratio connwatch/rg (MB/s): $([ -n "$RATIO" ] && echo "${RATIO}x" || echo n/a)${RATIO1:+   (1 core: ${RATIO1}x)}"
say "findings (connwatch):      ${COUNT[cw]:-n/a}${COUNT[cw1]:+   (1 core: ${COUNT[cw1]})}"
say "matching lines (rg -c):    ${COUNT[rg]:-n/a}$([ "$RG_CORPUS" != "$CORPUS" ] && echo " (on the prefix)")"
say "planted error lines:       $PLANTED"
if [ -n "$COMPILE_MS" ]; then
    say "rule compile:              $COMPILE_MS ms ($COMPILE_RULES rules, $COMPILE_PATS patterns)"
else
    say "rule compile:              n/a"
fi
[ -n "${RCS[cw]:-}${RCS[cw1]:-}" ] && say "note: failed connwatch runs (exit codes ${RCS[cw]:-}${RCS[cw1]:-}) were not counted"
say ""
say "targets:"
target() { # verdict description value unit
    if [ -n "$3" ]; then
        printf '  %s  %-28s (%s%s)\n' "$1" "$2" "$3" "$4"
    else
        printf '  %s  %-28s (n/a)\n' "$1" "$2"
    fi
}
target "$(verdict "x >= $T_RATIO" "$RATIO")" "throughput >= ${T_RATIO}x rg" "$RATIO" "x"
target "$(verdict "x >= $T_MBPS" "$CW_MBPS")" "throughput >= $T_MBPS MB/s" "$CW_MBPS" " MB/s"
target "$(verdict "x < $T_RSS_MB" "$CW_RSS_MB")" "peak RSS < $T_RSS_MB MB" "$CW_RSS_MB" " MB"
target "$(verdict "x < $T_COMPILE_MS" "$COMPILE_MS")" "rule compile < $T_COMPILE_MS ms" "$COMPILE_MS" " ms"
exit 0
