#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, and prints each
# target's executions, coverage (libFuzzer's cov and ft) and crashes.
#
#   fuzz/run.sh SECONDS [TARGET…]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Environment:
#   FUZZ_JOBS=N   run N worker processes per target (libFuzzer's -fork=N; default 1)
#   FUZZ_RUNS=N   stop a target after N executions if that comes before SECONDS (-runs=N)
#
# Builds without a sanitizer (`-s none`: vpcsim forbids unsafe code, so what fuzzing finds are
# panics, hangs and memory growth, and a sanitizer would halve the executions) and with debug
# assertions (`-a`: integer overflow panics). Each target starts from its committed seeds in
# fuzz/corpus/TARGET/ and keeps what it finds in fuzz/work/TARGET/ (not committed). A crash is
# written to fuzz/artifacts/TARGET/; once fixed, copy it to fuzz/regressions/TARGET/, where
# tests/fuzz.rs runs it in the normal test suite (`cargo test -p vpcsim --test fuzz`).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(topology policy request dns)
fi
jobs=${FUZZ_JOBS:-1}

# The longest input worth trying: topologies of 8 KB hold every kind of element (the seeds longer
# than that are cut, and still parse up to the cut), and shorter inputs run faster; requests and
# DNS messages are short (a UDP query is at most 512 bytes without EDNS, 4 KB with it).
max_len() {
  case "$1" in
    topology) echo 8192 ;;
    policy) echo 8192 ;;
    request) echo 1024 ;;
    dns) echo 4096 ;;
  esac
}

cargo +nightly fuzz build -s none -a
mkdir -p logs
status=0
for t in "${targets[@]}"; do
  mkdir -p "work/$t" "artifacts/$t"
  log="logs/$t.log"
  extra=()
  if [ "$jobs" -gt 1 ]; then
    extra=(-fork="$jobs" -ignore_crashes=1)
  fi
  if [ -n "${FUZZ_RUNS:-}" ]; then
    extra+=(-runs="$FUZZ_RUNS")
  fi
  start=$(date +%s)
  cargo +nightly fuzz run -s none -a "$t" "work/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${extra[@]}" >"$log" 2>&1 || status=1
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  if [ -z "$runs" ]; then
    runs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  fi
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  crashes=$(find "artifacts/$t" -type f | wc -l)
  took=$(($(date +%s) - start))
  echo "$t: ${runs:-?} executions in ${took} s, ${cov:-no coverage line}, ${crashes} crash file(s) in fuzz/artifacts/$t (log: fuzz/$log)"
done
exit $status
