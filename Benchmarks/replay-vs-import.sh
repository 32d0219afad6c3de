#!/usr/bin/env bash
# Replay speed against `sqlite3 .import` (issue 11): generates a recording of
# HOURS hours (Benchmarks/make-recording.py), replays it once to learn the
# events it stores, exports them as CSV, then times, alternately RUNS times
# each, `picket replay` into a fresh database and `sqlite3 .import` of the
# same rows into a fresh database with the same events table and indexes
# (the schema copied from the replayed database; WAL and synchronous=FULL
# like picket's). Prints each run, the medians, events stored a second and
# the ratio, and user+system CPU per input. Not part of CI.
#
#   PICKET=path/to/picket HOURS=8 RUNS=5 bash Benchmarks/replay-vs-import.sh
#   KEEP=dir: keep (and reuse) the recording and CSV there.
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${HOURS:-8}
runs=${RUNS:-5}
if [ -z "${PICKET:-}" ]; then
    swift build -c release --product picket >/dev/null
    PICKET=$(swift build -c release --show-bin-path)/picket
fi
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
rec="$work/rec-${hours}h.jsonl"
cfg="$work/rec-${hours}h.yaml"
if [ ! -s "$rec" ]; then python3 Benchmarks/make-recording.py "$hours" "$rec" "$cfg"; fi
inputs=$(($(wc -l <"$rec") - 1))
csv="$work/events-${hours}h.csv"
schema="$work/schema-${hours}h.sql"
if [ ! -s "$csv" ]; then
    rm -f "$work/first.db"*
    "$PICKET" replay "$rec" --config "$cfg" --db "$work/first.db" >/dev/null
    sqlite3 "$work/first.db" "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL
        ORDER BY type DESC" >"$schema"
    sqlite3 -csv "$work/first.db" "SELECT * FROM events ORDER BY seq" >"$csv"
    rm -f "$work/first.db"*
fi
events=$(wc -l <"$csv")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "recording: $hours h, $inputs inputs, $(du -h "$rec" | cut -f1); $events events"

: >"$work/picket.times"
: >"$work/import.times"
for i in $(seq "$runs"); do
    rm -f "$work/r.db"*
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$PICKET" replay "$rec" --config "$cfg" --db "$work/r.db" >/dev/null
    cat "$work/t" >>"$work/picket.times"
    stored=$(sqlite3 "$work/r.db" "SELECT COUNT(*) FROM events")
    rm -f "$work/i.db"*
    sqlite3 "$work/i.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" >/dev/null
    sqlite3 "$work/i.db" <"$schema"
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" \
        sqlite3 -cmd "PRAGMA synchronous=FULL;" "$work/i.db" ".import --csv $csv events"
    cat "$work/t" >>"$work/import.times"
    printf 'run %d: picket %s s (%s events), import %s s\n' "$i" "$(cut -d' ' -f1 <(tail -1 "$work/picket.times"))" \
        "$stored" "$(cut -d' ' -f1 "$work/t")"
done
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
p=$(cut -d' ' -f1 "$work/picket.times" | median)
q=$(cut -d' ' -f1 "$work/import.times" | median)
pcpu=$(awk '{print $2 + $3}' "$work/picket.times" | median)
prss=$(cut -d' ' -f4 "$work/picket.times" | median)
awk -v p="$p" -v q="$q" -v e="$events" -v n="$inputs" -v c="$pcpu" -v m="$prss" 'BEGIN {
    printf "picket replay: median %.2f s, %.1f k events stored/s, %.2f us CPU per input, max RSS %.0f MiB\n", p, e / p / 1000, c / n * 1e6, m / 1024
    printf "sqlite3 .import: median %.2f s, %.1f k events stored/s\n", q, e / q / 1000
    printf "ratio (events stored/s, picket / .import): %.2f\n", q / p
}'
