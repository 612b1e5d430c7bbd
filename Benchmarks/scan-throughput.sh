#!/usr/bin/env bash
# scan-throughput.sh [SIZE_MB] — throughput of `connwatch scan` on one big plain file, as ratios to the tools a
# user compares it with, all measured in the same run on the same page-cached corpus:
#   rg -c -f P FILE      ripgrep on `connwatch rules export --format rg` (P), in the form and with the options
#                        that make it fastest here (probed on a prefix, see "at their best" below)
#   ugrep -c -f P FILE   ugrep (Debian 12: 3.11), same patterns, its fastest options likewise
#   cat FILE > /dev/null the cost of reading the file at all
#   hs-bare DB FILE      the bare Vectorscan block scan of the file with connwatch's own database (Benchmarks/
#                        hs-bare.c, built with cc against libhs), 1 MiB buffers, hits counted and nothing else
# and connwatch itself with the default thread count (online CPUs) and with --threads 1:
#   connwatch scan --format json FILE > OUT
# REPS runs of each, alternating, under /usr/bin/time; best wall time, MB/s, peak RSS, ratios and PASS/MISS
# against issue 13's targets. A benchmark, not a test: exits 0 whatever the figures are (1 only when it cannot
# measure at all, e.g. the build fails).
#
# Environment:
#   CONNWATCH_BIN   use this connwatch binary (path or command name); skips `swift build`
#   CONNWATCH_OPTS  extra options put after every connwatch subcommand (e.g. "--add-rules DIR")
#   BENCH_DIR       work directory (default /tmp/connwatch-bench)
#   BENCH_SEED      corpus seed (default 1)
#   BENCH_REPS      repetitions per variant (default 3)
#   BENCH_PROBE_SECONDS  time limit of each rg/ugrep candidate on the 16 MiB probe (default 30)
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

CORPUS=$BENCH_DIR/corpus.log
META=$BENCH_DIR/corpus.meta
PATTERNS=$BENCH_DIR/patterns.txt
SIZE_BYTES=$((SIZE_MB * 1048576))
# The compiled-rule cache of this run: hs-bare reads the very database connwatch scans with.
export CONNWATCH_CACHE_DIR=$BENCH_DIR/cache

# targets (issue 13)
T_RG=5        # default threads: >= 5x rg
T_UG=3.5      # >= 3.5x ugrep
T_CAT=35      # >= 35 % of cat
T_HS=80       # --threads 1: >= 80 % of the bare Vectorscan scan
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
command -v rg > /dev/null || apt_install ripgrep || true
command -v ugrep > /dev/null || apt_install ugrep || true
HAVE_RG=0; command -v rg > /dev/null && HAVE_RG=1
HAVE_UG=0; command -v ugrep > /dev/null && HAVE_UG=1
[ "$HAVE_RG" = 1 ] || warn "rg (ripgrep) not available: no rg figures"
[ "$HAVE_UG" = 1 ] || warn "ugrep not available: no ugrep figures"
HS_BARE=$BENCH_DIR/hs-bare
HAVE_HS=0
if command -v cc > /dev/null && pkg-config --exists libhs 2> /dev/null; then
    # shellcheck disable=SC2046
    cc -O2 $(pkg-config --cflags libhs) "$SCRIPT_DIR/hs-bare.c" $(pkg-config --libs libhs) -o "$HS_BARE" 2> "$BENCH_DIR/hs-bare.err" \
        && HAVE_HS=1 || warn "hs-bare.c does not build: $(head -n 3 "$BENCH_DIR/hs-bare.err")"
else
    warn "cc or libhs (libvectorscan-dev) missing: no bare Vectorscan figure"
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

# ---- patterns for the references ---------------------------------------------------------------------
# `--format rg` is the form ripgrep's default engine accepts (lookarounds dropped, names removed): it matches
# every line connwatch's patterns match, possibly a few more. ugrep takes the same file. The export also
# writes the compiled database into this run's empty cache directory, for hs-bare.
rm -rf "$CONNWATCH_CACHE_DIR"
"$CW" rules export "${CW_OPTS[@]}" --format rg > "$PATTERNS" 2> "$BENCH_DIR/export.err" \
    || die "connwatch rules export failed: $(tail -n 3 "$BENCH_DIR/export.err")"
