#!/usr/bin/env python3
"""Picket side by side with the tools it replaces (issue 11). Run it through
Benchmarks/compare.sh, which finds or builds the release binary; see --help.

Every figure comes from this one run: Picket and its peer alternate (A B A B
...), each ratio is the median of the per-pair ratios, and every line says
the machine's load. Nothing here is a test: the machines are shared and noisy.
"""

import argparse
import datetime
import http.server
import os
import re
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATOR = os.path.join(HERE, "gen-recording.py")
PARTS = ["replay", "nmea", "live", "idle", "storm"]
MIB = 1024 * 1024
README_BEGIN = "<!-- compare.sh: begin -->"
README_END = "<!-- compare.sh: end -->"


# --- small helpers -----------------------------------------------------------

def say(text=""):
    print(text, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def load1():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def nproc():
    return len(os.sched_getaffinity(0))


def si(value, unit=""):
    """19700 -> '19.7 k', 2350000 -> '2.35 M'."""
    for factor, prefix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= factor:
            return "%.3g%s%s" % (value / factor, prefix, unit)
    return "%.3g %s" % (value, unit) if unit else "%.3g" % value


def median(values):
    return statistics.median(values) if values else float("nan")


class Run:
    """A finished child process: wall seconds, user and system CPU seconds, peak RSS."""

    def __init__(self, wall, user, system, maxrss_kib, status):
        self.wall, self.user, self.system, self.maxrss_kib, self.status = wall, user, system, maxrss_kib, status

    @property
    def cpu(self):
        return self.user + self.system


def timed(argv, stdin=None, stdout=None, stderr=None):
    """Runs argv to its end; its own rusage (wait4), not the children's total."""
    start = time.monotonic()
    child = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss, child.returncode)


class Failure(Exception):
    pass


def run_or_fail(what, argv, log, **kwargs):
    with open(log, "w") as err:
        result = timed(argv, stderr=err, **kwargs)
    if result.status != 0:
        with open(log) as f:
            tail = f.read()[-2000:]
        raise Failure("%s exited %d:\n%s" % (what, result.status, tail))
    return result


def generate(args, *extra):
    del args
    subprocess.run([sys.executable, GENERATOR, *extra], check=True)


def count_rows(db, table="events"):
    connection = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return connection.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
    finally:
        connection.close()


def remove_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def count_lines(path):
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


class Row:
    """One line of the summary table."""

    def __init__(self, measure, picket, peer="", ratio="", goal="", met=""):
        self.cells = [measure, picket, peer, ratio, goal, met]


# --- a: replay vs sqlite3 .import; b: cost growth ---------------------------

