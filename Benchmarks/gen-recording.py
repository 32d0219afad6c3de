#!/usr/bin/env python3
"""Generates Picket recordings (PRODUCT.md section 2, version 1) for benchmarks.

Two kinds, both deterministic for a given --seed:

  gen-recording.py --hours H --out REC.jsonl [--config-out CFG.yaml] [--seed N]
      A busy trail box for H hours: a GPS on /dev/ttyUSB1 (one read a second
      holding a GGA and an RMC), a radio receiver on /dev/ttyUSB0 (detections
      from three ground sensors with relay duplicates and lost sequence
      numbers, camera captures, a heartbeat a minute from each sensor, some
      sentences split over two reads, a little noise), and GPIO: a PIR with
      contact bounce and glitches, and two active-low beams crossed in either
      direction. About 4,900 inputs and 410 events an hour (480 h: about
      2.35 M inputs, 197 k events). --config-out writes the configuration
      that names these lines, ports and sensors, with a crossing and a
      direction rule.

  gen-recording.py --nmea DIR --lines N --out REC.jsonl --raw-out RAW.nmea [--seed N]
      N real NMEA lines: the gpsd regression logs in DIR (*.log, comment
      lines starting with '#' left out, every other byte kept as it is)
      repeated until N lines. RAW.nmea gets the bytes as they are (for
      gpsdecode); REC.jsonl the same bytes as serial reads of 16-64 bytes on
      /dev/ttyUSB1, timed as a 9600-baud line would deliver them; --config-out
      writes a configuration with that one port.

Prints what it wrote (inputs, lines) on standard error. Not part of CI.
"""

import argparse
import base64
import datetime
import functools
import json
import os
import random
import sys

START = datetime.datetime(2026, 6, 5, 0, 0, 0, tzinfo=datetime.timezone.utc)
NS = 1_000_000_000
MS = 1_000_000
RADIO = "/dev/ttyUSB0"
GPS = "/dev/ttyUSB1"


@functools.lru_cache(maxsize=None)
def xor(text):
    value = 0
    for byte in text.encode():
        value ^= byte
    return value


def sentence(body):
    return "$%s*%02X" % (body, xor(body))


def header(box):
    started = START.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return '{"picket_recording": 1, "started_utc": "%s", "box": "%s"}\n' % (started, box)


def gpio_line(t, line, edge):
    return '{"t": %d, "gpio": {"chip": "gpiochip0", "line": %d, "edge": "%s"}}\n' % (t, line, edge)


def serial_line(t, port, data):
    """One read() of `data` (bytes) on `port`, as `picket record` writes it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return '{"t": %d, "serial": {"port": "%s", "b64": "%s"}}\n' % (t, port, base64.b64encode(data).decode())
    return '{"t": %d, "serial": {"port": "%s", "text": %s}}\n' % (t, port, json.dumps(text))


def serial_text(t, port, text):
    """A read of plain ASCII without quotes or backslashes: no escaping but CR and LF."""
    return '{"t": %d, "serial": {"port": "%s", "text": "%s"}}\n' % (
        t, port, text.replace("\r", "\\r").replace("\n", "\\n"))


# --- the trail box ---------------------------------------------------------

PIR_LINE, BEAM_S_LINE, BEAM_N_LINE = 17, 22, 23
RADIO_SENSORS = ["seis-7", "seis-8", "mag-2"]
HEARTBEAT_SENSORS = ["seis-7", "seis-8", "mag-2", "cam-1"]

TRAIL_CONFIG = """\
# Written by Benchmarks/gen-recording.py for its trail-box recordings.
box: bench-01
sector: bench
site: {lat: 44.9925, lon: -73.1098}
gpio:
  - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: north-fork,
     active: high, debounce_ms: 30, holdoff_ms: 5000, severity: low,
     lat: 44.9931, lon: -73.1102, tags: {trail: north-fork}}
  - {chip: gpiochip0, line: 22, sensor: beam-s, kind: beam, zone: north-fork,
     active: low, debounce_ms: 10, holdoff_ms: 2000}
  - {chip: gpiochip0, line: 23, sensor: beam-n, kind: beam, zone: north-fork,
     active: low, debounce_ms: 10, holdoff_ms: 2000}
serial:
  - {port: /dev/ttyUSB0, baud: 9600, protocol: nmea}
  - {port: /dev/ttyUSB1, baud: 4800, protocol: nmea}
sensors:
  - {id: seis-7, kind: seismic, zone: north-fork, holdoff_ms: 10000}
  - {id: seis-8, kind: seismic, zone: ridge, holdoff_ms: 10000, severity: low}
  - {id: mag-2, kind: magnetic, zone: ridge, holdoff_ms: 5000}
  - {id: cam-1, kind: camera, zone: north-fork, severity: low, tags: {model: bushnell}}
rules:
  - {name: crossing, all_of: {kinds: [pir, seismic], zone: north-fork},
     within_s: 60, severity: high}
  - {name: northbound, sequence: [beam-s, beam-n], within_s: 30,
     direction: northbound, severity: medium}
  - {name: ridge-vehicle, all_of: {kinds: [seismic, magnetic], zone: ridge},
     within_s: 120, severity: medium}