NPAT=$(grep -c '' "$PATTERNS")
[ "$NPAT" -gt 0 ] || warn "connwatch rules export wrote no patterns"

# The cache also holds one small database per app detector: the rules' own database is the one compiled from
# the most expressions (the second line of each file's key says "N expressions").
HSDB=$(for f in "$CONNWATCH_CACHE_DIR"/rules-*.hsdb; do
           [ -f "$f" ] && printf '%s %s\n' "$(sed -n '2s/ expressions$//p;2q' "$f")" "$f"
       done | sort -n -r | head -n 1 | cut -d' ' -f2-)
if [ "$HAVE_HS" = 1 ] && [ -z "$HSDB" ]; then
    warn "connwatch wrote no compiled database to $CONNWATCH_CACHE_DIR: no bare Vectorscan figure"
    HAVE_HS=0
fi

# rg and ugrep at their best: each candidate runs once on a 16 MiB prefix (BENCH_PROBE_SECONDS at most);
# the fastest is timed. Candidates differ in options and, for rg, in the word boundaries of the patterns:
# rg's default engine treats `\b` as Unicode-aware, which makes its lazy DFA give up on this pattern set
# (< 1 MB/s); `(?-u:\b)` is the ASCII word boundary that connwatch's PCRE2 (no UCP) uses anyway. rg's
# --no-unicode is refused (the Korean alternatives are non-ASCII literals). ugrep's -U (ASCII, byte matching)
# keeps the patterns' bytes as they are.
PATTERNS_ASCII=$BENCH_DIR/patterns.ascii-b.txt
sed 's/\\b/(?-u:\\b)/g' "$PATTERNS" > "$PATTERNS_ASCII"
PROBE=$BENCH_DIR/corpus.probe.log
head -c $((SIZE_BYTES < 16 * 1048576 ? SIZE_BYTES : 16 * 1048576)) "$CORPUS" > "$PROBE"
PROBE_SECONDS=${BENCH_PROBE_SECONDS:-30}
probe() { # tool patterns options... -> prints the wall seconds, or nothing when refused or too slow
    local tool=$1 pats=$2 t0 t1
    shift 2
    t0=$EPOCHREALTIME
    timeout "$PROBE_SECONDS" "$tool" -c "$@" -f "$pats" "$PROBE" > /dev/null 2>&1
    [ $? -le 1 ] || return 0
    t1=$EPOCHREALTIME
    awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", b - a }'
}
choose() { # tool candidate... (each "PATTERNFILE|options") -> sets CHOSEN_PATS, CHOSEN_OPTS, CHOSEN_NOTE
    local tool=$1 best="" c pats opts t
    shift
    CHOSEN_PATS="" CHOSEN_OPTS=() CHOSEN_NOTE=""
    for c in "$@"; do
        pats=${c%%|*} opts=${c#*|}
        t=$(probe "$tool" "$pats" $opts)
        CHOSEN_NOTE="$CHOSEN_NOTE [$(basename "$pats") ${opts:-(no options)}: ${t:-refused or over ${PROBE_SECONDS} s}]"
        [ -n "$t" ] || continue
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t CHOSEN_PATS=$pats
            read -r -a CHOSEN_OPTS <<< "$opts"
        fi
    done
}
RG_PATS="" RG_OPTS=() RG_NOTE="" UG_PATS="" UG_OPTS=() UG_NOTE=""
if [ "$HAVE_RG" = 1 ]; then
    choose rg "$PATTERNS|" "$PATTERNS|--dfa-size-limit 2G --regex-size-limit 2G" "$PATTERNS_ASCII|" \
        "$PATTERNS_ASCII|--dfa-size-limit 2G --regex-size-limit 2G"
    RG_PATS=$CHOSEN_PATS RG_OPTS=("${CHOSEN_OPTS[@]}") RG_NOTE=$CHOSEN_NOTE
    [ -n "$RG_PATS" ] || { warn "no rg candidate finished the probe:$RG_NOTE"; HAVE_RG=0; }
fi
if [ "$HAVE_UG" = 1 ]; then
    choose ugrep "$PATTERNS|" "$PATTERNS|-U"
    UG_PATS=$CHOSEN_PATS UG_OPTS=("${CHOSEN_OPTS[@]}") UG_NOTE=$CHOSEN_NOTE
    [ -n "$UG_PATS" ] || { warn "no ugrep candidate finished the probe:$UG_NOTE"; HAVE_UG=0; }
fi
rm -f "$PROBE"

# ---- rule compile time ------------------------------------------------------------------------------
COMPILE_MS="" COMPILE_RULES="" COMPILE_PATS="" CACHED_MS=""
for _ in $(seq "$REPS"); do
    lint_out=$("$CW" rules lint "${CW_OPTS[@]}" --timing 2>&1)
    c=$(printf '%s\n' "$lint_out" | sed -n 's/.*compiled \([0-9][0-9]*\) rules (\([0-9][0-9]*\) patterns) in \([0-9][0-9.]*\) ms.*/\1 \2 \3/p' | tail -n 1)
    if [ -z "$c" ]; then
        warn "no 'compiled N rules (M patterns) in X ms' line from connwatch rules lint --timing: $(printf '%s\n' "$lint_out" | tail -n 2)"
        break
    fi
    read -r n m x <<< "$c"
    y=$(printf '%s\n' "$lint_out" | sed -n 's/.*from the compile cache in \([0-9][0-9.]*\) ms.*/\1/p' | tail -n 1)
    if [ -n "$y" ] && { [ -z "$CACHED_MS" ] || awk -v a="$y" -v b="$CACHED_MS" 'BEGIN { exit !(a < b) }'; }; then CACHED_MS=$y; fi
    if [ -z "$COMPILE_MS" ] || awk -v a="$x" -v b="$COMPILE_MS" 'BEGIN { exit !(a < b) }'; then
        COMPILE_MS=$x COMPILE_RULES=$n COMPILE_PATS=$m
    fi
done

# ---- timed runs -------------------------------------------------------------------------------------
VARIANTS=(cw cw1 cat)
[ "$HAVE_HS" = 1 ] && VARIANTS+=(hs)
[ "$HAVE_RG" = 1 ] && VARIANTS+=(rg)
[ "$HAVE_UG" = 1 ] && VARIANTS+=(ug)
declare -A LABEL=([cw]="connwatch" [cw1]="connwatch --threads 1" [cat]="cat" [hs]="bare Vectorscan" [rg]="rg" [ug]="ugrep")
declare -A BEST PEAK COUNT

run_variant() { # variant rep
    local v=$1 rep=$2 out=$BENCH_DIR/out.$1 tf=$BENCH_DIR/time.$1 rc line wall rss t0 t1 count
    t0=$EPOCHREALTIME
    case $v in
        cw) "$TIME_BIN" -f '%e %M' -o "$tf" "$CW" scan "${CW_OPTS[@]}" --format json "$CORPUS" > "$out" 2> "$BENCH_DIR/err.$v" ;;
        cw1) "$TIME_BIN" -f '%e %M' -o "$tf" "$CW" scan "${CW_OPTS[@]}" --threads 1 --format json "$CORPUS" > "$out" 2> "$BENCH_DIR/err.$v" ;;
        cat) "$TIME_BIN" -f '%e %M' -o "$tf" cat "$CORPUS" > /dev/null 2> "$BENCH_DIR/err.$v"; : > "$out" ;;
        hs) "$TIME_BIN" -f '%e %M' -o "$tf" "$HS_BARE" "$HSDB" "$CORPUS" > "$out" 2> "$BENCH_DIR/err.$v" ;;
        rg) "$TIME_BIN" -f '%e %M' -o "$tf" rg -c "${RG_OPTS[@]}" -f "$RG_PATS" "$CORPUS" > "$out" 2> "$BENCH_DIR/err.$v" ;;
        ug) "$TIME_BIN" -f '%e %M' -o "$tf" ugrep -c "${UG_OPTS[@]}" -f "$UG_PATS" "$CORPUS" > "$out" 2> "$BENCH_DIR/err.$v" ;;
    esac
    rc=$?
    t1=$EPOCHREALTIME
    line=$(tail -n 1 "$tf" 2> /dev/null)
    read -r wall rss <<< "$line"
    if [ "$rc" -gt 1 ] || ! [[ ${rss:-} =~ ^[0-9]+$ ]]; then # 0/1: nothing found / found (grep's convention)
        warn "${LABEL[$v]} run $rep failed (exit $rc, $line; not counted): $(tail -n 2 "$BENCH_DIR/err.$v")"
        return
    fi
    # EPOCHREALTIME has microseconds (%e only 0.01 s); it adds the ~1 ms start-up of /usr/bin/time itself.
    wall=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.3f", b - a }')
    case $v in
        cw*) count=$(grep -c '' "$out") ;;
        cat) count="" ;;
        *) count=$(head -n 1 "$out"); count=${count:-0} ;;
    esac
    if [ -n "${COUNT[$v]:-}" ] && [ "${COUNT[$v]}" != "$count" ]; then
        warn "${LABEL[$v]}: count changed between runs (${COUNT[$v]} -> $count)"
    fi
    COUNT[$v]=$count
    if [ -z "${BEST[$v]:-}" ] || awk -v a="$wall" -v b="${BEST[$v]}" 'BEGIN { exit !(a < b) }'; then BEST[$v]=$wall; fi
    if [ -z "${PEAK[$v]:-}" ] || [ "$rss" -gt "${PEAK[$v]}" ]; then PEAK[$v]=$rss; fi
    printf '  run %d %-22s %8.3f s  %8.1f MB RSS\n' "$rep" "${LABEL[$v]}" "$wall" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}

