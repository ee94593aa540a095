#!/usr/bin/env bash
# The emulation front against s3s served directly (same client, same objects, same machine):
# requests per second and the latency the front adds. Figures go in docs/performance.md.
#
#   bench/front.sh [REQUESTS]     (default 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q --release -p vpcsim-front --example front_bench -- "${1:-5000}"
