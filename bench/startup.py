#!/usr/bin/env python3
"""Cold start and idle memory: mar beside workerd, Deno, Bun and Node, interleaved in one run.

  cold start        process launch (Popen) to the first 200 OK on GET /, polled every 0.5 ms with
                    a fresh connection; each runtime serves its hello (bench/peers/<runtime>/hello.*,
                    the servers of bench/http_bench.py);
  idle RSS          the VmRSS of the server's process tree 0.3 s after that first request, and its
                    anonymous part (RssAnon: file-backed library pages are shared between processes);
  launch floor      `RUNTIME --version` under hyperfine (-N, no shell): what exec, the dynamic
                    loader and the runtime's own start cost before any JS.
After one discarded launch of each (to bring its files into the page cache), each round starts
every runtime once, the first one rotating. Also the home of the helpers the
other benches use (ROOT, MAR, free_port, first_ok).

Usage: bench/startup.py [--rounds N] [--only mar,bun] [--json FILE]
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAR = os.environ.get("MAR_BINARY", os.path.join(ROOT, "build/mar"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_ok(port, deadline, path="/"):
    request = b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode()
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            time.sleep(0.0005)
    return False


def cold_start(http_bench, command, env):
    """(ms to the first 200, VmRSS MB, RssAnon MB) of one fresh server."""
    port = free_port()
    start = time.perf_counter()
    server = http_bench.Server(command(port), env)
    try:
        ok = first_ok(port, start + 30)
        elapsed = (time.perf_counter() - start) * 1000
        if not ok:
            raise RuntimeError("no 200 OK within 30 s")
        time.sleep(0.3)
        pids = server.pids()
        rss = sum(http_bench.status_kb(p, "VmRSS") for p in pids) / 1024
        anon = sum(http_bench.status_kb(p, "RssAnon") for p in pids) / 1024
        return elapsed, rss, anon
    finally:
        server.stop()


def launch_floor(binary, runs):
    """Seconds of `binary --version`, one value per run, from hyperfine's JSON export."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "h.json")
        subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json", out,
                        f"{binary} --version"], check=True, capture_output=True, timeout=300)
        with open(out) as f:
            return [t * 1000 for t in json.load(f)["results"][0]["times"]]


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import benchlib, http_bench  # noqa: E401 — http_bench imports this module for its helpers

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10, help="rounds, runtimes interleaved (10)")
    ap.add_argument("--only", default="", help="comma-separated runtimes")
    ap.add_argument("--json", default="", help="also write the figures as benchlib records to this file")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    available = []
    for name, command, env, why, binary in http_bench.runtimes():
        if only and name not in only:
            continue
        if command is None:
            print(f"skipping {name}: {why}")
            continue
        available.append((name, command, env, binary, http_bench.version(binary)))
    figures = {name: {"start": [], "rss": [], "anon": []} for name, *_ in available}
    errors = {}
    for name, command, env, _, _ in available:  # one discarded launch each: files into the page cache
        try:
            cold_start(http_bench, command, env)
        except (RuntimeError, OSError) as e:
            errors[name] = str(e).splitlines()[0]
    for r in range(args.rounds):
        order = available[r % len(available):] + available[:r % len(available)]
        for name, command, env, _, _ in order:
            if name in errors:
                continue
            try:
                ms, rss, anon = cold_start(http_bench, command, env)
            except (RuntimeError, OSError) as e:
                errors[name] = str(e).splitlines()[0]
                print(f"[startup] {name}: {errors[name]}", file=sys.stderr)
                continue
            for key, v in (("start", ms), ("rss", rss), ("anon", anon)):
                figures[name][key].append(v)
        print(f"[startup] round {r + 1}/{args.rounds} done", file=sys.stderr)

    records = []
    for name, command, _, binary, version in available:
        cmd = " ".join(command("PORT")).replace(ROOT + "/", "")
        if name in errors:
            records.append(benchlib.record("cold start", "launch to first 200 OK", "ms", "lower", name, [],
                                           version=version, command=cmd, error=errors[name]))
            continue
        f = figures[name]
        records += [
            benchlib.record("cold start", "launch to first 200 OK", "ms", "lower", name, f["start"],
                            version=version, command=cmd),
            benchlib.record("cold start", "idle RSS after one request", "MB", "lower", name, f["rss"],
                            version=version, command=cmd),
            benchlib.record("cold start", "idle anonymous RSS", "MB", "lower", name, f["anon"],
                            version=version, command=cmd,
                            note="RssAnon: without the file-backed pages of the binary and its libraries"),
        ]
    if shutil.which("hyperfine"):
        for name, _, _, binary, version in available:
            print(f"[startup] hyperfine: {name} --version", file=sys.stderr)
            try:
                times = launch_floor(binary, 30)
            except (subprocess.SubprocessError, OSError, KeyError, ValueError) as e:
                records.append(benchlib.record("launch floor", "`--version` run time", "ms", "lower", name, [],
                                               version=version, error=str(e).splitlines()[0]))
                continue
            records.append(benchlib.record("launch floor", "`--version` run time", "ms", "lower", name, times,
                                           version=version, command=f"hyperfine -N --warmup 3 --runs 30 "
                                           f"'{os.path.relpath(binary, ROOT) if binary.startswith(ROOT) else binary} --version'"))
    else:
        print("launch floor skipped: hyperfine not found (scripts/setup-peers.sh installs it)")

    print(f"\nCold start and idle memory, {args.rounds} interleaved rounds, medians [min–max]; nproc={os.cpu_count()}")
    print("| runtime | launch to first 200 OK | idle RSS | idle anonymous RSS | `--version` |")
    print("|---|---|---|---|---|")
    by = {(r["system"], r["metric"]): r for r in records}
    for name, *_ in available:
        cells = []
        for metric, unit in (("launch to first 200 OK", "ms"), ("idle RSS after one request", "MB"),
                             ("idle anonymous RSS", "MB"), ("`--version` run time", "ms")):
            r = by.get((name, metric))
            cells.append("—" if r is None else r.get("error") or benchlib.spread_text(r["values"], unit))
        print(f"| {name} | " + " | ".join(cells) + " |")
    benchlib.write_json(args.json, records)


if __name__ == "__main__":
    main()
