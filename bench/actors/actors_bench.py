#!/usr/bin/env python3
"""Actor benchmarks of issue 4: mar beside Erlang/OTP (and workerd for HTTP -> actor), side by side
in one run. Prints one table per benchmark: each runtime's figure, the target, and mar against the
peer as a ratio oriented so that > 1 means mar is better.

1. ping-pong: `call` round trips between two actors on one shard, sequential; median over rounds
   of the mean ns per round trip. mar: GET /pingpong?n=N on `mar run bench/actors/mar --shards 1`
   (spawn() places the callee on the caller's shard). Erlang: a gen-style request/reply with plain
   messages (`Pid ! {call, self(), Ref, I}`, selective receive on Ref).
2. ring: 1,000 actors pass a token round with `send`, 1,000,000 hops; median over rounds of ns/hop.
   mar: GET /ring (--shards 1); Erlang: processes and `!`.
3. spawn: 1,000,000 idle actors of a small class (a warm-up of 1,000 first, kept alive); seconds
   for the spawns, and the VmRSS growth of the OS process (summed over its process tree for mar,
   /proc/self/status for Erlang's single beam process) per actor, read once the spawns completed.
   mar: GET /spawn (--shards 1, in batches of 10,000 awaited with Promise.all); Erlang: `spawn`
   of a process waiting in `receive`, not kept in a list.
4. HTTP -> actor: wrk -t2 -c32 (as bench/http_bench.py) on a route whose handler makes one actor
   `call`, divided by the plain hello req/s of the same server in the same run. mar: /call vs
   /hello with its default shards; workerd: a Durable Object round trip by JS RPC (/call) and by
   stub.fetch (/callfetch) vs its /hello.

Each measurement gets a fresh process: one mar node per benchmark, one Erlang VM per workload
(`erl -noshell +P 2000000`, otherwise default flags; ERL_FLAGS in the environment is honoured by
erl). Each mar route times itself inside JS with performance.now(), each Erlang workload with
erlang:monotonic_time. A runtime that is missing is skipped with the reason; one that fails a
benchmark shows `error: <reason>` in that table and the run goes on.

Usage: bench/actors/actors_bench.py [--only mar,erlang,workerd] [--quick] [--rounds N] [--duration S]
Environment: MAR_BINARY (default build/mar).
"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import startup  # noqa: E402
import http_bench  # noqa: E402

ROOT = startup.ROOT
MAR = startup.MAR
MAR_BUNDLE = os.path.join(HERE, "mar")
ERLANG_SRC = os.path.join(HERE, "erlang/actors_bench.erl")
WORKERD_CONFIG = os.path.join(HERE, "workerd/actors.capnp")
BETTER = "mar vs peer (>1: mar better)"


def log(msg):
    print(f"[actors] {msg}", file=sys.stderr, flush=True)


def first_line(e):
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:300]


# --- servers (mar, workerd) ---------------------------------------------------------------------

class Running:
    """A server from http_bench.Server, ready once GET /hello answers 200; stopped (by PID) once."""

    def __init__(self, name, command, env=None, ready_s=30):
        self.name = name
        self.port = startup.free_port()
        self.server = http_bench.Server(command(self.port), env or {})
        self.stopped = False
        deadline = time.monotonic() + ready_s
        while True:
            if self.server.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.server.proc.returncode} before answering: {self.tail()}")
            try:
                if self.get("/hello", timeout=1)[0] == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not answer GET /hello with 200 within {ready_s} s")
            time.sleep(0.02)

    def get(self, path, timeout=300):
        """(status, body bytes) of GET path; HTTP errors are answers, not exceptions."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def get_json(self, path, timeout=300):
        try:
            status, body = self.get(path, timeout)
        except (OSError, urllib.error.URLError) as e:
            if self.server.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.server.proc.returncode}: {self.tail()}")
            raise RuntimeError(f"GET {path}: {first_line(e)}")
        try:
            value = json.loads(body)
        except ValueError:
            raise RuntimeError(f"GET {path}: {status}, not JSON: {body[:200]!r}")
        if status != 200 or not isinstance(value, dict) or "error" in value:
            raise RuntimeError(f"GET {path}: {status} {value.get('error', value) if isinstance(value, dict) else value}")
        return value

    def rss_kb(self):
        return sum(http_bench.status_kb(p, "VmRSS") for p in self.server.pids())

    def tail(self):
        self.stop()
        lines = [l for l in self.server.output.decode(errors="replace").splitlines() if l.strip()]
        return (lines[-1] if lines else "no output")[:300]

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def mar_command(shards=None):
    def command(port):
        cmd = [MAR, "run", MAR_BUNDLE, "--listen", f"127.0.0.1:{port}"]
        return cmd + (["--shards", str(shards)] if shards else [])
    return command


