#!/usr/bin/env bash
# Load test on 127.0.0.1: the plain servlet and the filter + hello guest on the same Jetty, in one
# run, with wrk (Debian's package). Prints requests/s of each and their ratio.
#
# usage: bench/load.sh [seconds-per-target] [connections]      (defaults: 10 16)
# Bounded: each wrk run lasts the given seconds; the server is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-10}
conns=${2:-16}
port=${BENCH_PORT:-18089}

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

java -Xms512m -Xmx512m -cp bench/target/benchmarks.jar dev.vivarium.bench.BenchServer "$port" > /tmp/vivarium-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/plain" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/hello" >/dev/null || { echo "bench server did not start" >&2; cat /tmp/vivarium-bench-server.log >&2; exit 1; }

targets=(/plain /hello /hello-c)
rps() { wrk -t2 -c"$conns" -d"$1"s "http://127.0.0.1:$port$2" | awk '/Requests\/sec/ {print $2}'; }

echo "warming up (5 s per target)"
for t in "${targets[@]}"; do rps 5 "$t" >/dev/null; done

declare -A result
for t in "${targets[@]}"; do
  result[$t]=$(rps "$secs" "$t")
done

printf '\n%-28s %12s %8s\n' "target" "requests/s" "ratio"
for t in "${targets[@]}"; do
  printf '%-28s %12.0f %8.2f\n' "$t" "${result[$t]}" "$(echo "${result[$t]} / ${result[/plain]}" | bc -l)"
done
echo "(ratio = requests/s / plain servlet's; $conns connections, ${secs}s each, java $(java -version 2>&1 | head -1 | cut -d'"' -f2))"
