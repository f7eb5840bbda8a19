#!/usr/bin/env bash
# The pinned mode of bench/load.sh (issue 17): BenchServer on core 0, wrk on core 1.
#
# usage: bench/load-pinned.sh [seconds] [rounds] [connections...]     (defaults: 10 2 16 64)
#        (or bench/load.sh pinned ...)
# Bounded: 5 s warm-up per target, then rounds x connection counts x 6 targets wrk runs of the
# given seconds; the server is killed on exit.
#
# Per target and connection count it prints the median over the rounds of requests/s, the ratio
# to the plain target of the same server kind (servlet /plain for the filter rows, core /plain for
# the handler rows), the median p99 latency and its ratio to the plain target's, and the server
# JVM's CPU time per request: utime + stime from /proc/PID/stat read before and after the
# measured wrk run, divided by the requests wrk reports for that run (the JVM's every thread:
# Jetty, GC, JIT, the watchdog), and the bytes its threads allocated per request (BenchServer's
# /_allocated, read the same way): both include the adapter (servlet filter, Jetty handler), so a
# guest row minus its plain row is what the engine and the adapter add to a request.
#
# BENCH_CP replaces the server's class path (e.g. another build's jar, for a before/after pair),
# JAVA the java binary, BENCH_JAVA_OPTS its options (default -Xms512m -Xmx512m
# -XX:-DontCompileHugeMethods).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-10}
rounds=${2:-2}
shift $(( $# > 2 ? 2 : $# )) || true
conns_list=("$@")
[ ${#conns_list[@]} -gt 0 ] || conns_list=(16 64)
port=${BENCH_PORT:-18089}
core=$((port + 1))
server_cpu=${BENCH_SERVER_CPU:-0}
wrk_cpu=${BENCH_WRK_CPU:-1}

if [ "$(nproc --all)" -lt 2 ]; then
  echo "pinned mode needs 2 cores" >&2; exit 1
fi
if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

# On one core the engine admits one request per deployment at a time (maxConcurrent = the
# CPUs); the others must wait in its queue, not be refused with 503, at 64 connections.
VIVARIUM_BENCH_MAX_QUEUED=${VIVARIUM_BENCH_MAX_QUEUED:-1024} \
  taskset -c "$server_cpu" "${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:-DontCompileHugeMethods} \
  -cp "${BENCH_CP:-bench/target/benchmarks.jar}" dev.vivarium.bench.BenchServer "$port" \
  > /tmp/vivarium-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

for _ in $(seq 1 90); do
  curl -sf "http://127.0.0.1:$core/hello" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || break
  sleep 1
done
targets=("$port/plain" "$port/hello" "$port/hello-c" "$core/plain" "$core/hello" "$core/hello-c")
names=("servlet /plain" "filter  /hello (Rust)" "filter  /hello-c (C)" "core    /plain" "handler /hello (Rust)" "handler /hello-c (C)")
for u in "${targets[@]}"; do
  curl -sf "http://127.0.0.1:$u" >/dev/null || { echo "bench server did not start or $u fails" >&2; cat /tmp/vivarium-bench-server.log >&2; exit 1; }
done

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
allocated() { curl -sf "http://127.0.0.1:$port/_allocated"; }

# One wrk run: prints "requests/s p99-in-ms cpu-us-per-request". Error answers would count as
# fast requests, so any non-2xx stops the run; socket errors are shown but do not.
measure() {
  local d=$1 c=$2 url=$3 out before after reqs abefore aafter
  abefore=$(allocated)
  before=$(cpu_ticks)
  out=$(taskset -c "$wrk_cpu" wrk -t1 -c"$c" -d"$d"s --latency "http://127.0.0.1:$url")
  after=$(cpu_ticks)
  aafter=$(allocated)
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "wrk got error answers from $url:" >&2; echo "$out" >&2; return 1
  fi
  grep 'Socket errors' <<<"$out" | sed "s|^|$url -c$c: |" >&2 || true
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  awk -v reqs="$reqs" -v ticks=$((after - before)) -v tck="$tck" -v bytes=$((aafter - abefore)) '
    /Requests\/sec/ {rps = $2}
    $1 == "99%" {
      v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
      p99 = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : (unit == "m") ? v * 60000 : v
    }
    END { printf "%s %s %.2f %.0f\n", rps, p99, ticks / tck * 1e6 / reqs, bytes / reqs }' <<<"$out"
}

echo "warming up (5 s per target, 16 connections)"
for t in "${targets[@]}"; do measure 5 16 "$t" >/dev/null; done

declare -A rps p99 cpu alloc
for r in $(seq 1 "$rounds"); do
  for c in "${conns_list[@]}"; do
    for i in "${!targets[@]}"; do
      read -r a b d e < <(measure "$secs" "$c" "${targets[$i]}")
      rps[$c,$i]+="$a "; p99[$c,$i]+="$b "; cpu[$c,$i]+="$d "; alloc[$c,$i]+="$e "
    done
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

for c in "${conns_list[@]}"; do
  printf '\n%d connections\n%-24s %12s %7s %10s %7s %14s %10s\n' "$c" "target" "requests/s" "ratio" "p99 ms" "ratio" "CPU us/request" "B/request"
  declare -A m=() p=() u=() b=()
  for i in "${!targets[@]}"; do
    m[$i]=$(echo "${rps[$c,$i]}" | median); p[$i]=$(echo "${p99[$c,$i]}" | median); u[$i]=$(echo "${cpu[$c,$i]}" | median); b[$i]=$(echo "${alloc[$c,$i]}" | median)
  done
  for i in "${!targets[@]}"; do
    base=$(( i < 3 ? 0 : 3 ))
    printf '%-24s %12.0f %7.2f %10.2f %7.2f %14.1f %10.0f\n' "${names[$i]}" "${m[$i]}" \
      "$(echo "${m[$i]} / ${m[$base]}" | bc -l)" "${p[$i]}" "$(echo "${p[$i]} / ${p[$base]}" | bc -l)" "${u[$i]}" "${b[$i]}"
  done
done
echo "(median of $rounds rounds of ${secs}s per target; server on core $server_cpu, wrk -t1 on core $wrk_cpu; java $("${JAVA:-java}" -version 2>&1 | head -1 | cut -d'"' -f2); CPU = the server JVM's utime+stime / requests; B = bytes its threads allocated / requests)"
