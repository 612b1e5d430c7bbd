"""Shared pieces of the benchmark scripts: the binary under test, output, /proc readings."""
import os, subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def say(*a):
    print(*a, flush=True)


def binary():
    """$CONNWATCH_BIN, else a release build of this checkout."""
    if os.environ.get("CONNWATCH_BIN"):
        return os.environ["CONNWATCH_BIN"]
    subprocess.run(["swift", "build", "-c", "release", "--product", "connwatch"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "connwatch")


def proc_rss_mb(pid):
    """Resident memory of a process in MiB (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
