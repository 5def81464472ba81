#!/usr/bin/env python3
"""Where mar's time goes on a hot path: a profile of one node under load, for the notes in
docs/benchmarks.md.

Workloads (the same servers and loads as the benches):
  hello   GET / on bench/peers/mar (the hello HTTP scenario);
  echo    POST / with the 10 KB JSON document (the JSON echo scenario);
  call    GET /call on bench/actors/mar: an HTTP request making one actor call;
  timers  GET /?n=1000000 on bench/timers (1M setTimeout(0)).
The node runs with one shard. With `perf` working (Debian's linux-perf; the software cpu-clock
event, so it works in VMs without hardware counters): `perf record -g` for --seconds under wrk,
then the share of each binary/library and the top symbols, JIT frames named through V8's
--perf-basic-prof map. Without perf, or with --callgrind: the node under
`valgrind --tool=callgrind` for a fixed number of requests, and the top functions by instruction
count (repeatable whatever else the machine is doing, unlike time).

Usage: bench/profile.py [hello|echo|call|timers] [--seconds S] [--requests N] [--callgrind] [--top N]
"""
import argparse, os, shutil, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import http_bench  # noqa: E402
import startup  # noqa: E402

ROOT = startup.ROOT
WORKLOADS = {  # bundle, path, POST body?, ready path
    "hello": ("bench/peers/mar", "/", False, "/"),
    "echo": ("bench/peers/mar", "/", True, "/"),
    "call": ("bench/actors/mar", "/call", False, "/hello"),
    "timers": ("bench/timers", "/?n=1000000", False, "/?n=1"),
}


def perf_works():
    if not shutil.which("perf"):
        return False
    out = subprocess.run(["perf", "stat", "-e", "cpu-clock", "true"], capture_output=True, text=True)
    return out.returncode == 0 and "not supported" not in out.stderr


def drive(port, workload, seconds, requests, tmp):
    """The load: wrk for `seconds`, or `requests` sequential requests when requests is set."""
    bundle, path, post, _ = WORKLOADS[workload]
    body = http_bench.echo_body() if post else None
    if workload == "timers":
        for _ in range(max(1, requests or 3)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600).read()
        return
    if requests:
        for _ in range(requests):
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                         headers={"content-type": "application/json"} if body else {})
            urllib.request.urlopen(req, timeout=60).read()
        return
    script = http_bench.Load(workload, 16, body).script(tmp)
    subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s"] + (["-s", script] if script else [])
                   + [f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=seconds + 60)


def self_costs(path):
    """{function: instructions spent in it, not in its callees} from a callgrind file written with
    --compress-strings=no (callgrind_annotate mis-attributes the per-thread dumps of a process
    that was zeroed and dumped by callgrind_control)."""
    costs, fn, obj, skip_next = {}, "?", "?", False
    with open(path) as f:
        for line in f:
            if line.startswith("ob="):
                obj = os.path.basename(line[3:].strip())
                continue
            if line.startswith("fn="):
                fn = line[3:].strip()
                fn += f" [{obj}]" if fn.startswith("0x") else ""  # no symbol: V8's builtins, JIT code
                continue
            if line.startswith("calls="):
                skip_next = True  # the next cost line is the call's inclusive cost
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if len(parts) >= 2:
                    costs[fn] = costs.get(fn, 0) + int(parts[1])
    return costs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workload", nargs="?", default="hello", choices=sorted(WORKLOADS))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=2000, help="requests under callgrind (2000)")
    ap.add_argument("--callgrind", action="store_true", help="instruction counts even where perf works")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    bundle, _, _, ready = WORKLOADS[args.workload]
    use_perf = not args.callgrind and perf_works()
    if not use_perf and not shutil.which("valgrind"):
        sys.exit("profile: neither a working perf nor valgrind here")
    port = startup.free_port()
    cmd = [startup.MAR, "run", os.path.join(ROOT, bundle), "--shards", "1", "--listen", f"127.0.0.1:{port}"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {"MAR_V8_FLAGS": "--perf-basic-prof"} if use_perf else {}
        if not use_perf:
            out = os.path.join(tmp, "callgrind.out")
            cmd = ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--compress-strings=no", f"--callgrind-out-file={out}"] + cmd
        server = http_bench.Server(cmd, env)
        try:
            if not startup.first_ok(port, time.perf_counter() + (30 if use_perf else 300), ready):
                sys.exit("profile: the node did not answer")
            drive(port, args.workload, 1, 50 if not use_perf else 0, tmp)  # warm-up (JIT)
            if use_perf:
                data = os.path.join(tmp, "perf.data")
                rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-p", str(server.proc.pid),
                                        "-o", data, "--", "sleep", str(args.seconds)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                drive(port, args.workload, args.seconds, 0, tmp)
                rec.wait()
            else:
                subprocess.run(["callgrind_control", "--zero", str(server.proc.pid)], capture_output=True)
                drive(port, args.workload, 0, args.requests, tmp)
                subprocess.run(["callgrind_control", "--dump", str(server.proc.pid)], capture_output=True)
        finally:
            server.stop()
        print(f"profile of `{' '.join(cmd[-6:] if use_perf else cmd)}` under {args.workload}".replace(ROOT + "/", ""))
        if use_perf:
            for sort in ("dso", "symbol"):
                out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio",
                                      "-g", "none", "--percent-limit", "0.5"], capture_output=True, text=True).stdout
                rows = [line.rstrip() for line in out.splitlines() if "%" in line and not line.startswith("#")]
                print(f"\nby {sort} (perf, cpu-clock, {args.seconds} s):")
                print("\n".join(row[:160] for row in rows[:args.top]))
        else:
            def total(name):  # the shard's thread is the one that ran the most instructions
                with open(os.path.join(tmp, name)) as f:
                    return max((int(l.split()[1]) for l in f if l.startswith(("summary:", "totals:"))), default=0)
            dump = max((p for p in os.listdir(tmp) if p.startswith("callgrind.out")), key=total)
            costs = self_costs(os.path.join(tmp, dump))
            whole = sum(costs.values()) or 1
            print(f"\ninstructions (callgrind, shard thread, {args.requests} requests after 50 warm-up; "
                  f"{whole / args.requests:,.0f} per request):")
            for fn, ir in sorted(costs.items(), key=lambda kv: -kv[1])[:args.top]:
                print(f"{100 * ir / whole:7.2f}%  {ir / args.requests:10,.0f}  {fn[:140]}")


if __name__ == "__main__":
    main()
