#!/bin/bash
# Redaction cost per line, two source trees compared: each tree's redaction files (RedactionScan, SecretKeys,
# Redactor) are built optimised with Benchmarks/redaction/main.swift, then every line of the given files is
# redacted under valgrind's callgrind; the figure is instructions per line of one round (three rounds less one,
# halved: start-up and file reading cancel out), repeatable on a shared machine. Prints both and the ratio.
#
#   Benchmarks/redaction-bench.sh BEFORE_TREE AFTER_TREE FILE...
#   e.g. Benchmarks/redaction-bench.sh /work/main . /tmp/lead/flood.log
set -euo pipefail
before=$1 after=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/redaction-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PATH=/opt/swift/usr/bin:$PATH
for side in before after; do
    tree=${!side}/Sources/ConnwatchEngine
    swiftc -O -wmo -swift-version 6 -module-name Bench -package-name connwatch "$here/redaction/main.swift" \
        "$tree/RedactionScan.swift" "$tree/SecretKeys.swift" "$tree/Redactor.swift" -o "$work/$side" 2>/dev/null
done
lines=$(cat "$@" | wc -l)
for side in before after; do
    r1=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/$side" 1 "$@" 2>&1 | awk '/refs:/ {gsub(",", "", $4); print $4}')
    r3=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/$side" 3 "$@" 2>&1 | awk '/refs:/ {gsub(",", "", $4); print $4}')
    eval "per_$side=$(( (r3 - r1) / 2 / lines ))"
    echo "$side: $(( (r3 - r1) / 2 / lines )) instructions per line ($lines lines)"
done
awk -v a="$per_after" -v b="$per_before" 'BEGIN { printf "after/before: %.3f\n", a / b }'
