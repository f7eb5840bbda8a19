#!/usr/bin/env bash
# Scale in deployments (issue 17, goal 6): one Jetty on 127.0.0.1 with VivariumHandler and its
# admin API; small WAT hello deployments are uploaded over HTTP (the real upload path, 4 at a
# time) up to each step of the curve, and at each step it prints the heap after a full GC (no
# request has run on the new ones yet: their pools are empty), the KB each added deployment
# costs, the upload rate, and wrk's p50/p99 for hello requests to random deployments (half by host
# name dN.scale.test, half by path /dN/hello) and to a fixed one, with each p50's ratio to the
# first step's; each step first runs the random requests once unmeasured (JIT, and an instance in
# the pools they reach: the measured run is routing and running, not building). Every deployment has two routes (ID.DOMAIN/* and /dN/*); the modules come in
# DISTINCT variants (default 10), so uploads of the same bytes share one compiled module.
# The pools the requests filled shrink back to zero after poolIdleTimeout (5s here): the last
# line is the heap and the guest memory held once they did.
#
# usage: bench/scale.sh [steps] [distinct] [wrk-seconds] [connections]
#        (defaults: 1,100,1000,10000 10 5 8; about 2.5 minutes on a quiet 2-core machine)
# SCALE_HISTO=1 also prints the top of the class histogram at the last step.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
if [ ! -f bench/target/benchmarks.jar ]; then
  mvn -B -q -pl bench -am package -DskipTests
fi
SCALE_POOL_IDLE_TIMEOUT=${SCALE_POOL_IDLE_TIMEOUT:-5s} SCALE_IDLE_WAIT=${SCALE_IDLE_WAIT:-8s} \
  timeout 600 "${JAVA:-java}" ${BENCH_JAVA_OPTS:--Xmx2g -XX:-DontCompileHugeMethods} \
  -cp bench/target/benchmarks.jar dev.vivarium.bench.ScaleBench \
  "${1:-1,100,1000,10000}" "${2:-10}" "${3:-5}" "${4:-8}" 2>/tmp/vivarium-scale-server.log
