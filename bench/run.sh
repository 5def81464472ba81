#!/usr/bin/env bash
# `make bench` (BENCH_ARGS="--quick" or "--only http,actors" pass through): installs the pinned
# peers (scripts/setup-peers.sh: workerd, Deno and Bun from npm into bench/.peers; Erlang/OTP, CAF
# and hyperfine from Debian), then bench/run.py runs every step, mar and its peers interleaved, and
# prints one table (also written under bench/results/). A peer that cannot be installed (offline)
# is skipped with the reason; the run goes on without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-peers.sh || echo "bench: some peers are not installed; they are skipped" >&2
exec python3 bench/run.py "$@"
