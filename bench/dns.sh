#!/usr/bin/env bash
# DNS throughput: dnsperf against `vpcsim serve`, against NSD and against Knot DNS serving
# `vpcsim dns export` of the same view, with the same query file, on this machine, one after the
# other. Prints each one's queries per second, the queries lost, and the ratios vpcsim / NSD and
# vpcsim / Knot. See docs/performance.md.
#
#   bench/dns.sh [TOPOLOGY]            (default topologies/hybrid-s3.yaml; the public view)
#
# Environment: DURATION (seconds per run, default 10), CLIENTS (dnsperf -c, default 8),
# OUTSTANDING (dnsperf -q, default 200), THREADS (dnsperf -T, default 1), PORT (default 15353),
# UDP_SOCKETS (`vpcsim serve --udp-sockets`, default: its own),
# VPCSIM (the binary, default target/release/vpcsim, built if missing).
# Installs dnsperf, nsd and knot with apt-get when they are missing. Everything listens on 127.0.0.1 only.
set -euo pipefail

cd "$(dirname "$0")/.."
TOPOLOGY=${1:-topologies/hybrid-s3.yaml}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
OUTSTANDING=${OUTSTANDING:-200}
THREADS=${THREADS:-1}
PORT=${PORT:-15353}
HTTP_PORT=$((PORT - 1))   # the DNS views take PORT, PORT+1, … (one per view)
VPCSIM=${VPCSIM:-target/release/vpcsim}

