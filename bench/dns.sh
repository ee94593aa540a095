#!/usr/bin/env bash
# DNS throughput: `vpcsim serve` against NSD and against Knot DNS serving `vpcsim dns export` of
# the same view, with the same query file, on this machine. Prints each one's queries per second,
# the queries lost and the server's CPU time per query, and the ratios vpcsim / NSD and
# vpcsim / Knot. See docs/performance.md and docs/decisions.md ("Measuring the DNS server").
#
#   bench/dns.sh [TOPOLOGY]            (default topologies/hybrid-s3.yaml; the public view)
#
# How it measures, the same for all three servers:
# - The three servers run at once, each on its own port, started the same way. A run loads one
#   of them for DURATION seconds while the other two sit idle; ROUNDS rounds load each once per
#   round, in a rotating order (vpcsim, nsd, knot; then nsd, knot, vpcsim; ...), so that load from
#   elsewhere on the machine (builds, tests) falls on all three alike. Each figure is the median
#   over the rounds; the ratios are those of the medians.
# - MODE=pinned (default): every server is confined to CPU 0 (`taskset -c 0`) with one worker
#   (NSD `server-count: 1`, Knot `udp-workers: 1`, `vpcsim serve --udp-sockets 1`, whose runtime
#   has one worker per CPU it may use, so one) and the load generator to CPU 1, so the generator
#   never takes CPU time from the server it loads. Over loopback the generator spends about as
#   much kernel time per query as the server (sending a datagram runs the receiver's receive
#   path), so one core of generator cannot outrun one core of server: the server's cgroup gets a
#   CFS CPU quota of QUOTA % of its core (default 50: 5 ms per 10 ms), which makes every server
#   the bottleneck with the generator to spare. Each run prints the server's CPU use as a share of
#   its core (at the quota: the server was the limit), the generator's, and the CPU time other
#   processes took. QUOTA=0 gives the server its whole core (the generator is then the limit for
#   the fastest server). The server's and the generator's cgroups get ten times the default CPU
#   weight (PRIORITY=1) so that other work on a shared machine disturbs less. Needs root (cgroups);
#   QUOTA=0 PRIORITY=0 runs without.
#   MODE=shared: no pinning, no quota, as many workers as cores, generator and server sharing the
#   cores (how this script measured before).
# - The main figures come from vpcsim-dnsload (crates/vpcsim-dnsload, built with the workspace):
#   sendmmsg/recvmmsg batches on SOCKETS connected UDP sockets, OUTSTANDING queries in flight on
#   each, every answer matched to its query by socket and ID and checked (a response with the
#   question echoed), lost queries counted after a 2 s timeout; in pinned mode it busy-polls
#   (`--spin`) its own core, so no server pays for waking it (on a network, answers never wake
#   the client's thread from the server's system call). One dnsperf thread tops out at about
#   310-320k queries per second here, below vpcsim's rate, so dnsperf alone measured itself.
#   dnsperf still runs against each server in each round, right after vpcsim-dnsload (same
#   server process, same pinning and quota), and its figures and ratios are printed on the lines
#   marked "dnsperf" (DNSPERF=0 skips it).
#
# Environment: MODE (pinned or shared, default pinned), QUOTA (percent of a core for the server in
# pinned mode, default 50; 0: no quota), PRIORITY (1: raise the CPU weight of the server and the
# generator, default 1), ROUNDS (default 3), DURATION (seconds per run, default 5), SOCKETS
# (vpcsim-dnsload sockets, default 4), OUTSTANDING (vpcsim-dnsload queries in flight per socket,
# default 32), DNSPERF (1: also run dnsperf, default 1), CLIENTS (dnsperf -c, default 8),
# DNSPERF_OUTSTANDING (dnsperf -q, default 200), THREADS (dnsperf -T, default 1), PORT (vpcsim's
# first DNS port, default 15353; its views take PORT, PORT+1, ...; its HTTP API PORT-1, NSD PORT-2,
# Knot PORT-3), UDP_SOCKETS (`vpcsim serve --udp-sockets` in shared mode, default: its own),
# VPCSIM and DNSLOAD (the binaries, default target/release/vpcsim and
# target/release/vpcsim-dnsload, built if missing).
# Installs dnsperf, nsd, knot and time with apt-get when they are missing. Everything listens on 127.0.0.1 only.
set -euo pipefail

