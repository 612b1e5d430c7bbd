#!/usr/bin/env python3
"""`.gz` scanning benchmark (issue 13): `connwatch scan` on gzip-compressed logs against the references a user
would compare with, all timed in the same run, alternating, best of N.

Usage: Benchmarks/gz-bench.py [--size-mb 256] [--archives 4] [--reps 3] [--before BIN]

Corpus: Benchmarks/gen-corpus.py, --size-mb MiB (seed 1), compressed with `gzip -6` (cached in $BENCH_DIR,
default /tmp/connwatch-gz-bench). Patterns for the references: `connwatch rules export --format rg`.
Timed (page cache warm):
  connwatch scan --format json corpus.log.gz          (ISA-L igzip on its own thread, matching on the others)
  zcat corpus.log.gz | rg -c -f patterns.txt          (reference; zlib, then ripgrep on the pipe)
  ugrep -z -c -f patterns.txt corpus.log.gz           (reference; decompresses on its own thread)
(rg and ugrep each in the pattern form and with the options that run a 4 MiB probe fastest: their best)
  zcat corpus.log.gz > /dev/null                      (zlib's inflate alone, for information)
and the same corpus cut into --archives rotated archives (app.log.1.gz ...), given all at once to connwatch and
to ugrep -z (both may work on several at a time).
With --before BIN (e.g. a build of an earlier commit) that binary's scan of the archive is timed too.
Speeds are MiB of *uncompressed* log per second of wall time. Targets: >= 3x zcat|rg, >= 2x ugrep -z.
A benchmark, not a test: exits 0 whatever the figures (1 only when it cannot measure).
"""
import argparse, datetime, os, platform, resource, shutil, subprocess, sys, time

from benchlib import REPO, binary, say


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cores, Linux %s" % (model, os.cpu_count() or 0, platform.release())


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "?"


def closing(p, i):
    """Index of the parenthesis closing the group opened at p[i] (escapes and classes skipped)."""
    depth, j, in_class = 0, i, False
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if p[j + 1:j + 2] == "]":
                j += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def reference_patterns(exported):
    """The export as both references accept it: patterns of multi-line events (they match across `\\n`, which
    rg and ugrep refuse line by line) are left out, and an empty alternative `(?:|X)`, which ugrep refuses, is
    written `(?:X)?` (the same language). Returns (lines, dropped)."""
    kept, dropped = [], 0
    for p in exported:
        if "\\n" in p:
            dropped += 1
            continue
        while "(?:|" in p:
            i = p.index("(?:|")
            j = closing(p, i)
            if j < 0:
                break
            p = p[:i] + "(?:" + p[i + 4:j] + ")?" + p[j + 1:]
        kept.append(p)
    return kept, dropped


