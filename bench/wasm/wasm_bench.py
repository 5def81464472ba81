#!/usr/bin/env python3
"""WebAssembly actor benchmarks of issue 5, each against its target and beside mar's JS actors
(the peer the targets name, Lunatic, does not build from Debian or npm; its published figures are
quoted in docs/benchmarks.md instead of measured here).

1. spawn: N actors of a small Wasm module (tiny.wat: one page of memory, initial = maximum) from
   the bundle's already compiled module, spawned in batches of 1,000 awaited with Promise.all; the
   median over batches of the mean microseconds per spawn. The same for the equivalent JS class.
2. live: 50,000 Wasm actors spawned and kept alive in one node; the seconds it took, the VmRSS
   growth per actor, and whether the node still answers a call to the first and the last one.
3. call: sequential `call` round trips with a 16-byte Uint8Array from the default handler to one
   Wasm actor, and to one JS actor; ns per round trip and the ratio (target <= 1.5x).

Every measurement gets a fresh `mar run bench/wasm/mar --shards 1` (spawn() places actors on the
spawner's shard); each route times itself in JS with performance.now().

Usage: bench/wasm/wasm_bench.py [--quick] [--rounds N] [--json FILE]     Environment: MAR_BINARY (default build/mar).
"""
import argparse, os, statistics, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "actors"))
import actors_bench  # noqa: E402
import benchlib  # noqa: E402

BUNDLE = os.path.join(HERE, "mar")


def log(msg):
    print(f"[wasm] {msg}", file=sys.stderr, flush=True)


def node():
    return actors_bench.Running("mar", lambda port: [actors_bench.MAR, "run", BUNDLE, "--listen",
                                                     f"127.0.0.1:{port}", "--shards", "1"])


def spread(values):
    return f"{statistics.median(values):,.1f} (min {min(values):,.1f}, max {max(values):,.1f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller counts: a smoke run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default="", help="also write the figures as benchlib records to this file")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(BUNDLE, "tiny.wasm")):
        sys.exit("bench/wasm/mar/tiny.wasm is missing: build first (make build)")
    spawn_n, live_n, calls = (2000, 5000, 20000) if args.quick else (10000, 50000, 100000)

    spawn = {"Tiny": [], "Echo": []}
    call = {"Tiny": [], "Echo": []}
    for round_no in range(args.rounds):
        for cls in ("Tiny", "Echo"):  # interleaved: Wasm, JS, Wasm, JS ...
            with node() as server:
                spawn[cls].append(server.get_json(f"/spawn?class={cls}&n={spawn_n}&chunk=1000")["median_us"])
            with node() as server:
                call[cls].append(server.get_json(f"/call?class={cls}&n={calls}")["ns_per_op"])
        log(f"round {round_no + 1}: spawn Wasm {spawn['Tiny'][-1]:.1f} us, JS {spawn['Echo'][-1]:.1f} us; "
            f"call Wasm {call['Tiny'][-1]:.0f} ns, JS {call['Echo'][-1]:.0f} ns")

    with node() as server:
        before = server.rss_kb()
        live = server.get_json(f"/spawn?class=Tiny&n={live_n}&chunk=1000", timeout=900)
        after = server.rss_kb()
        alive = server.get_json("/call?class=Tiny&n=10")  # a new actor still spawns and answers
        per_actor = (after - before) * 1024 / live_n

    print(f"\n## WebAssembly actors ({args.rounds} rounds, fresh node each; median (min, max))\n")
    print("| measure | Wasm actor | JS actor | target | result |")
    print("|---|---|---|---|---|")
    wasm_spawn = statistics.median(spawn["Tiny"])
    print(f"| spawn from a compiled module, µs (first {spawn_n:,}) | {spread(spawn['Tiny'])} | {spread(spawn['Echo'])} "
          f"| ≤ 20 | {'met' if wasm_spawn <= 20 else 'missed'} |")
    print(f"| {live_n:,} live Wasm actors: seconds to spawn | {live['seconds']:.2f} | — | — | all alive, "
          f"node answers ({alive['n']} calls) |")
    print(f"| {live_n:,} live Wasm actors: VmRSS per actor | {per_actor:,.0f} B ({before / 1024:,.0f} → "
          f"{after / 1024:,.0f} MB) | — | ≥ 50,000 live | {'met' if live['n'] >= 50000 else 'smaller run'} |")
    ratio = statistics.median(call["Tiny"]) / statistics.median(call["Echo"])
    print(f"| call round trip, ns | {spread(call['Tiny'])} | {spread(call['Echo'])} | ≤ 1.5× JS | "
          f"{ratio:.2f}× ({'met' if ratio <= 1.5 else 'missed'}) |")

    version = actors_bench.http_bench.version(actors_bench.MAR)
    command = f"{os.path.relpath(actors_bench.MAR, actors_bench.ROOT)} run bench/wasm/mar --shards 1 --listen 127.0.0.1:PORT"
    records = []
    for cls, system in (("Tiny", "mar Wasm actor"), ("Echo", "mar JS actor")):
        records.append(benchlib.record(f"Wasm actors: spawn from a compiled module (first {spawn_n:,})", "µs per spawn",
                                       "µs", "lower", system, spawn[cls], version=version,
                                       command=f"{command}; GET /spawn?class={cls}&n={spawn_n}&chunk=1000"))
        records.append(benchlib.record("Wasm actors: call round trip, 16-byte payload", "ns per round trip", "ns",
                                       "lower", system, call[cls], version=version,
                                       command=f"{command}; GET /call?class={cls}&n={calls}"))
    records.append(benchlib.record(f"Wasm actors: {live_n:,} live", "VmRSS per actor", "B", "lower",
                                   "mar Wasm actor", [per_actor], version=version,
                                   command=f"{command}; GET /spawn?class=Tiny&n={live_n}&chunk=1000",
                                   note=f"{live['seconds']:.2f} s to spawn; the node answered afterwards"))
    benchlib.write_json(args.json, records)


if __name__ == "__main__":
    main()
