#!/usr/bin/env bash
# Where `ctr serve`'s CPU goes under a closed loop (issue 17, BENCHMARKS.md 7.7): the server runs
# pinned to CPU 0 with one event-loop thread, the load tool on CPU 1 (REST: wrk, 32 connections;
# PROTOCOL=grpc: h2load ModelInfer, 4 connections x 16 streams) for 70 s; async-profiler (CPU
# samples with kernel frames, from Maven Central: tools.profiler:async-profiler) is attached for
# the 40-60 s window and the samples are split into buckets:
#   scoring   the model (FastScorer)
#   features  the request read into feature vectors (JSON visit / gRPC tensors)
#   wake      the kernel delivering a response to the load tool over loopback and waking it
#             (sock_def_readable): the client's work, done on the server's CPU
#   kernel    the rest of the kernel (syscalls, network)
#   other     transport, handlers, metrics, GC and JIT threads
# and the window's requests and mean scoring time (ctr_scoring_latency_seconds) are printed.
# Usage: [PROTOCOL=rest|grpc] [IDLE_POLL_NS=N] load-test/scripts/serve-profile.sh [OUT_DIR]
#   IDLE_POLL_NS: idle CPUs poll N ns before they halt, for the run (root; serve-lib.sh).
# Needs: wrk or h2load, taskset, curl, python3; kernel frames need perf_event_paranoid <= 1 (root
# may lower it: echo 1 > /proc/sys/kernel/perf_event_paranoid), else they show as one frame.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROTOCOL="${PROTOCOL:-rest}"
case "$PROTOCOL" in
  rest) LOADGEN=wrk ;;
  grpc) LOADGEN=h2load ;;
  *) echo "serve-profile: PROTOCOL must be rest or grpc, found '$PROTOCOL'" >&2; exit 2 ;;
esac
for tool in $LOADGEN taskset curl python3; do command -v "$tool" >/dev/null || { echo "serve-profile: $tool not found" >&2; exit 2; }; done
[[ "$(nproc)" -ge 2 ]] || { echo "serve-profile: needs 2 CPUs (server on CPU 0, load tool on CPU 1), found $(nproc)" >&2; exit 2; }
source load-test/scripts/serve-lib.sh
idle_poll_check serve-profile
OUT="${1:-$(mktemp -d -t ctr-serve-profile.XXXXXX)}"
mkdir -p "$OUT"
AP_VERSION=4.1
AP_JAR="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar"
[[ -f "$AP_JAR" ]] || mvn -q dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION" >/dev/null
(cd "$OUT" && unzip -o -q "$AP_JAR" 'linux-x64/*')
AP="$OUT/linux-x64/libasyncProfiler.so"
build() { mvn -q -o "$@" >/dev/null 2>&1 || mvn -q "$@"; }
build -pl load-test -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$PWD/load-test/target/serve-cp.txt"
build -pl cli -am package -DskipTests
java -cp "load-test/target/classes:$(cat load-test/target/serve-cp.txt)" io.ctrstreams.loadtest.serve.ServeFixtures "$OUT" 16 DCNV2 >/dev/null 2>&1
cat >"$OUT/Attach.java" <<'JAVA'
public class Attach {
  public static void main(String[] a) throws Exception {
    com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(a[0]);
    try { vm.loadAgentPath(a[1], a[2]); } finally { vm.detach(); }
  }
}
JAVA
write_post_lua "$OUT"
SP=""
cleanup() { [[ -n "$SP" ]] && kill "$SP" 2>/dev/null; wait 2>/dev/null; idle_poll_restore; }
trap cleanup EXIT
idle_poll_apply
echo "# serve-profile $(date -u +%FT%TZ), $PROTOCOL; host: $(lscpu | sed -n 's/^Model name: *//p'), family $(grep -m1 'cpu family' /proc/cpuinfo | awk '{print $NF}') model $(grep -m1 '^model\s' /proc/cpuinfo | awk '{print $NF}'); vector flags: $(grep -o -w 'fma\|avx2\|avx512f\|avx512bw\|avx512vl' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg); idle: $(idle_poll_describe); perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid)"
taskset -c 0 java --add-modules jdk.incubator.vector -Xms2g -Xmx2g -XX:+UseG1GC -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints \
    -jar cli/target/ctr.jar serve --model "$OUT/compressed.ctrm" --name ctr --port 18090 --grpc-port 18091 --threads 1 >"$OUT/serve.log" 2>&1 &
SP=$!
# ready once both ports are bound: the line below is printed after the gRPC server has started
for _ in $(seq 1 120); do
  grep -q '^ctr serve: model' "$OUT/serve.log" && curl -sf localhost:18090/v2/health/ready >/dev/null && break
  kill -0 "$SP" 2>/dev/null || { cat "$OUT/serve.log" >&2; exit 1; }
  sleep 0.5
done
if [[ "$PROTOCOL" == rest ]]; then
  taskset -c 1 wrk -t1 -c32 -d70s -s "$OUT/post.lua" http://127.0.0.1:18090/v1/models/ctr/score >"$OUT/load.txt" &
else
  taskset -c 1 h2load -c4 -m16 -D 70 -H 'content-type: application/grpc' -H 'te: trailers' -d "$OUT/infer.grpc" \
      http://127.0.0.1:18091/inference.GRPCInferenceService/ModelInfer >"$OUT/load.txt" 2>&1 &
fi
LP=$!
scoring() { curl -s localhost:18090/metrics | awk -v p="$PROTOCOL" '$0 ~ "^ctr_scoring_latency_seconds_sum\\{protocol=\"" p "\"" {s=$2}
  $0 ~ "^ctr_scoring_latency_seconds_count\\{protocol=\"" p "\"" {c=$2} END {printf "%.9f %d\n", s, c}'; }
sleep 40
A=($(scoring)); T0=$(date +%s.%N)
taskset -c 1 java "$OUT/Attach.java" "$SP" "$AP" "start,event=cpu,interval=1ms" >/dev/null
sleep 20
taskset -c 1 java "$OUT/Attach.java" "$SP" "$AP" "stop,file=$OUT/profile.collapsed,collapsed" >/dev/null
B=($(scoring)); T1=$(date +%s.%N)
wait "$LP"
python3 - "$OUT/profile.collapsed" <<PY
import collections, sys
tot = 0; c = collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rstrip().rsplit(' ', 1); n = int(n); tot += n
    if 'sock_def_readable' in stack: k = 'wake'
    elif 'FastScorer' in stack: k = 'scoring'
    elif any(s in stack for s in ('JsonImpressionVisit', 'ImpressionFeatures', 'TensorFeatureReader')): k = 'features'
    elif '_[k]' in stack: k = 'kernel'
    else: k = 'other'
    c[k] += n
print('samples (1 ms of CPU each): %d; ' % tot + ', '.join('%s %.1f%%' % (k, c[k] * 100.0 / tot) for k in ('scoring', 'features', 'wake', 'kernel', 'other')))
r = ${B[1]} - ${A[1]}; w = $T1 - $T0
if r <= 0:
    sys.exit('serve-profile: no $PROTOCOL request was scored in the window (see $OUT/load.txt)')
print('window: %d requests in %.1f s = %.0f req/s; scoring %.1f us per request (ctr_scoring_latency_seconds mean)' % (r, w, r / w, (${B[0]} - ${A[0]}) / r * 1e6))
PY
echo "profile: $OUT/profile.collapsed (flame graphs: async-profiler's converter)"
