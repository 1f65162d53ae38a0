#!/usr/bin/env bash
# `make run WORKERS=n` (n > 1): n app processes on 127.0.0.1, ports WORKER_BASE+1 … WORKER_BASE+n,
# behind HAProxy (Debian's package; `make system-deps` installs it) on HOST:PORT.
#
# - Sticky sessions: HAProxy sets a cookie (JUNHENG_WORKER) naming the worker on a browser's first
#   request; the page, its websocket, uploads and downloads of that browser then reach the same
#   process (a Streamlit session lives in one process).
# - Websockets: HAProxy passes the upgrade through (HTTP mode); `timeout tunnel` keeps an idle
#   session open for an hour.
# - Every worker reads the same data folder (JUNHENG_DATA / JUNHENG_GEO, default data/ and geo/).
# - The proxy starts once every worker answers /_stcore/health; if any process stops, all stop.
#
# Environment: WORKERS (default 2), HOST (127.0.0.1), PORT (8501), WORKER_BASE (PORT + 100),
# BIN (.venv/bin), RUN_DIR (a fresh temporary folder: the proxy's configuration and the logs).
set -euo pipefail

workers=${WORKERS:-2}
host=${HOST:-127.0.0.1}
port=${PORT:-8501}
base=${WORKER_BASE:-$((port + 100))}
bin=${BIN:-.venv/bin}
case "$workers" in ''|*[!0-9]*) echo "WORKERS must be a number, got '$workers'" >&2; exit 2 ;; esac
[ "$workers" -ge 1 ] || { echo "WORKERS must be at least 1" >&2; exit 2; }
if ! command -v haproxy >/dev/null 2>&1; then
    echo "haproxy is not installed: 'make system-deps' installs Debian's package" >&2
    exit 1
fi
run_dir=${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/junheng-workers.XXXXXX")}
mkdir -p "$run_dir"

pids=()
stop_all() {
    trap - EXIT INT TERM
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

servers=""
for i in $(seq 1 "$workers"); do
    wport=$((base + i))
    "$bin/python" -m app.serve --host 127.0.0.1 --port "$wport" >"$run_dir/worker$i.log" 2>&1 &
    pids+=($!)
    servers+="    server w$i 127.0.0.1:$wport cookie w$i check inter 2s fall 3 rise 1"$'\n'
done

# Wait for every worker (at most 120 s): the proxy then never answers 503 to a first visitor.
for i in $(seq 1 "$workers"); do
    wport=$((base + i))
    "$bin/python" - "$wport" "${pids[$((i - 1))]}" <<'PY'
import os, sys, time, urllib.request
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"worker on port {port} stopped while starting")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(f"worker on port {port} did not answer within 120 s")
PY
done

cat >"$run_dir/haproxy.cfg" <<CFG
global
    maxconn 4096

defaults
    mode http
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
haproxy -f "$run_dir/haproxy.cfg" -db >"$run_dir/haproxy.log" 2>&1 &
pids+=($!)
echo "Junheng: $workers workers behind HAProxy on http://$host:$port (logs and configuration: $run_dir)"
# Any process stopping stops the whole service (the trap ends the others).
wait -n "${pids[@]}"