def part_replay(args, work, rows):
    long_h, short_h = args.long_hours, args.short_hours
    say("== replay: %d h recording into a fresh database vs sqlite3 .import of the same rows;"
        " cost per input %d h vs %d h" % (long_h, short_h, long_h))
    config = os.path.join(work, "trail.yaml")
    long_rec = os.path.join(work, "trail-%dh.jsonl" % long_h)
    short_rec = os.path.join(work, "trail-%dh.jsonl" % short_h)
    empty_rec = os.path.join(work, "empty.jsonl")
    generate(args, "--hours", str(long_h), "--out", long_rec, "--config-out", config)
    generate(args, "--hours", str(short_h), "--out", short_rec)
    with open(long_rec) as f, open(empty_rec, "w") as out:
        out.write(f.readline())
    long_inputs = count_lines(long_rec) - 1
    short_inputs = count_lines(short_rec) - 1
    size_mb = os.path.getsize(long_rec) / 1e6
    db = os.path.join(work, "replay.db")
    peer_db = os.path.join(work, "import.db")
    csv = os.path.join(work, "events.csv")
    script = os.path.join(work, "import.sql")
    log = os.path.join(work, "replay.log")

    def replay(recording):
        remove_db(db)
        with open(os.path.join(work, "replay.out"), "w") as out:
            return run_or_fail("picket replay %s" % os.path.basename(recording),
                               [args.picket, "replay", recording, "--config", config, "--db", db], log, stdout=out)

    picket_rates, peer_rates, ratios, cpu_ratios, growth = [], [], [], [], []
    long_costs, short_costs, long_user, long_sys, short_user, short_sys = [], [], [], [], [], []
    events = None
    before = loadavg()
    for i in range(args.runs):
        load = load1()
        a = replay(long_rec)
        stored = count_rows(db)
        if events is None:
            events = stored
            export_for_import(db, csv, script)
            say("  %s inputs (%.0f MB) make %s events; the peer imports the same %s rows (CSV exported from"
                " Picket's database) into the events table and indexes of Picket's schema, one sqlite3 run,"
                " WAL and synchronous=FULL as Picket" % (si(long_inputs), size_mb, si(events), si(events)))
        elif stored != events:
            raise Failure("replay stored %d events, the first run %d" % (stored, events))
        remove_db(peer_db)
        with open(script) as sql, open(os.devnull, "w") as null:
            b = run_or_fail("sqlite3 .import", ["sqlite3", peer_db], log, stdin=sql, stdout=null)
        imported = count_rows(peer_db)
        if imported != events:
            raise Failure("sqlite3 .import stored %d rows, expected %d" % (imported, events))
        c = replay(short_rec)
        z = replay(empty_rec)
        picket_rate, peer_rate = events / a.wall, events / b.wall
        picket_rates.append(picket_rate)
        peer_rates.append(peer_rate)
        ratios.append(picket_rate / peer_rate)
        cpu_ratios.append(b.cpu / a.cpu)
        lc = (a.cpu - z.cpu) / long_inputs * 1e6
        sc = (c.cpu - z.cpu) / short_inputs * 1e6
        long_costs.append(lc)
        short_costs.append(sc)
        long_user.append(a.user / long_inputs * 1e6)
        long_sys.append(a.system / long_inputs * 1e6)
        short_user.append(c.user / short_inputs * 1e6)
        short_sys.append(c.system / short_inputs * 1e6)
        growth.append(lc / sc)
        say("  run %d/%d: picket %.2f s (cpu %.2f s, peak RSS %d MiB) %s events/s | .import %.2f s (cpu %.2f s) %s rows/s |"
            " ratio %.2f (cpu %.2f) | %d h %.3f s, empty %.3f s: %.2f vs %.2f us/input, growth %.2f | load %s"
            % (i + 1, args.runs, a.wall, a.cpu, a.maxrss_kib // 1024, si(picket_rate), b.wall, b.cpu, si(peer_rate),
               ratios[-1], cpu_ratios[-1], short_h, c.wall, z.wall, sc, lc, growth[-1], load))
    after = loadavg()
    ratio = median(ratios)
    say("  median: picket %s events/s, .import %s rows/s, ratio %.2f (goal >= 1.0; by CPU time %.2f)"
        " | load %s -> %s, %d cores"
        % (si(median(picket_rates)), si(median(peer_rates)), ratio, median(cpu_ratios), before, after, nproc()))
    g = median(growth)
    say("  cost per input (user+sys, less an empty replay's): %d h %.2f us, %d h %.2f us, ratio %.2f (goal <= 1.2);"
        " raw user %.2f -> %.2f us, sys %.2f -> %.2f us"
        % (short_h, median(short_costs), long_h, median(long_costs), g, median(short_user), median(long_user),
           median(short_sys), median(long_sys)))
    rows.append(Row("replay into a fresh database (%s inputs, %s events), events stored/s"
                    % (si(long_inputs), si(events)),
                    si(median(picket_rates), "/s"), "`sqlite3 .import` %s rows/s" % si(median(peer_rates)),
                    "%.2f× (CPU time %.2f×)" % (ratio, median(cpu_ratios)), "≥ 1.0×",
                    "yes" if ratio >= 1.0 else "no"))
    rows.append(Row("replay cost per input, user+sys, %d h → %d h" % (short_h, long_h),
                    "%.2f → %.2f µs" % (median(short_costs), median(long_costs)), "", "%.2f×" % g,
                    "≤ 1.2×", "yes" if g <= 1.2 else "no"))