[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 (EPOCHREALTIME) is needed for the timings"
say "warming the page cache ..."
cat "$CORPUS" > /dev/null
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "timing ${VARIANTS[*]}: $REPS repetitions each, alternating (load average $LOAD_START)"
for rep in $(seq "$REPS"); do
    for v in "${VARIANTS[@]}"; do run_variant "$v" "$rep"; done
done

# ---- report -----------------------------------------------------------------------------------------
mbps() { # variant -> MB/s (empty if unknown)
    [ -n "${BEST[$1]:-}" ] || return 0
    awk -v b="$SIZE_BYTES" -v w="${BEST[$1]}" 'BEGIN { if (w > 0) printf "%.0f", b / 1048576 / w }'
}
ratio() { # a b [scale] -> MB/s of a / MB/s of b (times scale)
    [ -n "${BEST[$1]:-}" ] && [ -n "${BEST[$2]:-}" ] || return 0
    awk -v a="${BEST[$1]}" -v b="${BEST[$2]}" -v s="${3:-1}" 'BEGIN { if (a > 0 && b > 0) printf (s == 1 ? "%.2f" : "%.0f"), b / a * s }'
}
verdict() { # awk condition on x, value -> PASS / MISS / n/a
    case ${2:-} in
        '') echo "n/a " ;;
        *) awk -v x="$2" "BEGIN { print ($1) ? \"PASS\" : \"MISS\" }" ;;
    esac
}

