#!/usr/bin/env python3
"""Render a connwatch HTML report in headless Chromium, light and dark, and check what a reader would see.

    render_check.py REPORT.html OUTDIR [--hour-bars N] [--rule-bars M] [--window-size W,H]

Per colour scheme it writes OUTDIR/<name>-<scheme>.png and .dom.html and checks:
  (a) the page loaded cleanly: no console messages (the page has no scripts, so any message is a problem),
      no file loads besides the page itself, no network requests made by the page (it must be self-contained);
  (b) the DOM as Chromium parsed it has the expected number of <rect class="bar"> in each chart
      (first chart = findings per hour, second = top rules; without counts: at least 1 each);
  (c) the screenshot shows bars: enough pixels of that scheme's bar colour, few of the other scheme's
      (so the dark-mode CSS really switched), and a light background in light mode, dark in dark mode.
Prints one summary line per scheme; exit 0 when every check passes, 1 otherwise (2 on usage errors).
Python 3.11 standard library only (the PNG is decoded with zlib; PIL may not be installed).
"""
import argparse
import collections
import html.parser
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

# The report's CSS sets exactly these (HTMLReport.swift); the pixel check looks for them.
BAR = {"light": (0x1F, 0x6F, 0xEB), "dark": (0x58, 0xA6, 0xFF)}
# Per-channel tolerance: absorbs colour-management rounding, not anti-aliased edges of other colours.
TOLERANCE = 6
# Minimum bar pixels per expected bar: a 1-finding hour bar is 2 px high and ~10 px wide on a phone.
MIN_PIXELS_PER_BAR = 15
TIMEOUT = 120

