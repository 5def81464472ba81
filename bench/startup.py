#!/usr/bin/env python3
"""Start-up and idle memory of `mar run examples/hello`: process launch to first 200 OK (median of
N runs), and the RSS of the idle node after one request. Usage: bench/startup.py [runs]"""
import os, socket, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAR = os.environ.get("MAR_BINARY", os.path.join(ROOT, "build/mar"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_ok(port, deadline):
    request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            time.sleep(0.0005)
    return False


def run_once(args):
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([MAR, "run", *args, "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = first_ok(port, start + 10)
    elapsed = time.perf_counter() - start
    time.sleep(0.3)
    with open(f"/proc/{proc.pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    proc.terminate()
    proc.wait(10)
    if not ok:
        raise SystemExit("no 200 OK within 10 s")
    return elapsed * 1000, rss_kb / 1024


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for label, args in (("1 shard", [os.path.join(ROOT, "examples/hello"), "--shards", "1"]),
                        ("default shards", [os.path.join(ROOT, "examples/hello")])):
        results = [run_once(args) for _ in range(runs)]
        ms = [r[0] for r in results]
        rss = [r[1] for r in results]
        print(f"mar hello, {label}: start to first 200 OK median {statistics.median(ms):.1f} ms "
              f"(min {min(ms):.1f}, max {max(ms):.1f}); idle RSS median {statistics.median(rss):.1f} MB")


if __name__ == "__main__":
    main()
