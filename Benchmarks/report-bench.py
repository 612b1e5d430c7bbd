#!/usr/bin/env python3
"""`connwatch report` benchmark: time and peak memory over 100k and 1M findings, one file and rotated copies.

Usage: Benchmarks/report-bench.py [--before BIN [--before-max N]] [--reps N] [--sizes 100000,1000000] [--work DIR]

Findings are synthesised from real ones: `connwatch scan --no-throttle` over examples/logs gives the records (the
exact JSON connwatch writes), which are repeated with times spread over 2026-11-20 (a tenth on the day before, for
"new"/"stopped") and 40 hosts; every other record also carries `event_time` (the same instant, written with an
offset) and `source_host` (the same host), so a report that honours them and one that does not must agree.

Cases: N findings in one file (for each N in --sizes), and the largest N spread over rotated copies
(findings.json, .1, .2.gz, .3.gz). Each case: wall and CPU time (user + system; best of N; CPU time says more
on a shared, loaded machine) and peak RSS (the child's ru_maxrss) of
`connwatch report --format json --date 2026-11-20`. With --before BIN (e.g. a build of the previous commit) the
same cases run with that binary in the same run, and the two JSON reports are compared.
Targets (issue 13): 1M findings < 5 s, peak RSS < 200 MB, RSS not growing with the number of findings.

A benchmark, not a test: exits 0 whatever the figures (1 only when it cannot measure).
"""
import argparse, gzip, json, os, shutil, subprocess, sys, tempfile, time

from benchlib import REPO, binary, say

DAY = "2026-11-20"
HOSTS = ["host-%02d.example.net" % i for i in range(40)]


def templates(cw):
    """Real findings, with placeholders where the time and host go."""
    example = os.path.join(REPO, "examples/logs/cloud-connectors.log")
    out = subprocess.run([cw, "scan", "--no-throttle", example], capture_output=True, env=dict(
        os.environ, CONNWATCH_RULES_DIR=os.path.join(REPO, "Rules")))
    records = [json.loads(l) for l in out.stdout.splitlines() if l.startswith(b"{")]
    if not records:
        raise SystemExit("no findings from %s scan %s: %s" % (cw, example, out.stderr.decode()[-300:]))
    plain, events = [], []
    for r in records:
        for with_event in (False, True):
            d = {}
            for k, v in r.items():
                if k in ("event_time", "source_host"):
                    continue                # placed below, next to time and host, or left out
                if k == "time":
                    d["time"] = "@T@"
                    if with_event:
                        d["event_time"] = "@E@"
                elif k == "host":
                    d["host"] = "@H@"
                    if with_event:
                        d["source_host"] = "@H@"
                else:
                    d[k] = v
            d.setdefault("host", "@H@")
            (events if with_event else plain).append(json.dumps(d, ensure_ascii=False, separators=(",", ":")))
    return plain, events


