#!/usr/bin/env bash
# How vpcsim's whole commands grow with the size of the topology: for each number of VPCs, a
# generated topology (`vpcsim gen --seed 1 --gateway-endpoints --sites 10 --outposts 5`), its size,
# then the wall time and peak memory of `validate`, of one `trace` (the first answer a user waits
# for) and of `check`, each the median of RUNS runs (measured with /usr/bin/time). See
# docs/performance.md, "Scale".
#
#   bench/scale.sh [N…]              (default: 1000 10000 100000)
#
# Environment: RUNS (default 3), VPCSIM (the binary, default target/release/vpcsim, built if
# missing), KEEP (a folder to keep the generated files in; default a temporary one).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
VPCSIM=${VPCSIM:-target/release/vpcsim}
sizes=("$@")
((${#sizes[@]})) || sizes=(1000 10000 100000)
if [ ! -x "$VPCSIM" ]; then
    cargo build --release -q -p vpcsim
fi
if [ ! -x /usr/bin/time ]; then
    echo "installing time" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
fi
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

measure() { # COMMAND… -> prints "median-seconds median-MB" over RUNS runs
    local walls=() mems=() i out
    for ((i = 0; i < RUNS; i++)); do
        out=$( { /usr/bin/time -f '%e %M' "$@" > /dev/null 2> "$work/stderr"; } 2>&1 ) || true
        out=$(tail -n 1 "$work/stderr")
        walls+=("${out% *}")
        mems+=("${out#* }")
    done
    local wall mem
    wall=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    mem=$(printf '%s\n' "${mems[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.0f", a[int((NR + 1) / 2)] / 1024 }')
    echo "$wall $mem"
}

printf '%8s %9s | %9s %8s | %9s %8s | %9s %8s\n' VPCs 'file MB' 'validate' 'MB' 'trace' 'MB' 'check' 'MB'
for n in "${sizes[@]}"; do
    file="$work/gen-$n.yaml"
    [ -s "$file" ] || "$VPCSIM" gen --vpcs "$n" --seed 1 --gateway-endpoints --sites 10 --outposts 5 -o "$file"
    mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')
    # The trace of the first expectation with a request (a spoke to its hub's interface endpoint).
    from=$(awk '/^    from: spoke-1\// { print $2; exit }' "$file")
    request=$(awk -v f="$from" '$2 == f { getline; sub(/^    request: /, ""); print; exit }' "$file")
    read -r v_s v_mb < <(measure "$VPCSIM" validate "$file")
    read -r t_s t_mb < <(measure "$VPCSIM" trace "$file" --from "$from" "$request")
    read -r c_s c_mb < <(measure "$VPCSIM" check "$file")
    printf '%8s %9s | %8ss %8s | %8ss %8s | %8ss %8s\n' "$n" "$mb" "$v_s" "$v_mb" "$t_s" "$t_mb" "$c_s" "$c_mb"
done
