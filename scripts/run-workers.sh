#!/usr/bin/env bash
# `make run WORKERS=n` (n > 1): n app processes on WORKER_HOST (127.0.0.1), ports WORKER_BASE+1 …,
# behind HAProxy (Debian's package; `make system-deps` installs it) on HOST:PORT.
#
# - Sticky sessions: HAProxy sets a cookie (JUNHENG_WORKER) naming the worker on a browser's first
#   request; the page, its websocket, uploads and downloads of that browser then reach the same
#   process (a Streamlit session lives in one process).
# - Websockets: HAProxy passes the upgrade through (HTTP mode); `timeout tunnel` keeps an idle
#   session open for an hour.
# - Every worker reads the same data folder (JUNHENG_DATA / JUNHENG_GEO, default data/ and geo/).
# - Every port is checked before anything starts: one already taken is named and nothing starts.
# - The proxy starts once every worker answers /_stcore/health; the script says it listens only
#   once the proxy accepts connections.
# - If any process stops, the script names it (with the end of its log), stops the others and
#   exits with status 1, so that a supervisor (systemd: docs/operations.md) restarts the service.
#   SIGINT/SIGTERM stop every process (TERM, then KILL after STOP_TIMEOUT seconds).
#
# Environment: WORKERS (default 2), HOST (127.0.0.1), PORT (8501), WORKER_BASE (PORT + 100),
# WORKER_HOST (127.0.0.1; a machine's private address when one proxy serves several machines),
# BIN (.venv/bin), RUN_DIR (the proxy's configuration and the logs, appended to; default a fresh
# temporary folder), STOP_TIMEOUT (10).
set -euo pipefail

workers=${WORKERS:-2}
host=${HOST:-127.0.0.1}
port=${PORT:-8501}
base=${WORKER_BASE:-$((port + 100))}
worker_host=${WORKER_HOST:-127.0.0.1}
bin=${BIN:-.venv/bin}
stop_timeout=${STOP_TIMEOUT:-10}
say() { echo "junheng: $*" >&2; }
case "$workers" in ''|*[!0-9]*) say "WORKERS must be a number, got '$workers'"; exit 2 ;; esac
[ "$workers" -ge 1 ] || { say "WORKERS must be at least 1"; exit 2; }
if ! command -v haproxy >/dev/null 2>&1; then
    say "haproxy is not installed: 'make system-deps' installs Debian's package"
    exit 1
fi

# Every port free before anything starts (a taken port would otherwise show only in a log).
"$bin/python" - "$host" "$port" "$base" "$workers" "$worker_host" <<'PY' || exit 1
import socket, sys
host, port, base, n, wh = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
wanted = [(host, port, "HAProxy (HOST:PORT)")] + [
    (wh, base + i, f"worker {i} (WORKER_BASE+{i})") for i in range(1, n + 1)]
for h, p, who in wanted:
    try:
        info = socket.getaddrinfo(h, p, type=socket.SOCK_STREAM)[0]
        with socket.socket(info[0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(info[4])
    except OSError as exc:
        sys.exit(f"junheng: port {h}:{p} for {who} cannot be used ({exc.strerror or exc}); "
                 "choose another PORT or WORKER_BASE, or stop what listens there")
PY

run_dir=${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/junheng-workers.XXXXXX")}
mkdir -p "$run_dir"

pids=()
names=()
logs=()
stop_all() {
    trap - EXIT INT TERM
    local p left
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq $((stop_timeout * 10))); do
        left=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
        [ "$left" -eq 0 ] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
servers=""
for i in $(seq 1 "$workers"); do
    wport=$((base + i))
    echo "== $(stamp) worker $i starting on $worker_host:$wport" >>"$run_dir/worker$i.log"
    "$bin/python" -m app.serve --host "$worker_host" --port "$wport" >>"$run_dir/worker$i.log" 2>&1 &
    pids+=($!)
    names+=("worker $i ($worker_host:$wport)")
    logs+=("$run_dir/worker$i.log")
    servers+="    server w$i $worker_host:$wport cookie w$i check inter 2s fall 3 rise 1"$'\n'
done

# Wait until the address answers (at most 120 s) while its process lives.  In the background
# and waited for, so that a SIGTERM meanwhile stops everything at once.
await() {  # url-or-host:port pid what
    "$bin/python" - "$@" <<'PY' &
import os, socket, sys, time, urllib.request
target, pid, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"junheng: {what} stopped while starting")
    try:
        if target.startswith("http"):
            with urllib.request.urlopen(target, timeout=2) as r:
                if r.status == 200:
                    sys.exit(0)
        else:
            h, _, p = target.rpartition(":")
            with socket.create_connection(("127.0.0.1" if h in ("0.0.0.0", "::", "") else h,
                                           int(p)), timeout=2):
                sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(f"junheng: {what} did not answer within 120 s")
PY
    wait $!
}
tail_of() { say "the end of $1:"; tail -n 15 "$1" >&2 || true; }

for i in $(seq 1 "$workers"); do
    await "http://$worker_host:$((base + i))/_stcore/health" "${pids[$((i - 1))]}" "${names[$((i - 1))]}" \
        || { tail_of "${logs[$((i - 1))]}"; exit 1; }
done

cat >"$run_dir/haproxy.cfg" <<CFG
global
    maxconn 4096
    # Alerts and notices only (a worker going DOWN or UP), not one line per request.
    log stderr format raw local0 notice

defaults
    mode http
    log global
    option forwardfor
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 30s

frontend junheng
    bind $host:$port
    default_backend workers

backend workers
    balance roundrobin
    cookie JUNHENG_WORKER insert indirect nocache httponly attr "SameSite=Lax"
    option httpchk GET /_stcore/health
$servers
CFG
echo "== $(stamp) haproxy starting on $host:$port" >>"$run_dir/haproxy.log"
haproxy -f "$run_dir/haproxy.cfg" -db >>"$run_dir/haproxy.log" 2>&1 &
pids+=($!)
names+=("HAProxy ($host:$port)")
logs+=("$run_dir/haproxy.log")
await "$host:$port" "${pids[-1]}" "HAProxy on $host:$port" || { tail_of "$run_dir/haproxy.log"; exit 1; }

echo "Junheng: $workers workers behind HAProxy on http://$host:$port (logs and configuration: $run_dir; process ids ${pids[*]})"
# Any process stopping stops the whole service: say which one, then the trap ends the others.
status=0
wait -n "${pids[@]}" || status=$?
for k in "${!pids[@]}"; do
    if ! kill -0 "${pids[$k]}" 2>/dev/null; then
        say "${names[$k]} stopped (status $status); stopping the others"
        tail_of "${logs[$k]}"
    fi
done
exit 1
