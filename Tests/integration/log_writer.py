#!/usr/bin/env python3
"""An application writing numbered AADSTS error lines while its log is rotated, for the daemon's file tests.

Line n carries Correlation ID 00000000-0000-4000-8000-<n, 12 digits>, so a test counts findings per line.
Modes (the log is DIR/app.log unless said otherwise):
  numbered    logging.handlers.RotatingFileHandler (app.log -> app.log.1 -> app.log.2 ...)
  dateext     every EVERY lines app.log is renamed app.log-<date> (logrotate dateext) and created again
  late        every EVERY lines app.log is renamed app.log.<i> (logrotate create); the application goes on
              writing LATE lines to the renamed file for LATE_MS ms before it reopens app.log
  fastrename  every EVERY lines app.log is renamed app.log.<i>; the line says which inode it is written to
  roundrobin  FILES files f<j>.log, line n goes to file n % FILES
Prints 'written N' when done, and with --manifest appends every number written to that file.
"""
import argparse
import logging
import logging.handlers
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("mode")
parser.add_argument("dir")
parser.add_argument("--lines", type=int, default=1000)
parser.add_argument("--start", type=int, default=0)
parser.add_argument("--rate", type=float, default=1000, help="lines per second")
parser.add_argument("--every", type=int, default=100)
parser.add_argument("--late", type=int, default=5)
parser.add_argument("--late-ms", type=int, default=300)
parser.add_argument("--files", type=int, default=10)
parser.add_argument("--manifest", help="file that gets every line number written, one per line")
args = parser.parse_args()
written = []


def line(n, extra=""):
    written.append(n)
    return (f"2026-12-01T10:00:00Z app[42]: MSAL error: AADSTS50126: Error validating credentials due to invalid "
            f"username or password. Trace ID: 0f6c1f6e-3c2d-4b8e-9d55-0b3e5e2c7a00 Correlation ID: "
            f"00000000-0000-4000-8000-{n:012d} Timestamp: 2026-12-01 10:00:00Z{extra}")


path = os.path.join(args.dir, "app.log")
batch = 10
pause = batch / args.rate
end = args.start + args.lines


def paced(n):
    if (n - args.start) % batch == batch - 1:
        time.sleep(pause)


def append_fd(p):
    return os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


if args.mode == "numbered":
    size = args.every * (len(line(0)) + 1)
    written.clear()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=size, backupCount=1000)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("app")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    for n in range(args.start, end):
        log.error(line(n))
        paced(n)
    handler.close()
elif args.mode in ("dateext", "late", "fastrename"):
    fd = append_fd(path)
    rotation = 0
    for n in range(args.start, end):
        extra = f" ino={os.fstat(fd).st_ino}" if args.mode == "fastrename" else ""
        os.write(fd, (line(n, extra) + "\n").encode())
        paced(n)
        if (n - args.start) % args.every == args.every - 1 and n + 1 < end:
            rotation += 1
            suffix = f"-{20261200 + rotation:08d}" if args.mode == "dateext" else f".{args.start}-{rotation}"
            os.rename(path, path + suffix)
            if args.mode == "late":
                # Still writing to the renamed file until the postrotate signal makes the application reopen.
                for k in range(args.late):
                    time.sleep(args.late_ms / 1000 / args.late)
                    n_late = end + rotation * args.late + k
                    os.write(fd, (line(n_late) + "\n").encode())
            os.close(fd)
            fd = append_fd(path)
    os.close(fd)
elif args.mode == "roundrobin":
    fds = [append_fd(os.path.join(args.dir, f"f{j}.log")) for j in range(args.files)]
    for n in range(args.start, end):
        os.write(fds[n % args.files], (line(n) + "\n").encode())
        paced(n)
    for fd in fds:
        os.close(fd)
else:
    raise SystemExit(f"unknown mode {args.mode}")
if args.manifest:
    with open(args.manifest, "a") as m:
        m.write("".join(f"{n}\n" for n in written))
print(f"written {len(written)}", flush=True)
