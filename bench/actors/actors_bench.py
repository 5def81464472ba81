#!/usr/bin/env python3
"""Actor benchmarks of issue 4: mar beside Erlang/OTP and the C++ Actor Framework (CAF), and
workerd for HTTP -> actor, side by side in one run. Prints one table per benchmark: each runtime's
figure, the target, and mar against the peer as a ratio oriented so that > 1 means mar is better
(bench/benchlib.py's rule: no ratio where the rounds' spreads overlap).

1. ping-pong: `call` round trips between two actors, sequential; the mean ns per round trip of
   each round. mar: GET /pingpong?n=N on `mar run bench/actors/mar --shards 1` (spawn() places the
   callee on the caller's shard). Erlang: a gen-style request/reply with plain messages
   (`Pid ! {call, self(), Ref, I}`, selective receive on Ref). CAF: `request(pong, infinite, i)
   .then(...)` from an event-based actor.
2. ring: 1,000 actors pass a token round with `send`, 1,000,000 hops; ns/hop of each round.
   mar: GET /ring; Erlang: processes and `!`; CAF: event-based actors and `send`.
3. spawn: 1,000,000 idle actors of a small class (a warm-up of 1,000 first, kept alive); seconds
   for the spawns, and the VmRSS growth of the OS process (summed over its process tree for mar,
   /proc/self/status for Erlang's and CAF's single process) per actor, read once the spawns
   completed. mar: GET /spawn (in batches of 10,000 awaited with Promise.all); Erlang: `spawn` of a
   process waiting in `receive`, not kept in a list; CAF: `spawn` of an event-based actor waiting
   for a message that never comes, its handle kept (CAF ends an actor whose last handle is gone).
   One fresh process per round, the runtimes interleaved.
4. HTTP -> actor: wrk -t2 -c32 on a route whose handler makes one actor `call`, divided by the
   plain hello req/s of the same server in the same round. mar: /call vs /hello with its default
   shards; workerd: a Durable Object round trip by JS RPC (/call) and by stub.fetch (/callfetch) vs
   its /hello. A fresh server per round, the runtimes interleaved.

Benchmarks 1-3 run every runtime on one thread of actors: mar --shards 1, erl +S 1:1, CAF with one
worker thread (--threads 1); and, where `taskset` exists and the machine has 2 CPUs or more, all of
them pinned to the same CPU (the last one this process may use) so that neither the scheduler's
migrations nor the other core's load move the figures; --no-pin runs them unpinned. Benchmark 4
stays unpinned (wrk and the server need the cores).

Each measurement gets a fresh process: one mar node per benchmark (per round for 3 and 4), one
Erlang VM and one CAF process per workload (per round for 3). Each mar route times itself inside JS
with performance.now(), each Erlang workload with erlang:monotonic_time, each CAF workload with
steady_clock. The Erlang module is compiled with erlc, the CAF program with g++ -O2 -std=c++17
against Debian's libcaf-dev, both into a temporary directory at start. A runtime that is missing
(or does not compile) is skipped with the reason; one that fails a benchmark shows
`error: <reason>` in that table and the run goes on.

Usage: bench/actors/actors_bench.py [--only mar,erlang,caf,workerd] [--quick] [--rounds N]
                                    [--duration S] [--no-pin] [--json FILE]
Environment: MAR_BINARY (default build/mar).
"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import benchlib  # noqa: E402
import startup  # noqa: E402
import http_bench  # noqa: E402

ROOT = startup.ROOT
MAR = startup.MAR
MAR_BUNDLE = os.path.join(HERE, "mar")
ERLANG_SRC = os.path.join(HERE, "erlang/actors_bench.erl")
CAF_SRC = os.path.join(HERE, "caf/actors_bench.cpp")
WORKERD_CONFIG = os.path.join(HERE, "workerd/actors.capnp")
BETTER = "mar vs peer (>1: mar better)"
RUNTIMES = ("mar", "erlang", "caf", "workerd")
NAMES = {"mar": "mar", "erlang": "Erlang/OTP", "caf": "CAF", "workerd": "workerd"}


def log(msg):
    print(f"[actors] {msg}", file=sys.stderr, flush=True)


def first_line(e):
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:300]


def shown(cmd):
    """A command line as the records show it: paths relative to the repository."""
    return " ".join(cmd).replace(ROOT + "/", "")


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


def mar_command(shards=None, pin=()):
    def command(port):
        cmd = [*pin, MAR, "run", MAR_BUNDLE, "--listen", f"127.0.0.1:{port}"]
        return cmd + (["--shards", str(shards)] if shards else [])
    return command


def workerd_command(binary):
    return lambda port: [binary, "serve", WORKERD_CONFIG, "--socket-addr", f"http=127.0.0.1:{port}"]


# --- wrk on a path -------------------------------------------------------------------------------

def wrk_command(port, path, args, seconds):
    return ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"]


def wrk(port, path, args, seconds):
    """req/s and error count (socket errors and non-2xx) of wrk on one path."""
    out = subprocess.run(wrk_command(port, path, args, seconds), capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not rps:
        raise RuntimeError(f"could not parse wrk output: {out[-300:]!r}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rps.group(1)), errors + (int(non2xx.group(1)) if non2xx else 0)


def http_rates(running, paths, args):
    """{path: req/s, or "error: ..."} for each path in turn on one server: check one answer, warm
    up, measure."""
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
        wrk(running.port, path, args, args.warmup)
        rps, errors = wrk(running.port, path, args, args.duration)
        if running.server.proc.poll() is not None:
            raise RuntimeError(f"exited with {running.server.proc.returncode} during the load of {path}")
        if errors:
            log(f"{running.name} {path}: {errors} errors under load")
        rates[path] = rps
        log(f"{running.name} {path}: {rps:,.0f} req/s")
    return rates


MAR_PATHS = [("/hello", b"hello"), ("/call", b"x")]
WORKERD_PATHS = [("/hello", b"hello"), ("/call", b"x"), ("/callfetch", b"x")]


# --- mar ---------------------------------------------------------------------------------------

def mar_route(bench, args):
    return {"pingpong": f"/pingpong?n={args.pingpong_n}",
            "ring": f"/ring?actors={args.ring_actors}&hops={args.ring_hops}",
            "spawn": f"/spawn?n={args.spawn_n}"}[bench]


def mar_pingpong(args):
    with Running("mar", mar_command(1, args.pin)) as m:
        return [m.get_json(mar_route("pingpong", args))["ns_per_op"] for _ in range(args.pingpong_rounds)]


def mar_ring(args):
    with Running("mar", mar_command(1, args.pin)) as m:
        return [m.get_json(mar_route("ring", args))["ns_per_hop"] for _ in range(args.ring_rounds)]


def mar_spawn(args):
    with Running("mar", mar_command(1, args.pin)) as m:
        m.get_json("/spawn?n=1000", timeout=60)  # warm-up; these stay alive
        time.sleep(0.3)
        before = m.rss_kb()
        res = m.get_json(mar_route("spawn", args), timeout=900)
        after = m.rss_kb()
        return {"seconds": res["seconds"], "bytes_per_actor": (after - before) * 1024 / args.spawn_n,
                "rss_before_kb": before, "rss_after_kb": after}


def mar_http(args):
    with Running("mar", mar_command()) as m:
        return http_rates(m, MAR_PATHS, args)


def mar_shown(bench, args):
    if bench == "http":
        return shown(mar_command()("PORT"))
    route = mar_route(bench, args)
    times = {"pingpong": args.pingpong_rounds, "ring": args.ring_rounds, "spawn": 1}[bench]
    then = f"GET /spawn?n=1000, then {route}" if bench == "spawn" else f"GET {route}" + (f" × {times}" if times > 1 else "")
    return f"{shown(mar_command(1, args.pin)('PORT'))}; {then}"


# --- Erlang and CAF: a program per workload that prints JSON lines -----------------------------

class LinesProgram:
    """A compiled peer program run once per workload; its stdout lines that start with '{' are JSON
    objects, one with "error" meaning the workload failed."""

    name = ""

    def __init__(self, pin):
        self.pin = list(pin)
        self.dir = tempfile.mkdtemp(prefix=f"mar-actors-{self.name}-")
        self.version = None
        try:
            out = subprocess.run(self.build_command(), capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.close()
            raise RuntimeError(f"{self.build_command()[0]}: {first_line(e)}")
        if out.returncode != 0:
            self.close()
            text = (out.stderr or out.stdout).strip()
            errors = [l for l in text.splitlines() if "error" in l.lower()]
            raise RuntimeError(f"{self.build_command()[0]} failed: {(errors or text.splitlines() or ['no output'])[0][:300]}")

    def build_command(self):
        raise NotImplementedError

    def command(self, *argv):
        raise NotImplementedError

    def shown(self, *argv):
        """The build and run command lines, the temporary directory as DIR."""
        return f"{shown(self.build_command())} && {shown(self.command(*argv))}".replace(self.dir, "DIR")

    def run(self, *argv, timeout=600):
        cmd = self.command(*argv)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        lines = []
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    raise RuntimeError(f"{self.name}: not JSON: {line[:200]}")
        if not lines:
            raise RuntimeError(f"{self.name} exited with {out.returncode}, no result: "
                               f"{(out.stderr or out.stdout).strip()[-300:] or 'no output'}")
        for line in lines:
            if "error" in line:
                raise RuntimeError(f"{self.name}: {line['error'][:300]}")
        self.version = self.version_of(lines[0])
        return lines

    def version_of(self, line):
        raise NotImplementedError

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Erlang(LinesProgram):
    name = "erl"

    def build_command(self):
        return ["erlc", "-o", self.dir, ERLANG_SRC]

    def command(self, *argv):
        # +P lifts the default limit of 262,144 processes; +S 1:1 is one scheduler, as mar --shards 1.
        return [*self.pin, "erl", "-noshell", "+P", "2000000", "+S", "1:1", "-pa", self.dir,
                "-run", "actors_bench", "main", *map(str, argv)]

    def version_of(self, line):
        return f"{line['otp']} (erts {line['erts']})"


class Caf(LinesProgram):
    name = "caf"

    def build_command(self):
        return ["g++", "-O2", "-std=c++17", CAF_SRC, "-o", os.path.join(self.dir, "actors_bench"),
                "-lcaf_core", "-pthread"]

    def command(self, *argv):
        return [*self.pin, os.path.join(self.dir, "actors_bench"), "--threads", "1", *map(str, argv)]

    def version_of(self, line):
        return line["caf"]


def program_args(bench, args):
    return {"pingpong": ("pingpong", args.pingpong_n, args.pingpong_rounds),
            "ring": ("ring", args.ring_actors, args.ring_hops, args.ring_rounds),
            "spawn": ("spawn", args.spawn_n)}[bench]


def program_pingpong(program, args):
    return [l["ns_per_op"] for l in program.run(*program_args("pingpong", args))]


def program_ring(program, args):
    return [l["ns_per_hop"] for l in program.run(*program_args("ring", args))]


def program_spawn(program, args):
    return program.run(*program_args("spawn", args), timeout=900)[0]


# --- workerd -----------------------------------------------------------------------------------

def workerd_http(binary, args):
    with Running("workerd", workerd_command(binary)) as w:
        return http_rates(w, WORKERD_PATHS, args)


# --- running the rounds ------------------------------------------------------------------------

def attempt(results, name, bench, fn, *a):
    """Adds fn(*a) to results[(name, bench)]["values"] (each of its items for a list), or the reason
    it failed to ["errors"]; never raises."""
    entry = results.setdefault((name, bench), {"values": [], "errors": []})
    try:
        value = fn(*a)
    except Exception as e:  # noqa: BLE001 -- a failed runtime is a row, not a crash
        entry["errors"].append(f"error: {first_line(e)}")
        log(f"{name} {bench}: {entry['errors'][-1]}")
        return
    entry["values"] += value if isinstance(value, list) else [value]
    log(f"{name} {bench}: {value}")


def rotated(items, r):
    """items with the first one rotating each round, as bench/http_bench.py interleaves runtimes."""
    k = r % len(items) if items else 0
    return items[k:] + items[:k]


# --- report ------------------------------------------------------------------------------------

def ns(v):
    return f"{v:,.0f}"


def table(title, header, rows):
    print(f"\n{title}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def error_of(entry):
    """The reason shown for a runtime with no value: the last error."""
    return (entry["errors"] or ["error: no result"])[-1]


def attempts(bench, args):
    """How often a runtime is started for a benchmark: once for 1 and 2, once per round for 3 and 4."""
    return {"spawn": args.spawn_rounds, "http": args.http_rounds}.get(bench, 1)


def errors_note(entry, started):
    if not entry["errors"]:
        return ""
    return f"{len(entry['errors'])} of {started} run(s) failed: {entry['errors'][-1]}"


def ratio(mar_values, peer_values, better):
    if not mar_values or not peer_values:
        return "—"
    return benchlib.compare(mar_values, peer_values, better)[1]


def meets(value, target, lower_is_better=True):
    return " (meets)" if (value <= target if lower_is_better else value >= target) else " (misses)"


def http_fractions(entry, path):
    """(hello req/s, path req/s, call ÷ hello) of each round where both paths answered."""
    rounds = [v for v in entry["values"] if not isinstance(v.get("/hello"), str) and not isinstance(v.get(path), str)]
    return ([v["/hello"] for v in rounds], [v[path] for v in rounds], [v[path] / v["/hello"] for v in rounds])


def http_error(entry, path):
    for v in reversed(entry["values"]):
        for p in ("/hello", path):
            if isinstance(v.get(p), str):
                return v[p]
    return error_of(entry)


def variants(name):
    """(system label in the records, path, what) of each HTTP -> actor figure of a runtime."""
    if name == "mar":
        return [("mar", "/call", "actor `call`")]
    return [("workerd (JS RPC)", "/call", "Durable Object, JS RPC"),
            ("workerd (stub.fetch)", "/callfetch", "Durable Object, stub.fetch")]


def report(results, runtimes, labels, args, threads_note):
    def timing_table(title, bench, unit, target, target_text):
        rows = []
        mar = results.get(("mar", bench), {}).get("values")
        for name in runtimes:
            entry = results.get((name, bench))
            if entry is None:
                continue
            v = entry["values"]
            if not v:
                rows.append([labels[name], error_of(entry), target_text, "—"])
                continue
            fig = http_bench.spread(v, ns, f" {unit}")
            rows.append([labels[name], fig + (meets(statistics.median(v), target) if name == "mar" else ""),
                         target_text, "—" if name == "mar" else ratio(mar, v, "lower")])
        if rows:
            table(title, ["runtime", f"{unit} (median [min-max])", "target", BETTER], rows)

    timing_table(f"1. Ping-pong `call` round trip between two actors, {args.pingpong_n:,} sequential calls per "
                 f"round, {args.pingpong_rounds} round(s) ({threads_note})",
                 "pingpong", "ns/round trip", 1000, "≤ 1,000 ns")
    timing_table(f"2. Ring of {args.ring_actors:,} actors, token passed {args.ring_hops:,} hops with `send`, "
                 f"{args.ring_rounds} round(s) ({threads_note})",
                 "ring", "ns/hop", 350, "≤ 350 ns/hop")

    rows = []
    mar = results.get(("mar", "spawn"), {}).get("values")
    for name in runtimes:
        entry = results.get((name, "spawn"))
        if entry is None:
            continue
        v = entry["values"]
        if not v:
            rows.append([labels[name], error_of(entry), "", "≤ 3 s per 1M, ≤ 1.5 KB (1,536 B) each", "—"])
            continue
        seconds = [x["seconds"] for x in v]
        per_actor = [x["bytes_per_actor"] for x in v]
        per_million = statistics.median(seconds) * (1_000_000 / args.spawn_n)  # for the target
        cell_s = http_bench.spread(seconds, lambda s: f"{s:.2f}", " s")
        cell_s += f" ({per_million:.2f} s per 1M)" if args.spawn_n != 1_000_000 else ""
        cell_b = (http_bench.spread(per_actor, ns, " B") + f" (VmRSS {v[-1]['rss_before_kb'] / 1024:,.0f} → "
                  f"{v[-1]['rss_after_kb'] / 1024:,.0f} MB)")
        if name == "mar":
            cell_s += meets(per_million, 3.0)
            cell_b += meets(statistics.median(per_actor), 1536)
            r = "—"
        elif not mar:
            r = "—"
        else:
            r = (f"time {ratio([x['seconds'] for x in mar], seconds, 'lower')}, "
                 f"memory {ratio([x['bytes_per_actor'] for x in mar], per_actor, 'lower')}")
        rows.append([labels[name], cell_s, cell_b, "≤ 3 s per 1M, ≤ 1.5 KB (1,536 B) each", r])
    if rows:
        table(f"3. Spawn {args.spawn_n:,} idle actors (after 1,000 warm-up spawns; {threads_note}), "
              f"{args.spawn_rounds} round(s), a fresh process each: total seconds, VmRSS growth of the OS "
              "process per actor", ["runtime", "seconds", "bytes RSS per actor", "target", BETTER], rows)

    rows = []
    mar = results.get(("mar", "http"))
    mar_frac = http_fractions(mar, "/call")[2] if mar else []
    for name in runtimes:
        entry = results.get((name, "http"))
        if entry is None:
            continue
        if not entry["values"]:
            rows.append([labels[name], error_of(entry), "", "", "≥ 0.8x", "—"])
            continue
        for _, path, what in variants(name):
            hello, call, frac = http_fractions(entry, path)
            if not frac:
                rows.append([f"{labels[name]} ({what})", "", http_error(entry, path), "", "≥ 0.8x", "—"])
                continue
            fraction = lambda f: f"{f:.2f}x"  # noqa: E731
            rows.append([f"{labels[name]} ({what})", http_bench.spread(hello, ns), http_bench.spread(call, ns),
                         http_bench.spread(frac, fraction)
                         + (meets(statistics.median(frac), 0.8, lower_is_better=False) if name == "mar" else ""),
                         "≥ 0.8x", "—" if name == "mar" else ratio(mar_frac, frac, "higher")])
    if rows:
        table(f"4. HTTP request → actor call → response, wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
              f"after {args.warmup} s warm-up, per path, {args.http_rounds} round(s), a fresh server each; figure = "
              "call req/s ÷ hello req/s of the same server in the same round (mar: default shards; not pinned)",
              ["runtime", "hello req/s", "call req/s", "call ÷ hello", "target", BETTER], rows)

    for (name, bench), entry in results.items():
        if entry["values"] and entry["errors"]:
            print(f"{labels[name]} {bench}: {errors_note(entry, attempts(bench, args))}")


# --- records (bench/benchlib.py) ---------------------------------------------------------------

def count_text(n):
    """1,000,000 -> "1M", 100,000 -> "100k", 1000 -> "1,000": the sizes in the scenario names."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0 and n >= 10_000:
        return f"{n // 1000}k"
    return f"{n:,}"


