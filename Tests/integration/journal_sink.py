#!/usr/bin/env python3
"""Stands in for journald's native socket so connwatch's journal output can be tested where no journald runs.

Binds /run/systemd/journal/socket (the path sd_journal_sendv() uses), receives native-protocol datagrams
(including entries passed as a memfd), adds the trusted fields journald would add (_PID, _UID from the
sender's credentials, timestamps, boot id) and streams them in journal export format to the real
systemd-journal-remote, which writes a real journal file. journalctl and libsystemd then read that file.

usage: journal_sink.py OUTPUT.journal   (runs until SIGTERM; prints "ready" once listening)
"""
import array, os, signal, socket, struct, subprocess, sys, time

SOCKET = "/run/systemd/journal/socket"
BOOT = "0123456789abcdef0123456789abcdef"


def parse_native(data: bytes):
    """KEY=value\\n, or KEY\\n + little-endian 64-bit length + value + \\n (values with newlines)."""
    fields, i = [], 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields.append((k, v))
            i = nl + 1
        else:
            (size,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            fields.append((line, data[nl + 9:nl + 9 + size]))
            i = nl + 9 + size + 1
    return fields


def export(fields):
    out = bytearray()
    for k, v in fields:
        if b"\n" in v:
            out += k + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        else:
            out += k + b"=" + v + b"\n"
    return bytes(out) + b"\n"


def main():
    # A parent (the Swift test runner) may start us with signals blocked: SIGTERM must reach us.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    output = sys.argv[1]
    os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
    if os.path.exists(SOCKET):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            probe.connect(SOCKET)
            print("busy: a journald owns " + SOCKET, flush=True)
            sys.exit(3)
        except OSError:
            os.unlink(SOCKET)  # stale
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(SOCKET)
    remote = subprocess.Popen(["/lib/systemd/systemd-journal-remote", "--output=" + output, "-"],
                              stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    sock.settimeout(0.1)
    seq = 0
    print("ready", flush=True)
    while not stop:
        try:
            data, anc, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(64))
        except socket.timeout:
            continue
        pid = uid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, _ = struct.unpack("iII", payload[:12])
            elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i", payload[:4])
                with os.fdopen(fds[0], "rb") as memfd:
                    memfd.seek(0)
                    data = memfd.read()
        seq += 1
        now = int(time.time() * 1e6)
        fields = [(b"__REALTIME_TIMESTAMP", str(now).encode()), (b"__MONOTONIC_TIMESTAMP", str(seq * 1000).encode()),
                  (b"_BOOT_ID", BOOT.encode()), (b"_HOSTNAME", b"sink")]
        if pid is not None:
            fields += [(b"_PID", str(pid).encode()), (b"_UID", str(uid).encode())]
        fields += parse_native(data)
        remote.stdin.write(export(fields))
        remote.stdin.flush()
    remote.stdin.close()
    remote.wait()
    sock.close()
    os.unlink(SOCKET)


if __name__ == "__main__":
    main()
