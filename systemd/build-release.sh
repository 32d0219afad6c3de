#!/usr/bin/env bash
# Builds the release binary the way a field box runs it, and prints its path.
#   systemd/build-release.sh            (scratch folder .build-release)
#   PICKET_SCRATCH=DIR systemd/build-release.sh
# - --static-swift-stdlib: the Swift runtime and Foundation (with ICU's data)
#   are linked into the binary, so the box needs no Swift toolchain, only
#   Debian's libsqlite3 and libstdc++; and the dynamic loader has fewer
#   libraries to map and fewer symbols to look up.
# - lld with -z pack-relative-relocs (RELR, glibc 2.36+, Debian 12): the
#   binary's ~120 000 relative relocations take 24 KB instead of 3 MB, which
#   the loader otherwise reads, page by page, at every start.
# - --no-export-dynamic: the executable's own 36 000 symbols are not put in
#   its dynamic symbol table (3 MB the loader searches before libc's); no
#   library looks symbols up in the executable, and crash backtraces read
#   the full symbol table from the file.
# Together they take the idle daemon's resident memory from about 35 to
# about 26 MiB (Benchmarks/compare.sh idle); behaviour is the same binary's.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH="${PICKET_SCRATCH:-.build-release}"
FLAGS=(-c release --scratch-path "$SCRATCH" --static-swift-stdlib
    -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
swift build "${FLAGS[@]}" --product picket >&2
echo "$(swift build "${FLAGS[@]}" --show-bin-path)/picket"