def records(results, runtimes, versions, commands, args):
    out = []

    def add(scenario, metric, unit, better, system, name, bench, values, note=""):
        entry = results[(name, bench)]
        common = dict(version=versions.get(name) or "", command=commands.get((name, bench), ""))
        note = "; ".join(n for n in (note, errors_note(entry, attempts(bench, args))) if n)
        if values:
            out.append(benchlib.record(scenario, metric, unit, better, system, values, note=note, **common))
        else:
            out.append(benchlib.record(scenario, metric, unit, better, system, [],
                                       error=error_of(entry).removeprefix("error: "), **common))

    scenario = {"pingpong": "actors: ping-pong call round trip",
                "ring": f"actors: ring of {count_text(args.ring_actors)}, {count_text(args.ring_hops)} hops",
                "spawn": f"actors: spawn {count_text(args.spawn_n)} idle",
                "http": "HTTP → actor call ÷ hello"}
    for name in runtimes:
        if (name, "pingpong") in results:
            add(scenario["pingpong"], "ns per round trip", "ns", "lower", name, name, "pingpong",
                results[(name, "pingpong")]["values"], note=f"{args.pingpong_n:,} calls per round")
    for name in runtimes:
        if (name, "ring") in results:
            add(scenario["ring"], "ns per hop", "ns", "lower", name, name, "ring", results[(name, "ring")]["values"])
    for metric, unit, key in (("seconds", "s", "seconds"), ("RSS bytes per actor", "B", "bytes_per_actor")):
        for name in runtimes:
            if (name, "spawn") in results:
                add(scenario["spawn"], metric, unit, "lower", name, name, "spawn",
                    [x[key] for x in results[(name, "spawn")]["values"]])
    for name in runtimes:
        if (name, "http") in results:
            entry = results[(name, "http")]
            hello = [x["/hello"] for x in entry["values"] if not isinstance(x.get("/hello"), str)]
            add(scenario["http"], "hello req/s", "req/s", "higher", name, name, "http", hello, note="GET /hello")
            for system, path, what in variants(name):
                _, call, frac = http_fractions(entry, path)
                add(scenario["http"], "call req/s ÷ hello req/s", "x", "higher",
                    system, name, "http", frac, note=f"GET {path} ÷ GET /hello, {what}")
                add(scenario["http"], "call req/s", "req/s", "higher", system, name, "http",
                    [x[path] for x in entry["values"] if not isinstance(x.get(path), str)], note=f"GET {path}, {what}")
    return out