def timed(cmd, shell=False):
    """(wall seconds, CPU seconds of the children, stdout, return code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    r = subprocess.run(cmd, shell=shell, capture_output=True, executable="/bin/bash" if shell else None)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode not in (0, 1):
        say("  failed (%d): %s: %s" % (r.returncode, cmd if shell else " ".join(cmd), r.stderr.decode()[-300:]))
        return None
    return wall, cpu, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=256)
    ap.add_argument("--archives", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--before", help="another connwatch binary to time on the same archive")
    a = ap.parse_args()
    work = os.environ.get("BENCH_DIR", "/tmp/connwatch-gz-bench")
    os.makedirs(work, exist_ok=True)
    for tool in ("rg", "ugrep", "zcat", "gzip"):
        if not shutil.which(tool):
            say("gz-bench: %s is missing (apt-get install %s)" % (tool, {"rg": "ripgrep", "zcat": "gzip"}.get(tool, tool)))
            return 1
    cw = binary()

    corpus = os.path.join(work, "corpus-%d.log" % a.size_mb)
    archive = corpus + ".gz"
    if not os.path.exists(archive):
        say("generating %d MiB corpus and gzip -6 ..." % a.size_mb)
        subprocess.run([sys.executable, os.path.join(REPO, "Benchmarks/gen-corpus.py"), corpus, str(a.size_mb), "--seed", "1"],
                       check=True, stderr=subprocess.DEVNULL)
        subprocess.run("gzip -6 -c '%s' > '%s.tmp' && mv '%s.tmp' '%s'" % (corpus, archive, archive, archive), shell=True, check=True)
    size = a.size_mb * 2**20
    # The same lines cut into rotated archives (line boundaries kept).
    parts = [os.path.join(work, "app-%d.log.%d.gz" % (a.size_mb, i + 1)) for i in range(a.archives)]
    if not all(os.path.exists(p) for p in parts):
        say("cutting into %d archives ..." % a.archives)
        lines_total = int(subprocess.run(["wc", "-l", corpus], capture_output=True, text=True).stdout.split()[0])
        per = (lines_total + a.archives - 1) // a.archives
        prefix = os.path.join(work, "part-")
        subprocess.run(["split", "-l", str(per), "-d", "-a", "2", corpus, prefix], check=True)
        for i, p in enumerate(parts):
            subprocess.run("gzip -6 -c '%s%02d' > '%s' && rm '%s%02d'" % (prefix, i, p, prefix, i), shell=True, check=True)
    exported = subprocess.run([cw, "rules", "export", "--format", "rg"], capture_output=True, text=True, check=True).stdout.splitlines()
    kept, dropped = reference_patterns(exported)
    patterns = os.path.join(work, "patterns.txt")
    with open(patterns, "w") as f:
        f.write("\n".join(kept) + "\n")
    subprocess.run("cat '%s' %s > /dev/null" % (archive, " ".join("'%s'" % p for p in parts)), shell=True)
    subprocess.run([cw, "rules", "lint"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm the rule cache

    # rg and ugrep at their best, as in scan-throughput.sh: each candidate form and option set runs once on a
    # 4 MiB prefix of the log (30 s at most) and the fastest is timed. rg's default engine treats `\b` as
    # Unicode-aware and its lazy DFA gives up on this pattern set; `(?-u:\b)` is the ASCII word boundary that
    # connwatch's PCRE2 (no UCP) means anyway. ugrep's -U matches bytes as they are.
    patterns_ascii = os.path.join(work, "patterns.ascii-b.txt")
    with open(patterns_ascii, "w") as f:
        f.write("\n".join(p.replace("\\b", "(?-u:\\b)") for p in kept) + "\n")
    probe_file = os.path.join(work, "probe.log")
    subprocess.run("zcat '%s' | head -c %d > '%s'" % (archive, 4 * 2**20, probe_file), shell=True)

    def best_form(tool, candidates):
        """(patterns file, options, note) of the candidate that ran the probe fastest."""
        best, note = None, []
        for pats, opts in candidates:
            t0 = time.monotonic()
            try:
                r = subprocess.run([tool, "-c"] + opts + ["-f", pats, probe_file], capture_output=True, timeout=30)
                ok = r.returncode in (0, 1)
            except subprocess.TimeoutExpired:
                ok = False
            t = time.monotonic() - t0
            note.append("%s %s: %s" % (os.path.basename(pats), " ".join(opts) or "(no options)", "%.3f s" % t if ok else "refused or over 30 s"))
            if ok and (best is None or t < best[2]):
                best = (pats, opts, t)
        return (best[0], best[1], "; ".join(note)) if best else (patterns, [], "; ".join(note))

    large = ["--dfa-size-limit", "2G", "--regex-size-limit", "2G"]
    rg_pats, rg_opts, rg_note = best_form("rg", [(patterns, []), (patterns, large), (patterns_ascii, []), (patterns_ascii, large)])
    ug_pats, ug_opts, ug_note = best_form("ugrep", [(patterns, []), (patterns, ["-U"])])
    rg_args = " ".join(rg_opts + ["-f", "'%s'" % rg_pats])

    # rg can still be very slow on the whole export (one big alternation): when a 1 MiB probe says the whole
    # archive would take more than a minute, rg is timed on a prefix of the same log (as much as about 30 s
    # allows) and MiB/s are compared; the report says so.
    probe = timed("zcat '%s' | head -c 1048576 | rg -c %s" % (archive, rg_args), True)
    rg_mb = a.size_mb
    if probe and probe[1] * a.size_mb > 60:
        rg_mb = max(1, min(a.size_mb, int(30 / max(probe[1], 1e-3))))
    rg_cmd = "zcat '%s' | head -c %d | rg -c %s" % (archive, rg_mb * 2**20, rg_args) if rg_mb < a.size_mb \
        else "zcat '%s' | rg -c %s" % (archive, rg_args)
    one = {
        "connwatch scan": ([cw, "scan", "--format", "json", archive], False),
        **({"connwatch scan (--before)": ([a.before, "scan", "--format", "json", archive], False)} if a.before else {}),
        "zcat | rg -c -f": (rg_cmd, True),
        "ugrep -z -c -f": (["ugrep", "-z", "-c"] + ug_opts + ["-f", ug_pats, archive], False),
        "zcat > /dev/null": ("zcat '%s' > /dev/null" % archive, True),
    }
    many = {
        "connwatch scan (%d archives)" % a.archives: ([cw, "scan", "--format", "json"] + parts, False),
        "ugrep -z -c -f (%d archives)" % a.archives: (["ugrep", "-z", "-c"] + ug_opts + ["-f", ug_pats] + parts, False),
    }
    variants = {**one, **many}
    best, counts = {}, {}
    say("timing %d variants, %d runs each, alternating ..." % (len(variants), a.reps))
    for rep in range(a.reps):
        for name, (cmd, shell) in variants.items():
            if name == "zcat | rg -c -f" and rg_mb < a.size_mb and rep > 0:
                continue
            r = timed(cmd, shell)
            if r is None:
                continue
            wall, cpu, out = r
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
            if name.startswith("connwatch"):
                counts[name] = out.count(b"\n")
            elif "rg" in name or "ugrep" in name:
                counts[name] = sum(int(l.rsplit(b":", 1)[-1]) for l in out.splitlines() if l.strip())

    say("")
    say("date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    say("machine: %s" % machine())
    say("tools: %s; %s; %s" % (version(["rg", "--version"]), version(["ugrep", "--version"]), version(["gzip", "--version"])))
    say("reference patterns: %d of the %d exported (`rules export --format rg`); %d multi-line event patterns left out" % (
        len(kept), len(exported), dropped))
    say("rg at its best: %s %s (probe, 4 MiB: %s)" % (os.path.basename(rg_pats), " ".join(rg_opts) or "(no options)", rg_note))
    say("ugrep at its best: %s %s (probe, 4 MiB: %s)" % (os.path.basename(ug_pats), " ".join(ug_opts) or "(no options)", ug_note))
    say("input: %d MiB of log (gen-corpus.py seed 1), gzip -6 -> %.1f MiB; also as %d archives" % (
        a.size_mb, os.path.getsize(archive) / 2**20, a.archives))
    say("")
    say("%-34s %9s %9s %10s %9s" % ("command", "wall s", "cpu s", "MiB/s", "matches"))
    for name in variants:
        if name not in best:
            say("%-34s %9s" % (name, "failed"))
            continue
        wall, cpu = best[name]
        mb = rg_mb if name == "zcat | rg -c -f" else a.size_mb
        say("%-34s %9.3f %9.3f %10.1f %9s" % (name, wall, cpu, mb / wall, counts.get(name, "")))

    if rg_mb < a.size_mb:
        say("(zcat | rg: timed once on the first %d MiB of the log: rg is slow on this pattern set)" % rg_mb)

    def ratio(x, y):
        if x not in best or y not in best:
            return None
        mb = lambda n: rg_mb if n == "zcat | rg -c -f" else a.size_mb
        return (mb(x) / best[x][0]) / (mb(y) / best[y][0])

    r_rg = ratio("connwatch scan", "zcat | rg -c -f")
    r_ug = ratio("connwatch scan", "ugrep -z -c -f")
    r_many = ratio("connwatch scan (%d archives)" % a.archives, "ugrep -z -c -f (%d archives)" % a.archives)
    say("")
    fmt = lambda r: "%.2fx" % r if r else "n/a"
    say("ratio connwatch / zcat|rg:            %s" % fmt(r_rg))
    say("ratio connwatch / ugrep -z:           %s" % fmt(r_ug))
    say("ratio connwatch / ugrep -z, %d files:  %s" % (a.archives, fmt(r_many)))
    say("")
    say("targets:")
    say("  %s  >= 3x zcat | rg -c -f   (%s)" % ("PASS" if r_rg and r_rg >= 3 else "MISS", fmt(r_rg)))
    say("  %s  >= 2x ugrep -z -c -f    (%s)" % ("PASS" if r_ug and r_ug >= 2 else "MISS", fmt(r_ug)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
