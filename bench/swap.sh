#!/usr/bin/env bash
# Atomic swap under load (issue 14): wrk keeps 64 connections busy on an uploaded deployment while
# it is replaced 200 times (uploads with the same id, alternating the Rust and the C hello guest,
# both answering "Hello, world!"); counts the requests that were not answered 200, and the
# uploads that were refused. The deployment queues up to SWAP_MAX_QUEUED (256) requests, so that
# the admission limit (503 when its queue is full) does not shed load the swaps are measured by;
# for the same reason a request may wait SWAP_QUEUE_TIMEOUT (10s) for an instance, not the default
# 1s (the uploads' compiles take both cores for a moment: a 1s wait then ends in "server busy").
# Everything on 127.0.0.1; the server is killed on exit.
#
# usage: bench/swap.sh [swaps] [connections] [max-seconds]   (defaults: 200 64 120)
# SWAP_REASONS=1 lists the non-200 answers by status and body.
# Bounded: wrk runs at most max-seconds; if the swaps are not done by then the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

swaps=${1:-200}
conns=${2:-64}
maxsecs=${3:-120}
port=${BENCH_PORT:-18189}
token=swap-bench-token-$$
base="http://127.0.0.1:$port"
upload() {
  curl -s -o /tmp/vivarium-swap-upload.txt -w '%{http_code}' -X PUT \
    -H "Authorization: Bearer $token" --data-binary @"$1" \
    "$base/_vivarium/deployments/swap?route=/swap&ttl=1h&maxQueued=${SWAP_MAX_QUEUED:-256}"
}

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

VIVARIUM_BENCH_ADMIN_TOKEN=$token VIVARIUM_BENCH_QUEUE_TIMEOUT=${SWAP_QUEUE_TIMEOUT:-10s} "${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:-DontCompileHugeMethods} \
  -cp bench/target/benchmarks.jar dev.vivarium.bench.BenchServer "$port" \
  > /tmp/vivarium-swap-server.log 2>&1 &
server=$!
wrkpid=
trap 'kill $server 2>/dev/null || true; [ -n "$wrkpid" ] && kill $wrkpid 2>/dev/null || true' EXIT

for _ in $(seq 1 60); do
  curl -sf "$base/hello" >/dev/null 2>&1 && break
  sleep 1
done
code=$(upload guests/dist/hello.wasm)
[ "$code" = 201 ] || [ "$code" = 200 ] || { echo "first upload answered $code: $(cat /tmp/vivarium-swap-upload.txt)" >&2; cat /tmp/vivarium-swap-server.log >&2; exit 1; }
curl -sf "$base/swap" >/dev/null || { echo "/swap does not answer" >&2; exit 1; }

# SWAP_REASONS=1: wrk also prints each kind of non-200 answer it got (bench/non200.lua)
script=()
[ "${SWAP_REASONS:-0}" = 1 ] && script=(-s bench/non200.lua)
# wrk counts an answer slower than its --timeout (default 2s) as a socket error: the same 15s
# for everyone, so a slow 200 counts as a 200 (its latency is in wrk's figures)
wrk -t2 -c"$conns" -d"${maxsecs}s" --timeout 15s "${script[@]}" "$base/swap" > /tmp/vivarium-swap-wrk.txt 2>&1 &
wrkpid=$!
sleep 2
refused=0
start=$(date +%s.%N)
for i in $(seq 1 "$swaps"); do
  if ! kill -0 "$wrkpid" 2>/dev/null; then
    echo "wrk ended after $((i - 1)) swaps: give more max-seconds" >&2; exit 1
  fi
  module=guests/dist/hello.wasm
  [ $((i % 2)) = 1 ] && module=guests/dist/hello_c.wasm
  code=$(upload "$module")
  if [ "$code" != 200 ]; then   # 200: replaced
    refused=$((refused + 1))
    echo "swap $i answered $code: $(cat /tmp/vivarium-swap-upload.txt)" >&2
  fi
done
took=$(echo "$(date +%s.%N) - $start" | bc -l)
# wrk prints its totals when interrupted
kill -INT "$wrkpid"
wait "$wrkpid" || true
wrkpid=
out=$(cat /tmp/vivarium-swap-wrk.txt)
echo "$out"
non200=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
sockerr=$(grep 'Socket errors' <<<"$out" || true)
total=$(awk '/requests in/ {print $1}' <<<"$out")
printf '\n%d swaps in %.1f s under %d connections: %s requests, %s non-200, %d uploads refused%s\n' \
  "$swaps" "$took" "$conns" "${total:-?}" "${non200:-0}" "$refused" "${sockerr:+, $sockerr}"
[ "${non200:-0}" = 0 ] && [ "$refused" = 0 ] && [ -z "$sockerr" ]
