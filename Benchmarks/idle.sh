#!/usr/bin/env bash
# What an idle box costs: runs `picket run` on a configuration with one serial
# port (a socat pty that stays silent) and a sector endpoint (a local HTTP
# server that answers 200, for the status sent at start), and measures, over a quiet window,
# wakeups a second (context switches of every thread), CPU, bytes written
# by the process and WAL growth. Needs socat (Debian package). Not part of CI.
#
#   bash Benchmarks/idle.sh [seconds]      (default 30; PICKET=path to use a built binary)
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-30}
if [ -z "${PICKET:-}" ]; then
    PICKET="$(systemd/build-release.sh)"
fi
command -v socat >/dev/null || { echo "idle.sh needs socat (apt-get install socat)" >&2; exit 69; }
work=$(mktemp -d)
daemon= socat= sector=
cleanup() { kill "$daemon" "$socat" "$sector" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# KEEP_LOG=1: the daemon's log is printed at the end.

socat pty,raw,echo=0,link="$work/radio" pty,raw,echo=0,link="$work/far-end" &
socat=$!
for _ in $(seq 50); do [ -e "$work/radio" ] && break; sleep 0.1; done
# The sector endpoint: answers every POST with 200.
python3 - "$work/sector.port" <<'PY' &
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
open(sys.argv[1], "w").write(str(server.server_port))
server.serve_forever()
PY
sector=$!
for _ in $(seq 50); do [ -s "$work/sector.port" ] && break; sleep 0.1; done
printf 'bench-secret' >"$work/sector.key"
chmod 600 "$work/sector.key"
cat >"$work/idle.yaml" <<YAML
box: idle-bench
sector: bench
serial:
  - {port: $work/radio, baud: 9600, protocol: nmea}
sensors:
  - {id: seis-7, kind: seismic, zone: north-fork, severity: low}
metrics: {listen: "127.0.0.1:0"}
forward: {url: "http://127.0.0.1:$(cat "$work/sector.port")/v1/alerts", secret_file: $work/sector.key}
YAML
"$PICKET" run --config "$work/idle.yaml" --db "$work/picket.db" 2>"$work/run.log" &
daemon=$!
for _ in $(seq 100); do grep -q "picket running" "$work/run.log" 2>/dev/null && break; sleep 0.1; done
# One detection, so the database holds something, then let it settle.
printf '$PGSD,seis-7,12,FOOT,64*05\r\n' >"$work/far-end"
sleep 5

# Context switches by thread: "tid count" lines. Threads come and go (the
# thread pools), so the window's wakeups are each thread's growth, a thread
# born meanwhile counting from zero.
switches() {
    for task in /proc/"$daemon"/task/*; do
        awk -v tid="${task##*/}" '/ctxt_switches/ {n += $2} END {print tid, n}' "$task/status" 2>/dev/null || true
    done
}
cpu_ticks() { awk '{print $14 + $15}' /proc/"$daemon"/stat; }
written() { awk '/^wchar/ {print $2}' /proc/"$daemon"/io; }
wal() { stat -c %s "$work/picket.db-wal" 2>/dev/null || echo 0; }
threads=$(ls /proc/"$daemon"/task | wc -l)
switches >"$work/s0"; c0=$(cpu_ticks); w0=$(written); l0=$(wal); m0=$(stat -c %Y.%y "$work/picket.db-wal")
sleep "$window"
switches >"$work/s1"; c1=$(cpu_ticks); w1=$(written); l1=$(wal); m1=$(stat -c %Y.%y "$work/picket.db-wal")
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' /proc/"$daemon"/status)

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "idle window: ${window} s, ${threads} threads"
awk -v w="$window" 'NR == FNR {before[$1] = $2; next} {n += $2 - before[$1]}
    END {printf "idle wakeups: %.2f /s (goal <= 5)\n", n / w}' "$work/s0" "$work/s1"
awk -v a="$c0" -v b="$c1" -v w="$window" -v hz="$hz" \
    'BEGIN {printf "idle CPU: %.3f %% of a core (goal <= 0.1 %%)\n", 100 * (b - a) / hz / w}'
echo "bytes written by the process while idle (any fd, eventfd wakeups included): $((w1 - w0))"
echo "WAL growth while idle: $((l1 - l0)) bytes; WAL modified: $([ "$m0" = "$m1" ] && echo no || echo yes)"
echo "idle RSS: $((rss / 1024)) MiB"
if [ -n "${KEEP_LOG:-}" ]; then echo "== daemon log"; cat "$work/run.log"; fi