"""


class GPSFeed:
    """A stationary receiver: GGA and RMC once a second, the position jittering slightly."""

    def __init__(self, rng):
        self.fixes = []
        for _ in range(16):
            lat = "4459.%04d" % rng.randrange(5400, 5600)
            lon = "07306.%04d" % rng.randrange(5800, 6000)
            alt = "%.1f" % rng.uniform(208, 212)
            gga_rest = ",%s,N,%s,W,1,08,0.9,%s,M,-32.1,M,," % (lat, lon, alt)
            rmc_rest = ",A,%s,N,%s,W,0.0,0.0," % (lat, lon)
            self.fixes.append((gga_rest, rmc_rest))
        self.gga_head = xor("GPGGA,")
        self.rmc_head = xor("GPRMC,")
        self.rmc_tail = xor(",,,A")
        self.rng = rng

    def read(self, second):
        when = START + datetime.timedelta(seconds=second)
        hms = when.strftime("%H%M%S") + ".00"
        dmy = when.strftime("%d%m%y")
        gga_rest, rmc_rest = self.fixes[self.rng.randrange(len(self.fixes))]
        gga = "$GPGGA,%s%s*%02X" % (hms, gga_rest, self.gga_head ^ xor(hms) ^ xor(gga_rest))
        rmc = "$GPRMC,%s%s%s,,,A*%02X" % (
            hms, rmc_rest, dmy, self.rmc_head ^ xor(hms) ^ xor(rmc_rest) ^ xor(dmy) ^ self.rmc_tail)
        return gga + "\r\n" + rmc + "\r\n"


def bounce(rng, t, line, final, steps):
    """Edges ending at level `final` (rising = high), `steps` extra pairs of bounce, gaps 0.5-4 ms."""
    edges = []
    first, second = ("rising", "falling") if final == "rising" else ("falling", "rising")
    edges.append((t, gpio_line(t, line, first)))
    for _ in range(steps):
        t += rng.randrange(500_000, 4_000_000)
        edges.append((t, gpio_line(t, line, second)))
        t += rng.randrange(500_000, 4_000_000)
        edges.append((t, gpio_line(t, line, first)))
    return edges, t


def trail_hour(rng, hour, gps, seqs, images):
    base = hour * 3600 * NS
    items = []
    # GPS: one read a second, 200 ms into it.
    for s in range(3600):
        t = base + s * NS + 200 * MS
        items.append((t, serial_text(t, GPS, gps.read(hour * 3600 + s))))
    # PIR: 60 one-minute slots; a third start with a 2 ms glitch, each has an activation.
    for slot in range(60):
        t0 = base + slot * 60 * NS
        if rng.random() < 1 / 3:
            t = t0 + rng.randrange(0, 4 * NS)
            items.append((t, gpio_line(t, PIR_LINE, "rising")))
            items.append((t + 2 * MS, gpio_line(t + 2 * MS, PIR_LINE, "falling")))
        t = t0 + rng.randrange(6 * NS, 35 * NS)
        edges, t = bounce(rng, t, PIR_LINE, "rising", rng.randrange(1, 4))
        items += edges
        t += rng.randrange(2 * NS, 20 * NS)
        edges, _ = bounce(rng, t, PIR_LINE, "falling", rng.randrange(0, 2))
        items += edges
    # Beams (active low): 40 crossings in 90-second slots, 70 % northbound.
    for slot in range(40):
        t = base + slot * 90 * NS + rng.randrange(0, 40 * NS)
        order = (BEAM_S_LINE, BEAM_N_LINE) if rng.random() < 0.7 else (BEAM_N_LINE, BEAM_S_LINE)
        for line in order:
            edges, t = bounce(rng, t, line, "falling", rng.randrange(0, 2))
            items += edges
            t += rng.randrange(300 * MS, 800 * MS)
            edges, t = bounce(rng, t, line, "rising", rng.randrange(0, 2))
            items += edges
            t += rng.randrange(2 * NS, 10 * NS)
    # Radio: sentences to send, then cut into reads.
    radio = []
    for slot in range(100):  # detections, 36-second slots
        t = base + slot * 36 * NS + rng.randrange(0, 30 * NS)
        sensor = rng.choice(RADIO_SENSORS)
        seqs[sensor] = (seqs[sensor] + (2 if rng.random() < 0.05 else 1)) % 65536
        klass = rng.choice(["FOOT", "FOOT", "VEH", "ANIM", "UNK"])
        text = sentence("PGSD,%s,%d,%s,%d" % (sensor, seqs[sensor], klass, rng.randrange(10, 100)))
        radio.append((t, text))
        if rng.random() < 0.1:  # a relay repeats it
            radio.append((t + rng.randrange(NS, 3 * NS), text))
    for slot in range(30):  # camera captures, 2-minute slots
        t = base + slot * 120 * NS + rng.randrange(0, 100 * NS)
        seqs["cam-1"] = (seqs["cam-1"] + 1) % 65536
        images[0] += 1
        trigger = "PIR" if rng.random() < 0.8 else "TIMER"
        radio.append((t, sentence("PCAM,cam-1,%d,%s,img-%06d.jpg" % (seqs["cam-1"], trigger, images[0]))))
    for minute in range(60):  # heartbeats
        for k, sensor in enumerate(HEARTBEAT_SENSORS):
            t = base + minute * 60 * NS + (k * 13 + 7) * NS
            text = sentence("PGSS,%s,%d,%.1f,0" % (sensor, rng.randrange(3600, 4100), rng.uniform(-5, 25)))
            radio.append((t, text))
    for _ in range(5):  # noise between frames
        radio.append((base + rng.randrange(0, 3590 * NS), "debug: radio link ok"))
    for t, text in radio:
        text += "\r\n"
        if rng.random() < 0.3:  # split over two reads, 1-5 ms apart
            cut = rng.randrange(1, len(text) - 1)
            t2 = t + rng.randrange(MS, 5 * MS)
            items.append((t, serial_text(t, RADIO, text[:cut])))
            items.append((t2, serial_text(t2, RADIO, text[cut:])))
        else:
            items.append((t, serial_text(t, RADIO, text)))
    items.sort(key=lambda item: item[0])
    return items


def write_trail(args):
    rng = random.Random(args.seed)
    gps = GPSFeed(rng)
    seqs = {sensor: rng.randrange(0, 65536) for sensor in RADIO_SENSORS + ["cam-1"]}
    images = [0]
    inputs = 0
    last = -1
    with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(header("bench-01"))
        for hour in range(args.hours):
            items = trail_hour(rng, hour, gps, seqs, images)
            assert items[0][0] >= last, "inputs out of order across an hour"
            last = items[-1][0]
            out.writelines(line for _, line in items)
            inputs += len(items)
    if args.config_out:
        with open(args.config_out, "w", encoding="utf-8") as out:
            out.write(TRAIL_CONFIG)
    print("gen-recording: %s: %d hours, %d inputs" % (args.out, args.hours, inputs), file=sys.stderr)


# --- real NMEA -------------------------------------------------------------

NMEA_CONFIG = """\
# Written by Benchmarks/gen-recording.py for its NMEA recordings.
box: bench-gps
sector: bench
serial:
  - {port: /dev/ttyUSB1, baud: 9600, protocol: nmea}
