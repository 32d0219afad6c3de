#!/usr/bin/env bash
# Installs Picket on a field box: the binary, the systemd units (picket,
# and picket-sector installed but not enabled), the udev
# rules, an example configuration, the picket user and its groups, shell
# completions (bash, zsh, fish) and manual pages, both generated from the
# binary's argument parser (the pages by systemd/picket-manual.py, with
# python3; without python3 they are skipped with a note).
#   sudo systemd/install.sh              build (release, systemd/build-release.sh) and install
#   sudo systemd/install.sh --uninstall  remove all of it except the
#                                        configuration and the database
# Set DESTDIR to stage into another root (packaging, tests); nothing is
# started or reloaded then.
set -euo pipefail
cd "$(dirname "$0")/.."

DESTDIR="${DESTDIR:-}"
BIN="$DESTDIR/usr/local/bin/picket"
UNIT="$DESTDIR/etc/systemd/system/picket.service"
SECTOR_UNIT="$DESTDIR/etc/systemd/system/picket-sector.service"
RULES="$DESTDIR/etc/udev/rules.d/60-picket.rules"
DOC="$DESTDIR/usr/local/share/doc/picket"
ETC="$DESTDIR/etc/picket"
BASH_COMPLETION="$DESTDIR/usr/share/bash-completion/completions/picket"
ZSH_COMPLETION="$DESTDIR/usr/share/zsh/vendor-completions/_picket"
FISH_COMPLETION="$DESTDIR/usr/share/fish/vendor_completions.d/picket.fish"
MAN1="$DESTDIR/usr/share/man/man1"

live() { [ -z "$DESTDIR" ]; }

if [ "${1:-}" = "--uninstall" ]; then
    if live && command -v systemctl >/dev/null && systemctl list-unit-files picket.service >/dev/null 2>&1; then
        systemctl disable --now picket.service || true
    fi
    if live && command -v systemctl >/dev/null && systemctl list-unit-files picket-sector.service >/dev/null 2>&1; then
        systemctl disable --now picket-sector.service || true
    fi
    rm -f "$BIN" "$UNIT" "$SECTOR_UNIT" "$RULES" "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION"
    rm -f "$MAN1/picket.1" "$MAN1"/picket-*.1
    rm -rf "$DOC"
    if live; then
        command -v systemctl >/dev/null && systemctl daemon-reload || true
        command -v udevadm >/dev/null && udevadm control --reload || true
    fi
    echo "picket removed; kept $ETC and /var/lib/picket (delete them by hand if wanted)"
    exit 0
fi

if [ -z "${PICKET_BINARY:-}" ]; then
    PICKET_BINARY="$(systemd/build-release.sh)"
fi

install -D -m 0755 "$PICKET_BINARY" "$BIN"
install -D -m 0644 systemd/picket.service "$UNIT"
install -D -m 0644 systemd/picket-sector.service "$SECTOR_UNIT"
install -D -m 0644 Hardware/udev/60-picket.rules "$RULES"
install -D -m 0644 README.md "$DOC/README.md"
# Completions and manual pages from the argument parser of the binary being
# installed, so they always match its options.
GENERATED="$(mktemp -d)"
trap 'rm -rf "$GENERATED"' EXIT
for shell in bash zsh fish; do
    "$PICKET_BINARY" --generate-completion-script "$shell" >"$GENERATED/picket.$shell"
done
install -D -m 0644 "$GENERATED/picket.bash" "$BASH_COMPLETION"
install -D -m 0644 "$GENERATED/picket.zsh" "$ZSH_COMPLETION"
install -D -m 0644 "$GENERATED/picket.fish" "$FISH_COMPLETION"
if command -v python3 >/dev/null; then
    python3 systemd/picket-manual.py "$PICKET_BINARY" "$GENERATED/man"
    install -d -m 0755 "$MAN1"
    install -m 0644 "$GENERATED"/man/*.1 "$MAN1/"
    MANUAL="$MAN1/picket.1"
else
    MANUAL="no manual pages (python3 not found)"
fi
install -d -m 0750 "$ETC"
# An existing configuration is the technician's: never overwritten.
if [ ! -e "$ETC/picket.yaml" ]; then
    install -m 0640 Config/picket.example.yaml "$ETC/picket.yaml"
fi
if [ ! -e "$ETC/sector.yaml" ]; then
    install -m 0640 Config/sector.example.yaml "$ETC/sector.yaml"
fi
install -d -m 0750 "$ETC/boxes"
# The sector reads its operators at each login: created empty, group
# picket-sector below, appended to by `picket sector operators add`.
[ -e "$ETC/sector-operators" ] || install -m 0640 /dev/null "$ETC/sector-operators"
# The unit's LoadCredential= needs the secret files to exist; root-only
# placeholders until the real secrets are written into them.
for secret in sector.key hotline.cred; do
    [ -e "$ETC/$secret" ] || install -m 0600 /dev/null "$ETC/$secret"
done

if live; then
    getent group picket >/dev/null || groupadd --system picket
    id picket >/dev/null 2>&1 || useradd --system --gid picket --home-dir /var/lib/picket \
        --shell /usr/sbin/nologin --comment "Picket ground-sensor daemon" picket
    usermod -a -G dialout picket
    # Raspberry Pi OS gives /dev/gpiochip* to group gpio (99-com.rules); our
    # udev rule takes them back, and membership covers images that chown them.
    if getent group gpio >/dev/null; then usermod -a -G gpio picket; fi
    chgrp picket "$ETC" "$ETC/picket.yaml"
    # The sector service (not enabled): its own user, through /etc/picket
    # by group picket (SupplementaryGroups= in its unit), reading only its
    # own files there (group picket-sector).
    getent group picket-sector >/dev/null || groupadd --system picket-sector
    id picket-sector >/dev/null 2>&1 || useradd --system --gid picket-sector --home-dir /var/lib/picket-sector \
        --shell /usr/sbin/nologin --comment "Picket sector service" picket-sector
    chgrp picket-sector "$ETC/sector.yaml" "$ETC/boxes" "$ETC/sector-operators"
    udevadm control --reload && udevadm trigger --subsystem-match=gpio --subsystem-match=tty || true
    systemctl daemon-reload
    picket check-config "$ETC/picket.yaml" || echo "edit $ETC/picket.yaml, then: systemctl enable --now picket"
fi
echo "installed: $BIN, $UNIT, $SECTOR_UNIT (not enabled), $RULES, $ETC/picket.yaml, $ETC/sector.yaml, $MANUAL, completions for bash, zsh and fish"
