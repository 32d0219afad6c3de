#!/usr/bin/env bash
# Live latency: serial write -> event row visible in SQLite. Runs `picket run`
# on one serial port (a socat pty), writes detections with fresh sequence
# numbers at a steady rate to the pty's far end and, after each write, polls
# the database (read-only, a fresh query every ~0.2 ms) until the event's row
# is visible. Prints p50, p99 and max in milliseconds. Needs socat and python3.
# Not part of CI; times vary with the machine's load.
#
#   bash Benchmarks/live-latency.sh [sentences] [per-second]   (default 300 at 5/s)
#   PICKET=path/to/picket to use a built binary (default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-300}
rate=${2:-5}
if [ -z "${PICKET:-}" ]; then
    swift build -c release --product picket >/dev/null
    PICKET=$(swift build -c release --show-bin-path)/picket
fi
command -v socat >/dev/null || { echo "live-latency.sh needs socat (apt-get install socat)" >&2; exit 69; }
work=$(mktemp -d)
daemon= socat=
cleanup() { kill "$daemon" "$socat" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

socat pty,raw,echo=0,link="$work/radio" pty,raw,echo=0,link="$work/far-end" &
socat=$!
for _ in $(seq 50); do [ -e "$work/radio" ] && break; sleep 0.1; done
cat >"$work/live.yaml" <<YAML
box: latency-bench
sector: bench
serial:
  - {port: $work/radio, baud: 9600, protocol: nmea}
sensors:
  - {id: seis-7, kind: seismic, zone: north-fork, severity: low}
YAML
"$PICKET" run --config "$work/live.yaml" --db "$work/picket.db" ${RECORD:+--record "$work/run.jsonl"} \
    2>"$work/run.log" &
daemon=$!
for _ in $(seq 100); do grep -q "serial port open" "$work/run.log" 2>/dev/null && break; sleep 0.1; done
sleep 1

python3 - "$work/far-end" "$work/picket.db" "$count" "$rate" <<'PY'
import os, sqlite3, sys, time
far, db, count, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
fd = os.open(far, os.O_WRONLY | os.O_NOCTTY)
def sentence(seq):
    body = f"PGSD,seis-7,{seq},FOOT,{20 + seq % 60}"
    checksum = 0
    for c in body.encode():
        checksum ^= c
    return f"${body}*{checksum:02X}\r\n".encode()
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
def visible():
    return conn.execute("SELECT count(*) FROM events").fetchone()[0]
base = visible()
latencies = []
period = 1.0 / rate
next_at = time.monotonic()
for i in range(1, count + 1):
    next_at += period
    written = time.monotonic()
    os.write(fd, sentence(i % 65536))
    deadline = written + 5.0
    while visible() < base + i:
        if time.monotonic() > deadline:
            print(f"sentence {i}: not visible after 5 s", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.0002)
    latencies.append((time.monotonic() - written) * 1000)
    time.sleep(max(0.0, next_at - time.monotonic()))
latencies.sort()
def pct(p):
    return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]
print(f"sentences {len(latencies)} at {rate:g}/s: p50 {pct(50):.2f} ms  p99 {pct(99):.2f} ms  max {latencies[-1]:.2f} ms")
PY
