#!/usr/bin/env bash
# Cross-checks ServeLoadBench (issue 17) with standard load tools in a second process:
# `ctr serve` runs pinned to CPU 0 with one event-loop thread, the load tool pinned to CPU 1, so
# "cores used" by the server is exactly one and the tool does not take the server's CPU.
#   wrk    (HTTP/1.1, REST /v1/models/ctr/score): closed loop at 32 connections = max throughput,
#          and paced at ~RATE req/s (a Lua delay per connection) for latency percentiles;
#   h2load (HTTP/2, gRPC ModelInfer): closed loop, and --rps paced (mean/max latency);
#   then (compressed model, SWAPS > 0) hot swaps: wrk paced for a steady window and for a window in
#          which SWAPS newer versions are renamed over the served file one by one (the server
#          watches it: model.file.poll.ms), p99 of each and their ratio (issue 17: <= 1.5x).
# The in-process ceiling of the same model and request is printed first (RequestScorer on one
# thread, from ServeLoadBench's code), so every throughput is a ratio from this one run.
# WARM_SWAPS (default 3) newer versions are swapped in during the REST warm-up, before the steady
# window: a process's first swaps deoptimize compiled code the model decoder shares with the
# request path (Jackson, collections), a one-time cost per process that a server swapping all day
# has paid long ago; WARM_SWAPS=0 measures a server's first swaps instead.
# IDLE_POLL_NS=N lets idle CPUs poll N ns before they halt, for the run (root; serve-lib.sh).
# Usage: [WARMUP=40] [SWAPS=20] [WARM_SWAPS=3] [SERVE_JAVA_OPTS=...] [PHASES=all|swaps] [IDLE_POLL_NS=N] [MAX_POINTS=3] [CEILING_RUNS=3] load-test/scripts/serve-crosscheck.sh [seconds=10] [rate=1000] [model=compressed|dense]
# Needs: wrk, h2load (Debian: wrk, nghttp2-client), taskset, curl; JDK 17; the build below.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_RUN="${1:-10}"
RATE="${2:-1000}"
MODEL="${3:-compressed}"
for tool in wrk h2load taskset curl; do
  command -v "$tool" >/dev/null || { echo "serve-crosscheck: $tool not found (apt-get install wrk nghttp2-client util-linux curl)" >&2; exit 2; }
done
if [[ "$(nproc)" -lt 2 ]]; then
  echo "serve-crosscheck: needs 2 CPUs (server on CPU 0, load tool on CPU 1), found $(nproc)" >&2; exit 2
fi
source load-test/scripts/serve-lib.sh
idle_poll_check serve-crosscheck
# load-test with the modules it needs (-am: nothing is installed; load-test is the reactor's last
# module, so the classpath file it leaves is its own), then the ctr launcher's jar
build() { mvn -q -o "$@" >/dev/null 2>&1 || mvn -q "$@"; }
build -pl load-test -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$PWD/load-test/target/serve-cp.txt"
build -pl cli -am package -DskipTests
CP="load-test/target/classes:$(cat load-test/target/serve-cp.txt)"
WORK="$(mktemp -d -t ctr-crosscheck.XXXXXX)"
SERVER_PID=""
# KEEP_LOG=FILE keeps the server's output (e.g. with SERVE_JAVA_OPTS' diagnostic flags)
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null
  idle_poll_restore
  [[ -n "${KEEP_LOG:-}" && -f "$WORK/serve.log" ]] && cp "$WORK/serve.log" "$KEEP_LOG"; rm -rf "$WORK"; }
trap cleanup EXIT
idle_poll_apply
JAVA=(java --add-modules jdk.incubator.vector -Xmx2g -XX:+UseG1GC)
# the server's JVM flags (SERVE_JAVA_OPTS, e.g. "-Xmx2g -XX:+UseZGC" to compare collectors); the
# default fixes the heap's size as k8s/base/serve.yaml does (initial = max: section 7.6)
read -r -a SERVE_OPTS <<<"${SERVE_JAVA_OPTS:--Xms2g -Xmx2g -XX:+UseG1GC}"
SERVE_JAVA=(java --add-modules jdk.incubator.vector "${SERVE_OPTS[@]}")

