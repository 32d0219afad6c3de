#!/usr/bin/env bash
# Issue 8's figures in one run: what an idle box costs (wakeups a second,
# CPU, bytes written, WAL growth, RSS) and what the queries cost on a
# generated database (`events --limit 10` time and peak memory, `events |
# head -2`). Builds picket in release once unless PICKET names a binary.
# Not part of CI: the figures depend on the machine.
#
#   bash Benchmarks/year-alone.sh              (IDLE_SECONDS=30, EVENTS=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PICKET:-}" ]; then
    echo "building picket (release)..." >&2
    PICKET="$(systemd/build-release.sh)"
fi
export PICKET
echo "== idle"
bash Benchmarks/idle.sh "${IDLE_SECONDS:-30}"
echo "== queries"
bash Benchmarks/queries.sh