def workerd_command(binary):
    return lambda port: [binary, "serve", WORKERD_CONFIG, "--socket-addr", f"http=127.0.0.1:{port}"]


# --- wrk on a path -------------------------------------------------------------------------------

def wrk(port, path, threads, connections, seconds):
    """req/s and error count (socket errors and non-2xx) of wrk on one path."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not rps:
        raise RuntimeError(f"could not parse wrk output: {out[-300:]!r}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rps.group(1)), errors + (int(non2xx.group(1)) if non2xx else 0)


def http_rates(running, paths, args):
    """{path: req/s} for each path in turn on one server: check one answer, warm up, measure."""
    rates = {}
    for path, expect in paths:
        try:
            status, body = running.get(path, timeout=30)
        except (OSError, urllib.error.URLError) as e:
            status, body = None, first_line(e).encode()
        if status != 200 or body != expect:
            if running.server.proc.poll() is not None:
                raise RuntimeError(f"GET {path}: {running.name} exited with {running.server.proc.returncode}: {running.tail()}")
            rates[path] = (f"error: GET {path}: {status} {body[:200].decode(errors='replace')}, "
                           f"expected 200 {expect.decode()}")
            log(f"{running.name} {rates[path]}")
            continue
        wrk(running.port, path, args.threads, args.connections, args.warmup)
        rps, errors = wrk(running.port, path, args.threads, args.connections, args.duration)
        if running.server.proc.poll() is not None:
            raise RuntimeError(f"exited with {running.server.proc.returncode} during the load of {path}")
        if errors:
            log(f"{running.name} {path}: {errors} errors under load")
        rates[path] = rps
        log(f"{running.name} {path}: {rps:,.0f} req/s")
    return rates


# --- mar ---------------------------------------------------------------------------------------

def mar_pingpong(args):
    with Running("mar", mar_command(shards=1)) as m:
        return [m.get_json(f"/pingpong?n={args.pingpong_n}")["ns_per_op"] for _ in range(args.rounds)]


def mar_ring(args):
    with Running("mar", mar_command(shards=1)) as m:
        return [m.get_json(f"/ring?actors={args.ring_actors}&hops={args.ring_hops}")["ns_per_hop"]
                for _ in range(args.ring_rounds)]


def mar_spawn(args):
    with Running("mar", mar_command(shards=1)) as m:
        m.get_json("/spawn?n=1000", timeout=60)  # warm-up; these stay alive
        time.sleep(0.3)
        before = m.rss_kb()
        res = m.get_json(f"/spawn?n={args.spawn_n}", timeout=900)
        after = m.rss_kb()
        return {"seconds": res["seconds"], "bytes_per_actor": (after - before) * 1024 / args.spawn_n,
                "rss_before_kb": before, "rss_after_kb": after}


def mar_http(args):
    with Running("mar", mar_command()) as m:
        return http_rates(m, [("/hello", b"hello"), ("/call", b"x")], args)


# --- Erlang ------------------------------------------------------------------------------------

class Erlang:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mar-actors-erl-")
        out = subprocess.run(["erlc", "-o", self.dir, ERLANG_SRC], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"erlc failed: {(out.stderr or out.stdout).strip()[:300]}")
        self.version = "?"

    def run(self, *argv, timeout=600):
        cmd = ["erl", "-noshell", "+P", "2000000", "-pa", self.dir, "-run", "actors_bench", "main", *map(str, argv)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
        if not lines:
            raise RuntimeError(f"erl exited with {out.returncode}, no result: {(out.stderr or out.stdout).strip()[-300:]}")
        for line in lines:
            if "error" in line:
                raise RuntimeError(f"erl: {line['error'][:300]}")
        self.version = f"Erlang/OTP {lines[0]['otp']} (erts {lines[0]['erts']}, {lines[0]['schedulers']} schedulers)"
        return lines

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def erlang_pingpong(erl, args):
    return [l["ns_per_op"] for l in erl.run("pingpong", args.pingpong_n, args.rounds)]


def erlang_ring(erl, args):
    return [l["ns_per_hop"] for l in erl.run("ring", args.ring_actors, args.ring_hops, args.ring_rounds)]


def erlang_spawn(erl, args):
    return erl.run("spawn", args.spawn_n, timeout=900)[0]


# --- workerd -----------------------------------------------------------------------------------

def workerd_http(binary, args):
    with Running("workerd", workerd_command(binary)) as w:
        return http_rates(w, [("/hello", b"hello"), ("/call", b"x"), ("/callfetch", b"x")], args)


# --- report ------------------------------------------------------------------------------------

def ns(v):
    return f"{v:,.0f}"


def table(title, header, rows):
    print(f"\n{title}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def attempt(results, key, fn, *a):
    """results[key] = fn(*a), or the reason it failed as a string; never raises."""
    try:
        results[key] = fn(*a)
    except Exception as e:  # noqa: BLE001 -- a failed runtime is a row, not a crash
        results[key] = f"error: {first_line(e)}"
        log(f"{key[0]} {key[1]}: {results[key]}")
        return
    log(f"{key[0]} {key[1]}: {results[key]}")


def failed(v):
    return isinstance(v, str)


def ratio(mar_value, peer_value, mar_better_when_lower):
    if failed(mar_value) or failed(peer_value) or not mar_value or not peer_value:
        return "—"
    r = peer_value / mar_value if mar_better_when_lower else mar_value / peer_value
    return f"{r:.2f}x"


def meets(value, target, lower_is_better=True):
    if failed(value):
        return ""
    return " (meets)" if (value <= target if lower_is_better else value >= target) else " (misses)"


def report(results, runtimes, versions, args, shards_note):
    def timing_table(title, bench, unit, target, target_text, note):
        rows = []
        mar = results.get(("mar", bench))
        mar_m = mar if mar is None or failed(mar) else statistics.median(mar)
        for name in runtimes:
            v = results.get((name, bench))
            if v is None:
                continue
            m = v if failed(v) else statistics.median(v)
            fig = v if failed(v) else http_bench.spread(v, ns, f" {unit}")
            rows.append([versions.get(name, name), fig + (meets(m, target) if name == "mar" else ""),
                         target_text + (f" ({note})" if name != "mar" and note else ""),
                         "—" if name == "mar" else ratio(mar_m, m, True)])
        if rows:
            table(title, ["runtime", f"{unit} (median [min-max])", "target", BETTER], rows)

    timing_table(f"1. Ping-pong `call` round trip between two actors on one shard, {args.pingpong_n:,} sequential "
                 f"calls per round, {args.rounds} rounds ({shards_note})",
                 "pingpong", "ns/round trip", 1000, "≤ 1,000 ns", "Erlang 0.7–1.0 µs seen")
    timing_table(f"2. Ring of {args.ring_actors:,} actors, token passed {args.ring_hops:,} hops with `send`, "
                 f"{args.ring_rounds} rounds ({shards_note})",
                 "ring", "ns/hop", 350, "≤ 350 ns/hop", "")

    rows = []
    mar = results.get(("mar", "spawn"))
    for name in runtimes:
        v = results.get((name, "spawn"))
        if v is None:
            continue
        if failed(v):
            rows.append([versions.get(name, name), v, "", "≤ 3 s, ≤ 1,536 B", "—"])
            continue
        secs = v["seconds"] * (1_000_000 / args.spawn_n)  # per million, for the target
        cell_s = f"{v['seconds']:.2f} s" + (f" ({secs:.2f} s per 1M)" if args.spawn_n != 1_000_000 else "")
        cell_b = (f"{v['bytes_per_actor']:,.0f} B (VmRSS {v['rss_before_kb'] / 1024:,.0f} → "
                  f"{v['rss_after_kb'] / 1024:,.0f} MB)")
        if name == "mar":
            cell_s += meets(secs, 3.0)
            cell_b += meets(v["bytes_per_actor"], 1536)
            r = "—"
        elif failed(mar) or mar is None:
            r = "—"
        else:
            r = (f"time {ratio(mar['seconds'], v['seconds'], True)}, "
                 f"memory {ratio(mar['bytes_per_actor'], v['bytes_per_actor'], True)}")
        rows.append([versions.get(name, name), cell_s, cell_b, "≤ 3 s per 1M, ≤ 1.5 KB (1,536 B) each", r])
    if rows:
        table(f"3. Spawn {args.spawn_n:,} idle actors (after 1,000 warm-up spawns; {shards_note}): "
              "total seconds, VmRSS growth of the OS process per actor",
              ["runtime", "seconds", "bytes RSS per actor", "target", BETTER], rows)

    rows = []
    mar = results.get(("mar", "http"))
    mar_frac = (None if mar is None or failed(mar) or failed(mar["/call"]) or failed(mar["/hello"])
                else mar["/call"] / mar["/hello"])
    for name in runtimes:
        v = results.get((name, "http"))
        if v is None:
            continue
        label = versions.get(name, name)
        if failed(v):
            rows.append([label, v, "", "", "≥ 0.8x", "—"])
            continue
        variants = [("/call", "actor `call`")] if name == "mar" else [("/call", "Durable Object, JS RPC"),
                                                                     ("/callfetch", "Durable Object, stub.fetch")]
        for path, what in variants:
            if failed(v[path]) or failed(v["/hello"]):
                error = v["/hello"] if failed(v["/hello"]) else v[path]
                hello = "" if failed(v["/hello"]) else f"{v['/hello']:,.0f}"
                rows.append([f"{label} ({what})", hello, error, "", "≥ 0.8x", "—"])
                continue
            frac = v[path] / v["/hello"]
            rows.append([f"{label} ({what})", f"{v['/hello']:,.0f}", f"{v[path]:,.0f}",
                         f"{frac:.2f}x" + (meets(frac, 0.8, lower_is_better=False) if name == "mar" else ""),
                         "≥ 0.8x", "—" if name == "mar" else ratio(mar_frac, frac, False)])
    if rows:
        table(f"4. HTTP request → actor call → response, wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
              f"after {args.warmup} s warm-up, per path; figure = call req/s ÷ hello req/s of the same server "
              "(mar: default shards)",
              ["runtime", "hello req/s", "call req/s", "call ÷ hello", "target", BETTER], rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated runtimes: mar,erlang,workerd")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 3 s of wrk: a smoke run, not the figures")
    ap.add_argument("--rounds", type=int, help="rounds of ping-pong (5; quick 3) and ring (3)")
    ap.add_argument("--duration", type=int, help="seconds of measured wrk load per path (10; quick 3)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (2)")
    ap.add_argument("--connections", type=int, default=32, help="wrk -c (32)")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    q = args.quick
    args.ring_rounds = args.rounds or 3
    args.rounds = args.rounds or (3 if q else 5)
    args.duration = args.duration or (3 if q else 10)
    args.warmup = 1 if q else 2
    args.pingpong_n = 100_000 if q else 500_000
    args.ring_actors = 1000
    args.ring_hops = 100_000 if q else 1_000_000
    args.spawn_n = 100_000 if q else 1_000_000

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - {"mar", "erlang", "workerd"}
    if unknown:
        ap.error(f"unknown runtime(s) {', '.join(sorted(unknown))}: expected mar, erlang, workerd")
    want = lambda name: not only or name in only  # noqa: E731

    results, versions, runtimes = {}, {}, []
    load_before = os.getloadavg()[0]
    if want("mar"):
        if os.access(MAR, os.X_OK):
            runtimes.append("mar")
            versions["mar"] = f"mar {http_bench.version(MAR)}"
        else:
            print(f"skipping mar: {MAR} not built (make build)")
    erl = None
    if want("erlang"):
        if not (shutil.which("erl") and shutil.which("erlc")):
            print("skipping erlang: erl/erlc not found (scripts/setup-peers.sh installs erlang-base)")
        else:
            try:
                erl = Erlang()
                runtimes.append("erlang")
                versions["erlang"] = "Erlang/OTP"
            except Exception as e:  # noqa: BLE001
                print(f"skipping erlang: {first_line(e)}")
    workerd = None
    if want("workerd"):
        workerd = http_bench.peer_bin("workerd")
        if workerd:
            runtimes.append("workerd")
            versions["workerd"] = f"workerd {http_bench.version(workerd)}"
        else:
            print("skipping workerd: not installed (run scripts/setup-peers.sh)")
    http_ok = shutil.which("wrk") is not None
    if not http_ok:
        print("HTTP → actor bench skipped: wrk not found (scripts/setup.sh installs it)")
    if not runtimes:
        print("actors bench: no runtime to run")
        return

    try:
        for bench in ("pingpong", "ring", "spawn"):
            if "mar" in runtimes:
                attempt(results, ("mar", bench), globals()[f"mar_{bench}"], args)
            if erl:
                attempt(results, ("erlang", bench), globals()[f"erlang_{bench}"], erl, args)
        if http_ok:
            if "mar" in runtimes:
                attempt(results, ("mar", "http"), mar_http, args)
            if workerd:
                attempt(results, ("workerd", "http"), workerd_http, workerd, args)
    finally:
        if erl:
            versions["erlang"] = erl.version if erl.version != "?" else "Erlang/OTP"
            erl.close()

    print(f"\nActors{' (--quick: smaller sizes, not the figures)' if q else ''}; nproc={os.cpu_count()}; "
          f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("; ".join(versions[n] for n in runtimes) + ". Ratios: mar against the peer, > 1 means mar is better "
          "(peer time ÷ mar time, peer bytes ÷ mar bytes, mar fraction ÷ peer fraction).")
    report(results, runtimes, versions, args, "mar --shards 1; Erlang default schedulers")


if __name__ == "__main__":
    main()