def export_for_import(db, csv, script):
    connection = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        schema = [sql for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL"
            " ORDER BY type = 'index', rowid")]
    finally:
        connection.close()
    with open(csv, "w") as out:
        subprocess.run(["sqlite3", "-csv", "file:%s?mode=ro" % db, "SELECT * FROM events ORDER BY seq"],
                       stdout=out, check=True)
    with open(script, "w") as out:
        out.write("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n")
        for sql in schema:
            out.write(sql + ";\n")
        out.write(".mode csv\n.import '%s' events\n" % csv)


# --- c: NMEA replay vs gpsdecode ---------------------------------------------

def part_nmea(args, work, rows):
    lines = args.nmea_lines
    say("== nmea: %s real GPS lines (%s, repeated) through picket replay in 16-64-byte reads vs gpsdecode"
        % (si(lines), args.nmea_data))
    if not shutil.which("gpsdecode"):
        say("  skipped: gpsdecode is missing (Debian: apt-get install gpsd-clients)")
        rows.append(Row("NMEA replay vs gpsdecode", "skipped: no gpsdecode"))
        return
    if not os.path.isdir(args.nmea_data):
        say("  skipped: %s is not a directory (--nmea-data DIR: gpsd's regression logs)" % args.nmea_data)
        rows.append(Row("NMEA replay vs gpsdecode", "skipped: no data"))
        return
    rec, raw, config = (os.path.join(work, name) for name in ("gps.jsonl", "gps.nmea", "gps.yaml"))
    generate(args, "--nmea", args.nmea_data, "--lines", str(lines), "--out", rec, "--raw-out", raw,
             "--config-out", config)
    db = os.path.join(work, "gps.db")
    log = os.path.join(work, "nmea.log")
    picket_rates, peer_rates, ratios, cpu_ratios = [], [], [], []
    before = loadavg()
    for i in range(args.runs):
        load = load1()
        remove_db(db)
        with open(os.path.join(work, "gps.out"), "w") as out:
            a = run_or_fail("picket replay gps.jsonl", [args.picket, "replay", rec, "--config", config, "--db", db],
                            log, stdout=out)
        with open(raw, "rb") as data, open(os.devnull, "w") as null:
            b = run_or_fail("gpsdecode", ["gpsdecode"], log, stdin=data, stdout=null)
        picket_rates.append(lines / a.wall)
        peer_rates.append(lines / b.wall)
        ratios.append(b.wall / a.wall)
        cpu_ratios.append(b.cpu / a.cpu)
        say("  run %d/%d: picket %.2f s (cpu %.2f s) %s lines/s | gpsdecode %.2f s (cpu %.2f s) %s lines/s |"
            " ratio %.2f (cpu %.2f) | load %s"
            % (i + 1, args.runs, a.wall, a.cpu, si(picket_rates[-1]), b.wall, b.cpu, si(peer_rates[-1]),
               ratios[-1], cpu_ratios[-1], load))
    ratio = median(ratios)
    say("  median: picket %s lines/s, gpsdecode %s lines/s, ratio %.2f (goal >= 4; by CPU time %.2f)"
        " | load %s -> %s, %d cores"
        % (si(median(picket_rates)), si(median(peer_rates)), ratio, median(cpu_ratios), before, loadavg(),
           nproc()))
    rows.append(Row("NMEA replay, %s real GPS lines in 16–64-byte reads, lines/s" % si(lines),
                    si(median(picket_rates), "/s"), "`gpsdecode` %s lines/s" % si(median(peer_rates)),
                    "%.2f× (CPU time %.2f×)" % (ratio, median(cpu_ratios)), "≥ 4×",
                    "yes" if ratio >= 4 else "no"))


# --- the daemon on a socat pty (d, e) ----------------------------------------