cd "$(dirname "$0")/.."
TOPOLOGY=${1:-topologies/hybrid-s3.yaml}
MODE=${MODE:-pinned}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
SOCKETS=${SOCKETS:-4}
OUTSTANDING=${OUTSTANDING:-32}
DNSPERF=${DNSPERF:-1}
CLIENTS=${CLIENTS:-8}
DNSPERF_OUTSTANDING=${DNSPERF_OUTSTANDING:-200}
THREADS=${THREADS:-1}
PORT=${PORT:-15353}
HTTP_PORT=$((PORT - 1))
NSD_PORT=$((PORT - 2))
KNOT_PORT=$((PORT - 3))
VPCSIM=${VPCSIM:-target/release/vpcsim}
DNSLOAD=${DNSLOAD:-target/release/vpcsim-dnsload}

work=$(mktemp -d)
pids=()
cgroups=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
    for c in "${cgroups[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$c" 2>/dev/null && break; sleep 0.2; done
    done
}
trap cleanup EXIT

QUOTA=${QUOTA:-50}
PRIORITY=${PRIORITY:-1}
case "$MODE" in
    pinned)
        if [ "$(nproc)" -lt 2 ]; then echo "MODE=pinned needs two CPUs" >&2; exit 2; fi
        on_server=(taskset -c 0); on_load=(taskset -c 1); spin=(--spin)
        WORKERS=1; UDP_SOCKETS=1 ;;
    shared)
        on_server=(); on_load=(); spin=(); QUOTA=0
        WORKERS=$(nproc) ;;
    *) echo "MODE must be pinned or shared" >&2; exit 2 ;;
esac