say ""
say "date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before the timed runs: $LOAD_START, after them: $(cut -d' ' -f1-3 /proc/loadavg) (above ~1 per CPU, other work shared the CPUs: absolute figures and the thread comparison are low)"
say "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2> /dev/null | head -n 1), $(nproc) online CPUs"
say "corpus: $CORPUS  $SIZE_MB MB, $LINES lines, $PLANTED planted error lines"
[ "$HAVE_RG" = 1 ] && say "rg: $(rg --version 2> /dev/null | head -n 1), $NPAT patterns from $(basename "$RG_PATS"), options: ${RG_OPTS[*]:-none}; probe:$RG_NOTE"
[ "$HAVE_HS" = 1 ] && say "bare Vectorscan: $(basename "$HSDB") ($(sed -n '2p;2q' "$HSDB"), the rules' database)"
[ "$HAVE_UG" = 1 ] && say "ugrep: $(ugrep --version 2> /dev/null | head -n 1), patterns from $(basename "$UG_PATS"), options: ${UG_OPTS[*]:-none}; probe:$UG_NOTE"
say ""
printf '%-24s %10s %8s %12s %10s\n' "tool" "best s" "MB/s" "peak RSS MB" "count"
for v in "${VARIANTS[@]}"; do
    if [ -z "${BEST[$v]:-}" ]; then printf '%-24s %10s %8s %12s %10s\n' "${LABEL[$v]}" - - - -; continue; fi
    printf '%-24s %10.3f %8s %12.1f %10s\n' "${LABEL[$v]}" "${BEST[$v]}" "$(mbps "$v")" \
        "$(awk -v k="${PEAK[$v]}" 'BEGIN { print k / 1024 }')" "${COUNT[$v]:-}"
