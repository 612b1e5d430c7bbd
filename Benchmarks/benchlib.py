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


def metric(path, name):
    """The value of a metric (its first series) in a Prometheus textfile, 0 while the file or metric is absent."""
    try:
        for line in open(path):
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    except OSError:
        pass
    return 0.0


def flood_config(d, metrics_interval):
    """The flood benches' daemon configuration in directory d (logs/ and state/ made there): files logs/*.log
    from the beginning, a findings file with `fsync: interval`, the throttle at window 5m / max_keys 10000, and the
    metrics textfile. Returns the configuration's path and the metrics file's."""
    os.makedirs(d + "/logs")
    os.makedirs(d + "/state")
    prom = d + "/connwatch.prom"
    with open(d + "/connwatch.yaml", "w") as f:
        f.write("""state_directory: %s/state
inputs:
  - type: file
    name: flood
    paths: [%s/logs/*.log]
    start: beginning
outputs:
  file: {path: %s/findings.json, fsync: interval}
throttle:
  window: 5m
  max_keys: 10000
metrics:
  textfile: %s
  interval: %s
""" % (d, d, d, prom, metrics_interval))
    return d + "/connwatch.yaml", prom


def wait_started(p, prom, stderr_path, timeout=60):
    """Until the daemon `p` wrote its first metrics textfile `prom` (start-up done); exits when it died or the
    timeout passed, with the end of its stderr."""
    import time
    deadline = time.monotonic() + timeout
    while not os.path.exists(prom):
        if p.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("connwatch did not start: " + open(stderr_path).read()[-500:])
        time.sleep(0.02)