class Daemon:
    """socat's pty pair, an answering sector endpoint if asked, and `picket run` reading one end."""

    def __init__(self, args, work, name, config_body, record=None, sector=False):
        self.args, self.work = args, work
        self.radio = os.path.join(work, name + "-radio")
        self.far_end = os.path.join(work, name + "-far")
        self.db = os.path.join(work, name + ".db")
        self.log = os.path.join(work, name + "-run.log")
        self.config = os.path.join(work, name + ".yaml")
        self.processes = []
        self.server = None
        self.metrics = None
        try:
            self.start(args, work, name, config_body, record, sector)
        except BaseException:
            self.stop()
            raise

    def start(self, args, work, name, config_body, record, sector):
        self.socat = self.spawn(["socat", "pty,raw,echo=0,link=" + self.radio, "pty,raw,echo=0,link=" + self.far_end],
                                stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(self.radio) and os.path.exists(self.far_end), 10, "socat's ptys")
        body = config_body.replace("PORT", self.radio)
        if sector:
            self.server = http.server.HTTPServer(("127.0.0.1", 0), AnswerOK)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
            key = os.path.join(work, name + ".key")
            with open(key, "w") as f:
                f.write("bench-secret")
            os.chmod(key, 0o600)
            body += 'forward: {url: "http://127.0.0.1:%d/v1/alerts", secret_file: %s}\n' % (
                self.server.server_port, key)
        with open(self.config, "w") as f:
            f.write(body)
        argv = [args.picket, "run", "--config", self.config, "--db", self.db]
        if record:
            argv += ["--record", record]
        with open(self.log, "w") as err:
            self.picket = self.spawn(argv, stderr=err)
        wait_for(lambda: "picket running" in read(self.log) or self.picket.poll() is not None, 30, "picket running")
        if self.picket.poll() is not None:
            raise Failure("picket run exited %d:\n%s" % (self.picket.returncode, read(self.log)[-2000:]))
        self.metrics = None
        if "metrics:" in body:
            try:
                wait_for(lambda: "metrics listening" in read(self.log), 10, "metrics listening")
            except Failure:
                say("  (no \"metrics listening\" line in picket's log: /metrics is not probed)")
        for line in read(self.log).splitlines():
            match = re.search(r"(\d+\.\d+\.\d+\.\d+:\d+)", line)
            if "metrics listening" in line and match:
                self.metrics = "http://%s/metrics" % match.group(1)

    def spawn(self, argv, **kwargs):
        process = subprocess.Popen(argv, **kwargs)
        self.processes.append(process)
        return process

    @property
    def pid(self):
        return self.picket.pid

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.server:
            self.server.shutdown()