# Flags that keep Chromium quiet and deterministic; `--vmodule` makes it log every file:// load.
BASE_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
    "--enable-logging=stderr", "--v=0", "--vmodule=file_url_loader_factory=1",
]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(chromium, page_url, png, scheme, size, workdir):
    """One run per scheme gives screenshot, DOM, stderr log and net log together."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
    netlog = os.path.join(workdir, f"net-{scheme}.json")
    flags = BASE_FLAGS + [
        f"--user-data-dir={profile}", f"--window-size={size}", f"--screenshot={png}",
        f"--log-net-log={netlog}", "--dump-dom",
    ]
    if scheme == "dark":
        # Sets prefers-color-scheme: dark for the page (checked below via the bar colour and background).
        flags.append("--force-dark-mode")
    proc = subprocess.run([chromium, *flags, page_url], capture_output=True, timeout=TIMEOUT)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"), netlog


# ---------------------------------------------------------------------------------------------- (a) log


def load_problems(stderr, netlog_path, page_url):
    problems = []
    for line in stderr.splitlines():
        if ":CONSOLE" in line:
            problems.append("console: " + line.split("] ", 1)[-1][:300])
        elif "FileURLLoader::Start: " in line:
            url = line.split("FileURLLoader::Start: ", 1)[1].strip()
            if url != page_url:
                problems.append(f"page loaded another file (must be self-contained): {url}")
        elif ":FATAL:" in line or "Check failed" in line:
            problems.append("chromium: " + line[:300])
    # Chromium fetches things of its own (time, updates); only requests isolated under the page's
    # file:// site come from the page.
    try:
        with open(netlog_path, encoding="utf-8") as f:
            log = json.load(f)
    except (OSError, ValueError):
        # A net log cut short by exit has no closing brackets; parse what is there.
        text = pathlib.Path(netlog_path).read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
        try:
            log = json.loads(text + "]}")
        except ValueError:
            return problems + ["net log unreadable: cannot tell whether the page made network requests"]
    names = {v: k for k, v in log.get("constants", {}).get("logEventTypes", {}).items()}
    for event in log.get("events", []):
        params = event.get("params") or {}
        if names.get(event.get("type")) == "URL_REQUEST_START_JOB" and \
                str(params.get("network_isolation_key", "")).startswith("file://"):
            problems.append(f"page made a network request (must be self-contained): {params.get('url')}")
    return problems


# ---------------------------------------------------------------------------------------------- (b) DOM


class BarCounter(html.parser.HTMLParser):
    """Counts <rect class="bar"> per <svg>, and resources the page would load."""

    def __init__(self):
        super().__init__()
        self.svgs = []          # bar count per svg, in document order
        self.depth = 0          # svg nesting depth
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            if self.depth == 0:
                self.svgs.append(0)
            self.depth += 1
        elif tag == "rect" and self.depth and "bar" in (a.get("class") or "").split():
            self.svgs[-1] += 1
        if tag == "script":
            self.external.append("<script>")
        for attr in ("src", "srcset", "data", "poster"):
            if a.get(attr):
                self.external.append(f"<{tag} {attr}={a[attr]!r}>")
        if tag == "link" and a.get("href"):
            self.external.append(f"<link href={a['href']!r}>")
        if tag in ("image", "use") and (a.get("href") or a.get("xlink:href")):
            self.external.append(f"<{tag} href=...>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.depth -= 1

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth:
            self.depth -= 1


def dom_problems(dom, want_hours, want_rules):
    parser = BarCounter()
    parser.feed(dom)
    charts = [n for n in parser.svgs if n > 0]
    hours = charts[0] if len(charts) > 0 else 0
    rules = charts[1] if len(charts) > 1 else 0
    problems = [f"not self-contained: {e}" for e in parser.external]
    if "@media (prefers-color-scheme: dark)" not in dom:
        problems.append("no dark-mode media query in the page's CSS")
    for name, got, want in (("hour", hours, want_hours), ("rule", rules, want_rules)):
        if want is None and got < 1:
            problems.append(f"{name} chart: no bars in the DOM")
        elif want is not None and got != want:
            problems.append(f"{name} chart: {got} bars in the DOM, expected {want}")
    return hours, rules, problems


# ---------------------------------------------------------------------------------------------- (c) PNG


def decode_png(path):
    """Returns (width, height, rows) with rows as RGB(A) bytes; 8-bit RGB/RGBA non-interlaced only."""
    data = pathlib.Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if ftype == 1:      # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:    # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:    # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:    # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad PNG filter type {ftype} in row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def pixel_stats(path):
    width, height, bpp, rows = decode_png(path)
    near = {scheme: 0 for scheme in BAR}
    colours = collections.Counter()
    for y, row in enumerate(rows):
        for x in range(0, width * bpp, bpp):
            rgb = (row[x], row[x + 1], row[x + 2])
            colours[rgb] += 1
            for scheme, (r, g, b) in BAR.items():
                if abs(rgb[0] - r) <= TOLERANCE and abs(rgb[1] - g) <= TOLERANCE and abs(rgb[2] - b) <= TOLERANCE:
                    near[scheme] += 1
    background = colours.most_common(1)[0][0]
    return width, height, near, background


def luminance(rgb):
    """Relative luminance (WCAG), 0 = black, 1 = white."""
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# ---------------------------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("outdir")
    ap.add_argument("--hour-bars", type=int, help="expected bars in the findings-per-hour chart")
    ap.add_argument("--rule-bars", type=int, help="expected bars in the top-rules chart")
    ap.add_argument("--window-size", default="390,2400", help="W,H in CSS px (default: phone width)")
    ap.add_argument("--min-pixels", type=int, help="override the minimum count of bar-coloured pixels")
    ap.add_argument("--chromium", help="browser binary (default: chromium from PATH)")
    args = ap.parse_args()

    report = pathlib.Path(args.report).resolve()
    if not report.is_file():
        print(f"render_check: no such file: {report}", file=sys.stderr)
        return 2
    chromium = args.chromium or find_chromium()
    if not chromium:
        print("render_check: chromium not found (Debian package `chromium`)", file=sys.stderr)
        return 2
    outdir = pathlib.Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    page_url = report.as_uri()
    expected_bars = (args.hour_bars if args.hour_bars is not None else 1) + \
                    (args.rule_bars if args.rule_bars is not None else 1)
    # An empty report (told to expect no bars) has no charts, so no bar pixels are required.
    default_min = max(200, MIN_PIXELS_PER_BAR * expected_bars) if expected_bars else 0
    min_pixels = args.min_pixels if args.min_pixels is not None else default_min

    failed = False
    with tempfile.TemporaryDirectory(prefix="render_check-") as workdir:
        for scheme in ("light", "dark"):
            png = outdir / f"{report.stem}-{scheme}.png"
            if png.exists():
                png.unlink()
            problems = []
            try:
                rc, dom, stderr, netlog = run_chromium(chromium, page_url, str(png), scheme, args.window_size, workdir)
            except subprocess.TimeoutExpired:
                print(f"{scheme}: FAIL chromium did not finish within {TIMEOUT}s")
                failed = True
                continue
            (outdir / f"{report.stem}-{scheme}.dom.html").write_text(dom, encoding="utf-8")
            (outdir / f"{report.stem}-{scheme}.log").write_text(stderr, encoding="utf-8")
            if rc != 0:
                problems.append(f"chromium exited with {rc}")
            problems += load_problems(stderr, netlog, page_url)
            hours, rules, dom_issues = dom_problems(dom, args.hour_bars, args.rule_bars)
            problems += dom_issues

            pixels = other = 0
            size, bg, lum = "?", None, None
            if not png.is_file():
                problems.append("no screenshot written")
            else:
                try:
                    width, height, near, bg = pixel_stats(png)
                    size = f"{width}x{height}"
                    pixels = near[scheme]
                    other = near["dark" if scheme == "light" else "light"]
                    lum = luminance(bg)
                    if pixels < min_pixels:
                        problems.append(f"only {pixels} bar-coloured pixels, need at least {min_pixels}")
                    if other > pixels // 10:
                        problems.append(f"{other} pixels of the other scheme's bar colour (dark mode not applied?)")
                    if scheme == "light" and lum < 0.7:
                        problems.append(f"background #{bytes(bg).hex()} is not light (luminance {lum:.2f})")
                    if scheme == "dark" and lum > 0.1:
                        problems.append(f"background #{bytes(bg).hex()} is not dark (luminance {lum:.2f})")
                except (ValueError, zlib.error, struct.error, TypeError) as err:
                    problems.append(f"cannot decode {png}: {err}")

            status = "FAIL" if problems else "ok"
            bg_text = f"#{bytes(bg).hex()} (L={lum:.2f})" if bg else "?"
            print(f"{scheme}: {status} bar pixels {pixels} (min {min_pixels}, other scheme {other}); "
                  f"bars hour {hours} rule {rules}; size {size}; background {bg_text}; png {png}")
            for problem in problems:
                print(f"  {scheme}: {problem}")
            failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
