#!/usr/bin/env bash
# `make bench`: runs the benchmarks beside their peers and prints the tables.
#   1. scripts/setup-peers.sh installs the pinned peers (workerd, Deno, Bun into bench/.peers;
#      Erlang's erlang-base with apt); if it cannot (offline), the benches skip those peers
#      instead of failing.
#   2. bench/run.py: start-up, idle memory, timers (mar vs Node).
#   3. bench/http_bench.py: HTTP hello world under wrk, mar vs workerd, Deno, Bun and Node
#      (HTTP_DURATION=3 for a quick run; HTTP_ROUNDS=3 to judge the noise).
#   4. bench/actors/actors_bench.py: the actor benchmarks (ping-pong, ring, spawn, HTTP -> actor),
#      mar vs Erlang/OTP and workerd (ACTORS_BENCH_ARGS=--quick for a smoke run).
#   5. bench/wasm/wasm_bench.py: Wasm actor spawn, 50,000 live Wasm actors, JS -> Wasm call vs
#      JS -> JS (WASM_BENCH_ARGS=--quick for a smoke run).
#   6. bench/gpu/gpu_bench.py: env.GPU empty dispatch round trip vs Deno's WebGPU on the same
#      driver, and vector-add bandwidth (GPU_BENCH_ARGS=--quick; --driver system on a real GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-peers.sh || echo "bench: some peers are not installed; they are skipped" >&2
python3 bench/run.py
python3 bench/http_bench.py
# shellcheck disable=SC2086  # ACTORS_BENCH_ARGS is a list of flags
python3 bench/actors/actors_bench.py ${ACTORS_BENCH_ARGS:-}
# shellcheck disable=SC2086
python3 bench/wasm/wasm_bench.py ${WASM_BENCH_ARGS:-}
# shellcheck disable=SC2086
python3 bench/gpu/gpu_bench.py ${GPU_BENCH_ARGS:-}
