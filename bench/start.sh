#!/usr/bin/env bash
# Deploy and start latency (issue 17, goal 5), at default JVM flags, everything on 127.0.0.1:
#  - java -jar of the sample site -> first 200 of /hello, with an empty compile cache (cold) and
#    with the cache the previous start left (warm), interleaved, each start a new JVM;
#  - on one warm server: upload -> first 200 of a 60 KB Rust guest (hello.wasm, 58.7 KB) that was
#    never compiled (each upload gets a custom section of random bytes, so a new SHA-256), and of
#    one whose classes are cached (the same bytes again).
# Prints each run and the medians, with the process CPU time each start took (robust under load).
#
# Then, in one JVM, the thread CPU time of loading the guest new and with its classes cached
# (LoadCost; needs bench/target/benchmarks.jar: mvn -B -q -pl bench -am package -DskipTests).
#
# usage: bench/start.sh [rounds] [uploads]   (defaults: 3 5)
# Needs the sample jar: mvn -B -q -pl sample-webapp -am package -DskipTests
# Bounded: every start or upload that takes over 60 s fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
uploads=${2:-5}
port=${BENCH_PORT:-18217}
jar=${SAMPLE_JAR:-sample-webapp/target/vivarium-sample.jar}  # SAMPLE_JAR: another build, for a baseline
guest=guests/dist/hello.wasm
[ -f "$jar" ] || { echo "no $jar: mvn -B -q -pl sample-webapp -am package -DskipTests" >&2; exit 1; }
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
tick=$(getconf CLK_TCK)
token=start-bench-$$
base="http://127.0.0.1:$port"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
cpu_ms() { awk -v t="$tick" '{ print int(($14 + $15) * 1000 / t) }' "/proc/$1/stat"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# starts the site with compile cache $1; sets wall and cpu (ms) at the first 200 of /hello
start_site() {
  printf 'compileCache.directory=%s\n' "$1" > "$work/site.properties"
  local t0; t0=$(now_ms)
  java -Dvivarium.admin.token="$token" -jar "$jar" --port "$port" --kv-directory "$work/kv" \
    --config "$work/site.properties" > "$work/site.log" 2>&1 &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/hello" 2>/dev/null)" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/site.log" >&2; echo "the site died" >&2; exit 1; }
    [ $(( $(now_ms) - t0 )) -lt 60000 ] || { echo "no 200 within 60 s" >&2; exit 1; }
    sleep 0.01
  done
  wall=$(( $(now_ms) - t0 )); cpu=$(cpu_ms "$pid")
}

stop_site() {
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  rm -rf "$work/kv"
}

# $1: module file, $2: deployment id; prints ms from the upload's start to its route's first 200
upload_ms() {
  local t0 code; t0=$(now_ms)
  code=$(curl -s -o "$work/upload.txt" -w '%{http_code}' -X PUT \
    -H "Authorization: Bearer $token" --data-binary @"$1" \
    "$base/_vivarium/deployments/$2?route=/$2&ttl=1h")
  [ "$code" = 200 ] || [ "$code" = 201 ] || { cat "$work/upload.txt" >&2; echo "upload: $code" >&2; exit 1; }
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/$2" 2>/dev/null)" = 200 ]; do
    [ $(( $(now_ms) - t0 )) -lt 60000 ] || { echo "/$2: no 200 within 60 s" >&2; exit 1; }
    sleep 0.005
  done
  echo $(( $(now_ms) - t0 ))
}

# hello.wasm with a custom section of random bytes: the same code, a SHA-256 never seen before
salted() {
  python3 - "$guest" "$1" <<'EOF'
import os, sys
data = open(sys.argv[1], "rb").read()
payload = b"\x04salt" + os.urandom(16)
open(sys.argv[2], "wb").write(data + b"\x00" + bytes([len(payload)]) + payload)
EOF
}

if curl -s -o /dev/null "$base/" 2>/dev/null; then echo "port $port is taken (BENCH_PORT=...)" >&2; exit 1; fi
echo "sample site: java -jar -> first 200 of /hello ($rounds rounds, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
: > "$work/cold"; : > "$work/warm"; : > "$work/coldcpu"; : > "$work/warmcpu"
for r in $(seq "$rounds"); do
  rm -rf "$work/cache"
  start_site "$work/cache"; stop_site
  echo "$wall" >> "$work/cold"; echo "$cpu" >> "$work/coldcpu"
  cold="$wall ms (cpu $cpu ms)"
  entries=$(find "$work/cache" -name '*.classes' | wc -l)
  start_site "$work/cache"; stop_site
  echo "$wall" >> "$work/warm"; echo "$cpu" >> "$work/warmcpu"
  echo "  round $r: cold cache $cold, warm cache $wall ms (cpu $cpu ms; $entries entries)"
done

echo "upload -> first 200 of $guest ($(wc -c < "$guest") bytes) on a warm server"
start_site "$work/cache"
# warm the upload path itself (the JIT, the admin API) with two uploads first
for i in 1 2; do salted "$work/w.wasm"; upload_ms "$work/w.wasm" "warm$i" > /dev/null; done
: > "$work/new"; : > "$work/known"
for i in $(seq "$uploads"); do
  salted "$work/u$i.wasm"
  ms=$(upload_ms "$work/u$i.wasm" "new$i"); echo "$ms" >> "$work/new"
  ms2=$(upload_ms "$work/u$i.wasm" "known$i"); echo "$ms2" >> "$work/known"
  echo "  upload $i: new module $ms ms, same module again (cached classes) $ms2 ms"
done
stop_site

echo "medians: start cold cache $(median < "$work/cold") ms (cpu $(median < "$work/coldcpu") ms)," \
  "warm cache $(median < "$work/warm") ms (cpu $(median < "$work/warmcpu") ms);" \
  "upload new $(median < "$work/new") ms, cached $(median < "$work/known") ms"

if [ -f bench/target/benchmarks.jar ]; then
  java -cp bench/target/benchmarks.jar dev.vivarium.bench.LoadCost "$guest" 20 2>/dev/null
else
  echo "(no bench/target/benchmarks.jar: mvn -B -q -pl bench -am package -DskipTests, for LoadCost)"
fi
