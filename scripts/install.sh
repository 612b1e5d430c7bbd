#!/usr/bin/env bash
# install.sh DESTDIR PREFIX BINARY — binary, rules, systemd units (daemon, daily report + timer), logrotate
# example, example configuration and docs.
set -euo pipefail
destdir=${1:-}
prefix=${2:-/usr/local}
binary=${3:?usage: install.sh DESTDIR PREFIX BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)
# systemd units live under /lib/systemd/system for PREFIX=/usr (Debian), else under PREFIX.
unitdir=$prefix/lib/systemd/system
[ "$prefix" = /usr ] && unitdir=/lib/systemd/system

install -Dm755 "$binary" "$destdir$prefix/bin/connwatch"
rm -rf "$destdir$prefix/share/connwatch/rules"
mkdir -p "$destdir$prefix/share/connwatch"
cp -r "$root/Rules" "$destdir$prefix/share/connwatch/rules"
find "$destdir$prefix/share/connwatch/rules" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +
for unit in connwatch.service connwatch-report.service; do
  sed "s|/usr/bin/connwatch|$prefix/bin/connwatch|g" "$root/systemd/$unit" > "$root/.$unit.tmp"
  install -Dm644 "$root/.$unit.tmp" "$destdir$unitdir/$unit"
  rm -f "$root/.$unit.tmp"
done
install -Dm644 "$root/systemd/connwatch-report.timer" "$destdir$unitdir/connwatch-report.timer"
install -Dm644 "$root/systemd/connwatch.logrotate" "$destdir/etc/logrotate.d/connwatch"
install -Dm644 "$root/systemd/connwatch.yaml" "$destdir$prefix/share/doc/connwatch/examples/connwatch.yaml"
install -Dm644 "$root/README.md" "$destdir$prefix/share/doc/connwatch/README.md"
install -Dm644 "$root/docs/RULES.md" "$destdir$prefix/share/doc/connwatch/RULES.md"
for doc in rule-format.md findings.md forwarding.md configuration.md; do
  [ -f "$root/docs/$doc" ] && install -Dm644 "$root/docs/$doc" "$destdir$prefix/share/doc/connwatch/$doc"
done
install -Dm644 "$root/schema/finding.schema.json" "$destdir$prefix/share/connwatch/finding.schema.json"
install -d -m755 "$destdir/etc/connwatch/rules.d"
echo "installed connwatch: ${destdir}${prefix}/bin/connwatch, unit ${destdir}${unitdir}/connwatch.service"
echo "next: cp $prefix/share/doc/connwatch/examples/connwatch.yaml /etc/connwatch/ (optional); systemctl daemon-reload; systemctl enable --now connwatch connwatch-report.timer"
