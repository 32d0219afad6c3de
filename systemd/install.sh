#!/usr/bin/env bash
# Installs Picket on a field box: the binary, the systemd unit, the udev
# rules, an example configuration, the picket user and its groups.
#   sudo systemd/install.sh              build (release) and install
#   sudo systemd/install.sh --uninstall  remove all of it except the
#                                        configuration and the database
# Set DESTDIR to stage into another root (packaging, tests); nothing is
# started or reloaded then.
set -euo pipefail
cd "$(dirname "$0")/.."

DESTDIR="${DESTDIR:-}"
BIN="$DESTDIR/usr/local/bin/picket"
UNIT="$DESTDIR/etc/systemd/system/picket.service"
RULES="$DESTDIR/etc/udev/rules.d/60-picket.rules"
DOC="$DESTDIR/usr/local/share/doc/picket"
ETC="$DESTDIR/etc/picket"

live() { [ -z "$DESTDIR" ]; }

if [ "${1:-}" = "--uninstall" ]; then
    if live && command -v systemctl >/dev/null && systemctl list-unit-files picket.service >/dev/null 2>&1; then
        systemctl disable --now picket.service || true
    fi
    rm -f "$BIN" "$UNIT" "$RULES"
    rm -rf "$DOC"
    if live; then
        command -v systemctl >/dev/null && systemctl daemon-reload || true
        command -v udevadm >/dev/null && udevadm control --reload || true
    fi
    echo "picket removed; kept $ETC and /var/lib/picket (delete them by hand if wanted)"
    exit 0
fi

if [ -z "${PICKET_BINARY:-}" ]; then
    swift build -c release
    PICKET_BINARY=.build/release/picket
fi

install -D -m 0755 "$PICKET_BINARY" "$BIN"
install -D -m 0644 systemd/picket.service "$UNIT"
install -D -m 0644 Hardware/udev/60-picket.rules "$RULES"
install -D -m 0644 README.md "$DOC/README.md"
install -d -m 0750 "$ETC"
# An existing configuration is the technician's: never overwritten.
if [ ! -e "$ETC/picket.yaml" ]; then
    install -m 0640 Config/picket.example.yaml "$ETC/picket.yaml"
fi
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
    udevadm control --reload && udevadm trigger --subsystem-match=gpio --subsystem-match=tty || true
    systemctl daemon-reload
    picket check-config "$ETC/picket.yaml" || echo "edit $ETC/picket.yaml, then: systemctl enable --now picket"
fi
echo "installed: $BIN, $UNIT, $RULES, $ETC/picket.yaml"
