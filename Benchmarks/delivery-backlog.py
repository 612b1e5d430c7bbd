#!/usr/bin/env python3
"""The daemon's CPU per line over a backlog of finding lines, builds compared in turns in one run.

Usage: Benchmarks/delivery-backlog.py [--lines N] [--rounds R] [--mode distinct|repeating|both] BINARY [BINARY...]

For each round and each binary in turn: `connwatch run` follows an empty log directory (findings file with
`fsync: interval`, throttle on as in delivery-bench.py's flood: window 5m, max_keys 10000); once its metrics file
appears (start-up done) its CPU time is read, a ready file of N lines of the flood's shape (every line a distinct
key, or one repeating key) is renamed into the directory, and the daemon's CPU is read again once its metrics
count every line read and the findings file holds every record (distinct) — so start-up is not counted. Prints
us CPU (user+sys) per line and wall seconds per run, the best and the ratio to the first binary, and checks that
the records are the same in every run (apart from the read time and the run's own path and inode).

A benchmark, not a test: exits 0 whatever the figures (1 only when it cannot measure).
"""
import argparse, hashlib, json, os, shutil, signal, subprocess, sys, tempfile, time

from benchlib import REPO, flood_config, metric, say, wait_started

TICK = os.sysconf("SC_CLK_TCK")


def make_log(path, n, mode):
    with open(path, "w") as f:
        for i in range(n):
            tenant = "tenant-%d" % (i if mode == "distinct" else 0)
            f.write("2026-11-21T07:00:00Z app[1]: AADSTS700016: Application with identifier 'app' was not found "
                    "in the directory '%s'. Trace ID: %08d\n" % (tenant, i))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


def run(cw, log, n, mode, work):
    d = tempfile.mkdtemp(prefix="backlog-", dir=work)
    config, prom = flood_config(d, "100ms")
    staged = d + "/flood.log"
    shutil.copyfile(log, staged)
    # The same rules for every binary, wherever it lies (a copy of a build finds no Rules/ beside it).
    env = dict(os.environ, CONNWATCH_CACHE_DIR=os.path.join(work, "cache"),
               CONNWATCH_RULES_DIR=os.environ.get("CONNWATCH_RULES_DIR", os.path.join(REPO, "Rules")))
    p = subprocess.Popen([cw, "run", "--config", config], stdout=subprocess.DEVNULL,
                         stderr=open(d + "/stderr", "wb"), env=env)
    wait_started(p, prom, d + "/stderr")
    time.sleep(0.3)
    cpu0 = cpu_seconds(p.pid)
    t0 = time.monotonic()
    os.rename(staged, d + "/logs/flood.log")
    records_wanted = n if mode == "distinct" else 1
    findings = d + "/findings.json"
    while metric(prom, "connwatch_input_lines_total") < n or count_lines(findings) < records_wanted:
        if p.poll() is not None or time.monotonic() - t0 > 300:
            raise SystemExit("connwatch stopped or took too long: " + open(d + "/stderr").read()[-500:])
        time.sleep(0.02)
    wall = time.monotonic() - t0
    cpu = cpu_seconds(p.pid) - cpu0
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    digest = hashlib.sha256()
    occurrences = 0
    for line in open(findings, "rb"):
        record = json.loads(line)
        occurrences += record.get("count", 1)
        record.pop("time", None)
        record["origin"].pop("path", None)  # each run has its own directory and inode
        record["origin"].pop("inode", None)
        record.get("throttle", {}).clear()
        digest.update(json.dumps(record, sort_keys=True).encode())
    shutil.rmtree(d, ignore_errors=True)
    if occurrences != n:
        raise SystemExit("%s: %d occurrences for %d lines" % (cw, occurrences, n))
    return cpu, wall, digest.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mode", choices=["distinct", "repeating", "both"], default="distinct")
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="connwatch-backlog-")
    say("load %s; %d lines; %d rounds; %d cores" % (os.getloadavg(), a.lines, a.rounds, os.cpu_count()))
    for mode in (["distinct", "repeating"] if a.mode == "both" else [a.mode]):
        log = os.path.join(work, mode + ".log")
        make_log(log, a.lines, mode)
        results = {b: [] for b in a.binaries}
        digests = set()
        for r in range(a.rounds):
            for b in a.binaries:
                cpu, wall, digest = run(b, log, a.lines, mode, work)
                digests.add(digest)
                results[b].append((cpu, wall))
                say("  %-9s round %d  %-50s %6.2f us CPU/line  (%.2f s CPU, %.2f s wall)" %
                    (mode, r + 1, b[-50:], cpu / a.lines * 1e6, cpu, wall))
        first = min(c for c, _ in results[a.binaries[0]])
        for b in a.binaries:
            best = min(c for c, _ in results[b])
            say("%-9s best %-50s %6.2f us CPU/line  ratio to first %.3f" % (mode, b[-50:], best / a.lines * 1e6, best / first))
        say("%-9s records identical in every run: %s" % (mode, "yes" if len(digests) == 1 else "NO (%d variants)" % len(digests)))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
