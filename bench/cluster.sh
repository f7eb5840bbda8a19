#!/usr/bin/env bash
# Several nodes on one PostgreSQL (issue 15): starts Debian's PostgreSQL 15 in a temp dir (initdb,
# pg_ctl; fsync and synchronous_commit on), three node JVMs (bench ClusterNode: Jetty + the
# handler with kv.backend=postgresql and deployments.store=postgresql), then
#   1. wrk against each node at once for SECONDS on /tally (kv_tally.wat: one atomic KV append per
#      request): requests/s and p99 per node and in total, and the tally in the database against
#      the requests answered 200 (exact: every acknowledged append is counted once);
#   2. the propagation time of an upload: PUT to node 2, then how long until nodes 1 and 3 serve it.
# Everything on 127.0.0.1; the database and the nodes are stopped on exit.
#
# usage: bench/cluster.sh [seconds] [connections-per-node]   (defaults: 20 16)
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-20}
conns=${2:-16}
base_port=${BENCH_PORT:-18291}
pg_port=$((base_port + 10))
token=cluster-bench-token-$$
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/vivarium-cluster.XXXXXX)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -f "$work/pg/postmaster.pid" ] && run_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL in $pgbin: apt-get install postgresql-15 (or set PG_BIN)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

# PostgreSQL refuses to run as root: the server and its files belong to a plain user then
pguser=$(id -un)
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && pguser=nobody && chmod 755 "$work"
mkdir -p "$work/pg" && [ "$(id -u)" = 0 ] && chown nobody "$work/pg"
run_pg "$pgbin/initdb" -D "$work/pg" -U "$pguser" -A trust >"$work/initdb.log"
run_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c fsync=on -c synchronous_commit=on -c max_connections=200" \
  start >/dev/null
jdbc="jdbc:postgresql://127.0.0.1:$pg_port/postgres"
psql() { "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U "$pguser" -d postgres -Atq "$@"; }

for n in 1 2 3; do
  port=$((base_port + n - 1))
  "${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xms256m -Xmx256m -XX:-DontCompileHugeMethods} \
    -cp bench/target/benchmarks.jar dev.vivarium.bench.ClusterNode \
    "$port" "node$n" "$jdbc" "$pguser" "$token" >"$work/node$n.log" 2>&1 &
  pids+=($!)
done
for n in 1 2 3; do
  url="http://127.0.0.1:$((base_port + n - 1))/tally"
  for _ in $(seq 1 90); do curl -sf "$url" >/dev/null 2>&1 && break; sleep 1; done
  curl -sf "$url" >/dev/null || { echo "node$n does not answer:" >&2; cat "$work/node$n.log" >&2; exit 1; }
done
warm=$((secs / 4 + 1))
for n in 1 2 3; do
  wrk -t1 -c"$conns" -d"${warm}s" "http://127.0.0.1:$((base_port + n - 1))/tally" >/dev/null &
done
wait_wrk() { for p in $(jobs -p); do case " ${pids[*]} " in *" $p "*) ;; *) wait "$p" || true;; esac; done; }
wait_wrk

before=$(psql -c "SELECT coalesce(octet_length(value), 0) FROM vivarium_kv_entries WHERE deployment = 'kv_tally' AND key = convert_to('kv_tally:hits', 'UTF8')")
for n in 1 2 3; do
  wrk -t1 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$((base_port + n - 1))/tally" >"$work/wrk$n.txt" 2>&1 &
done
wait_wrk
after=$(psql -c "SELECT octet_length(value) FROM vivarium_kv_entries WHERE deployment = 'kv_tally' AND key = convert_to('kv_tally:hits', 'UTF8')")

total_rps=0; total_ok=0; total_bad=0
printf '%-6s %10s %10s %10s %8s\n' node 'req/s' 'p99' requests non-2xx
for n in 1 2 3; do
  out=$(cat "$work/wrk$n.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  bad=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out"); bad=${bad:-0}
  if grep -q 'Socket errors' <<<"$out"; then echo "node$n: $(grep 'Socket errors' <<<"$out")" >&2; fi
  printf '%-6s %10s %10s %10s %8s\n' "node$n" "$rps" "$p99" "$reqs" "$bad"
  total_rps=$(echo "$total_rps + $rps" | bc -l); total_ok=$((total_ok + reqs - bad)); total_bad=$((total_bad + bad))
done
printf '%-6s %10.0f %10s %10s %8s\n' total "$total_rps" '' "$((total_ok + total_bad))" "$total_bad"
counted=$((after - before))
echo "tally: $counted appends in the database for $total_ok requests answered 200 (wrk leaves up to $((3 * conns)) unanswered at its end, which may have landed)"

# propagation of an upload: PUT to node 2, then until nodes 1 and 3 serve it
start=$(date +%s%N)
code=$(curl -s -o "$work/upload.txt" -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" \
  --data-binary @guests/wat/fixtures/hello_raw.wat "http://127.0.0.1:$((base_port + 1))/_vivarium/deployments/prop?route=/prop")
[ "$code" = 201 ] || { echo "upload answered $code: $(cat "$work/upload.txt")" >&2; exit 1; }
uploaded=$(date +%s%N)
for n in 1 3; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base_port + n - 1))/prop")" = 200 ]; do
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 30000 ] || { echo "node$n does not serve the upload after 30 s" >&2; exit 1; }
    sleep 0.01
  done
done
done_at=$(date +%s%N)
echo "upload to node2 answered after $(( (uploaded - start) / 1000000 )) ms; served by nodes 1 and 3 $(( (done_at - uploaded) / 1000000 )) ms after that"
[ "$total_bad" = 0 ] && [ "$counted" -ge "$total_ok" ] && [ "$counted" -le $((total_ok + 3 * conns)) ]
