#!/usr/bin/env python3
"""Throughput of `picket sector` under many boxes (issue 12), beside a minimal
Python receiver that only checks the signature.

N simulated boxes (threads spread over worker processes, one keep-alive
http.client connection each) post correctly signed alerts (PRODUCT.md
section 6: HMAC-SHA256 of "<timestamp>.<body>", X-Picket-Box,
X-Picket-Timestamp, X-Picket-Signature: v1=hex, Idempotency-Key) for a fixed
time. Runs alternate between the sector and the Python receiver; every run is
printed with the machine's load, then the medians and their ratio.

Not a test and not in CI: the figures depend on the machine and on what else
runs on it. Run it through Benchmarks/sector.sh (builds the release binary
unless PICKET_BINARY is set):

    bash Benchmarks/sector.sh                       16 boxes, 10 s, 3 runs each
    bash Benchmarks/sector.sh --boxes 64 --seconds 20 --runs 5
    bash Benchmarks/sector.sh --postgres postgres://picket@127.0.0.1/sector
    bash Benchmarks/sector.sh --postgres-local      a PostgreSQL 15 of its own

`--postgres-local` starts a cluster in a temporary folder (initdb and pg_ctl
from /usr/lib/postgresql/15/bin or PICKET_POSTGRES_BIN, as `nobody` when run
as root) with PostgreSQL's durable defaults (fsync, synchronous_commit on),
as the SQLite store's synchronous = FULL is, and removes it at the end.
"""

import argparse
import hashlib
import hmac
import http.client
import http.server
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def box_names(n):
    return [f"bench-{i:04d}" for i in range(n)]


def secret_of(box):
    return f"secret-of-{box}-0123456789abcdef".encode()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"


# MARK: the simulated boxes


def box_thread(port, box, tag, deadline, out):
    """Posts signed alerts over one keep-alive connection until `deadline`."""
    secret = secret_of(box)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    ok = stored = failed = 0
    seq = 0
    while time.time() < deadline:
        seq += 1
        alert_id = f"{box}-{tag}-{seq}"
        now = time.time()
        body = json.dumps(
            {
                "id": alert_id, "rule": "pir-only", "severity": "medium", "box": box, "sector": "bench",
                "zone": "north", "first_ts": rfc3339(now), "last_ts": rfc3339(now), "direction": None,
                "events": [f"e-{alert_id}"], "lat": 44.1, "lon": -72.5, "summary": f"motion at {box}",
            },
            separators=(",", ":"),
        ).encode()
        ts = str(int(now))
        signature = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json", "X-Picket-Box": box, "X-Picket-Timestamp": ts,
            "X-Picket-Signature": "v1=" + signature, "Idempotency-Key": alert_id,
        }
        start = time.perf_counter()
        try:
            conn.request("POST", "/v1/alerts", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - start)
        if response.status == 200:
            ok += 1
            if b'"stored":true' in answer:
                stored += 1
        else:
            failed += 1
    conn.close()
    out.append((ok, stored, failed, latencies))


def worker(port, boxes, tag, deadline, queue):
    out = []
    threads = [threading.Thread(target=box_thread, args=(port, b, tag, deadline, out)) for b in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(o[0] for o in out)
    stored = sum(o[1] for o in out)
    failed = sum(o[2] for o in out)
    latencies = [x for o in out for x in o[3]]
    queue.put((ok, stored, failed, latencies))


def load(port, boxes, seconds, processes, tag):
    """All boxes for `seconds`; returns (ok, stored, failed, latencies, elapsed)."""
    queue = multiprocessing.Queue()
    deadline = time.time() + seconds
    chunks = [boxes[i::processes] for i in range(processes)]
    procs = [
        multiprocessing.Process(target=worker, args=(port, chunk, f"{tag}p{i}", deadline, queue))
        for i, chunk in enumerate(chunks) if chunk
    ]
    start = time.time()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.time() - start
    return (
        sum(r[0] for r in results), sum(r[1] for r in results), sum(r[2] for r in results),
        [x for r in results for x in r[3]], elapsed,
    )


# MARK: the minimal receiver


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the second
    # waits for the client's delayed ACK (40 ms), which would measure Nagle.
    disable_nagle_algorithm = True

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        box = self.headers.get("X-Picket-Box", "")
        ts = self.headers.get("X-Picket-Timestamp", "")
        sig = self.headers.get("X-Picket-Signature", "")
        expected = "v1=" + hmac.new(secret_of(box), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        if box.startswith("bench-") and hmac.compare_digest(expected, sig):
            self.answer(200, b'{"stored":true,"reports":[]}')
        else:
            self.answer(401, b'{"error":"bad signature"}')

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_python(port):
    http.server.ThreadingHTTPServer.daemon_threads = True
    http.server.ThreadingHTTPServer.request_queue_size = 1024
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    server.serve_forever()


# MARK: the servers


def wait_ready(port, path, proc, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"sector.py: {what} exited with status {proc.returncode} before answering; see its log above")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"sector.py: {what} did not answer on 127.0.0.1:{port} within {timeout} s")


def as_server_user(argv, cwd):
    """argv as the user PostgreSQL runs as: nobody through runuser when root."""
    if os.getuid() == 0:
        argv = ["/usr/sbin/runuser", "-u", "nobody", "--"] + argv
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True)


