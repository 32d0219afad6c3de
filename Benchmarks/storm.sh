#!/usr/bin/env bash
# A serial storm: runs `picket run` on one serial port (a socat pty) with
# /metrics on, floods the pty's far end with valid detections as fast as the
# pty takes them for a while, and prints once a second the daemon's RSS, its
# `picket_inputs_total` and `picket_source_ring_drops_total` as /metrics says
# them (and how long the scrape took), through the storm and a quiet minute
# after it. Needs socat, curl and python3. Not part of CI.
#
#   bash Benchmarks/storm.sh [storm-seconds] [after-seconds]   (default 20 and 60)
#   PICKET=path/to/picket to use a built binary (default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
storm=${1:-20}
after=${2:-60}
if [ -z "${PICKET:-}" ]; then
    swift build -c release --product picket >/dev/null
    PICKET=$(swift build -c release --show-bin-path)/picket
fi
command -v socat >/dev/null || { echo "storm.sh needs socat (apt-get install socat)" >&2; exit 69; }
work=$(mktemp -d)
daemon= socat= flood=
cleanup() { kill "$flood" "$daemon" "$socat" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

socat pty,raw,echo=0,link="$work/radio" pty,raw,echo=0,link="$work/far-end" &
socat=$!
for _ in $(seq 50); do [ -e "$work/radio" ] && break; sleep 0.1; done
cat >"$work/storm.yaml" <<YAML
box: storm-bench
sector: bench
serial:
  - {port: $work/radio, baud: 9600, protocol: nmea}
sensors:
  - {id: seis-7, kind: seismic, zone: north-fork, severity: low}
metrics: {listen: "127.0.0.1:0"}
YAML
"$PICKET" run --config "$work/storm.yaml" --db "$work/picket.db" 2>"$work/run.log" &
daemon=$!
for _ in $(seq 100); do grep -q "metrics listening" "$work/run.log" 2>/dev/null && break; sleep 0.1; done
address=$(grep -o 'address=[^ ]*' "$work/run.log" | head -1 | cut -d= -f2)
sleep 2
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status"; }
sample() {
    local start end body
    start=$(date +%s%N)
    body=$(curl -s --max-time 10 "http://$address/metrics" || true)
    end=$(date +%s%N)
    printf '%-6s rss %6s MiB  inputs %12s  drops %10s  scrape %5d ms\n' "$1" "$(rss)" \
        "$(grep '^picket_inputs_total' <<<"$body" | awk '{print $2}')" \
        "$(grep '^picket_source_ring_drops_total' <<<"$body" | awk '{s += $2} END {print s + 0}')" \
        $(((end - start) / 1000000))
}
sample idle
# The flood: detections with every sequence number in turn (65,536 distinct
# ones, so each becomes an event until they repeat within the minute), then
# their repeats, written over and over.
python3 - "$work/far-end" <<'PY' &
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NOCTTY)
blocks = []
for start in range(0, 65536, 1024):
    lines = []
    for seq in range(start, start + 1024):
        body = f"PGSD,seis-7,{seq},FOOT,{20 + seq % 60}"
        c = 0
        for b in body.encode():
            c ^= b
        lines.append(f"${body}*{c:02X}\r\n")
    blocks.append("".join(lines).encode())
while True:
    for block in blocks:
        os.write(fd, block)
PY
flood=$!
for s in $(seq "$storm"); do sleep 1; sample "storm$s"; done
kill "$flood"
wait "$flood" 2>/dev/null || true
flood=
for s in $(seq "$after"); do sleep 1; sample "after$s"; done
