#!/usr/bin/env python3
"""HTTP hello world under load: mar beside workerd, Deno, Bun and Node, side by side in one run.

For each runtime: start its hello server on a free loopback port, wait until it answers 200, note
the idle RSS, warm up (wrk, 2 s, discarded), then `wrk -t2 -c32 -d10s --latency` while sampling
the RSS of the server's process tree; stop it (SIGTERM, SIGKILL after 5 s) by PID. Prints req/s,
p99 latency, RSS idle and peak, and mar's req/s as a multiple of each peer's.

All servers answer the same body with the same content type as examples/hello, from a constant
(bench/peers/<peer>/hello.*); the other headers are each runtime's own, so response sizes differ
a little (the "resp" column). mar runs bench/peers/mar with its default shard count (one per
core); each peer runs its default single server loop. wrk runs on the same machine: its threads
compete with the server for the CPU cores, for every runtime alike.

Peers come from scripts/setup-peers.sh (bench/.peers/bin) and the machine's node; a runtime that
is missing is skipped with the reason.

Usage: bench/http_bench.py [--duration S] [--rounds N] [--only mar,node] [--threads T] [--connections C]
Environment: MAR_BINARY (default build/mar), HTTP_DURATION, HTTP_ROUNDS.
(Not named http.py: in bench/ that would shadow the standard library's http for run.py.)
"""
import argparse, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import startup  # noqa: E402

ROOT = startup.ROOT
MAR = startup.MAR
PEERS = os.path.join(ROOT, "bench/peers")
PEER_BIN = os.path.join(ROOT, "bench/.peers/bin")
BODY = b"hello from mar\n"  # what examples/hello answers on /, and every peer on every path


def log(msg):
    print(f"[http] {msg}", file=sys.stderr, flush=True)


def peer_bin(name):
    path = os.path.join(PEER_BIN, name)
    return path if os.access(path, os.X_OK) else None


def runtimes():
    """(name, command(port) or None when missing, extra env, why missing, binary)."""
    deno_env = {"DENO_DIR": os.path.join(ROOT, "bench/.peers/deno-dir"), "DENO_NO_UPDATE_CHECK": "1"}
    node = shutil.which("node")
    missing_peer = "not installed (run scripts/setup-peers.sh)"
    table = [
        ("mar", os.access(MAR, os.X_OK) and MAR,
         lambda b, p: [b, "run", os.path.join(PEERS, "mar"), "--listen", f"127.0.0.1:{p}"],
         {}, f"{MAR} not built (make build)"),
        ("workerd", peer_bin("workerd"),
         lambda b, p: [b, "serve", os.path.join(PEERS, "workerd/hello.capnp"), "--socket-addr", f"http=127.0.0.1:{p}"],
         {}, missing_peer),
        ("deno", peer_bin("deno"),
         lambda b, p: [b, "run", "--allow-net", os.path.join(PEERS, "deno/hello.js"), str(p)],
         deno_env, missing_peer),
        ("bun", peer_bin("bun"), lambda b, p: [b, os.path.join(PEERS, "bun/hello.js"), str(p)], {}, missing_peer),
        ("node", node, lambda b, p: [b, os.path.join(PEERS, "node/hello.mjs"), str(p)], {}, "node not on PATH"),
    ]
    return [(name, (lambda p, b=binary, f=fn: f(b, p)) if binary else None, env, why, binary)
            for name, binary, fn, env, why in table]


def version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
        line = out.splitlines()[0].strip() if out else "?"
        return line.split(" (")[0].removeprefix(os.path.basename(binary) + " ")
    except (OSError, subprocess.TimeoutExpired):
        return "?"


# --- processes ---------------------------------------------------------------------------------

def start_time(pid):
    """The process's start time in clock ticks (field 22 of /proc/PID/stat): tells a PID reused."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except OSError:
        pass
    return kids


def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    return pids


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """One runtime's server process; remembers every descendant it saw, to end them by PID."""

    def __init__(self, cmd, env):
        self.log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server never blocks on it
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     env={**os.environ, **env})
        self.seen = {}  # pid -> start time, descendants of proc
        self.output = b""

    def pids(self):
        pids = tree(self.proc.pid)
        for p in pids[1:]:
            self.seen.setdefault(p, start_time(p))
        return pids

    def rss_mb(self):
        return sum(status_kb(p, "VmRSS") for p in self.pids()) / 1024

    def hwm_mb(self):
        return sum(status_kb(p, "VmHWM") for p in self.pids()) / 1024

    def stop(self):
        self.pids()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pid, started in self.seen.items():  # descendants left behind, if still the same process
            if started is not None and start_time(pid) == started:
                for sig, wait in ((15, 5), (9, 0)):
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        break
                    deadline = time.monotonic() + wait
                    while start_time(pid) == started and time.monotonic() < deadline:
                        time.sleep(0.05)
                    if start_time(pid) != started:
                        break
        self.log.seek(0)
        self.output = self.log.read()[-2000:]
        self.log.close()


class Sampler(threading.Thread):
    def __init__(self, server, every=0.2):
        super().__init__(daemon=True)
        self.server, self.every, self.peak = server, every, 0.0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            self.done.wait(self.every)


