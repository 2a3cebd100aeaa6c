#!/usr/bin/env bash
# A/B of `ctr serve` jars by server CPU per request (issue 17, BENCHMARKS.md 7.5-7.6): for each jar
# in turn, `ctr serve --threads 1` pinned to CPU 0 under a closed loop on CPU 1 for 80 s (REST: wrk,
# 32 connections; PROTOCOL=grpc: h2load ModelInfer, 4 connections x 16 streams); over the 40-60 s
# and 60-80 s windows it prints requests/s, the transport threads' CPU per request
# (/proc/<pid>/task/*/stat of the ctr-serve-io threads for REST, grpc-nio/grpc-default-worker
# threads for gRPC), the mean of ctr_scoring_latency_seconds{protocol=...}, and the young
# collections of the whole run.
# Thread CPU, not wall time: robust to a busy machine as long as CPU 0 is the server's alone.
# Usage: [PROTOCOL=rest|grpc] load-test/scripts/serve-cpu-ab.sh A.jar B.jar [A.jar B.jar ...]
#        (e.g. copies of cli/target/ctr.jar)
# Needs: wrk (REST) or h2load (gRPC), taskset, curl, bc; the fixtures: java -cp <load-test cp> io.ctrstreams.loadtest.serve.ServeFixtures DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $# -ge 1 ]] || { echo "usage: $0 A.jar [B.jar ...]" >&2; exit 2; }
PROTOCOL="${PROTOCOL:-rest}"
case "$PROTOCOL" in
  rest) LOADGEN=wrk; THREADS='ctr-serve-io*' ;;
  grpc) LOADGEN=h2load; THREADS='grpc-*' ;;
  *) echo "PROTOCOL must be rest or grpc, found '$PROTOCOL'" >&2; exit 2 ;;
esac
for tool in $LOADGEN taskset curl bc; do command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }; done
source load-test/scripts/serve-lib.sh
W="$(mktemp -d -t ctr-serve-ab.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
mvn -q -o -pl load-test -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$PWD/load-test/target/serve-cp.txt" >/dev/null 2>&1 \
  || mvn -q -pl load-test -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$PWD/load-test/target/serve-cp.txt"
java -cp "load-test/target/classes:$(cat load-test/target/serve-cp.txt)" io.ctrstreams.loadtest.serve.ServeFixtures "$W" 16 DCNV2 >/dev/null 2>&1
write_post_lua "$W"
echo "# $(date -u +%FT%TZ) host: $(lscpu | sed -n 's/^Model name: *//p'), family $(grep -m1 'cpu family' /proc/cpuinfo | awk '{print $NF}') model $(grep -m1 '^model\s' /proc/cpuinfo | awk '{print $NF}'); load $(cut -d' ' -f1-3 /proc/loadavg)"
TICK=$(getconf CLK_TCK)
snap() { # event-loop ticks, scoring seconds sum, scoring count, requests
  local io=0
  for t in /proc/$1/task/*; do
    [[ "$(cat "$t/comm" 2>/dev/null)" == $THREADS ]] || continue
    local st=($(sed 's/.*) //' "$t/stat")); io=$((io + st[11] + st[12]))
  done
  curl -s localhost:18090/metrics | awk -v io=$io '$0 ~ "^ctr_scoring_latency_seconds_sum\\{protocol=\"'$PROTOCOL'\"" {s=$2}
    $0 ~ "^ctr_scoring_latency_seconds_count\\{protocol=\"'$PROTOCOL'\"" {c=$2} END{printf "%d %.9f %d\n", io, s, c}'
}
for J in "$@"; do
  taskset -c 0 java --add-modules jdk.incubator.vector -Xmx2g -XX:+UseG1GC -Xlog:gc:file="$W/gc.log" -jar "$J" serve \
      --model "$W/compressed.ctrm" --name ctr --port 18090 --grpc-port 18091 --threads 1 >"$W/serve.log" 2>&1 &
  SP=$!
  for _ in $(seq 1 120); do curl -sf localhost:18090/v2/health/ready >/dev/null && break; sleep 0.5; done
  if [[ "$PROTOCOL" == rest ]]; then
    taskset -c 1 wrk -t1 -c32 -d80s -s "$W/post.lua" http://127.0.0.1:18090/v1/models/ctr/score >/dev/null &
  else
    taskset -c 1 h2load -c4 -m16 -D 80 -H 'content-type: application/grpc' -H 'te: trailers' -d "$W/infer.grpc" \
        http://127.0.0.1:18091/inference.GRPCInferenceService/ModelInfer >"$W/h2load.log" 2>&1 &
  fi
  WP=$!
  sleep 40
  p=($(snap $SP))
  for win in 1 2; do
    sleep 20; c=($(snap $SP)); r=$(( c[2] - p[2] ))
    awk -v J="$J" -v w=$win -v io=$(( c[0] - p[0] )) -v s="$(echo "${c[1]} - ${p[1]}" | bc -l)" -v r=$r -v t=$TICK \
      'BEGIN { printf "%s window %d: %6.0f req/s, transport threads %6.1f us/request, scoring %6.1f us/request\n", J, w, r / 20, io / t * 1e6 / r, s * 1e6 / r }'
    p=(${c[@]})
  done
  wait $WP || true
  echo "$J: young collections in the run: $(grep -c 'Pause Young' "$W/gc.log")"
  kill $SP; wait $SP 2>/dev/null || true
done