class AnswerOK(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise Failure("waited %d s for %s" % (seconds, what))
        time.sleep(0.05)


def nmea(body):
    value = 0
    for byte in body.encode():
        value ^= byte
    return "$%s*%02X\r\n" % (body, value)


def open_far_end(path):
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    return fd


def write_all(fd, data, deadline):
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
            view = view[n:]
        except BlockingIOError:
            if time.monotonic() > deadline:
                return len(data) - len(view)
            select.select([], [fd], [], 0.05)
    return len(data)


# --- d: live latency ----------------------------------------------------------

LIVE_CONFIG = """\
box: bench-live
sector: bench
serial:
  - {port: PORT, baud: 9600, protocol: nmea}
sensors:
  - {id: cam-1, kind: camera, zone: north-fork}
metrics: {listen: "127.0.0.1:0"}
"""


def part_live(args, work, rows):
    count, rate = args.live_sentences, 5
    say("== live: %d camera sentences at %d/s into a socat pty, `picket run --record`; each from its write to"
        " its row visible in SQLite (polled read-only every 0.5 ms)" % (count, rate))
    if not shutil.which("socat"):
        say("  skipped: socat is missing (apt-get install socat)")
        rows.append(Row("live latency", "skipped: no socat"))
        return
    record = os.path.join(work, "live.jsonl")
    before = loadavg()
    daemon = Daemon(args, work, "live", LIVE_CONFIG, record=record)
    try:
        time.sleep(1)
        latencies = measure_latency(daemon, count, rate)
    finally:
        daemon.stop()
    after = loadavg()
    # The recording that run wrote, replayed: the same events, ids included.
    replay_db = os.path.join(work, "live-replay.db")
    run_or_fail("picket replay live.jsonl", [args.picket, "replay", record, "--config", daemon.config,
                                             "--db", replay_db], os.path.join(work, "live-replay.log"),
                stdout=subprocess.DEVNULL)
    live_ids, replay_ids = event_ids(daemon.db), event_ids(replay_db)
    identical = live_ids == replay_ids
    seen = [ms for ms in latencies if ms is not None]
    if not seen:
        raise Failure("no event row appeared within 30 s of its sentence")
    seen.sort()
    p50, p99, top = percentile(seen, 50), percentile(seen, 99), seen[-1]
    say("  %d of %d rows seen; p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal p99 <= 25 ms) | load %s -> %s, %d cores"
        % (len(seen), count, p50, p99, top, before, after, nproc()))
    say("  the run's recording replayed: %s (%d events live, %d replayed)"
        % ("identical event ids" if identical else "DIFFERENT event ids", len(live_ids), len(replay_ids)))
    met = p99 <= 25 and identical and len(seen) == count
    rows.append(Row("live: pty write → event row visible in SQLite, %d sentences at %d/s, `run --record`"
                    % (count, rate),
                    "p50 %.1f, p99 %.1f, max %.1f ms" % (p50, p99, top), "", "",
                    "p99 ≤ 25 ms, replay identical (%s)" % ("yes" if identical else "no"), "yes" if met else "no"))


def measure_latency(daemon, count, rate):
    written = [None] * count
    seen = [None] * count
    fd = open_far_end(daemon.far_end)
    connection = sqlite3.connect("file:%s?mode=ro" % daemon.db, uri=True, isolation_level=None,
                                 check_same_thread=False)
    last = connection.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    pattern = re.compile(r"bench-(\d+)\.jpg")

    def writer():
        start = time.monotonic() + 0.1
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            text = nmea("PCAM,cam-1,%d,TIMER,bench-%04d.jpg" % (i + 1, i)).encode()
            written[i] = time.monotonic_ns()
            write_all(fd, text, time.monotonic() + 5)

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = None
    found = 0
    while found < count:
        for seq, ref in connection.execute("SELECT seq, image_ref FROM events WHERE seq > ? ORDER BY seq", (last,)):
            now = time.monotonic_ns()
            last = seq
            match = pattern.fullmatch(ref or "")
            if match and seen[int(match.group(1))] is None:
                seen[int(match.group(1))] = now
                found += 1
        if not thread.is_alive():
            deadline = deadline or time.monotonic() + 30
            if time.monotonic() > deadline:
                break
        time.sleep(0.0005)
    thread.join()
    os.close(fd)
    connection.close()
    return [None if s is None or w is None else (s - w) / 1e6 for w, s in zip(written, seen)]


def percentile(sorted_values, p):
    """Nearest rank."""
    rank = max(1, -(-p * len(sorted_values) // 100))
    return sorted_values[int(rank) - 1]


def event_ids(db):
    connection = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return sorted(id for (id,) in connection.execute("SELECT id FROM events"))
    finally:
        connection.close()


# --- e: idle and storm ----------------------------------------------------------

IDLE_CONFIG = """\
box: idle-bench
sector: bench
serial:
  - {port: PORT, baud: 9600, protocol: nmea}
sensors:
  - {id: seis-7, kind: seismic, zone: north-fork, holdoff_ms: 10000, severity: low}
metrics: {listen: "127.0.0.1:0"}
"""

STORM_WRITER = r"""
import os, select, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
def nmea(body):
    value = 0
    for byte in body.encode():
        value ^= byte
    return "$%s*%02X\r\n" % (body, value)
sentences = []
for i in range(40000):
    kind = i % 4
    if kind == 0:
        sentences.append(nmea("PGSD,seis-7,%d,FOOT,%d" % (i % 65536, i % 100)))
    elif kind == 1:
        sentences.append(nmea("PGSD,ghost-%d,%d,UNK,%d" % (i % 1000, i // 1000, i % 100)))
    elif kind == 2:
        sentences.append(nmea("PGSS,seis-7,%d,12.5,0" % (3600 + i % 500)))
    else:
        sentences.append(nmea("GPGGA,%06d.00,4459.5500,N,07306.5900,W,1,08,0.9,210.4,M,-32.1,M,," % (i % 240000)))
data = "".join(sentences).encode()
per_sentence = len(data) / len(sentences)
fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
view, sent = memoryview(data), 0
end = time.monotonic() + seconds
offset = 0
while time.monotonic() < end:
    try:
        n = os.write(fd, view[offset:offset + 65536])
        sent += n
        offset = (offset + n) % len(data)
    except BlockingIOError:
        select.select([], [fd], [], 0.05)
print(int(sent / per_sentence))
"""


def part_idle_storm(args, work, rows, idle, storm):
    if not shutil.which("socat"):
        say("== idle/storm: skipped: socat is missing (apt-get install socat)")
        rows.append(Row("idle and storm", "skipped: no socat"))
        return
    before = loadavg()
    daemon = Daemon(args, work, "idle", IDLE_CONFIG, sector=True)
    try:
        fd = open_far_end(daemon.far_end)
        write_all(fd, nmea("PGSD,seis-7,12,FOOT,64").encode(), time.monotonic() + 5)
        os.close(fd)
        time.sleep(args.settle)
        if idle:
            idle_window(args, daemon, rows, before)
        if storm:
            storm_run(args, daemon, rows)
    finally:
        daemon.stop()


def idle_window(args, daemon, rows, before):
    window = args.idle_seconds
    say("== idle: %d s of a silent serial port and an answering sector endpoint (the logic of Benchmarks/idle.sh)"
        % window)
    pid = daemon.pid
    wal = daemon.db + "-wal"

    def switches():
        counts = {}
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                    counts[tid] = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
            except OSError:
                pass
        return counts

    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def wchar():
        with open("/proc/%d/io" % pid) as f:
            return next(int(line.split()[1]) for line in f if line.startswith("wchar"))

    def wal_state():
        try:
            st = os.stat(wal)
            return st.st_size, st.st_mtime_ns
        except FileNotFoundError:
            return 0, 0

    s0, c0, w0, l0 = switches(), ticks(), wchar(), wal_state()
    time.sleep(window)
    s1, c1, w1, l1 = switches(), ticks(), wchar(), wal_state()
    rss = daemon.rss_kib() / 1024
    wakeups = sum(n - s0.get(tid, 0) for tid, n in s1.items()) / window
    cpu = 100 * (c1 - c0) / os.sysconf("SC_CLK_TCK") / window
    growth = l1[0] - l0[0]
    modified = l1[1] != l0[1]
    say("  wakeups %.2f /s (goal <= 5), CPU %.3f %% of a core, bytes written %d, WAL growth %d bytes (modified: %s),"
        " %d threads, RSS %.1f MiB (goal <= 30) | load %s -> %s, %d cores"
        % (wakeups, cpu, w1 - w0, growth, "yes" if modified else "no", len(s1), rss, before, loadavg(), nproc()))
    rows.append(Row("idle wakeups, whole process (%d s)" % window, "%.2f /s" % wakeups, "", "", "≤ 5 /s",
                    "yes" if wakeups <= 5 else "no"))
    rows.append(Row("idle WAL growth (%d s)" % window, "%d bytes%s" % (growth, ", modified" if modified else ""),
                    "", "", "0 bytes, untouched", "yes" if growth == 0 and not modified else "no"))
    rows.append(Row("idle RSS", "%.1f MiB" % rss, "", "", "≤ 30 MiB", "yes" if rss <= 30 else "no"))


def storm_run(args, daemon, rows):
    seconds, after_s = args.storm_seconds, args.storm_after
    say("== storm: a writer as fast as the pty takes it for %d s (detections from seis-7 and 1000 unknown sensors,"
        " heartbeats, GPS fixes), then %d s quiet" % (seconds, after_s))
    before = loadavg()
    rss0 = daemon.rss_kib() / 1024
    writer = daemon.spawn([sys.executable, "-c", STORM_WRITER, daemon.far_end, str(seconds)],
                          stdout=subprocess.PIPE, text=True)
    probes = []

    def probe():
        while writer.poll() is None:
            start = time.monotonic()
            ok = False
            if daemon.metrics:
                try:
                    with urllib.request.urlopen(daemon.metrics, timeout=1) as answer:
                        ok = answer.status == 200 and bool(answer.read())
                except OSError:
                    ok = False
            probes.append((ok, time.monotonic() - start))
            time.sleep(max(0, 1 - (time.monotonic() - start)))

    prober = threading.Thread(target=probe)
    prober.start()
    peak = rss0
    while writer.poll() is None:
        peak = max(peak, daemon.rss_kib() / 1024)
        time.sleep(0.2)
    prober.join()
    sent = int((writer.stdout.read() or "0").strip() or 0)
    alive = daemon.picket.poll() is None
    back_at = None
    rss_after = peak
    start = time.monotonic()
    while alive and time.monotonic() - start < after_s:
        time.sleep(1)
        rss_after = daemon.rss_kib() / 1024
        peak = max(peak, rss_after)
        if back_at is None and rss_after < 48:
            back_at = time.monotonic() - start
        alive = daemon.picket.poll() is None
    answered = sum(1 for ok, took in probes if ok and took <= 1)
    drops = []
    if daemon.metrics and alive:
        try:
            with urllib.request.urlopen(daemon.metrics, timeout=5) as answer:
                drops = [line for line in answer.read().decode().splitlines()
                         if "drop" in line and not line.startswith("#")]
        except OSError:
            pass
    say("  wrote %s sentences (%s/s); daemon %s; RSS %.1f MiB before, peak %.1f, %.1f MiB %d s after%s"
        " (goal < 48 MiB within 60 s) | load %s -> %s, %d cores"
        % (si(sent), si(sent / seconds), "still up" if alive else "DIED", rss0, peak, rss_after, after_s,
           ", under 48 MiB after %.0f s" % back_at if back_at is not None else "", before, loadavg(), nproc()))
    say("  /metrics answered within 1 s: %d of %d probes during the storm%s"
        % (answered, len(probes), "" if daemon.metrics else " (no metrics address in the log)"))
    for line in drops[:10]:
        say("  " + line)
    met_rss = alive and rss_after < 48
    rows.append(Row("storm %d s (%s sentences/s): RSS before → peak → %d s after" % (seconds, si(sent / seconds),
                                                                                   after_s),
                    "%.1f → %.1f → %.1f MiB" % (rss0, peak, rss_after), "", "", "< 48 MiB within 60 s",
                    "yes" if met_rss else "no"))
    rows.append(Row("storm: `/metrics` answered within 1 s", "%d of %d" % (answered, len(probes)), "", "",
                    "all", "yes" if probes and answered == len(probes) else "no"))


# --- summary ---------------------------------------------------------------------

def markdown(rows, header):
    lines = [header, "", "| measure | Picket | peer | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells) + " |")
    return "\n".join(lines)


def write_readme(block):
    path = os.path.join(ROOT, "README.md")
    with open(path) as f:
        text = f.read()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise Failure("README.md has no %s ... %s block to replace" % (README_BEGIN, README_END))
    text = text[:begin + len(README_BEGIN)] + "\n" + block + "\n" + text[end:]
    with open(path, "w") as f:
        f.write(text)
    say("README.md: the Performance table replaced")


def commit():
    try:
        out = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser(
        prog="compare.sh",
        description="Picket side by side with the tools it replaces, Picket and the peer alternating, medians"
                    " of the per-pair ratios, the machine's load on every line. Parts: replay (a: replay vs"
                    " sqlite3 .import; b: cost per input as the recording grows), nmea (NMEA replay vs"
                    " gpsdecode), live (pty write to row in SQLite), idle (wakeups, WAL, RSS), storm (RSS and"
                    " /metrics through a storm). Needs python3, sqlite3, socat, gpsdecode (gpsd-clients).",
        epilog="PICKET_BINARY=path uses that binary instead of .build-release's.")
    parser.add_argument("parts", nargs="*", metavar="PART", help="any of %s (default: all)" % " ".join(PARTS))
    parser.add_argument("--runs", type=int, help="pairs per comparison (default 5; --quick: 2)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small data, short windows")
    parser.add_argument("--long-hours", type=int, help="the long recording (default 480; --quick: 24)")
    parser.add_argument("--short-hours", type=int, help="the short recording (default 8; --quick: 2)")
    parser.add_argument("--nmea-lines", type=int, help="NMEA lines (default 2000000; --quick: 100000)")
    parser.add_argument("--nmea-data", default=os.path.join(ROOT, "..", "shared", "data", "nmea-gpsd"),
                        help="gpsd's regression logs (default ../shared/data/nmea-gpsd)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and say where")
    parser.add_argument("--write-readme", action="store_true",
                        help="also put the summary into README.md between its compare.sh markers")
    parser.add_argument("--picket", default=os.environ.get("PICKET_BINARY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = [part for part in args.parts if part not in PARTS]
    if unknown:
        parser.error("unknown part %s (parts: %s)" % (", ".join(unknown), " ".join(PARTS)))
    if not args.picket or not os.access(args.picket, os.X_OK):
        parser.error("no picket binary: run it through Benchmarks/compare.sh or set PICKET_BINARY")
    if not shutil.which("sqlite3"):
        parser.error("needs the sqlite3 command (apt-get install sqlite3)")
    quick = args.quick
    args.runs = args.runs or (2 if quick else 5)
    args.long_hours = args.long_hours or (24 if quick else 480)
    args.short_hours = args.short_hours or (2 if quick else 8)
    args.nmea_lines = args.nmea_lines or (100_000 if quick else 2_000_000)
    args.nmea_data = os.path.normpath(args.nmea_data)
    args.live_sentences = 25 if quick else 300
    args.idle_seconds = 5 if quick else 30
    args.settle = 2 if quick else 5
    args.storm_seconds = 5 if quick else 20
    args.storm_after = 10 if quick else 60
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    parts = args.parts or PARTS

    started = datetime.datetime.now(datetime.timezone.utc)
    start_load = loadavg()
    say("compare.sh: %s, commit %s, %s; %d cores (%s), load %s; %d runs each%s"
        % (started.strftime("%Y-%m-%d %H:%M UTC"), commit(), args.picket, nproc(), cpu_model(), start_load,
           args.runs, ", QUICK (smoke run, not figures)" if quick else ""))
    work = tempfile.mkdtemp(prefix="picket-compare-")
    rows = []
    failed = False
    try:
        for part, function in (("replay", part_replay), ("nmea", part_nmea), ("live", part_live)):
            if part in parts:
                try:
                    function(args, work, rows)
                except Failure as failure:
                    failed = True
                    say("  FAILED: %s" % failure)
                    rows.append(Row(part, "failed"))
        if "idle" in parts or "storm" in parts:
            try:
                part_idle_storm(args, work, rows, "idle" in parts, "storm" in parts)
            except Failure as failure:
                failed = True
                say("  FAILED: %s" % failure)
                rows.append(Row("idle/storm", "failed"))
    finally:
        if args.keep:
            say("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    header = ("Measured %s by `bash Benchmarks/compare.sh%s` (commit %s, release build): %d cores, %s, load %s"
              " at the start and %s at the end; %d run%s each, Picket and the peer alternating, medians."
              % (started.strftime("%Y-%m-%d"), "".join(" " + a for a in sys.argv[1:] if a not in ("--write-readme", "--keep")), commit(),
                 nproc(), cpu_model(), start_load, loadavg(), args.runs, "" if args.runs == 1 else "s"))
    block = markdown(rows, header)
    say()
    say("== summary (Markdown)")
    say(block)
    if args.write_readme and not failed:
        write_readme(block)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