def get(port, timeout=5):
    """One keep-alive `GET /`, as wrk sends it; returns (the whole response, its body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data and (chunk := s.recv(65536)):
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"^content-length:\s*(\d+)", head, re.I | re.M)
        try:
            while (length is None or len(body) < int(length.group(1))) and (chunk := s.recv(65536)):
                body += chunk
        except socket.timeout:  # no content-length: whatever came within the timeout
            pass
    return head + b"\r\n\r\n" + body, body


# --- wrk ---------------------------------------------------------------------------------------

UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(port, threads, connections, seconds):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    if not rps or not p99:
        raise RuntimeError(f"could not parse wrk output:\n{out}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    return float(rps.group(1)), float(p99.group(1)) * UNITS_MS[p99.group(2)], errors


# --- one measurement ---------------------------------------------------------------------------

def measure(name, command, env, args):
    port = startup.free_port()
    server = Server(command(port), env)
    try:
        if not startup.first_ok(port, time.perf_counter() + 30) or server.proc.poll() is not None:
            raise RuntimeError("did not answer 200 within 30 s")
        response, body = get(port)
        if body != BODY:
            log(f"warning: {name} answered body {body[:60]!r}, expected {BODY!r}")
        time.sleep(0.5)
        idle = server.rss_mb()
        wrk(port, args.threads, args.connections, args.warmup)
        sampler = Sampler(server)
        sampler.start()
        rps, p99, errors = wrk(port, args.threads, args.connections, args.duration)
        sampler.done.set()
        sampler.join()
        peak = max(sampler.peak, server.hwm_mb())
        if server.proc.poll() is not None:
            raise RuntimeError(f"exited with {server.proc.returncode} during the load")
        return {"rps": rps, "p99": p99, "errors": errors, "idle": idle, "peak": peak, "resp": len(response)}
    finally:
        server.stop()
        if server.proc.returncode not in (0, -15, 143) and server.output:
            log(f"{name} output: {server.output.decode(errors='replace').strip()[-500:]}")


# --- report ------------------------------------------------------------------------------------

def spread(values, fmt, unit=""):
    m = statistics.median(values)
    text = fmt(m) if len(values) == 1 else f"{fmt(m)} [{fmt(min(values))}-{fmt(max(values))}]"
    return text + unit


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=int(os.environ.get("HTTP_DURATION", "10")), help="seconds of measured load (10)")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of discarded load first (2)")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("HTTP_ROUNDS", "1")), help="rounds, runtimes interleaved (1)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (2)")
    ap.add_argument("--connections", type=int, default=32, help="wrk -c (32)")
    ap.add_argument("--only", default="", help="comma-separated runtimes, e.g. mar,node")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # table lines in order with the progress on stderr

    if not shutil.which("wrk"):
        print("HTTP bench skipped: wrk not found (scripts/setup.sh installs it)")
        return
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    available, versions = [], {}
    for name, command, env, why, binary in runtimes():
        if only and name not in only:
            continue
        if command is None:
            print(f"skipping {name}: {why}")
            continue
        available.append((name, command, env))
        versions[name] = version(binary)
    if not available:
        print("HTTP bench: no runtime to run")
        return

    results = {name: [] for name, _, _ in available}
    failures = {}  # name -> [reason per failed round]
    load_before = os.getloadavg()[0]
    for r in range(args.rounds):
        order = available[r % len(available):] + available[:r % len(available)]  # rotate the start
        for name, command, env in order:
            try:
                res = measure(name, command, env, args)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                failures.setdefault(name, []).append(str(e).splitlines()[0])
                log(f"round {r + 1}/{args.rounds} {name}: failed: {failures[name][-1]}")
                continue
            results[name].append(res)
            log(f"round {r + 1}/{args.rounds} {name}: {res['rps']:,.0f} req/s, p99 {res['p99']:.2f} ms, "
                f"RSS {res['idle']:.1f} -> {res['peak']:.1f} MB, {res['errors']} errors")

    print(f"\nHTTP hello world, wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency after "
          f"{args.warmup} s warm-up, {args.rounds} round(s)" + (", medians [min-max]" if args.rounds > 1 else "")
          + f"; nproc={os.cpu_count()}, wrk on the same cores; 1-min load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")
    print("; ".join(f"{n} {v}" + (" (default shards: one per core)" if n == "mar" else "") for n, v in versions.items()))
    print("| runtime | req/s | p99 latency | RSS idle | RSS peak | resp | errors | mar/peer req/s |")
    print("|---|---|---|---|---|---|---|---|")
    mar = [x["rps"] for x in results.get("mar", [])]
    for name, _, _ in available:
        rs = results[name]
        if not rs:
            print(f"| {name} | failed: {failures[name][-1]} | | | | | | |")
            continue
        rps = [x["rps"] for x in rs]
        if name == "mar" or not mar:
            ratio = "—"
        else:
            ratio = f"{statistics.median(mar) / statistics.median(rps):.2f}x"
            if len(rps) > 1 and not (max(mar) < min(rps) or max(rps) < min(mar)):
                ratio += " (spreads overlap)"
        print(f"| {name} | {spread(rps, lambda v: f'{v:,.0f}')} "
              f"| {spread([x['p99'] for x in rs], lambda v: f'{v:.2f}', ' ms')} "
              f"| {spread([x['idle'] for x in rs], lambda v: f'{v:.1f}', ' MB')} "
              f"| {spread([x['peak'] for x in rs], lambda v: f'{v:.1f}', ' MB')} "
              f"| {rs[0]['resp']} B | {sum(x['errors'] for x in rs)} | {ratio} |")
    for name, reasons in failures.items():
        print(f"{name}: {len(reasons)} of {args.rounds} round(s) failed: {reasons[-1]}")


if __name__ == "__main__":
    main()
