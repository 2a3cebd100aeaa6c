# Sourced by the serve-*.sh scripts.
#
# IDLE_POLL_NS=N (root; a KVM guest with the
# cpuidle-haltpoll driver) lets an idle CPU poll for N ns before it halts, for the run, and puts the
# old value back at the end. On the Firecracker guests of BENCHMARKS.md 7.7
# (haltpoll.guest_halt_poll_ns=0 on the kernel's command line) waking the halted load tool's CPU
# after each response cost the server's CPU 6-19% of it at full load over REST, work a client on
# another machine would not cause; with the CPU polling the wake-up is a flag.
POLL=/sys/module/haltpoll/parameters/guest_halt_poll_ns
OLD_POLL=""

# idle_poll_check SCRIPT: validates IDLE_POLL_NS (when set) and remembers the value to restore
idle_poll_check() {
  [[ -n "${IDLE_POLL_NS:-}" ]] || return 0
  [[ "$IDLE_POLL_NS" =~ ^[0-9]+$ ]] || { echo "$1: IDLE_POLL_NS must be a number of ns, found '$IDLE_POLL_NS'" >&2; exit 2; }
  [[ -w "$POLL" ]] || { echo "$1: IDLE_POLL_NS needs a writable $POLL (root, cpuidle-haltpoll driver)" >&2; exit 2; }
  OLD_POLL="$(cat "$POLL")"
}
idle_poll_apply() { [[ -z "$OLD_POLL" ]] || echo "$IDLE_POLL_NS" >"$POLL"; }
idle_poll_restore() { [[ -z "$OLD_POLL" ]] || echo "$OLD_POLL" >"$POLL"; }
idle_poll_describe() {
  echo "cpuidle driver $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo '?'), guest_halt_poll_ns $(cat "$POLL" 2>/dev/null || echo '-')"
}

# write_post_lua DIR [paced]: DIR/post.lua, wrk's script that POSTs DIR/request.json; with
# "paced", each connection waits PACE_MS (from wrk's environment, default 0) after a response
write_post_lua() {
  cat >"$1/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$1/request.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
  if [[ "${2:-}" == paced ]]; then
    cat >>"$1/post.lua" <<'LUA'
local pace = tonumber(os.getenv("PACE_MS") or "0")
function delay() return pace end
LUA
  fi
}
