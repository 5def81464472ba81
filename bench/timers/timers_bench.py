#!/usr/bin/env python3
"""Timer throughput: 1M setTimeout(0) callbacks scheduled at once, mar beside Node, Deno and Bun.

mar: GET /?n=N on `mar run bench/timers --shards 1` (bench/timers/index.js times itself with
performance.now() from the first setTimeout to the last callback). Peers: bench/timers/timers.mjs,
the same loop as a script. Every run is a fresh process pinned to one CPU (`taskset -c LAST`,
when there are two or more) so that each runtime has exactly one core; rounds interleave the
runtimes. Prints callbacks/s, median [min–max].

Usage: bench/timers/timers_bench.py [--rounds N] [--n N] [--no-pin] [--json FILE]
"""
import argparse, json, os, shutil, subprocess, sys, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import benchlib  # noqa: E402
import http_bench  # noqa: E402
import startup  # noqa: E402

ROOT = startup.ROOT
SCRIPT = os.path.join(HERE, "timers.mjs")


def mar_run(pin, n):
    port = startup.free_port()
    server = http_bench.Server(pin + [startup.MAR, "run", HERE, "--shards", "1", "--listen", f"127.0.0.1:{port}"], {})
    try:
        if not startup.first_ok(port, time.perf_counter() + 30, "/?n=1"):
            raise RuntimeError("mar did not answer within 30 s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?n={n}", timeout=120) as r:
            return json.load(r)["perSecond"]
    finally:
        server.stop()


def peer_run(pin, argv, env, n):
    out = subprocess.run(pin + argv + [str(n)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **env})
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])["perSecond"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--no-pin", action="store_true", help="do not pin the runtimes to one CPU")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    pin, pinned = benchlib.pin_to_one_cpu(not args.no_pin)

    deno_env = {"DENO_DIR": os.path.join(ROOT, "bench/.peers/deno-dir"), "DENO_NO_UPDATE_CHECK": "1"}
    systems = []  # (name, binary, run(), command text)
    if os.access(startup.MAR, os.X_OK):
        systems.append(("mar", startup.MAR, lambda: mar_run(pin, args.n),
                        f"{' '.join(pin)} build/mar run bench/timers --shards 1; GET /?n={args.n}".strip()))
    for name, binary, argv, env in (
            ("node", shutil.which("node"), [SCRIPT], {}),
            ("deno", http_bench.peer_bin("deno"), ["run", SCRIPT], deno_env),
            ("bun", http_bench.peer_bin("bun"), [SCRIPT], {})):
        if binary:
            command = " ".join(pin + [name] + argv + [str(args.n)]).replace(ROOT + "/", "")
            systems.append((name, binary, lambda a=[binary] + argv, e=env: peer_run(pin, a, e, args.n), command))
        else:
            print(f"skipping {name}: not installed")

    values, errors = {s[0]: [] for s in systems}, {}
    for r in range(args.rounds):
        order = systems[r % len(systems):] + systems[:r % len(systems)]
        for name, _, run, _ in order:
            if name in errors:
                continue
            try:
                values[name].append(run() / 1000)
            except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as e:
                errors[name] = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"[timers] round {r + 1}/{args.rounds}: " + ", ".join(
            f"{n} {v[-1]:,.0f}k/s" for n, v in values.items() if v), file=sys.stderr)

    scenario = f"timers: {args.n:,} setTimeout(0) at once, one core"
    print(f"\n{scenario} ({pinned}), {args.rounds} interleaved rounds, callbacks/s, median [min–max]")
    print("| runtime | k callbacks/s | mar vs runtime |")
    print("|---|---|---|")
    records = []
    for name, binary, _, command in systems:
        version = http_bench.version(binary)
        if name in errors:
            print(f"| {name} | failed: {errors[name]} | |")
            records.append(benchlib.record(scenario, "k callbacks/s", "k/s", "higher", name, [], version=version,
                                           command=command, error=errors[name]))
            continue
        ratio = "—" if name == "mar" else benchlib.compare(values.get("mar"), values[name], "higher")[1]
        print(f"| {name} {version} | {benchlib.spread_text(values[name])} | {ratio} |")
        records.append(benchlib.record(scenario, "k callbacks/s", "k/s", "higher", name, values[name],
                                       version=version, command=command, note=pinned))
    benchlib.write_json(args.json, records)


if __name__ == "__main__":
    main()
