#!/usr/bin/env bash
# Issue 20's whole-command targets, measured in one run on this machine: the first answer at
# 10,000 VPCs (`validate` and one `trace`, wall time and peak memory against the file's size),
# `trace --repeat` per repetition and its memory, `POST /trace` with and without failed links
# (curl round trips to `vpcsim serve`), and `matrix` over 10,000 senders and ten destinations.
# Each figure is the median of RUNS runs. The trace's own cost is criterion's
# (`cargo bench -p vpcsim-gen --bench trace`), DNS is bench/dns.sh and the curve bench/scale.sh.
# See docs/performance.md, "Issue 20: every target, one run".
#
#   bench/targets.sh [TOPOLOGY]     (default: a generated 10,000-VPC topology)
#
# Environment: RUNS (default 9), VPCSIM (default target/release/vpcsim, built if missing),
# PORT (the HTTP API's port, default 18053).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
VPCSIM=${VPCSIM:-target/release/vpcsim}
PORT=${PORT:-18053}
[ -x "$VPCSIM" ] || cargo build --release -q -p vpcsim
for tool in /usr/bin/time curl; do
    if ! command -v "$tool" > /dev/null; then
        echo "installing ${tool##*/}" >&2
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${tool##*/}" > /dev/null
    fi
done
work=$(mktemp -d)
server=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

file=${1:-}
if [ -n "$file" ] && [ ! -f "$file" ]; then
    echo "no such topology file: $file (give a topology, or no argument to generate 10,000 VPCs)" >&2
    exit 2
fi
if [ -z "$file" ]; then
    file="$work/gen-10000.yaml"
    "$VPCSIM" gen --vpcs 10000 --seed 1 --gateway-endpoints --sites 10 --outposts 5 -o "$file"
fi

row() { printf '%-34s %s\n' "$1" "$2"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# Median wall seconds and peak MB of RUNS runs of a command.
measure() {
    local i out walls=() mems=()
    for ((i = 0; i < RUNS; i++)); do
        if ! /usr/bin/time -f '%e %M' -o "$work/time" "$@" > /dev/null 2> "$work/stderr"; then
            echo "failed: $*" >&2
            cat "$work/stderr" >&2
            exit 1
        fi
        out=$(tail -n 1 "$work/time")
        walls+=("${out% *}")
        mems+=("${out#* }")
    done
    printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | median)" \
        "$(printf '%s\n' "${mems[@]}" | median | awk '{ printf "%.1f", $1 / 1024 }')"
}

# The first trace with a request from a spoke, and one from a site (over Direct Connect), as the
# generated file's expectations write them.
from=$(awk '/^    from: spoke-1\// { print $2; exit }' "$file")
request=$(awk -v f="$from" '$2 == f { getline; sub(/^    request: /, ""); print; exit }' "$file")
site_from=$(awk '/^    from: site-0\// { print $2; exit }' "$file")
site_request=$(awk -v f="$site_from" '$2 == f { getline; sub(/^    request: /, ""); print; exit }' "$file")
link=$(awk '/^links:/ { getline; sub(/^ +/, ""); sub(/:.*/, ""); print; exit }' "$file")
file_mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')

echo "topology: $file ($file_mb MB); $RUNS runs each, medians"
read -r s mb < <(measure "$VPCSIM" validate "$file")
row "first answer, validate:" "$s s, peak $mb MB ($(awk -v m="$mb" -v f="$file_mb" 'BEGIN { printf "%.1f", m / f }')x the file)"
read -r s mb < <(measure "$VPCSIM" trace "$file" --from "$from" "$request")
row "first answer, trace:" "$s s, peak $mb MB ($(awk -v m="$mb" -v f="$file_mb" 'BEGIN { printf "%.1f", m / f }')x the file)"

# trace --repeat: the cost of a repetition is the difference between 100,000 and 1,000
# repetitions (the load is the same), and the peak must not grow with the number.
read -r s1 mb1 < <(measure "$VPCSIM" trace topologies/hybrid-s3.yaml --from datacenter/build-server --repeat 1000 "GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv")
read -r s2 mb2 < <(measure "$VPCSIM" trace topologies/hybrid-s3.yaml --from datacenter/build-server --repeat 100000 "GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv")
row "trace --repeat (hybrid-s3):" "$(awk -v a="$s1" -v b="$s2" 'BEGIN { printf "%.2f", (b - a) / 99000 * 1e6 }') us per repetition; peak $mb1 MB at 1,000, $mb2 MB at 100,000"

# The HTTP API: curl round trips, the server kept running (one view's DNS, to start quickly).
"$VPCSIM" serve "$file" --view public --dns-base-port $((PORT + 1)) --http "127.0.0.1:$PORT" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/health" > /dev/null || {
    echo "vpcsim serve did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
}
round_trip() { # BODY -> median seconds of 5*RUNS round trips
    local i
    for ((i = 0; i < 5 * RUNS; i++)); do
        curl -sf -o /dev/null -w '%{time_total}\n' -H 'content-type: application/json' \
            -d "$1" "http://127.0.0.1:$PORT/trace"
    done | median
}
plain=$(round_trip "{\"from\": \"$site_from\", \"request\": \"$site_request\"}")
failed=$(round_trip "{\"from\": \"$site_from\", \"request\": \"$site_request\", \"fail\": [\"$link\"]}")
row "POST /trace (curl round trip):" "$(awk -v s="$plain" 'BEGIN { printf "%.2f", s * 1000 }') ms; with \"fail\": [\"$link\"] $(awk -v s="$failed" 'BEGIN { printf "%.2f", s * 1000 }') ms"
kill "$server" && wait "$server" 2> /dev/null || true
server=""

# matrix: every sender against five endpoints and five buckets; the command reports the traces'
# own time on standard error.
to=()
for e in $(awk '/^        id: vpce-/ { print $2 }' "$file" | head -n 5); do to+=(--to "$e"); done
for b in $(awk '/^  gen-bucket-[0-9]+:/ { sub(/:$/, "", $1); print $1 }' "$file" | head -n 5); do to+=(--to "$b"); done
read -r s mb < <(measure "$VPCSIM" matrix "$file" "${to[@]}" --format csv)
"$VPCSIM" matrix "$file" "${to[@]}" --format csv > "$work/matrix.csv" 2> "$work/matrix.err" || true
pairs=$(($(wc -l < "$work/matrix.csv") - 1))
traced=$(sed -n 's/.*pairs traced in \(.*\)$/\1/p' "$work/matrix.err")
row "matrix ($pairs pairs):" "$s s whole command, peak $mb MB; the pairs traced in ${traced:-?}"