need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v nsd >/dev/null || need+=(nsd)
command -v knotd >/dev/null || need+=(knot)
if ((${#need[@]})); then
    echo "installing ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x "$VPCSIM" ]; then
    cargo build --release -q -p vpcsim
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The zones of the public view, and the query file: every name and type they hold (a wildcard
# owner is asked as `www.` under it), each once.
"$VPCSIM" dns export "$TOPOLOGY" --view public --out "$work/zones" > "$work/zones.list" 2>/dev/null
cat "$work/zones"/*.zone \
    | awk '$1 !~ /^[;$]/ && $3 == "IN" && $4 != "SOA" && $4 != "NS" { n = $1; sub(/^\*\./, "www.", n); print n, $4 }' \
    | sort -u > "$work/queries"
echo "topology $TOPOLOGY: view public, $(wc -l < "$work/zones.list") zone(s), $(wc -l < "$work/queries") distinct queries; ${DURATION}s per server, dnsperf -c $CLIENTS -q $OUTSTANDING -T $THREADS, $(nproc) cores"

wait_udp() { # PID: wait until the server answers on PORT (fail if it stopped)
    for _ in $(seq 100); do
        if ! kill -0 "$1" 2>/dev/null; then
            echo "the server stopped before answering:" >&2
            cat "$work"/*.log "$work"/nsd/*.log 2>/dev/null >&2
            return 1
        fi
        if dnsperf -s 127.0.0.1 -p "$PORT" -d "$work/queries" -n 1 -t 1 2>/dev/null | grep -q "Queries completed: *[1-9]"; then
            return 0
        fi
        sleep 0.1
    done
    echo "no DNS server answered on 127.0.0.1:$PORT" >&2
    return 1
}

cpu_ticks() { # PID: CPU time (user + system, clock ticks) of the process and its descendants
    # (NSD's servers are its grandchildren); fields 14 and 15 of /proc/PID/stat, counted after the
    # command name's closing parenthesis.
    local total p
    total=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }')
    total=${total:-0}
    for p in $(pgrep -P "$1" || true); do
        total=$((total + $(cpu_ticks "$p")))
    done
    echo "$total"
}

run_dnsperf() { # NAME PID -> prints "qps lost cpu-us-per-query"
    local before after
    before=$(cpu_ticks "$2")
    dnsperf -s 127.0.0.1 -p "$PORT" -d "$work/queries" -l "$DURATION" -c "$CLIENTS" \
        -q "$OUTSTANDING" -T "$THREADS" > "$work/$1.dnsperf" 2>&1
    after=$(cpu_ticks "$2")
    local qps lost done
    qps=$(awk '/Queries per second:/ { print $4 }' "$work/$1.dnsperf")
    lost=$(awk '/Queries lost:/ { print $3 }' "$work/$1.dnsperf")
    done=$(awk '/Queries completed:/ { print $3 }' "$work/$1.dnsperf")
    local us
    us=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="${done:-0}" \
        'BEGIN { if (n > 0) printf "%.2f", t / hz * 1e6 / n; else print "n/a" }')
    echo "${qps:-0} ${lost:-?} $us"
}

stop() { # PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# 1. vpcsim serve, every view: the public view is the first listener, on --dns-base-port. vpcsim
#    raises its open-files limit itself and, on a large topology, says which views answer over UDP
#    only (see docs/serve.md, "Open files"); its log is shown if it fails to start.
RUST_LOG=warn "$VPCSIM" serve "$TOPOLOGY" ${UDP_SOCKETS:+--udp-sockets "$UDP_SOCKETS"} --dns-base-port "$PORT" --http "127.0.0.1:$HTTP_PORT" \
    > "$work/vpcsim.log" 2>&1 &
vpcsim_pid=$!
pids+=("$vpcsim_pid")
wait_udp "$vpcsim_pid"
read -r vpcsim_qps vpcsim_lost vpcsim_cpu < <(run_dnsperf vpcsim "$vpcsim_pid")
stop "$vpcsim_pid"

# 2. NSD on the exported zones, without response rate limiting, as many servers as cores.
mkdir -p "$work/nsd"
{
    cat <<CONF
server:
    ip-address: 127.0.0.1
    port: $PORT
    server-count: $(nproc)
    username: ""
    chroot: ""
    zonesdir: "$work/zones"
    database: ""
    zonelistfile: "$work/nsd/zone.list"
    xfrdfile: "$work/nsd/xfrd.state"
    pidfile: "$work/nsd/nsd.pid"
    logfile: "$work/nsd/nsd.log"
    hide-version: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
CONF
    while IFS=$'\t' read -r zone file; do
        printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$zone" "$file"
    done < "$work/zones.list"
} > "$work/nsd.conf"
nsd-checkconf "$work/nsd.conf"
nsd -d -c "$work/nsd.conf" > "$work/nsd/stdout.log" 2>&1 &
nsd_pid=$!
pids+=("$nsd_pid")
wait_udp "$nsd_pid"
read -r nsd_qps nsd_lost nsd_cpu < <(run_dnsperf nsd "$nsd_pid")
stop "$nsd_pid"

# 3. Knot DNS on the same zones: as many UDP workers as cores, one TCP worker (TCP is not measured).
mkdir -p "$work/knot"
{
    cat <<CONF
server:
    rundir: "$work/knot"
    listen: 127.0.0.1@$PORT
    udp-workers: $(nproc)
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$work/knot"
template:
  - id: default
    storage: "$work/zones"
    zonefile-sync: -1
    journal-content: none
zone:
CONF
    while IFS=$'\t' read -r zone file; do
        printf '  - domain: "%s"\n    file: "%s"\n' "$zone" "$file"
    done < "$work/zones.list"
} > "$work/knot.conf"
knotc -c "$work/knot.conf" conf-check > /dev/null
knotd -c "$work/knot.conf" > "$work/knot/stdout.log" 2>&1 &
knot_pid=$!
pids+=("$knot_pid")
wait_udp "$knot_pid"
read -r knot_qps knot_lost knot_cpu < <(run_dnsperf knot "$knot_pid")
stop "$knot_pid"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-8s %12s qps  %s lost  %s µs server CPU per query\n' vpcsim "$vpcsim_qps" "$vpcsim_lost" "$vpcsim_cpu" \
    nsd "$nsd_qps" "$nsd_lost" "$nsd_cpu" knot "$knot_qps" "$knot_lost" "$knot_cpu"
echo "ratio vpcsim/nsd: $(ratio "$vpcsim_qps" "$nsd_qps") (target: at least 1.20)"
echo "ratio vpcsim/knot: $(ratio "$vpcsim_qps" "$knot_qps") (target: at least 1.00)"