# The CPU controller: cgroup v1's cpu hierarchy, or cgroup v2 with cpu enabled for children.
cgroup_root=""
if [ -w /sys/fs/cgroup/cpu/cgroup.procs ] && [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
    cgroup_root=/sys/fs/cgroup/cpu; cgroup_v=1
elif [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control; then
    cgroup_root=/sys/fs/cgroup; cgroup_v=2
fi
if ((QUOTA > 0 || PRIORITY)) && [ -z "$cgroup_root" ]; then
    echo "QUOTA and PRIORITY need a writable cpu cgroup (run as root; cgroup v1 cpu, or v2 with +cpu);" \
        "QUOTA=0 PRIORITY=0 runs without" >&2
    exit 2
fi
new_cgroup() { # NAME QUOTA-PERCENT (0: none): creates the cgroup $cgroup
    cgroup="$cgroup_root/vpcsim-dnsbench-$$-$1"
    mkdir "$cgroup"
    cgroups+=("$cgroup")
    if [ "$cgroup_v" = 1 ]; then
        if ((PRIORITY)); then echo 10240 > "$cgroup/cpu.shares"; fi
        if (($2 > 0)); then
            echo 10000 > "$cgroup/cpu.cfs_period_us"
            echo $((10000 * $2 / 100)) > "$cgroup/cpu.cfs_quota_us"
        fi
    else
        if ((PRIORITY)); then echo 1000 > "$cgroup/cpu.weight"; fi
        if (($2 > 0)); then echo "$((10000 * $2 / 100)) 10000" > "$cgroup/cpu.max"; fi
    fi
}
if [ -n "$cgroup_root" ] && ((QUOTA > 0 || PRIORITY)); then
    # Each command moves itself into its cgroup before it starts (NSD's children then start there).
    into='echo $$ > "$0/cgroup.procs" && exec "$@"'
    new_cgroup server "$QUOTA"
    on_server=(sh -c "$into" "$cgroup" "${on_server[@]}")
    new_cgroup load 0
    on_load=(sh -c "$into" "$cgroup" "${on_load[@]}")
fi

need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v nsd >/dev/null || need+=(nsd)
command -v knotd >/dev/null || need+=(knot)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
    echo "installing ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x "$VPCSIM" ]; then
    cargo build --release -q -p vpcsim
fi
if [ ! -x "$DNSLOAD" ]; then
    cargo build --release -q -p vpcsim-dnsload
fi


# The zones of the public view, and the query file: every name and type they hold (a wildcard
# owner is asked as `www.` under it), each once.
"$VPCSIM" dns export "$TOPOLOGY" --view public --out "$work/zones" > "$work/zones.list" 2>/dev/null
cat "$work/zones"/*.zone \
    | awk '$1 !~ /^[;$]/ && $3 == "IN" && $4 != "SOA" && $4 != "NS" { n = $1; sub(/^\*\./, "www.", n); print n, $4 }' \
    | sort -u > "$work/queries"
echo "topology $TOPOLOGY: view public, $(wc -l < "$work/zones.list") zone(s), $(wc -l < "$work/queries") distinct queries; $(nproc) cores"
if [ "$MODE" = pinned ]; then
    echo "MODE=pinned: each server on CPU 0 with one worker$( ((QUOTA)) && echo " and $QUOTA % of that CPU (cgroup CPU quota)"), the load generator on CPU 1"
else
    echo "MODE=shared: no pinning, $WORKERS workers per server"
fi
echo "$ROUNDS rounds of ${DURATION}s per server: vpcsim-dnsload -c $SOCKETS -q $OUTSTANDING ${spin[*]}$( ((DNSPERF)) && echo ", then dnsperf -c $CLIENTS -q $DNSPERF_OUTSTANDING -T $THREADS")"

wait_udp() { # PID PORT: wait until the server answers on PORT (fail if it stopped)
    for _ in $(seq 300); do
        if ! kill -0 "$1" 2>/dev/null; then
            echo "the server stopped before answering:" >&2
            cat "$work"/*.log "$work"/nsd/*.log "$work"/knot/*.log 2>/dev/null >&2
            return 1
        fi
        if "$DNSLOAD" -s "127.0.0.1:$2" -d "$work/queries" -n 1 -t 0.2 2>/dev/null | grep -q "Queries completed: *[1-9]"; then
            return 0
        fi
        sleep 0.1
    done
    echo "no DNS server answered on 127.0.0.1:$2" >&2
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

busy_ticks() { # the machine's busy CPU time (all CPUs, clock ticks): /proc/stat minus idle and iowait
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# run_load NAME PID PORT TOOL: one run; appends "NAME TOOL qps lost µs/query server% generator%
# others%" to $work/results (TOOL: dnsload or dnsperf; its output is kept in $work/NAME.TOOL.N)
runs=0
run_load() {
    runs=$((runs + 1))
    local out="$work/$1.$4.$runs" before after busy0 busy1
    before=$(cpu_ticks "$2")
    busy0=$(busy_ticks)
    if [ "$4" = dnsload ]; then
        /usr/bin/time -f "time %e %U %S" -o "$out.time" "${on_load[@]}" "$DNSLOAD" "${spin[@]}" \
            -s "127.0.0.1:$3" -d "$work/queries" -l "$DURATION" -c "$SOCKETS" -q "$OUTSTANDING" \
            > "$out" 2>&1 || true
    else
        /usr/bin/time -f "time %e %U %S" -o "$out.time" "${on_load[@]}" dnsperf -s 127.0.0.1 \
            -p "$3" -d "$work/queries" -l "$DURATION" -c "$CLIENTS" -q "$DNSPERF_OUTSTANDING" \
            -T "$THREADS" > "$out" 2>&1 || true
    fi
    busy1=$(busy_ticks)
    after=$(cpu_ticks "$2")
    local qps lost done
    qps=$(awk '/Queries per second:/ { print $4 }' "$out")
    lost=$(awk '/Queries lost:/ { print $3 }' "$out")
    done=$(awk '/Queries completed:/ { print $3 }' "$out")
    if [ "$4" = dnsload ]; then
        # Answers that were not responses to their question, or datagrams nobody asked for.
        local bad
        bad=$(awk '/Bad answers:|Unexpected datagrams:/ { n += $3 } END { print n + 0 }' "$out")
        [ "$bad" = 0 ] || lost="${lost:-?}+${bad}bad"
    fi
    awk -v name="$1" -v tool="$4" -v t=$((after - before)) -v busy=$((busy1 - busy0)) \
        -v hz="$(getconf CLK_TCK)" -v n="${done:-0}" -v q="${qps:-0}" -v l="${lost:-?}" '
        /^time/ { wall = $2; gen = $3 + $4 }
        END {
            us = n > 0 ? sprintf("%.2f", t / hz * 1e6 / n) : "n/a"
            others = busy / hz - t / hz - gen
            if (others < 0) others = 0
            if (wall <= 0) wall = 1
            printf "%s %s %.0f %s %s %.0f %.0f %.0f\n", name, tool, q, l, us,
                100 * t / hz / wall, 100 * gen / wall, 100 * others / wall
        }' "$out.time" | tee -a "$work/results" | {
        read -r name tool qps lost us scpu gcpu ocpu
        label=$name; [ "$tool" = dnsperf ] && label="$name (dnsperf)"
        printf '  %-16s %8s qps  %s lost  %s µs/query  CPU: server %s %%, generator %s %%, others %s %%\n' \
            "$label" "$qps" "$lost" "$us" "$scpu" "$gcpu" "$ocpu"
    }
}

# 1. vpcsim serve, every view: the public view is the first listener, on --dns-base-port. vpcsim
#    raises its open-files limit itself and, on a large topology, says which views answer over UDP
#    only (see docs/serve.md, "Open files"); its log is shown if it fails to start.
RUST_LOG=warn "${on_server[@]}" "$VPCSIM" serve "$TOPOLOGY" ${UDP_SOCKETS:+--udp-sockets "$UDP_SOCKETS"} \
    --dns-base-port "$PORT" --http "127.0.0.1:$HTTP_PORT" > "$work/vpcsim.log" 2>&1 &
vpcsim_pid=$!
pids+=("$vpcsim_pid")

# 2. NSD on the exported zones, without response rate limiting (Debian's NSD limits by default).
mkdir -p "$work/nsd"
{
    cat <<CONF
server:
    ip-address: 127.0.0.1
    port: $NSD_PORT
    server-count: $WORKERS
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
"${on_server[@]}" nsd -d -c "$work/nsd.conf" > "$work/nsd/stdout.log" 2>&1 &
nsd_pid=$!
pids+=("$nsd_pid")

# 3. Knot DNS on the same zones: WORKERS UDP workers, one TCP worker (TCP is not measured).
mkdir -p "$work/knot"
{
    cat <<CONF
server:
    rundir: "$work/knot"
    listen: 127.0.0.1@$KNOT_PORT
    udp-workers: $WORKERS
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
"${on_server[@]}" knotd -c "$work/knot.conf" > "$work/knot/stdout.log" 2>&1 &
knot_pid=$!
pids+=("$knot_pid")

wait_udp "$vpcsim_pid" "$PORT"
wait_udp "$nsd_pid" "$NSD_PORT"
wait_udp "$knot_pid" "$KNOT_PORT"

servers=("vpcsim $vpcsim_pid $PORT" "nsd $nsd_pid $NSD_PORT" "knot $knot_pid $KNOT_PORT")
: > "$work/results"
for ((round = 0; round < ROUNDS; round++)); do
    echo "round $((round + 1)):"
    for ((k = 0; k < 3; k++)); do
        read -r name pid port <<< "${servers[$(((round + k) % 3))]}"
        run_load "$name" "$pid" "$port" dnsload
        if ((DNSPERF)); then
            run_load "$name" "$pid" "$port" dnsperf
        fi
    done
done

median() { # NAME TOOL FIELD: the median of FIELD over the runs of NAME with TOOL
    awk -v n="$1" -v t="$2" -v f="$3" '$1 == n && $2 == t { print $f }' "$work/results" \
        | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
lost_total() { # NAME TOOL: the queries lost in all runs (and bad answers, if any)
    awk -v n="$1" -v t="$2" '$1 == n && $2 == t { split($4, p, "+"); l += p[1]; if (p[2] != "") b += p[2] + 0 }
        END { printf "%d", l; if (b) printf "+%dbad", b }' "$work/results"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "medians of $ROUNDS rounds (lost: all rounds together):"
tools=(dnsload); ((DNSPERF)) && tools+=(dnsperf)
for tool in "${tools[@]}"; do
    for name in vpcsim nsd knot; do
        label=$name; [ "$tool" = dnsperf ] && label="$name (dnsperf)"
        printf '%-16s %8.0f qps  %s lost  %s µs server CPU per query  (server CPU %s %% of its core%s)\n' \
            "$label" "$(median "$name" "$tool" 3)" "$(lost_total "$name" "$tool")" \
            "$(median "$name" "$tool" 5)" "$(median "$name" "$tool" 6)" \
            "$([ "$MODE" = pinned ] && echo ", generator $(median "$name" "$tool" 7) % of its")"
    done
done
echo "ratio vpcsim/nsd: $(ratio "$(median vpcsim dnsload 3)" "$(median nsd dnsload 3)") (target: at least 1.20)"
echo "ratio vpcsim/knot: $(ratio "$(median vpcsim dnsload 3)" "$(median knot dnsload 3)") (target: at least 1.00)"
if ((DNSPERF)); then
    echo "dnsperf ratio vpcsim/nsd: $(ratio "$(median vpcsim dnsperf 3)" "$(median nsd dnsperf 3)"), vpcsim/knot: $(ratio "$(median vpcsim dnsperf 3)" "$(median knot dnsperf 3)")"
fi
