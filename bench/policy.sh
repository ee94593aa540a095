#!/usr/bin/env bash
# `vpcsim policy eval --batch` throughput on one core: cases of 1-5 statements per policy
# (identity, often a bucket and an endpoint policy too), every case's policies distinct (each
# parsed) and drawn from 64 shared sets. Figures go in docs/performance.md.
#
#   bench/policy.sh [CASES]     (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
cargo build -q --release -p vpcsim
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
for mode in distinct shared; do
    python3 bench/policy_cases.py "$n" "$mode" > "$dir/$mode.jsonl"
    start=$(date +%s.%N)
    taskset -c 0 ./target/release/vpcsim policy eval --batch "$dir/$mode.jsonl" > "$dir/$mode.out" 2> "$dir/$mode.err" || { cat "$dir/$mode.err" >&2; }
    end=$(date +%s.%N)
    errors=$(grep -c '"decision":"error"' "$dir/$mode.out" || true)
    python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'{sys.argv[4]:9} {n} cases in {s:.2f} s: {n/s:,.0f} evaluations/s ({sys.argv[5]} errors)')" \
        "$n" "$start" "$end" "$mode" "$errors"
done