echo "# serve-crosscheck $(date -u +%FT%TZ), model $MODEL, $SECONDS_RUN s per point, paced rate $RATE req/s"
echo "# host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; vector flags: $(grep -o -w 'fma\|avx2\|avx512f\|avx512bw\|avx512vl\|avx512_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); server JVM: ${SERVE_OPTS[*]}"
echo "# idle: $(idle_poll_describe)"
SWAPS="${SWAPS:-20}"
MAX_POINTS="${MAX_POINTS:-3}" # closed-loop max-throughput points per protocol
CEILING_RUNS="${CEILING_RUNS:-3}"
[[ "$CEILING_RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "serve-crosscheck: CEILING_RUNS must be a positive number, found '$CEILING_RUNS'" >&2; exit 2; }
[[ "$MAX_POINTS" =~ ^[1-9][0-9]*$ ]] || { echo "serve-crosscheck: MAX_POINTS must be a positive number, found '$MAX_POINTS'" >&2; exit 2; }
WARM_SWAPS="${WARM_SWAPS:-3}"
[[ "$MODEL" == compressed ]] || { SWAPS=0; WARM_SWAPS=0; } # the newer versions are of the compressed model
[[ "$SWAPS" -gt 0 ]] || WARM_SWAPS=0
taskset -c 0 "${JAVA[@]}" -cp "$CP" io.ctrstreams.loadtest.serve.ServeFixtures "$WORK" 16 DCNV2 \
    "$(( SWAPS + WARM_SWAPS ))" 2>/dev/null
# the versions in swap order; the first WARM_SWAPS go in during the REST warm-up
VERSIONS=($(ls "$WORK/swap" | sort -t v -k2 -n))
warm_swaps() { # renames the warm-up versions over the served file, one every 2 s, in the background
  ( sleep 5; for f in "${VERSIONS[@]:0:$WARM_SWAPS}"; do mv "$WORK/swap/$f" "$WORK/served.ctrm"; sleep 2; done ) &
}
cp "$WORK/$MODEL.ctrm" "$WORK/served.ctrm" # the file the server watches
# the in-process ceiling on CPU 0 alone (same model, encode + score, one thread), in CEILING_RUNS
# fresh JVMs: one JVM's compiled scorer can be 10% slower than another's (148-164 us per request
# in 7.7), so the fastest is the baseline every ratio below is taken against
# (PHASES=swaps takes no throughput point, so no ceiling either)
CEILING=0
[[ "${PHASES:-all}" == all ]] || CEILING_RUNS=0
for _ in $(seq 1 "$CEILING_RUNS"); do
  OUT="$(taskset -c 0 "${JAVA[@]}" -cp "$CP" io.ctrstreams.loadtest.serve.ServeLoadBench ceiling "$WORK/$MODEL.ctrm" "$WORK/request.json" 2>/dev/null)"
  echo "$OUT"
  CEILING="$(echo "$OUT" | awk -v c="$CEILING" '/RequestScorer.score/ { r = $(NF-3) + 0; if (r > c) c = r } END { print c }')"
done
[[ "$CEILING_RUNS" -eq 0 ]] || echo "ceiling (fastest of $CEILING_RUNS): $CEILING req/s"
ratio() { awk -v r="$1" -v c="$CEILING" 'BEGIN { printf "= %.2fx the ceiling\n", r / c }'; }

PORT=18080; GPORT=18081
taskset -c 0 "${SERVE_JAVA[@]}" -jar cli/target/ctr.jar serve --model "$WORK/served.ctrm" --name ctr \
    --port "$PORT" --grpc-port "$GPORT" --threads 1 --set model.file.poll.ms=100 >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/request.json" \
    "http://127.0.0.1:$PORT/v1/models/ctr/score" | head -c 160; echo " ..."
GRPC_STATUS="$(curl -s --http2-prior-knowledge -o /dev/null -D - -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$WORK/infer.grpc" "http://127.0.0.1:$GPORT/inference.GRPCInferenceService/ModelInfer" | tr -d '\r' \
    | sed -n 's/^grpc-status: *//p')"
[[ "$GRPC_STATUS" == "0" ]] || { echo "gRPC ModelInfer answered grpc-status '$GRPC_STATUS'" >&2; exit 1; }

write_post_lua "$WORK" paced
URL="http://127.0.0.1:$PORT/v1/models/ctr/score"
GURL="http://127.0.0.1:$GPORT/inference.GRPCInferenceService/ModelInfer"
GH=(-H 'content-type: application/grpc' -H 'te: trailers')

if [[ "${PHASES:-all}" == all ]]; then
# warm-up at full load until the JIT has settled: with 10 s the server was still compiling
# (jstat -compiler: +68 methods per 10 s) and gave 15-30% less than after a minute
# each protocol is warmed up right before its own points: after the other protocol's load the JIT
# takes 20-30 s to settle again on this one (REST measured 4,219 -> 5,037 req/s in 10 s steps)
echo; echo "## REST warm-up (${WARMUP:-40} s, closed loop; $WARM_SWAPS swaps during it)"
warm_swaps
taskset -c 1 wrk -t1 -c32 -d"${WARMUP:-40}s" -s "$WORK/post.lua" "$URL" >/dev/null
# a second, short warm-up on new connections: the first load tool's exit closes its connections
# and cancels requests in flight, paths the JIT had not seen; the compiled request path is thrown
# away then (PrintCompilation: 128 methods made not entrant at once for gRPC) and the next seconds
# run in C1 code. A server that has run for a while has seen disconnects; the point after it then
# measured the recompilation, not the server (7.7)
taskset -c 1 wrk -t1 -c32 -d10s -s "$WORK/post.lua" "$URL" >/dev/null

echo; echo "## REST, wrk closed loop, 32 connections (max throughput), $MAX_POINTS points"
for _ in $(seq 1 "$MAX_POINTS"); do
  OUT="$(taskset -c 1 wrk -t1 -c32 -d"${SECONDS_RUN}s" --latency -s "$WORK/post.lua" "$URL")"
  echo "$OUT" | sed -n '/Latency Distribution/,/Requests\/sec/p'
  ratio "$(echo "$OUT" | awk '/Requests\/sec/ { print $2 }')"
done
echo; echo "## REST, wrk paced: 10 connections, each waits 10000/RATE ms after a response (about $RATE req/s)"
PACE_MS=$(( 10000 / RATE )) taskset -c 1 wrk -t1 -c10 -d"${SECONDS_RUN}s" --latency -s "$WORK/post.lua" "$URL" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo; echo "## gRPC warm-up (${WARMUP:-40} s, closed loop)"
taskset -c 1 h2load -c4 -m16 -D "${WARMUP:-40}" "${GH[@]}" -d "$WORK/infer.grpc" "$GURL" >/dev/null
taskset -c 1 h2load -c4 -m16 -D 10 "${GH[@]}" -d "$WORK/infer.grpc" "$GURL" >/dev/null # new connections (above)
echo; echo "## gRPC, h2load closed loop, 4 connections x 16 streams (max throughput), $MAX_POINTS points"
for _ in $(seq 1 "$MAX_POINTS"); do
  OUT="$(taskset -c 1 h2load -c4 -m16 -D "$SECONDS_RUN" "${GH[@]}" -d "$WORK/infer.grpc" "$GURL")"
  echo "$OUT" | grep -E "finished in|requests:|status codes|time for request"
  ratio "$(echo "$OUT" | awk '/finished in/ { print $4 }')"
done
echo; echo "## gRPC, h2load --rps: 10 clients x $(( RATE / 10 )) req/s"
taskset -c 1 h2load -c10 -m1 --rps $(( RATE / 10 )) -D "$SECONDS_RUN" "${GH[@]}" -d "$WORK/infer.grpc" "$GURL" | grep -E "finished in|requests:|status codes|time for request"
else
  # PHASES=swaps: only the hot-swap windows (after a REST warm-up), e.g. to compare collectors
  warm_swaps
  taskset -c 1 wrk -t1 -c32 -d"${WARMUP:-40}s" -s "$WORK/post.lua" "$URL" >/dev/null
fi
if [[ "$SWAPS" -gt 0 ]]; then
  if [[ "${PHASES:-all}" == all ]]; then
    # REST again after the gRPC points, so that the steady window is not a re-warming one
    taskset -c 1 wrk -t1 -c32 -d"${WARMUP:-40}s" -s "$WORK/post.lua" "$URL" >/dev/null
  fi
  # ServeLoadBench's open loop in its own JVM on CPU 1 (wrk's paced mode is a closed loop: it would
  # send less during a stall and hide it); one row for a steady window, one for a window in which
  # SWAPS newer versions are renamed over the served file, evenly spaced
  SWAP_SECONDS=$(( SECONDS_RUN * 2 )); SWAP_WARMUP=10
  REMOTE=(taskset -c 1 "${JAVA[@]}" -cp "$CP" io.ctrstreams.loadtest.serve.ServeLoadBench remote "$PORT" "$WORK/request.json" "$RATE")
  echo; echo "## hot swaps: REST open loop at $RATE req/s (ServeLoadBench remote, CPU 1), ${SWAP_SECONDS} s steady, then ${SWAP_SECONDS} s with $SWAPS swaps"
  echo "| window | protocol | rate req/s | sent | errors | p50 ms | p99 ms | p99.9 ms | max ms |"
  echo "|---|---|---|---|---|---|---|---|---|"
  STEADY="$("${REMOTE[@]}" "$SWAP_SECONDS" "$SWAP_WARMUP" 2>/dev/null)"
  echo "| steady $STEADY"
  "${REMOTE[@]}" "$SWAP_SECONDS" "$SWAP_WARMUP" >"$WORK/swapping.txt" 2>/dev/null &
  REMOTE_PID=$!
  # the JVM's start and the warm-up pass, then one rename per interval: a rename is atomic; the
  # server decodes the new file on its watcher thread (on the server's CPU) and swaps it in
  INTERVAL="$(awk -v s="$SWAP_SECONDS" -v n="$SWAPS" 'BEGIN { print s / (n + 1) }')"
  sleep "$(( SWAP_WARMUP + 3 ))" # generator start, closed-loop warm-up, 2 s open-loop warm-up
  for f in "${VERSIONS[@]:$WARM_SWAPS}"; do
    sleep "$INTERVAL"
    mv "$WORK/swap/$f" "$WORK/served.ctrm"
  done
  wait "$REMOTE_PID"
  sleep 1 # the last rename's decode
  echo "| $SWAPS swaps $(cat "$WORK/swapping.txt")"
  # the window's versions are 2 + WARM_SWAPS and up (a warm-up version renamed over one still being
  # decoded is superseded before it is read: the watcher serves the newest file, by design)
  grep -o "changed: now serving 'ctr' v[0-9]*" "$WORK/serve.log" | awk -F v -v w="$WARM_SWAPS" -v s="$SWAPS" \
    '{ if ($NF + 0 > 1 + w) win++; else warm++ }
     END { printf "swaps served by the server in the window: %d of %d; during the warm-up: %d of %d\n", win, s, warm, w }'
  awk -v a="$STEADY" -v b="$(cat "$WORK/swapping.txt")" 'BEGIN { split(a, x, "|"); split(b, y, "|");
    printf "p99 with swaps / steady: %s / %s ms = %.2f\n", y[7], x[7], y[7] / x[7] }'
fi
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
