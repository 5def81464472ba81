#!/usr/bin/env bash
# `make bench`: runs the benchmarks beside their peers and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 bench/run.py
