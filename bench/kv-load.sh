#!/usr/bin/env bash
# The KV counter guest (a get and a durable insert per request, answered once the insert is on
# disk) against the plain servlet of the same server, at 64 connections, once per kv.durability
# mode (each mode is its own server run: the setting is per engine):
#   servlet  /plain      a plain servlet (the baseline)
#   servlet  /counter    VivariumFilter + kv_counter.wasm
# Rounds interleave the two targets; each one's median is reported, and the ratio to /plain.
#
# usage: bench/kv-load.sh [seconds-per-target-per-round] [connections] [rounds]   (defaults: 5 64 3)
# BENCH_JAR picks another benchmarks.jar (e.g. an older build, for a baseline in the same
# session); KV_MODES the modes (default "sync interval").
# Bounded: about 2 × (15 s start + 25 s warm-up + rounds × 2 × seconds); 2.5 min with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-5}
conns=${2:-64}
rounds=${3:-3}
port=${BENCH_PORT:-18095}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
jar=${BENCH_JAR:-bench/target/benchmarks.jar}
if [ ! -f "$jar" ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

# Successful requests/s of one wrk run: an error answer (e.g. a 503 of a full admission queue)
# would count as a fast request, so those are left out and their number shown.
rps() {
  local out
  out=$(wrk -t2 -c"$conns" -d"$1"s "http://127.0.0.1:$2")
  grep -E 'Socket errors|Non-2xx' <<<"$out" | sed "s|^|$2: |" >&2 || true
  awk '/requests in/ {n=$1; t=$4; sub(/s,?$/, "", t)} /Non-2xx/ {bad=$NF}
       END {printf "%.1f\n", (n - bad) / t}' <<<"$out"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf '%-10s %14s %14s %8s\n' "durability" "plain req/s" "counter req/s" "ratio"
for mode in ${KV_MODES:-sync interval}; do
  VIVARIUM_BENCH_KV_DURABILITY=$mode "${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:-DontCompileHugeMethods} \
    -cp "$jar" dev.vivarium.bench.BenchServer "$port" > /tmp/vivarium-kv-bench-server.log 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 60); do
    curl -sf "http://127.0.0.1:$port/counter" >/dev/null 2>&1 && break
    sleep 1
  done
  curl -sf "http://127.0.0.1:$port/counter" >/dev/null || { echo "bench server did not start" >&2; cat /tmp/vivarium-kv-bench-server.log >&2; exit 1; }
  # warm-up: the counter's throughput climbs for ~20 s of load while HotSpot compiles the Rust
  # guest's functions (5 s: 4,900 req/s, 25 s: 31,000 here, sync mode); KV_WARMUP overrides it
  rps 5 "$port/plain" >/dev/null
  rps "${KV_WARMUP:-20}" "$port/counter" >/dev/null
  plain=""; counter=""
  for _ in $(seq 1 "$rounds"); do
    plain+="$(rps "$secs" "$port/plain") "
    counter+="$(rps "$secs" "$port/counter") "
  done
  p=$(echo "$plain" | median); c=$(echo "$counter" | median)
  printf '%-10s %14.0f %14.0f %8.2f\n' "$mode" "$p" "$c" "$(echo "$c / $p" | bc -l)"
  kill $server; wait $server 2>/dev/null || true
done
echo "(median of $rounds rounds of ${secs}s per target; $conns connections; java $("${JAVA:-java}" -version 2>&1 | head -1 | cut -d'"' -f2); $(nproc) cores shared by wrk and the server)"
