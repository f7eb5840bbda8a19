#!/usr/bin/env bash
# Load test on 127.0.0.1 with wrk (Debian's package), every variant in one run against one JVM:
#   servlet  /plain      a plain servlet             (baseline of the filter rows)
#   servlet  /hello      VivariumFilter + Rust hello guest
#   servlet  /hello-c    VivariumFilter + C hello guest
#   servlet  /counter    VivariumFilter + KV counter guest (a get and a durable insert per request)
#   core     /plain      a plain Jetty core handler  (baseline of the handler rows)
#   core     /hello      VivariumHandler + Rust hello guest
#   core     /hello-c    VivariumHandler + C hello guest
# Prints requests/s and the ratio to the baseline of the same server kind. The targets are
# measured in turn, several rounds, and each one's median is reported, so a slow spell of the
# machine affects every target alike instead of one.
#
# usage: bench/load.sh [seconds-per-target-per-round] [connections] [rounds]   (defaults: 5 16 3)
# Bounded: each wrk run lasts the given seconds; the server is killed on exit.
#
# Pinned mode (issue 17): the server on core 0, wrk on core 1 (taskset), so neither takes the
# other's CPU and the server's cost per request shows:
#   bench/load.sh pinned [seconds] [rounds] [connections...]        (defaults: 10 2 16 64)
# Targets: servlet /plain, filter + Rust hello, filter + C hello, core /plain, handler + Rust
# hello, handler + C hello. After a 5 s warm-up per target, every round measures each target at
# each connection count in turn; the table has each one's median requests/s, its ratio to the
# plain target of the same server kind, the median p99 (wrk --latency) and its ratio, and the
# server's CPU time per request (utime+stime of the JVM from /proc/PID/stat over the measured
# window, divided by the requests wrk counted). Takes about
# 6 * (5 + seconds * rounds * connection-counts) s plus the JVM's start:
#   bench/load.sh pinned 10 2 16    about 2.7 min      bench/load.sh pinned 10 2 64   the same
# It also prints the bytes the server allocated per request (adapters included).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = pinned ]; then
  shift
  exec bash bench/load-pinned.sh "$@"
fi

secs=${1:-5}
conns=${2:-16}
rounds=${3:-3}
port=${BENCH_PORT:-18089}
core=$((port + 1))

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

"${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:-DontCompileHugeMethods} -cp bench/target/benchmarks.jar dev.vivarium.bench.BenchServer "$port" \
  > /tmp/vivarium-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$core/hello" >/dev/null 2>&1 && break
  sleep 1
done
targets=("$port/plain" "$port/hello" "$port/hello-c" "$port/counter" "$core/plain" "$core/hello" "$core/hello-c")
names=("servlet /plain" "filter  /hello (Rust)" "filter  /hello-c (C)" "filter  /counter (KV)" "core    /plain" "handler /hello (Rust)" "handler /hello-c (C)")
for u in "${targets[@]}"; do
  curl -sf "http://127.0.0.1:$u" >/dev/null || { echo "bench server did not start or $u fails" >&2; cat /tmp/vivarium-bench-server.log >&2; exit 1; }
done

# Requests/s of one wrk run. Error answers would count as fast requests, so any non-2xx stops
# the run; socket errors (e.g. a timeout) are shown but do not.
rps() {
  local out
  out=$(wrk -t2 -c"$conns" -d"$1"s "http://127.0.0.1:$2")
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "wrk got error answers from $2:" >&2; echo "$out" >&2; return 1
  fi
  grep 'Socket errors' <<<"$out" | sed "s|^|$2: |" >&2 || true
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

echo "warming up (5 s per target)"
for t in "${targets[@]}"; do rps 5 "$t" >/dev/null; done

declare -A runs
for r in $(seq 1 "$rounds"); do
  for i in "${!targets[@]}"; do runs[$i]+="$(rps "$secs" "${targets[$i]}") "; done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
results=()
for i in "${!targets[@]}"; do results+=("$(echo "${runs[$i]}" | median)"); done

printf '\n%-24s %12s %8s\n' "target" "requests/s" "ratio"
for i in "${!targets[@]}"; do
  base=$(( i < 4 ? 0 : 4 ))
  printf '%-24s %12.0f %8.2f\n' "${names[$i]}" "${results[$i]}" "$(echo "${results[$i]} / ${results[$base]}" | bc -l)"
done
echo "(median of $rounds rounds of ${secs}s per target; ratio = requests/s / the plain baseline on the same server; $conns connections, java $("${JAVA:-java}" -version 2>&1 | head -1 | cut -d'"' -f2), $(nproc) cores shared by wrk and the server)"
