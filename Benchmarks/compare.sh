#!/usr/bin/env bash
# Picket side by side with the tools it replaces (issue 11), in one run:
# replay vs `sqlite3 .import` of the same rows, replay cost as the recording
# grows, NMEA replay vs `gpsdecode`, live latency through a pty, idle
# wakeups/WAL/RSS and RSS through a storm. It generates its own data
# (Benchmarks/gen-recording.py), alternates Picket and the peer, prints every
# run with the machine's load, then a Markdown summary table.
# Not part of CI or the tests: the figures depend on the machine.
#
#   bash Benchmarks/compare.sh                      all parts, 5 runs each (about 10 minutes)
#   bash Benchmarks/compare.sh replay nmea --runs 7
#   bash Benchmarks/compare.sh --quick              a smoke run of every part
#   bash Benchmarks/compare.sh --write-readme       also replace README.md's Performance table
#   PICKET_BINARY=/path/to/picket bash Benchmarks/compare.sh
#
# Needs python3, sqlite3, socat and gpsdecode (Debian: python3 sqlite3 socat
# gpsd-clients). Without PICKET_BINARY it builds the release binary as a box
# runs it (systemd/build-release.sh: static Swift runtime, packed relocations).
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
    case "$arg" in -h | --help) exec python3 Benchmarks/compare.py --help ;; esac
done
command -v python3 >/dev/null || { echo "compare.sh: needs python3" >&2; exit 69; }
command -v sqlite3 >/dev/null || { echo "compare.sh: needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 69; }
if [[ -z "${PICKET_BINARY:-}" ]]; then
    echo "compare.sh: building picket as a box runs it (systemd/build-release.sh; a cold build takes a while)..." >&2
    PICKET_BINARY="$(systemd/build-release.sh)"
fi
[[ -x "$PICKET_BINARY" ]] || { echo "compare.sh: $PICKET_BINARY: not an executable picket" >&2; exit 66; }
PICKET_BINARY="$(cd "$(dirname "$PICKET_BINARY")" && pwd)/$(basename "$PICKET_BINARY")"
export PICKET_BINARY
exec python3 Benchmarks/compare.py "$@"
