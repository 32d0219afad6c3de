#!/usr/bin/env bash
# Query benchmark (issue 8, item 7): `picket events` on a generated database
# of EVENTS events (default 1,000,000). Prints wall times and peak memory,
# one figure a line. Not a test and not run in CI: the figures depend on the
# machine; the goals are `events --limit 10` within 0.2 s and `events | head
# -2` below 40 MB peak on a 1.8 M-event database.
#
#   bash Benchmarks/queries.sh                 # builds picket in release first
#   PICKET=/path/to/picket bash Benchmarks/queries.sh
#   EVENTS=1800000 bash Benchmarks/queries.sh
#
# Needs bash, sqlite3 (package sqlite3) and, for peak memory, GNU time
# (package time) or else /proc (sampled every 5 ms, so it may read low).
set -euo pipefail
cd "$(dirname "$0")/.."

events=${EVENTS:-1000000}
runs=5

if [[ -z "${PICKET:-}" ]]; then
    echo "building picket (release)..." >&2
    PICKET="$(systemd/build-release.sh)"
fi
command -v sqlite3 >/dev/null || { echo "queries.sh: needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/bench.db"

# The schema, exactly as this picket creates it: replay an empty recording.
echo '{"picket_recording": 1, "started_utc": "2026-06-05T03:12:00.000Z", "box": "sim-01"}' >"$work/empty.jsonl"
"$PICKET" replay "$work/empty.jsonl" --db "$db" >/dev/null

# Then the rows, in bulk: one event a second, three zones, seven sensors,
# ids shaped like picket's (36 characters).
echo "generating $events events..." >&2
sqlite3 "$db" >/dev/null <<SQL
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $events)
INSERT INTO events (id, box, sector, sensor, kind, zone, source, state, ts, episode, class, strength, image_ref,
    lat, lon, tags, note)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), 'sim-01', 'sim', 'pir-' || (i % 7), 'pir',
    CASE i % 3 WHEN 0 THEN 'north-fork' WHEN 1 THEN 'ridge' ELSE 'creek' END, 'gpio',
    CASE i % 2 WHEN 1 THEN 'active' ELSE 'inactive' END, 1780629120000000000 + i * 1000000000,
    printf('%08x-0000-4000-8000-%012x', i - 1 + i % 2, i - 1 + i % 2), NULL, NULL, NULL, 44.9931, -73.1102,
    '{"trail":"north-fork"}', NULL
FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL

# run COMMAND...: runs it (its stdout discarded) and sets `ms` (wall time)
# and `kb` (peak resident set size of picket).
run() {
    local start end
    start=$(date +%s%N)
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null
        kb=$(tail -1 "$work/rss")
    else
        "$@" >/dev/null &
        watch_peak $!
    fi
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
}

# watch_peak PID: waits for it, setting `kb` to its last VmHWM (without GNU time).
watch_peak() {
    local pid=$1 hwm=0 line
    while kill -0 "$pid" 2>/dev/null; do
        line=$(grep VmHWM "/proc/$pid/status" 2>/dev/null || true)
        [[ -n "$line" ]] && hwm=$(awk '{print $2}' <<<"$line")
        sleep 0.005
    done
    wait "$pid"
    kb=$hwm
}

# A pipeline into `head -2`: the time until the whole pipeline ended (picket
# must stop at its next write once head is gone) and picket's peak memory.
run_head() {
    local start end
    start=$(date +%s%N)
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%M' -o "$work/rss" "$@" | head -2 >/dev/null
        kb=$(tail -1 "$work/rss")
    else
        "$@" > >(head -2 >/dev/null) &
        watch_peak $!
    fi
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
}

# median COMMAND...: `runs` runs; sets `ms` to the median and `kb` to the highest peak.
median() {
    local times=() peak=0
    for ((r = 0; r < runs; r++)); do
        run "$@"
        times+=("$ms")
        ((kb > peak)) && peak=$kb
    done
    ms=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    kb=$peak
}

mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# Warm the page cache once, so every figure below is a warm one.
"$PICKET" events --db "$db" --limit 1 >/dev/null
cat "$db" >/dev/null

rows=$(sqlite3 "$db" 'SELECT COUNT(*) FROM events')
size=$(stat -c %s "$db")
echo "database: $rows events, $(mb $((size / 1024))) MB"

lines=$("$PICKET" events --db "$db" --limit 10 | wc -l)
[[ "$lines" == 11 ]] || { echo "queries.sh: events --limit 10 printed $lines lines, not a header and 10 rows" >&2; exit 1; }

median "$PICKET" events --db "$db" --limit 10
echo "events --limit 10: ${ms} ms wall (median of $runs)"
echo "events --limit 10: $(mb "$kb") MB peak RSS"

median "$PICKET" events --db "$db" --json --limit 10
echo "events --json --limit 10: ${ms} ms wall (median of $runs)"

median "$PICKET" events --db "$db" --zone ridge --limit 10
echo "events --zone ridge --limit 10: ${ms} ms wall (median of $runs)"

run_head "$PICKET" events --db "$db"
echo "events | head -2: ${ms} ms wall"
echo "events | head -2: $(mb "$kb") MB peak RSS"

run_head "$PICKET" events --db "$db" --json
echo "events --json | head -2: ${ms} ms wall"
echo "events --json | head -2: $(mb "$kb") MB peak RSS"

half=$((rows / 2))
run "$PICKET" events --db "$db" --json --limit "$half"
echo "events --json --limit $half (to /dev/null): ${ms} ms wall"
echo "events --json --limit $half (to /dev/null): $(mb "$kb") MB peak RSS"

run "$PICKET" events --db "$db" --json
echo "events --json (all $rows rows to /dev/null): ${ms} ms wall"
echo "events --json (all $rows rows to /dev/null): $(mb "$kb") MB peak RSS"
