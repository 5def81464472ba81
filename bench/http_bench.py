#!/usr/bin/env python3
"""HTTP under load: mar beside workerd, Deno, Bun and Node, side by side in one run.

Workloads (wrk -t2, each after a 1 s warm-up that is discarded):
  hello HTTP, -c32 and -c256   GET / answering examples/hello's 15 bytes from a constant;
  JSON echo 10 KB, -c32        POST / with a 10 KB JSON document that the handler parses and
                               answers re-serialized (`Response.json(await request.json())`);
  URL routing, -c32            GET /greet?name=wrk: the handler parses `new URL(request.url)` and
                               answers from its pathname and searchParams, as most handlers begin.
For each runtime in each round: start its server (bench/peers/<runtime>/hello.*) on a free
loopback port, wait until it answers 200, note the idle RSS, check that the echo gives the document
back, then run each workload while sampling the RSS of the server's process tree; stop it (SIGTERM,
SIGKILL after 5 s) by PID. Runtimes are interleaved, the first one rotating each round. Prints
req/s, p50 and p99 latency, RSS idle and peak, and mar's req/s against each peer's (a ratio only
where the rounds' spreads allow one: bench/benchlib.py).

All servers run the same handler (a Workers module under mar and workerd, Deno.serve, Bun.serve,
node:http); the headers other than content-type are each runtime's own, so response sizes differ a
little (the "resp" column). mar runs with its default shard count (one per core); each peer runs its
default single server loop. wrk runs on the same machine: its threads compete with the server for
the CPU cores, for every runtime alike, so these are loopback figures for this machine.

Then, because this VM's speed can move by more than 10 % within a minute and three rounds taken
one runtime after another cannot tell apart runtimes that close: "hello HTTP, -c32, alternating".
Every server is up at once (each on its own port; an idle server costs the others nothing), and
--alternating rounds (8) each run wrk -d3s against every runtime in turn, the first rotating. The
rounds are paired in time, so mar is compared with each peer round by round: the median of the
per-round ratios, given only when one side is ahead in enough rounds for a sign test at 5 % (7 of
8; bench/benchlib.py compare_paired).

Peers come from scripts/setup-peers.sh (bench/.peers/bin) and the machine's node; a runtime that
is missing is skipped with the reason.

Usage: bench/http_bench.py [--duration S] [--rounds N] [--only mar,node] [--connections 32,256]
                           [--no-echo] [--no-url] [--alternating N] [--json FILE]
Environment: MAR_BINARY (default build/mar), HTTP_DURATION, HTTP_ROUNDS.
(Not named http.py: in bench/ that would shadow the standard library's http for run.py.)
"""
import argparse, json, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import startup  # noqa: E402