def start_local_postgres():
    """A durable PostgreSQL cluster in a temporary folder; returns (url, stop)."""
    bin_dir = os.environ.get("PICKET_POSTGRES_BIN") or "/usr/lib/postgresql/15/bin"
    if not os.access(os.path.join(bin_dir, "initdb"), os.X_OK):
        sys.exit(f"sector.py: no {bin_dir}/initdb: apt-get install -y postgresql-15, or set PICKET_POSTGRES_BIN")
    folder = tempfile.mkdtemp(prefix="picket-pg-bench-", dir="/tmp")
    if os.getuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    data = os.path.join(folder, "data")
    done = as_server_user(
        [os.path.join(bin_dir, "initdb"), "-D", data, "-U", "picket", "--auth=trust", "--encoding=UTF8",
         "--locale=C"], folder)
    if done.returncode != 0:
        sys.exit(f"sector.py: initdb failed: {done.stderr}")
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
    done = as_server_user(
        [os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "server.log"), "-o", options,
         "-w", "-t", "60", "start"], folder)
    if done.returncode != 0:
        sys.exit(f"sector.py: pg_ctl start failed: {done.stderr}")
    as_server_user([os.path.join(bin_dir, "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "picket",
                    "sector"], folder)

    def stop():
        as_server_user([os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "fast", "stop"], folder)
        shutil.rmtree(folder, ignore_errors=True)

    return f"postgres://picket@127.0.0.1:{port}/sector?sslmode=disable", stop


def start_sector(binary, workdir, boxes, postgres):
    port = free_port()
    keys = os.path.join(workdir, "keys")
    os.makedirs(keys, exist_ok=True)
    lines = ["sector: bench", f"listen: 127.0.0.1:{port}"]
    if postgres:
        lines += ["database:", f"  url: {postgres}"]
    else:
        lines += ["database:", f"  path: {os.path.join(workdir, 'sector.db')}"]
    lines.append("boxes:")
    for box in boxes:
        path = os.path.join(keys, box + ".key")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(secret_of(box) + b"\n")
        lines.append(f"  - {{box: {box}, secret_file: {path}}}")
    config = os.path.join(workdir, "sector.yaml")
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    log = open(os.path.join(workdir, "sector.log"), "w")
    proc = subprocess.Popen([binary, "sector", "--config", config], stdout=log, stderr=subprocess.STDOUT)
    wait_ready(port, "/healthz", proc, "picket sector")
    return proc, port


def stored_total(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith("picket_sector_alerts_stored_total "):
            return float(line.split()[1])
    return float("nan")


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boxes", type=int, default=16, help="simulated boxes, one connection each (16)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each run (10)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each receiver, alternating (3)")
    parser.add_argument("--processes", type=int, default=2, help="load-generating processes (2)")
    parser.add_argument("--postgres", metavar="URL", help="database: {url: URL} instead of SQLite")
    parser.add_argument(
        "--postgres-local", action="store_true", help="start a PostgreSQL 15 of its own for the run (durable)"
    )
    parser.add_argument("--binary", default=os.environ.get("PICKET_BINARY"), help="picket (PICKET_BINARY)")
    args = parser.parse_args()
    if not args.binary or not os.access(args.binary, os.X_OK):
        sys.exit("sector.py: give the picket binary with --binary or PICKET_BINARY")

    boxes = box_names(args.boxes)
    stop_postgres = None
    if args.postgres_local:
        args.postgres, stop_postgres = start_local_postgres()
    try:
        run_all(args, boxes)
    finally:
        if stop_postgres:
            stop_postgres()


def run_all(args, boxes):
    workdir = tempfile.mkdtemp(prefix="picket-sector-bench-")
    sector, sector_port = start_sector(args.binary, workdir, boxes, args.postgres)
    python_port = free_port()
    python = multiprocessing.Process(target=serve_python, args=(python_port,), daemon=True)
    python.start()
    wait_ready(python_port, "/", sector, "the Python receiver")
    database = f"PostgreSQL {args.postgres}" if args.postgres else "SQLite (WAL)"
    print(
        f"picket sector ({args.binary}, {database}) vs a Python ThreadingHTTPServer that checks the signature; "
        f"{args.boxes} boxes over {args.processes} processes, {args.seconds:g} s per run, {os.cpu_count()} CPUs"
    )
    results = {"picket sector": [], "python receiver": []}
    try:
        for run in range(args.runs):
            for name, port in (("picket sector", sector_port), ("python receiver", python_port)):
                load_before = os.getloadavg()[0]
                before = stored_total(port) if port == sector_port else 0
                ok, stored, failed, latencies, elapsed = load(port, boxes, args.seconds, args.processes, f"r{run}")
                if port == sector_port:
                    stored = stored_total(port) - before
                rate = stored / elapsed
                p50 = percentile(latencies, 50) * 1000
                p99 = percentile(latencies, 99) * 1000
                results[name].append((rate, p50, p99))
                print(
                    f"  run {run + 1} {name:16s} {rate:8.0f} alerts stored/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                    f"  ({ok} answered 200, {failed} failed; load {load_before:.2f} before)"
                )
    finally:
        sector.terminate()
        sector.wait(timeout=30)
        python.terminate()
    print("medians:")
    medians = {}
    for name, rows in results.items():
        medians[name] = tuple(statistics.median(r[i] for r in rows) for i in range(3))
        rate, p50, p99 = medians[name]
        print(f"  {name:16s} {rate:8.0f} alerts stored/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    s, p = medians["picket sector"], medians["python receiver"]
    print(
        f"  ratio sector/python: {s[0] / p[0]:.2f}x the rate, p99 {s[2] / p[2]:.2f}x; "
        f"goal >= 2000 alerts/s and p99 <= 50 ms: {'met' if s[0] >= 2000 and s[2] <= 50 else 'NOT met'}"
    )
    print(f"  load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