def generate(path, n, seed, plain, events, compress=False):
    """n findings: times in order over the day (every tenth on the previous day), hosts and templates rotating."""
    opener = (lambda p: gzip.open(p, "wt", compresslevel=1, encoding="utf-8")) if compress else \
        (lambda p: open(p, "w", encoding="utf-8", buffering=1 << 20))
    with opener(path) as f:
        batch = []
        for i in range(n):
            k = seed + i
            second = int(i * 86400 / n)
            day = "2026-11-19" if k % 10 == 0 else DAY
            base = "%sT%02d:%02d:%02d.%03d" % (day, second // 3600, second // 60 % 60, second % 60, k % 1000)
            host = HOSTS[k % len(HOSTS)]
            if k % 2:
                t = events[k % len(events)]
                line = t.replace("@T@", base + "Z").replace("@E@", base + "+00:00").replace("@H@", host)
            else:
                line = plain[k % len(plain)].replace("@T@", base + "Z").replace("@H@", host)
            batch.append(line)
            if len(batch) == 10000:
                f.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            f.write("\n".join(batch) + "\n")


def run_report(cw, paths, out):
    """(wall seconds, CPU seconds, peak RSS MiB, exit status) of one report run."""
    with open(out, "wb") as o, open(out + ".err", "wb") as e:
        start = time.monotonic()
        p = subprocess.Popen([cw, "report", "--format", "json", "--date", DAY] + paths, stdout=o, stderr=e,
                             env=dict(os.environ, TZ="UTC"))
        _, status, usage = os.wait4(p.pid, 0)
        return (time.monotonic() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                os.waitstatus_to_exitcode(status))


def comparable(path):
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError):
        return None
    r.pop("generated", None)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=os.environ.get("CONNWATCH_BEFORE_BIN"),
                    help="a baseline connwatch binary measured in the same run")
    ap.add_argument("--before-max", type=int, default=None,
                    help="run the baseline only on cases of at most this many findings (it may take minutes)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--work", default=None, help="where the findings files go (default: a temporary directory)")
    a = ap.parse_args()
    cw = binary()
    sizes = [int(s) for s in a.sizes.split(",")]
    work = a.work or tempfile.mkdtemp(prefix="connwatch-report-bench-")
    os.makedirs(work, exist_ok=True)
    say("connwatch %s; %d cores%s" % (cw, os.cpu_count(), "; before: %s" % a.before if a.before else ""))
    plain, events = templates(cw)
    cases = []
    for n in sizes:
        path = os.path.join(work, "one-%d" % n, "findings.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            generate(path, n, 0, plain, events)
        cases.append(("%d findings, one file" % n, n, [path]))
    n = max(sizes)
    d = os.path.join(work, "rotated-%d" % n)
    os.makedirs(d, exist_ok=True)
    parts = [("findings.json.3.gz", True), ("findings.json.2.gz", True), ("findings.json.1", False), ("findings.json", False)]
    paths = []
    for k, (name, gz) in enumerate(parts):
        p = os.path.join(d, name)
        if not os.path.exists(p):
            generate(p, n // len(parts), k * (n // len(parts)), plain, events, compress=gz)
        paths.append(p)
    cases.append(("%d findings, 4 rotated files (2 gz)" % n, n, paths))
    for _, _, ps in cases:          # into the page cache
        for p in ps:
            subprocess.run(["cat", p], stdout=subprocess.DEVNULL)
    size = lambda ps: sum(os.path.getsize(p) for p in ps) / 2**20

    results = {}
    binaries = [("after", cw)] + ([("before", a.before)] if a.before else [])
    for label, n, ps in cases:
        say("%s (%.0f MiB on disk)" % (label, size(ps)))
        for which, exe in binaries:
            if which == "before" and a.before_max is not None and n > a.before_max:
                say("   before  not run (more than --before-max %d findings)" % a.before_max)
                continue
            best, cpu, peak, status = float("inf"), float("inf"), 0.0, 0
            for _ in range(a.reps):
                t, c, rss, status = run_report(exe, ps, os.path.join(work, "%s.json" % which))
                best, cpu, peak = min(best, t), min(cpu, c), max(peak, rss)
            results[(label, which)] = (best, peak)
            say("   %-6s %7.2f s wall (%7.0fk findings/s), %6.2f s CPU, peak RSS %7.1f MB%s" %
                (which, best, n / best / 1e3, cpu, peak, "" if status == 0 else "  (exit %d)" % status))
        if a.before and (a.before_max is None or n <= a.before_max):
            same = comparable(os.path.join(work, "after.json")) == comparable(os.path.join(work, "before.json"))
            say("   reports identical (but for 'generated'): %s" % ("yes" if same else "NO"))
    one = [(n, results[("%d findings, one file" % n, "after")]) for n in sizes]
    big = [r for n, r in one if n == max(sizes)][0]
    say("targets (after): %d findings %.2f s [1M < 5 s: %s], peak RSS %.1f MB [< 200 MB: %s]" %
        (max(sizes), big[0], "PASS" if big[0] * 1e6 / max(sizes) < 5 else "MISS", big[1], "PASS" if big[1] < 200 else "MISS"))
    if len(one) > 1:
        (n0, r0), (n1, r1) = one[0], one[-1]
        say("RSS growth with findings (after): %.1f MB at %d, %.1f MB at %d [flat within 20%%: %s]" %
            (r0[1], n0, r1[1], n1, "PASS" if r1[1] <= r0[1] * 1.2 + 5 else "MISS"))
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
