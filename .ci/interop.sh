#!/usr/bin/env bash
# Interop: start `vpcsim serve` on a shipped topology, query every view with dig and kdig (UDP and
# TCP), compare the addresses with `vpcsim resolve`, call the HTTP API with curl, stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dig >/dev/null || need+=(dnsutils)
command -v kdig >/dev/null || need+=(knot-dnsutils)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build -q -p vpcsim
# The binary `cargo build` just made, wherever CARGO_TARGET_DIR puts it.
bin="${CARGO_TARGET_DIR:-target}/debug/vpcsim"
topo=topologies/hybrid-s3.yaml
base=15300
http=127.0.0.1:18053
regional=vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com
outposts=reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com

work=$(mktemp -d)
"$bin" serve "$topo" --dns-base-port "$base" --http "$http" >"$work/out" 2>"$work/err" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "interop: $*" >&2
  echo "--- server output" >&2; cat "$work/out" "$work/err" >&2
  exit 1
}

for _ in $(seq 1 300); do
  if dig +short +time=1 +tries=1 @127.0.0.1 -p "$base" "$regional" 2>/dev/null | grep -q .; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || fail "vpcsim serve exited"
  sleep 0.2
done
grep -q "^  127.0.0.1:$base " "$work/out" || fail "the server is not answering on port $base"

# The model's addresses (sorted) for a view and a name.
model() {
  "$bin" resolve "$topo" --from "$1" "$2" --format json 2>/dev/null |
    python3 -c 'import json,sys; print("\n".join(sorted(a["data"] for a in json.load(sys.stdin)["answers"] if a["type"]=="A")))'
}
# dig's / kdig's addresses (sorted).
addrs() { grep -E '^[0-9.]+$' | sort; }

# One "ADDR:PORT VIEW" per listener, from the startup listing.
listeners=$(awk '/^  127\.0\.0\.1:[0-9]+ /{print $1, $2}' "$work/out")
[ "$(echo "$listeners" | wc -l)" -ge 5 ] || fail "expected five views, got: $listeners"
while read -r addr view; do
  port=${addr##*:}
  want=$(model "$view" "$regional")
  [ -n "$want" ] || fail "vpcsim resolve gave no address for $regional from $view"
  for client in "dig +short" "dig +short +tcp" "kdig +short" "kdig +short +tcp"; do
    got=$($client @127.0.0.1 -p "$port" "$regional" A | addrs)
    [ "$got" = "$want" ] || fail "$client ($view): got [$got], vpcsim resolve says [$want]"
  done
  echo "view $view ($addr): $regional → $(echo "$want" | tr '\n' ' ')"
done <<<"$listeners"

# The four X-ENIs rotate: two successive queries lead with different addresses, same set.
port_shared=$(echo "$listeners" | awk '$2=="shared"{sub(/.*:/,"",$1); print $1}')
first=$(dig +short @127.0.0.1 -p "$port_shared" "$outposts")
second=$(kdig +short @127.0.0.1 -p "$port_shared" "$outposts")
[ "$(echo "$first" | wc -l)" -eq 4 ] || fail "expected four X-ENIs, got: $first"
[ "$(echo "$first" | head -1)" != "$(echo "$second" | head -1)" ] || fail "no rotation: $first / $second"
[ "$(echo "$first" | sort)" = "$(model shared "$outposts")" ] || fail "X-ENIs differ from vpcsim resolve"
echo "outposts rotation: $(echo "$first" | head -1) then $(echo "$second" | head -1)"

# Negative answers and flags.
status() { dig +time=2 +tries=1 @127.0.0.1 -p "$1" "$2" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
[ "$(status "$base" vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com)" = NXDOMAIN ] || fail "expected NXDOMAIN"
[ "$(status "$base" www.example.com)" = REFUSED ] || fail "expected REFUSED"
dig @127.0.0.1 -p "$base" "$regional" | grep -q 'flags: qr aa' || fail "public DNS answers without AA"
kdig @127.0.0.1 -p "$base" "$regional" | grep -q 'status: NOERROR' || fail "kdig: no NOERROR"
# A negative answer carries its zone's SOA (RFC 2308), over UDP and TCP.
for t in +notcp +tcp; do
  dig $t +noall +authority @127.0.0.1 -p "$base" vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com |
    grep -Eq '^amazonaws\.com\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA[[:space:]]' || fail "NXDOMAIN without the zone's SOA ($t)"
done
echo "NXDOMAIN (with its SOA), REFUSED and AA as expected"

# HTTP API.
curl -sf "http://$http/health" | grep -q '"status": "ok"' || fail "/health"
verdict=$(curl -sf "http://$http/trace" -H 'content-type: application/json' \
  -d "{\"from\": \"datacenter/build-server\", \"request\": \"GET https://bucket.$regional/DOC-EXAMPLE-BUCKET1/report.csv\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
[ "$verdict" = allowed ] || fail "/trace verdict $verdict"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$http/nope")
[ "$code" = 404 ] || fail "unknown route gave $code"
# DNS rebinding: another Host is refused, localhost (any port) is answered.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "http://$http/health")
[ "$code" = 403 ] || fail "Host evil.example gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:${http##*:}/health")
[ "$code" = 200 ] || fail "localhost gave $code"
echo "HTTP API: /health ok, /trace allowed, 404 for an unknown route, 403 for Host evil.example"

# Several queries on one TCP connection (dig +keepopen), answered in order.
got=$(dig +tcp +keepopen +short @127.0.0.1 -p "$base" "$regional" A s3.us-east-1.amazonaws.com A "$regional" AAAA | grep -cE '^[0-9.]+$')
[ "$got" -ge 3 ] || fail "dig +tcp +keepopen: $got addresses"
echo "DNS over TCP: three queries on one connection"

# Graceful stop.
kill -TERM "$pid"
wait "$pid" || fail "vpcsim serve exited with $? on SIGTERM"
trap 'rm -rf "$work"' EXIT

# One truth: an inbound Resolver endpoint whose security group refuses the data center's resolver.
# `vpcsim resolve` walks the forwarded query and says SERVFAIL; dig against the server must too.
blocked=tests/scenarios/blocked-inbound-resolver.yaml
"$bin" serve "$blocked" --dns-base-port 0 --http 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
trap cleanup EXIT
for _ in $(seq 1 300); do
  grep -q '^Ctrl-C to stop' "$work/out" && break
  kill -0 "$pid" 2>/dev/null || fail "vpcsim serve exited ($blocked)"
  sleep 0.2
done
port_dc=$(awk '$2=="datacenter"{sub(/.*:/,"",$1); print $1}' "$work/out")
want=$("$bin" resolve "$blocked" --from datacenter s3.us-east-1.amazonaws.com --format json 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
[ "$want" = SERVFAIL ] || fail "vpcsim resolve says $want for the blocked inbound endpoint"
for client in "dig +tries=1" "kdig +retry=0"; do
  got=$($client +time=2 @127.0.0.1 -p "$port_dc" s3.us-east-1.amazonaws.com | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
  [ "$got" = SERVFAIL ] || fail "$client on the datacenter view: $got, vpcsim resolve says SERVFAIL"
done
echo "blocked inbound Resolver endpoint: SERVFAIL from vpcsim resolve, dig and kdig"
kill -TERM "$pid"
wait "$pid" || fail "vpcsim serve exited with $? on SIGTERM"
trap 'rm -rf "$work"' EXIT
echo "interop passed"