"""


def nmea_lines(directory):
    lines = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".log"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            pieces = f.read().split(b"\n")
        if pieces[-1] == b"":
            pieces.pop()
        # Lines end at their line feed (CR CR LF stays as it is); a last line
        # without one gets one, so it does not run into the next file.
        lines += [piece + b"\n" for piece in pieces if not piece.startswith(b"#")]
    if not lines:
        sys.exit("gen-recording: %s: no *.log files with NMEA lines" % directory)
    return lines


def write_nmea(args):
    if not args.raw_out:
        sys.exit("gen-recording: --nmea needs --raw-out FILE (the bytes for gpsdecode)")
    source = nmea_lines(args.nmea)
    whole, rest = divmod(args.lines, len(source))
    data = b"".join(source) * whole + b"".join(source[:rest])
    with open(args.raw_out, "wb") as out:
        out.write(data)
    rng = random.Random(args.seed)
    per_byte = NS * 10 // 9600  # start, 8 data bits, stop
    t = 0
    offset = 0
    reads = 0
    with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(header("bench-gps"))
        while offset < len(data):
            size = rng.randrange(16, 65)
            chunk = data[offset:offset + size]
            t += len(chunk) * per_byte
            out.write(serial_line(t, GPS, chunk))
            offset += size
            reads += 1
    if args.config_out:
        with open(args.config_out, "w", encoding="utf-8") as out:
            out.write(NMEA_CONFIG)
    print("gen-recording: %s: %d NMEA lines (%d bytes) in %d reads of 16-64 bytes; raw bytes in %s"
          % (args.out, data.count(b"\n"), len(data), reads, args.raw_out), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(
        description="Generates Picket recordings for benchmarks (see the top of this file).")
    parser.add_argument("--hours", type=int, help="a trail box's recording of this many hours")
    parser.add_argument("--nmea", metavar="DIR", help="real NMEA lines from DIR/*.log instead")
    parser.add_argument("--lines", type=int, default=2_000_000, help="with --nmea: how many lines (default 2000000)")
    parser.add_argument("--out", required=True, help="the recording to write")
    parser.add_argument("--raw-out", help="with --nmea: the same bytes, as they are")
    parser.add_argument("--config-out", help="also write the configuration the recording needs")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if (args.hours is None) == (args.nmea is None):
        parser.error("give either --hours H or --nmea DIR")
    if args.hours is not None:
        if args.hours < 1:
            parser.error("--hours must be at least 1")
        write_trail(args)
    else:
        if args.lines < 1:
            parser.error("--lines must be at least 1")
        write_nmea(args)


if __name__ == "__main__":
    main()
