#!/usr/bin/env bash
# picket sector under N simulated boxes beside a minimal Python receiver
# (issue 12): alerts stored per second and p50/p99 answer time, alternating
# runs, with the machine's load. Not part of CI or the tests.
#
#   bash Benchmarks/sector.sh                          16 boxes, 10 s, 3 runs each
#   bash Benchmarks/sector.sh --boxes 64 --seconds 20 --runs 5
#   bash Benchmarks/sector.sh --postgres postgres://picket@127.0.0.1/sector
#   PICKET_BINARY=/path/to/picket bash Benchmarks/sector.sh
#
# Without PICKET_BINARY it builds the release binary (systemd/build-release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
    case "$arg" in -h | --help) exec python3 Benchmarks/sector.py --help ;; esac
done
command -v python3 >/dev/null || { echo "sector.sh: needs python3" >&2; exit 69; }
if [[ -z "${PICKET_BINARY:-}" ]]; then
    echo "sector.sh: building picket as it is installed (systemd/build-release.sh; a cold build takes a while)..." >&2
    PICKET_BINARY="$(systemd/build-release.sh)"
fi
[[ -x "$PICKET_BINARY" ]] || { echo "sector.sh: $PICKET_BINARY: not an executable picket" >&2; exit 66; }
export PICKET_BINARY
exec python3 Benchmarks/sector.py "$@"
