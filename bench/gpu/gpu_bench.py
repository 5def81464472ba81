#!/usr/bin/env python3
"""GPU benchmarks of issue 6: what env.GPU costs, beside Deno's WebGPU on the same driver.

1. dispatch: the round trip of an empty compute dispatch from JS (dispatch() called -> promise
   settled), COUNT times in a row after a warm-up; the median per round, rounds interleaved
   mar, Deno, mar, Deno ... Deno does the same work through its WebGPU API (encode, submit, await
   onSubmittedWorkDone) on the same Vulkan driver. Target: mar <= 100 us median on lavapipe.
2. vector add: out = a + b over three buffers of BYTES each (working set 3 x BYTES), timed from
   dispatch() to settled; GB/s counts the bytes the kernel reads and writes. On lavapipe this is
   the CPU's memory bandwidth through LLVM-compiled shaders; on a real GPU (--gpu-driver system)
   it is the figure to hold against the device's bandwidth (target >= 70 % for a 1 GiB set).

Usage: bench/gpu/gpu_bench.py [--quick] [--rounds N] [--count N] [--driver lavapipe|system|auto]
                              [--vecadd-mib N] [--json FILE]
Environment: MAR_BINARY (default build/mar).
"""
import argparse, json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "actors"))
import actors_bench  # noqa: E402
import benchlib  # noqa: E402
import http_bench  # noqa: E402

LAVAPIPE = os.path.join(ROOT, ".deps", "lavapipe", "lvp_icd.json")


def log(msg):
    print(f"[gpu] {msg}", file=sys.stderr, flush=True)


def node(driver):
    return actors_bench.Running("mar", lambda port: [actors_bench.MAR, "run", os.path.join(HERE, "mar"), "--listen",
                                                     f"127.0.0.1:{port}", "--shards", "1", "--gpu-driver", driver])


def deno_round(count, driver):
    deno = http_bench.peer_bin("deno")
    if not deno:
        return None
    env = dict(os.environ, DENO_DIR=os.path.join(ROOT, "bench/.peers/deno-dir"), DENO_NO_UPDATE_CHECK="1")
    if driver == "lavapipe":
        env["VK_ICD_FILENAMES"] = env["VK_DRIVER_FILES"] = LAVAPIPE
    out = subprocess.run([deno, "run", "--unstable-webgpu", os.path.join(HERE, "deno", "gpu.js"), str(count)],
                         capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        log(f"deno failed: {out.stderr.strip()[-300:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values, fmt="{:,.1f}"):
    return f"{fmt.format(statistics.median(values))} (min {fmt.format(min(values))}, max {fmt.format(max(values))})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds and samples: a smoke run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=2000, help="dispatches per round")
    parser.add_argument("--driver", default="lavapipe", help="mar --gpu-driver (system: a real GPU's driver)")
    parser.add_argument("--vecadd-mib", type=int, default=0, help="MiB per buffer (default 64 on lavapipe, 341 else)")
    parser.add_argument("--json", default="", help="also write the figures as benchlib records to this file")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.count = 2, 500
    if args.driver == "lavapipe" and not os.path.exists(LAVAPIPE):
        sys.exit("lavapipe is not installed: run scripts/setup.sh (make build does)")
    vec_mib = args.vecadd_mib or (64 if args.driver == "lavapipe" else 341)

    ours, theirs, adapter = [], [], ""
    for round_no in range(args.rounds):
        with node(args.driver) as server:
            ours.append(server.get_json(f"/empty?count={args.count}")["median"])
        deno = deno_round(args.count, args.driver)
        if deno:
            theirs.append(deno["median"])
            adapter = deno.get("adapter", "")
        log(f"round {round_no + 1}: mar {ours[-1]:.1f} us" + (f", deno {theirs[-1]:.1f} us" if deno else ", deno skipped"))

    with node(args.driver) as server:
        vec = server.get_json(f"/vecadd?bytes={vec_mib << 20}&rounds={3 if args.quick else 5}", timeout=900)
        server.stop()
        logs = server.server.output.decode(errors="replace")
    ready = next((line for line in logs.splitlines() if "GPU ready" in line), "")

    print(f"\n## GPU ({args.rounds} rounds interleaved, {args.count:,} dispatches each; median (min, max))\n")
    if ready:
        print(f"mar's device: {json.loads(ready)['msg'] if ready.startswith('{') else ready}\n")
    print("| measure | mar | Deno (WebGPU) | mar / Deno | target |")
    print("|---|---|---|---|---|")
    ratio = ""
    if theirs:
        ratio = f"{statistics.median(ours) / statistics.median(theirs):.3f}×"
        if min(ours) <= max(theirs) and max(ours) >= min(theirs):
            ratio += " (spreads overlap)"
    median = statistics.median(ours)
    print(f"| empty dispatch round trip, µs | {spread(ours)} | {spread(theirs) if theirs else 'not run'} | {ratio or '—'} "
          f"| ≤ 100 µs: {'met' if median <= 100 else 'missed'} |")
    print(f"| vector add, {vec_mib} MiB × 3 buffers, ms per dispatch | {vec['ms']['median']:.2f} "
          f"(min {vec['ms']['p10']:.2f}) | — | — | — |")
    print(f"| vector add bandwidth, GB/s | {vec['gbps']:.1f} | — | — | ≥ 70 % of the device's (real GPU) |")
    if adapter:
        print(f"\nDeno's adapter: {adapter}.")

    command = (f"{os.path.relpath(actors_bench.MAR, ROOT)} run bench/gpu/mar --shards 1 --gpu-driver {args.driver} "
               "--listen 127.0.0.1:PORT")
    scenario = f"GPU ({args.driver}): empty dispatch round trip"
    records = [benchlib.record(scenario, "µs, dispatch() to settled", "µs", "lower", "mar", ours,
                               version=actors_bench.http_bench.version(actors_bench.MAR),
                               command=f"{command}; GET /empty?count={args.count}")]
    deno = http_bench.peer_bin("deno")
    if deno:
        deno_cmd = f"deno run --unstable-webgpu bench/gpu/deno/gpu.js {args.count}"
        records.append(benchlib.record(scenario, "µs, dispatch() to settled", "µs", "lower", "deno", theirs,
                                       version=http_bench.version(deno), command=deno_cmd, note=adapter)
                       if theirs else benchlib.record(scenario, "µs, dispatch() to settled", "µs", "lower", "deno",
                                                      [], command=deno_cmd, error="deno's WebGPU failed (see log)"))
    records.append(benchlib.record(f"GPU ({args.driver}): vector add, 3 × {vec_mib} MiB", "GB/s", "GB/s", "higher",
                                   "mar", [vec["gbps"]], command=f"{command}; GET /vecadd?bytes={vec_mib << 20}",
                                   note=f"{vec['ms']['median']:.2f} ms per dispatch"))
    benchlib.write_json(args.json, records)


if __name__ == "__main__":
    main()