# --- main --------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated runtimes: mar,erlang,caf,workerd")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds, 3 s of wrk: a smoke run, not the figures")
    ap.add_argument("--rounds", type=int, help="rounds of every benchmark (ping-pong 5, ring 3, spawn 3, HTTP 3; "
                                               "quick 3, 3, 1, 1)")
    ap.add_argument("--duration", type=int, help="seconds of measured wrk load per path (5; quick 3)")
    ap.add_argument("--threads", type=int, default=2, help="wrk -t (2)")
    ap.add_argument("--connections", type=int, default=32, help="wrk -c (32)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin benchmarks 1-3 to one CPU with taskset")
    ap.add_argument("--json", default="", help="also write the figures as benchlib records to this file")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    q = args.quick
    args.pingpong_rounds = args.rounds or (3 if q else 5)
    args.ring_rounds = args.rounds or 3
    args.spawn_rounds = args.rounds or (1 if q else 3)
    args.http_rounds = args.rounds or (1 if q else 3)
    args.duration = args.duration or (3 if q else 5)
    args.warmup = 1
    args.pingpong_n = 100_000 if q else 500_000
    args.ring_actors = 1000
    args.ring_hops = 100_000 if q else 1_000_000
    args.spawn_n = 100_000 if q else 1_000_000
    args.pin, pin_note = benchlib.pin_to_one_cpu(not args.no_pin)

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(RUNTIMES)
    if unknown:
        ap.error(f"unknown runtime(s) {', '.join(sorted(unknown))}: expected {', '.join(RUNTIMES)}")
    want = lambda name: not only or name in only  # noqa: E731

    versions, runtimes, skipped, programs = {}, [], {}, {}

    def skip(name, why):
        skipped[name] = why
        print(f"skipping {name}: {why}")

    if want("mar"):
        if os.access(MAR, os.X_OK):
            runtimes.append("mar")
            versions["mar"] = http_bench.version(MAR)
        else:
            skip("mar", f"{MAR} not built (make build)")
    for name, cls, tools, why in (("erlang", Erlang, ("erl", "erlc"), "erl/erlc not found (scripts/setup-peers.sh installs erlang-base)"),
                                  ("caf", Caf, ("g++",), "g++ not found")):
        if not want(name):
            continue
        if not all(shutil.which(t) for t in tools):
            skip(name, why)
            continue
        try:
            programs[name] = cls(args.pin)
            runtimes.append(name)
        except Exception as e:  # noqa: BLE001 -- a peer that does not build is skipped, not a crash
            skip(name, first_line(e))
    workerd = None
    if want("workerd"):
        workerd = http_bench.peer_bin("workerd")
        if workerd:
            runtimes.append("workerd")
            versions["workerd"] = http_bench.version(workerd)
        else:
            skip("workerd", "not installed (run scripts/setup-peers.sh)")
    http_ok = shutil.which("wrk") is not None
    if not http_ok:
        print("HTTP → actor bench skipped: wrk not found (scripts/setup.sh installs it)")
    if not runtimes:
        print("actors bench: no runtime to run")
        benchlib.write_json(args.json, [], skipped=skipped)
        return
    log(f"benchmarks 1-3: {pin_note}")

    commands = {}
    for bench in ("pingpong", "ring", "spawn"):
        if "mar" in runtimes:
            commands[("mar", bench)] = mar_shown(bench, args)
        for name, program in programs.items():
            commands[(name, bench)] = program.shown(*program_args(bench, args))
    http_paths = lambda paths: " and ".join(  # noqa: E731
        f"{shown(wrk_command('PORT', p, args, args.duration))} (after {args.warmup} s)" for p, _ in paths)
    commands[("mar", "http")] = f"{mar_shown('http', args)}; {http_paths(MAR_PATHS)}"
    if workerd:
        commands[("workerd", "http")] = f"{shown(workerd_command(workerd)('PORT'))}; {http_paths(WORKERD_PATHS)}"

    results = {}
    load_before = os.getloadavg()[0]
    try:
        # 1 and 2: one process per runtime runs all the rounds; 3: a fresh process per round.
        for bench in ("pingpong", "ring", "spawn"):
            rounds = args.spawn_rounds if bench == "spawn" else 1
            for r in range(rounds):
                for name in rotated([n for n in runtimes if n == "mar" or n in programs], r):
                    if rounds > 1:
                        log(f"{bench} round {r + 1}/{rounds}: {name}")
                    if name == "mar":
                        attempt(results, name, bench, globals()[f"mar_{bench}"], args)
                    else:
                        attempt(results, name, bench, globals()[f"program_{bench}"], programs[name], args)
        if http_ok:
            http_runtimes = [n for n in runtimes if n in ("mar", "workerd")]
            for r in range(args.http_rounds):
                for name in rotated(http_runtimes, r):
                    log(f"http round {r + 1}/{args.http_rounds}: {name}")
                    if name == "mar":
                        attempt(results, name, "http", mar_http, args)
                    else:
                        attempt(results, name, "http", workerd_http, workerd, args)
    finally:
        for name, program in programs.items():
            versions[name] = program.version
            program.close()

    labels = {n: NAMES[n] + (f" {versions[n]}" if versions.get(n) else "") for n in runtimes}
    print(f"\nActors{' (--quick: smaller sizes, not the figures)' if q else ''}; nproc={os.cpu_count()}; "
          f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("; ".join(labels[n] for n in runtimes) + ". Ratios: mar against the peer, > 1 means mar is better "
          "(peer time ÷ mar time, peer bytes ÷ mar bytes, mar fraction ÷ peer fraction); none where the "
          "rounds' spreads overlap.")
    threads_note = "mar --shards 1, Erlang +S 1:1, CAF 1 worker thread; " + pin_note
    print(f"Benchmarks 1-3: {threads_note}. Benchmark 4: not pinned.")
    report(results, runtimes, labels, args, threads_note)
    benchlib.write_json(args.json, records(results, runtimes, versions, commands, args),
                        skipped=skipped, pinned=pin_note)


if __name__ == "__main__":
    main()