done
say "(count: findings for connwatch, matching lines for rg and ugrep, hits for bare Vectorscan)"
say ""
R_RG=$(ratio cw rg); R_UG=$(ratio cw ug); R_CAT=$(ratio cw cat 100)
R1_RG=$(ratio cw1 rg); R1_UG=$(ratio cw1 ug); R1_HS=$(ratio cw1 hs 100); R1_CAT=$(ratio cw1 cat 100)
say "connwatch (default threads): ${R_RG:-n/a}x rg, ${R_UG:-n/a}x ugrep, ${R_CAT:-n/a} % of cat"
say "connwatch --threads 1:       ${R1_RG:-n/a}x rg, ${R1_UG:-n/a}x ugrep, ${R1_CAT:-n/a} % of cat, ${R1_HS:-n/a} % of bare Vectorscan"
CW_RSS_MB=""
for v in cw cw1; do
    [ -n "${PEAK[$v]:-}" ] || continue
    r=$(awk -v k="${PEAK[$v]}" 'BEGIN { printf "%.1f", k / 1024 }')
    if [ -z "$CW_RSS_MB" ] || awk -v a="$r" -v b="$CW_RSS_MB" 'BEGIN { exit !(a > b) }'; then CW_RSS_MB=$r; fi
done
if [ -n "$COMPILE_MS" ]; then
    say "rule compile: $COMPILE_MS ms ($COMPILE_RULES rules, $COMPILE_PATS patterns); a start from the compile cache: ${CACHED_MS:-n/a} ms"
fi
say "findings ${COUNT[cw]:-n/a} (--threads 1: ${COUNT[cw1]:-n/a}), planted error lines $PLANTED"
[ "${COUNT[cw]:-x}" = "${COUNT[cw1]:-y}" ] || warn "the thread settings found different numbers of findings"
say ""
say "targets:"
target() { printf '  %s  %-40s (%s)\n' "$1" "$2" "${3:-n/a}"; }
target "$(verdict "x >= $T_RG" "$R_RG")" "default threads >= ${T_RG}x rg" "${R_RG:+${R_RG}x}"
target "$(verdict "x >= $T_UG" "$R_UG")" "default threads >= ${T_UG}x ugrep" "${R_UG:+${R_UG}x}"
target "$(verdict "x >= $T_CAT" "$R_CAT")" "default threads >= ${T_CAT} % of cat" "${R_CAT:+${R_CAT} %}"
target "$(verdict "x >= $T_HS" "$R1_HS")" "--threads 1 >= ${T_HS} % of bare Vectorscan" "${R1_HS:+${R1_HS} %}"
target "$(verdict "x < $T_RSS_MB" "$CW_RSS_MB")" "peak RSS < $T_RSS_MB MB" "${CW_RSS_MB:+${CW_RSS_MB} MB}"
target "$(verdict "x < $T_COMPILE_MS" "$COMPILE_MS")" "rule compile < $T_COMPILE_MS ms" "${COMPILE_MS:+${COMPILE_MS} ms}"
exit 0
