#!/usr/bin/env python3
"""Findings delivery benchmark: the cost of the findings file, and a flood of findings against the daemon.

Usage: Benchmarks/delivery-bench.py [--corpus FILE] [--reps N] [--flood-seconds S] [--rate R]

1. Output throughput (same run, alternating, best of N): `connwatch scan --no-throttle` over the benchmark corpus
   (Benchmarks/gen-corpus.py, 600 MiB, made if missing) writing findings to /dev/null (stdout) versus to a
   findings file with `--fsync interval` (and `always`, for information). Target: file >= 90% of /dev/null.
2. Flood: `connwatch run` follows a file that a writer grows by R lines per second (default 100,000), every
   line a finding, for S seconds (default 10), findings to a findings file (fsync interval) with the throttle on:
   once with one repeating key (folded into summaries), once with every line a distinct key (the throttle's
   key table at its max_keys bound, evicting). Reported: lines/s the daemon kept up with, seconds to drain after
   the writer stops, RSS at a quarter of the run and at the end (bounded memory = no growth), records written.
   Target: the rate is sustained (drained within 2 s) and RSS stays under 100 MB without growing.

A benchmark, not a test: exits 0 whatever the figures (1 only when it cannot measure).
"""
import argparse, os, shutil, signal, subprocess, sys, tempfile, threading, time

from benchlib import REPO, binary, flood_config, metric, proc_rss_mb, say, wait_started


def timed(cmd, stdout):
    t = time.monotonic()
    with open(stdout, "wb") as out:
        r = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
    if r.returncode not in (0, 1):
        raise SystemExit("failed: %s: %s" % (" ".join(cmd), r.stderr.decode()[-500:]))
    return time.monotonic() - t


def throughput(cw, corpus, reps, work):
    size = os.path.getsize(corpus) / 2**20
    findings = os.path.join(work, "findings.json")
    variants = {
        "stdout > /dev/null": ([cw, "scan", "--no-throttle", corpus], "/dev/null", False),
        "findings file, fsync interval": ([cw, "scan", "--no-throttle", "--output", "file:" + findings, "--fsync", "interval", corpus], "/dev/null", True),
        "findings file, fsync always": ([cw, "scan", "--no-throttle", "--output", "file:" + findings, "--fsync", "always", corpus], "/dev/null", True),
    }
    best = {k: float("inf") for k in variants}
    timed(variants["stdout > /dev/null"][0], "/dev/null")  # warm the page cache and the rule cache
    for _ in range(reps):
        for name, (cmd, out, file) in variants.items():
            if file and os.path.exists(findings):
                os.unlink(findings)
            best[name] = min(best[name], timed(cmd, out))
    records = sum(1 for _ in open(findings, "rb"))
    say("1. output throughput: %d MiB corpus, best of %d, %d findings" % (size, reps, records))
    for name, t in best.items():
        say("   %-32s %6.2f s  %7.0f MB/s" % (name, t, size / t))
    ratio = best["stdout > /dev/null"] / best["findings file, fsync interval"]
    say("   file (interval) / devnull throughput ratio: %.3f  [target >= 0.90: %s]" % (ratio, "PASS" if ratio >= 0.9 else "MISS"))


def flood(cw, mode, seconds, rate, work):
    d = os.path.join(work, "flood-" + mode)
    shutil.rmtree(d, ignore_errors=True)
    config, prom = flood_config(d, "200ms")
    env = dict(os.environ, CONNWATCH_CACHE_DIR=d + "/cache")
    p = subprocess.Popen([cw, "run", "--config", config], stdout=subprocess.DEVNULL,
                         stderr=open(d + "/stderr", "wb"), env=env)
    wait_started(p, prom, d + "/stderr")  # the flood starts once the daemon is up, not at a guessed time
    log = open(d + "/logs/flood.log", "ab", buffering=0)
    batch = rate // 10
    total = 0
    start = time.monotonic()
    rss_quarter = 0.0
    peak = 0.0
    n = 0
    while time.monotonic() - start < seconds:
        tick = start + n * 0.1
        lines = []
        for i in range(total, total + batch):
            tenant = "tenant-%d" % (i if mode == "distinct" else 0)
            lines.append("2026-11-21T07:00:00Z app[1]: AADSTS700016: Application with identifier 'app' was not found "
                         "in the directory '%s'. Trace ID: %08d\n" % (tenant, i))
        log.write("".join(lines).encode())
        total += batch
        n += 1
        peak = max(peak, proc_rss_mb(p.pid))
        if not rss_quarter and time.monotonic() - start >= seconds / 4:
            rss_quarter = proc_rss_mb(p.pid)
        delay = start + n * 0.1 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    wrote_for = time.monotonic() - start
    end = time.monotonic()
    while metric(prom, "connwatch_input_lines_total") < total and time.monotonic() - end < 60:
        peak = max(peak, proc_rss_mb(p.pid))
        time.sleep(0.05)
    drain = time.monotonic() - end
    rss_end = proc_rss_mb(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    records = sum(1 for _ in open(d + "/findings.json", "rb"))
    occurrences = 0
    import json
    for line in open(d + "/findings.json", "rb"):
        occurrences += json.loads(line).get("count", 1)
    read = metric(prom, "connwatch_input_lines_total")
    say("   %-9s %8d lines in %.1f s (%6.0f lines/s offered), read %d, drained %.2f s after the writer stopped" %
        (mode, total, wrote_for, total / wrote_for, read, drain))
    say("             records written %d, occurrences in them %d (= lines: %s); RSS quarter %.1f MB, end %.1f MB, peak %.1f MB" %
        (records, occurrences, "yes" if occurrences == total else "NO", rss_quarter, rss_end, peak))
    ok = drain <= 2.0 and occurrences == total and peak < 100 and rss_end <= rss_quarter * 1.25 + 5
    say("             [target sustained, nothing lost, RSS bounded: %s]" % ("PASS" if ok else "MISS"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.environ.get("BENCH_DIR", "/tmp/connwatch-bench") + "/corpus.log")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--flood-seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=100_000)
    ap.add_argument("--flood-only", action="store_true", help="skip the output throughput part")
    a = ap.parse_args()
    cw = binary()
    if not os.path.exists(a.corpus):
        os.makedirs(os.path.dirname(a.corpus), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(REPO, "Benchmarks/gen-corpus.py"), a.corpus, "600"], check=True)
    work = tempfile.mkdtemp(prefix="connwatch-delivery-")
    say("connwatch %s; %d cores" % (cw, os.cpu_count()))
    if not a.flood_only:
        throughput(cw, a.corpus, a.reps, work)
    say("2. flood: %d findings/s for %.0f s, throttle on (window 5m, max_keys 10000), findings file fsync interval" %
        (a.rate, a.flood_seconds))
    for mode in ("repeating", "distinct"):
        flood(cw, mode, a.flood_seconds, a.rate, work)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
