#!/usr/bin/env bash
# libFuzzer over the rule loader, the configuration parser and the scanner (Fuzz/README.md).
#   Fuzz/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]      default 60 s each, targets rules config scanner
# connwatch's own targets (model to daemon) are compiled once each with -sanitize=fuzzer (coverage for what is
# fuzzed), each harness is linked with them and with the dependencies' objects of the ordinary debug build.
# Inputs that crash, leak past -rss_limit_mb or run past -timeout are left in .build-fuzz/artifacts/ and fail
# the run; copy each into Fuzz/regressions/<target>/ (the test suite replays them) and fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rules config scanner)
out=.build-fuzz
rebuilt=0

swift build --product connwatch >/dev/null
bin=$(swift build --show-bin-path)
mkdir -p "$out/Modules" "$out/artifacts"

# The flags SwiftPM gives our targets: the package name (for `package` access), the modules (ours from
# $out first, so each target imports the fuzzer-instrumented build of the ones below it), the C modules' maps.
flags=(-swift-version 6 -parse-as-library -package-name connwatch -I "$out/Modules" -I "$bin/Modules" -g -O)
for map in Sources/C*/module.modulemap .build/checkouts/*/Sources/*/include/module.modulemap; do
    flags+=(-Xcc "-fmodule-map-file=$PWD/$map" -Xcc -I -Xcc "$PWD/$(dirname "$map")")
done
for flag in $(pkg-config --cflags-only-I libhs libpcre2-8 libisal libsystemd); do flags+=(-Xcc "$flag"); done
libs=($(pkg-config --libs libhs libpcre2-8 libisal libsystemd))

# In dependency order (Package.swift); `report`'s target is not fuzzed.
objects=()
for module in ConnwatchModel ConnwatchRules ConnwatchEngine ConnwatchPipeline ConnwatchDaemon; do
    object=$out/$module.o
    if [ ! -f "$object" ] || [ -n "$(find Sources/$module Fuzz/fuzz.sh -newer "$object")" ] || [ "$rebuilt" = 1 ]; then
        echo "fuzz: compiling $module with -sanitize=fuzzer"
        swiftc "${flags[@]}" -sanitize=fuzzer -module-name $module -enable-testing -wmo -c \
            -emit-module -emit-module-path "$out/Modules/$module.swiftmodule" \
            $(find Sources/$module -name '*.swift' | sort) -o "$object"
        rebuilt=1   # the targets above import this one
    fi
    objects+=("$object")
done
# Every dependency object of the debug build except connwatch's own modules, tests and tools.
deps=()
while IFS= read -r o; do deps+=("$o"); done < <(find "$bin" -path '*.build/*.o' \
    -not -path '*/Connwatch*.build/*' -not -path '*/connwatch.build/*' -not -path '*Tests*' \
    -not -path '*-tool.build/*' -not -path '*/connwatchPackage*' -not -path '*generate_*' \
    -not -path '*TestKit.build/*' -not -name '*.swiftmodule.o' | sort)

status=0
for t in "${targets[@]}"; do
    echo "fuzz: building $t"
    swiftc "${flags[@]}" -sanitize=fuzzer Fuzz/$t.swift "${objects[@]}" "${deps[@]}" "${libs[@]}" -lstdc++ -o "$out/fuzz-$t"
    corpus=$out/corpus/$t
    seeds=$out/seeds/$t
    mkdir -p "$corpus" "$seeds" "Fuzz/regressions/$t"
    case $t in
        rules) find Rules -name '*.yaml' -exec cp {} "$seeds/" \; ;;
        config) cp systemd/connwatch.yaml "$seeds/" ;;
        scanner) cp examples/logs/* "$seeds/" ;;
    esac
    echo "fuzz: running $t for ${seconds} s"
    log=$out/$t.log
    if CONNWATCH_RULES_DIR=$PWD/Rules "$out/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
        "$corpus" "$seeds" "Fuzz/regressions/$t" >"$log" 2>&1; then
        echo "fuzz: $t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs, no crash"
    else
        echo "fuzz: $t FAILED (see $log and $out/artifacts/):"
        grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' "$log" | head -5
        status=1
    fi
done
exit $status
