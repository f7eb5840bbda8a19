#!/usr/bin/env bash
# Isolation between deployments on 127.0.0.1 (issue 18 item 7): a victim deployment's hello p99
# and throughput alone, then while 60 connections keep a runaway deployment's guests spinning
# until their 2 s deadline. Run twice, against the same server code: without admission control
# (maxConcurrent=100000, maxQueued=0: how every deployment ran before it existed) and with the
# defaults. Target: victim p99 <= 3x its solo p99 and throughput >= 0.5x solo.
#
# usage: bench/isolation.sh [seconds] [victim-connections]   (defaults: 10 16)
# Bounded: every wrk run lasts the given seconds; each server is killed when its part ends.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-10}
conns=${2:-16}
port=${BENCH_PORT:-18093}

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

server=
stop() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=; fi; }
trap stop EXIT

# "<requests/s> <p99 in ms>" of one wrk run against /hello
measure() {
  local out rps p99
  out=$(wrk -t2 -c"$conns" -d"$secs"s --latency "http://127.0.0.1:$port/hello")
  if grep -q 'Non-2xx' <<<"$out"; then echo "victim got error answers:" >&2; echo "$out" >&2; return 1; fi
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}

run() {
  local mode=$1
  "${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:-DontCompileHugeMethods} -cp bench/target/benchmarks.jar \
    dev.vivarium.bench.IsolationServer "$port" "$mode" > "/tmp/vivarium-isolation-$mode.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break; sleep 1; done
  curl -sf "http://127.0.0.1:$port/hello" >/dev/null || { echo "server did not start" >&2; cat "/tmp/vivarium-isolation-$mode.log" >&2; exit 1; }
  wrk -t2 -c"$conns" -d5s "http://127.0.0.1:$port/hello" >/dev/null   # warm-up
  read -r solo_rps solo_p99 < <(measure)
  # the runaway mix: 60 connections to /spin for the whole victim run, plus a little
  wrk -t2 -c60 -d$((secs + 4))s --timeout 10s "http://127.0.0.1:$port/spin" > "/tmp/vivarium-isolation-spin-$mode.txt" &
  local spin=$!
  sleep 2
  read -r mix_rps mix_p99 < <(measure)
  wait "$spin" || true
  local spun
  spun=$(awk '/requests in/ {print $1}' "/tmp/vivarium-isolation-spin-$mode.txt")
  stop
  printf '%-22s %10.0f %9.2f %10.0f %9.2f %8.2f %8.2f %8s\n' "$mode" "$solo_rps" "$solo_p99" "$mix_rps" "$mix_p99" \
    "$(echo "$mix_p99 / $solo_p99" | bc -l)" "$(echo "$mix_rps / $solo_rps" | bc -l)" "$spun"
}

printf '%-22s %10s %9s %10s %9s %8s %8s %8s\n' "admission" "solo rps" "solo p99" "mix rps" "mix p99" "p99 x" "rps x" "spins"
run unlimited
run default
echo "(p99 in ms; $secs s per wrk run, victim $conns connections, runaway 60 connections to a guest looping until its 2 s deadline;"
echo " 'spins' = runaway requests answered (504 at the deadline or 503 refused); java $("${JAVA:-java}" -version 2>&1 | head -1 | cut -d'"' -f2), $(nproc) cores shared by wrk and the server)"