ROOT = startup.ROOT
MAR = startup.MAR
PEERS = os.path.join(ROOT, "bench/peers")
PEER_BIN = os.path.join(ROOT, "bench/.peers/bin")
BODY = b"hello from mar\n"  # what examples/hello answers on /, and every peer too
GREET_PATH = "/greet?name=wrk"  # the URL-routing workload: each handler parses its URL
GREETING = b"hello wrk from /greet\n"


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
        # Not a peer: mar with one shard, for what a small machine shared with its clients gets
        # (on 2 cores with wrk beside it, two shards and wrk's two threads contend for the cores).
        ("mar --shards 1", os.access(MAR, os.X_OK) and MAR,
         lambda b, p: [b, "run", os.path.join(PEERS, "mar"), "--listen", f"127.0.0.1:{p}", "--shards", "1"],
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


def get(port, path="/", timeout=5):
    """One keep-alive `GET path`, as wrk sends it; returns (the whole response, its body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
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


# --- the JSON echo body ------------------------------------------------------------------------

def echo_body(size=10 * 1024):
    """A deterministic JSON document of about `size` bytes: records as an API would send them."""
    items, n = [], 0
    while len(json.dumps({"items": items}, separators=(",", ":"))) < size - 120:
        items.append({"id": n, "name": f"item-{n:04d}", "price": round(n * 1.25, 2), "active": n % 3 != 0,
                      "tags": ["bench", f"t{n % 7}"], "owner": {"id": n * 31 % 997, "region": "eu-west"}})
        n += 1
    return json.dumps({"kind": "order-batch", "version": 3, "items": items},
                                    separators=(",", ":")).encode()


# --- wrk ---------------------------------------------------------------------------------------

UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


class Load:
    """One wrk workload: a name for the tables, a path, and a POST body or None for GET."""

    def __init__(self, scenario, connections, body=None, path="/"):
        self.scenario, self.connections, self.body, self.path = scenario, connections, body, path

    def script(self, tmp):
        """A wrk Lua script sending the body as POST, or None for plain GETs."""
        if self.body is None:
            return None
        path = os.path.join(tmp, f"post-{len(self.body)}.lua")
        with open(path, "w") as f:
            text = self.body.decode()
            assert "]==]" not in text
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    f"wrk.body = [==[{text}]==]\n")
        return path


def wrk(port, threads, connections, seconds, script=None, path="/"):
    """req/s, p50 and p99 latency in ms, errors (socket errors and non-2xx) of one wrk run."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    cmd += ["-s", script] if script else []
    out = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    pct = {q: re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M) for q in (50, 99)}
    if not rps or not all(pct.values()):
        raise RuntimeError(f"could not parse wrk output:\n{out}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    p50, p99 = (float(pct[q].group(1)) * UNITS_MS[pct[q].group(2)] for q in (50, 99))
    return float(rps.group(1)), p50, p99, errors


def wrk_command(args, load):
    return (f"wrk -t{args.threads} -c{load.connections} -d{args.duration}s --latency"
            + (f" -s post-{len(load.body)}.lua" if load.body else "") + f" http://127.0.0.1:PORT{load.path}")


# --- one measurement ---------------------------------------------------------------------------

def check_echo(name, port, body):
    """The echo must give back the document it was sent (any key order or spacing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():  # de-chunk
        out = b""
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        rest = out
    if not head.startswith(b"HTTP/1.1 200") or json.loads(rest) != json.loads(body):
        raise RuntimeError(f"{name}: the JSON echo did not answer the document back: {head[:80]!r}")


def measure(name, command, env, args, loads, tmp):
    """Starts one runtime and runs every load on it in turn: {scenario: figures}."""
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
        results = {}
        for load in loads:
            script = load.script(tmp)
            if load.body is not None:
                check_echo(name, port, load.body)
            if load.path != "/":
                _, answer = get(port, load.path)
                if answer != GREETING:
                    raise RuntimeError(f"{name}: GET {load.path} answered {answer[:60]!r}, expected {GREETING!r}")
            if args.warmup:
                wrk(port, args.threads, load.connections, args.warmup, script, load.path)
            sampler = Sampler(server)
            sampler.start()
            rps, p50, p99, errors = wrk(port, args.threads, load.connections, args.duration, script, load.path)
            sampler.done.set()
            sampler.join()
            if server.proc.poll() is not None:
                raise RuntimeError(f"exited with {server.proc.returncode} during {load.scenario}")
            results[load.scenario] = {"rps": rps, "p50": p50, "p99": p99, "errors": errors, "idle": idle,
                                      "peak": max(sampler.peak, server.rss_mb()), "resp": len(response)}
            log(f"{name} {load.scenario}: {rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                f"RSS peak {results[load.scenario]['peak']:.1f} MB, {errors} errors")
        return results
    finally:
        server.stop()
        if server.proc.returncode not in (0, -15, 143) and server.output:
            log(f"{name} output: {server.output.decode(errors='replace').strip()[-500:]}")


ALTERNATING = "hello HTTP, -c32, alternating"
ALTERNATING_SECONDS = 3


def alternating(available, args):
    """Every server up at once, then rounds of short wrk runs against each in turn:
    ({name: [{"rps", "p99", "errors"} per round]}, {name: why it dropped out})."""
    servers, failures = {}, {}
    results = {name: [] for name, _, _ in available}
    try:
        for name, command, env in available:
            port = startup.free_port()
            servers[name] = (Server(command(port), env), port)
        live = []
        for name, _, _ in available:
            server, port = servers[name]
            if not startup.first_ok(port, time.perf_counter() + 30) or server.proc.poll() is not None:
                failures[name] = "did not answer 200 within 30 s"
                continue
            wrk(port, args.threads, 32, max(args.warmup, 1))
            live.append(name)
        for r in range(args.alternating):
            log(f"alternating round {r + 1}/{args.alternating}")
            if not live:
                break
            for name in live[r % len(live):] + live[:r % len(live)]:
                server, port = servers[name]
                try:
                    rps, _, p99, errors = wrk(port, args.threads, 32, ALTERNATING_SECONDS)
                    if server.proc.poll() is not None:
                        raise RuntimeError(f"exited with {server.proc.returncode}")
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                    failures[name] = str(e).splitlines()[0]
                    continue
                results[name].append({"rps": rps, "p99": p99, "errors": errors})
            live = [name for name in live if name not in failures]
    finally:
        for server, _ in servers.values():
            server.stop()
    # Rounds pair up only while every system has one: a system that dropped out has none.
    for name in failures:
        results[name] = []
    return results, failures


def alternating_records(available, versions, commands, results, failures, args):
    out = []
    for name, _, _ in available:
        rs = results[name]
        command = f"{commands[name]}; wrk -t{args.threads} -c32 -d{ALTERNATING_SECONDS}s --latency, alternating"
        if not rs:
            out.append(benchlib.record(ALTERNATING, "req/s", "req/s", "higher", name, [], version=versions[name],
                                       command=command, error=failures.get(name, "no result")))
            continue
        errors = sum(x["errors"] for x in rs)
        for key, metric, unit, better in (("rps", "req/s", "req/s", "higher"), ("p99", "p99 latency", "ms", "lower")):
            out.append(benchlib.record(ALTERNATING, metric, unit, better, name, [x[key] for x in rs],
                                       version=versions[name], command=command, paired=True,
                                       note=f"{errors} errors" if errors else ""))
    return out


def print_alternating(available, results, failures, args):
    print(f"\n{ALTERNATING}: every server up at once; {args.alternating} rounds of wrk -t{args.threads} -c32 "
          f"-d{ALTERNATING_SECONDS}s against each in turn; medians [min-max], mar against each peer round by round")
    print("| runtime | req/s | p99 | errors | mar/peer req/s | mar/peer p99 |")
    print("|---|---|---|---|---|---|")
    mar = results.get("mar", [])
    for name, _, _ in available:
        rs = results[name]
        if not rs:
            print(f"| {name} | failed: {failures.get(name, '?')} | | | | |")
            continue
        ratios = ["—", "—"]
        if name != "mar" and mar:
            ratios = [benchlib.compare([x[k] for x in mar], [x[k] for x in rs], better, paired=True)[1]
                      for k, better in (("rps", "higher"), ("p99", "lower"))]
        print(f"| {name} | {spread([x['rps'] for x in rs], lambda v: f'{v:,.0f}')} "
              f"| {spread([x['p99'] for x in rs], lambda v: f'{v:.2f}', ' ms')} "
              f"| {sum(x['errors'] for x in rs)} | {ratios[0]} | {ratios[1]} |")


# --- report ------------------------------------------------------------------------------------

def spread(values, fmt, unit=""):
    m = statistics.median(values)
    text = fmt(m) if len(values) == 1 else f"{fmt(m)} [{fmt(min(values))}-{fmt(max(values))}]"
    return text + unit


METRICS = (  # key, metric, unit, better
    ("rps", "req/s", "req/s", "higher"),
    ("p50", "p50 latency", "ms", "lower"),
    ("p99", "p99 latency", "ms", "lower"),
    ("peak", "RSS peak under load", "MB", "lower"),
)


def records(loads, available, versions, commands, results, failures, args):
    out = []
    for load in loads:
        for name, _, _ in available:
            rs = [r[load.scenario] for r in results[name] if load.scenario in r]
            command = f"{commands[name]}; {wrk_command(args, load)}"
            if not rs:
                out.append(benchlib.record(load.scenario, "req/s", "req/s", "higher", name, [],
                                           version=versions[name], command=command,
                                           error=(failures.get(name) or ["no result"])[-1]))
                continue
            for key, metric, unit, better in METRICS:
                out.append(benchlib.record(load.scenario, metric, unit, better, name, [x[key] for x in rs],
                                           version=versions[name], command=command,
                                           note=f"{sum(x['errors'] for x in rs)} errors" if any(x["errors"] for x in rs) else ""))
    return out


def print_table(load, available, versions, results, failures, args):
    print(f"\n{load.scenario}: wrk -t{args.threads} -c{load.connections} -d{args.duration}s --latency after "
          f"{args.warmup} s warm-up, {args.rounds} round(s)" + (", medians [min-max]" if args.rounds > 1 else ""))
    print("| runtime | req/s | p50 | p99 | RSS idle | RSS peak | resp | errors | mar/peer req/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    mar = [r[load.scenario]["rps"] for r in results.get("mar", []) if load.scenario in r]
    for name, _, _ in available:
        rs = [r[load.scenario] for r in results[name] if load.scenario in r]
        if not rs:
            print(f"| {name} | failed: {(failures.get(name) or ['?'])[-1]} | | | | | | | |")
            continue
        rps = [x["rps"] for x in rs]
        ratio = "—" if name == "mar" else benchlib.compare(mar, rps, "higher")[1]
        print(f"| {name} | {spread(rps, lambda v: f'{v:,.0f}')} "
              f"| {spread([x['p50'] for x in rs], lambda v: f'{v:.2f}', ' ms')} "
              f"| {spread([x['p99'] for x in rs], lambda v: f'{v:.2f}', ' ms')} "
              f"| {spread([x['idle'] for x in rs], lambda v: f'{v:.1f}', ' MB')} "
              f"| {spread([x['peak'] for x in rs], lambda v: f'{v:.1f}', ' MB')} "
              f"| {rs[0]['resp']} B | {sum(x['errors'] for x in rs)} | {ratio} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=int(os.environ.get("HTTP_DURATION", "5")), help="seconds of measured load per workload (5)")
    ap.add_argument("--warmup", type=int, default=1, help="seconds of discarded load before each (1)")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("HTTP_ROUNDS", "3")), help="rounds, runtimes interleaved (3)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (2)")
    ap.add_argument("--connections", default="32,256", help="wrk -c of the hello workloads, comma-separated (32,256)")
    ap.add_argument("--no-echo", action="store_true", help="leave out the 10 KB JSON echo workload")
    ap.add_argument("--no-url", action="store_true", help="leave out the URL-routing workload")
    ap.add_argument("--alternating", type=int, default=int(os.environ.get("HTTP_ALTERNATING", "8")),
                    help="rounds of the alternating hello -c32 scenario, every server up at once (8; 0 leaves it out)")
    ap.add_argument("--only", default="", help="comma-separated runtimes, e.g. mar,node")
    ap.add_argument("--json", default="", help="also write the figures as benchlib records to this file")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # table lines in order with the progress on stderr

    if not shutil.which("wrk"):
        print("HTTP bench skipped: wrk not found (scripts/setup.sh installs it)")
        benchlib.write_json(args.json, [], skipped="wrk not found")
        return
    loads = [Load(f"hello HTTP, -c{c}", int(c)) for c in args.connections.split(",") if c.strip()]
    if not args.no_echo:
        loads.append(Load("JSON echo 10 KB, -c32", 32, echo_body()))
    if not args.no_url:
        loads.append(Load("URL routing, -c32", 32, path=GREET_PATH))
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    available, versions, commands = [], {}, {}
    for name, command, env, why, binary in runtimes():
        if only and name not in only:
            continue
        if command is None:
            print(f"skipping {name}: {why}")
            continue
        available.append((name, command, env))
        versions[name] = version(binary)
        commands[name] = " ".join(command("PORT")).replace(ROOT + "/", "")
    if not available:
        print("HTTP bench: no runtime to run")
        benchlib.write_json(args.json, [], skipped="no runtime")
        return

    results = {name: [] for name, _, _ in available}
    failures = {}  # name -> [reason per failed round]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = available[r % len(available):] + available[:r % len(available)]  # rotate the start
            for name, command, env in order:
                log(f"round {r + 1}/{args.rounds}: {name}")
                try:
                    results[name].append(measure(name, command, env, args, loads, tmp))
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                    failures.setdefault(name, []).append(str(e).splitlines()[0])
                    log(f"round {r + 1}/{args.rounds} {name}: failed: {failures[name][-1]}")
    alt_results, alt_failures = alternating(available, args) if args.alternating > 0 else ({}, {})

    print(f"\nHTTP benches; nproc={os.cpu_count()}, wrk on the same cores as the server; 1-min load average "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("; ".join(f"{n} {v}" + (" (default shards: one per core)" if n == "mar" else "") for n, v in versions.items()
                    if n != "mar --shards 1"))
    for load in loads:
        print_table(load, available, versions, results, failures, args)
    if args.alternating > 0:
        print_alternating(available, alt_results, alt_failures, args)
    for name, reasons in failures.items():
        print(f"{name}: {len(reasons)} of {args.rounds} round(s) failed: {reasons[-1]}")
    out = records(loads, available, versions, commands, results, failures, args)
    if args.alternating > 0:
        out += alternating_records(available, versions, commands, alt_results, alt_failures, args)
    benchlib.write_json(args.json, out)


if __name__ == "__main__":
    main()
