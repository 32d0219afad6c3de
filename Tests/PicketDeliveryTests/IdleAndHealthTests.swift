import Foundation
import PicketTestSupport
import Synchronization
import Testing

/// A box left alone: with no input it writes nothing, and its health pages
/// tell the truth about inputs that do not work.
@Suite struct IdleAndHealthTests {
    /// Size, modification time and bytes of a file ("" when absent).
    static func snapshot(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "absent" }
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        return "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(data.hashValue)"
    }

    /// `picket run` on a box whose configuration is `yaml` plus a metrics
    /// endpoint on a free port, with a pty as its first serial port; returns
    /// once that port is open (bytes written to a pty before the driver
    /// opened it may be flushed by its termios setup).
    static func startBox(_ f: Fixture, _ pty: PseudoTerminal, db: String? = nil, yaml: String) async throws -> (
        child: ChildProcess, base: String
    ) {
        let config = f.dir.appendingPathComponent("box.yaml").path
        try (yaml + "\nmetrics: {listen: \"127.0.0.1:0\"}\n").write(toFile: config, atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            CrashSafetyTests.binary, ["run", "--config", config, "--db", db ?? f.db],
            log: f.dir.appendingPathComponent("run.log"))
        try await child.waitForLog("metrics listening")
        let base = "http://" + (try MetricsEndpointTests.address(child))
        try await child.waitForLog("picket running")
        try await eventually("\(pty.slavePath) open", timeout: .seconds(30)) {
            child.stderr.split(separator: "\n").contains {
                $0.contains("source healthy") && $0.contains(pty.slavePath)
            }
        }
        return (child, base)
    }

    @Test func anIdleBoxWritesNothingAndHealthzNamesTheMissingPort() async throws {
        let f = try Fixture()
        let pty = try PseudoTerminal()
        let missing = f.dir.appendingPathComponent("ttyUSB-absent").path
        // One port on a pty that stays silent, one whose adapter is missing.
        let (child, base) = try await Self.startBox(
            f, pty,
            yaml: """
                box: idle-01
                sector: test
                serial:
                  - {port: \(pty.slavePath), baud: 9600, protocol: nmea}
                  - {port: \(missing), baud: 9600, protocol: nmea}
                sensors:
                  - {id: seis-7, kind: seismic, zone: north-fork, severity: low}
                """)

        // One detection, so the database has something; then silence.
        try pty.write(Array("$PGSD,seis-7,12,FOOT,64*05\r\n".utf8))
        var stored = false
        for _ in 0..<60 where !stored {
            try await Task.sleep(for: .milliseconds(500))
            stored = try await DeliveryCLITests.picket(["events", "--db", f.db, "--json"]).out.contains("seis-7")
        }
        #expect(stored, "\(child.stderr)")
        // Let the hot path commit what follows the event and go quiet.
        try await Task.sleep(for: .seconds(3))
        let before = (Self.snapshot(f.db), Self.snapshot(f.db + "-wal"))
        try await Task.sleep(for: .seconds(30))
        let after = (Self.snapshot(f.db), Self.snapshot(f.db + "-wal"))
        #expect(before.0 == after.0, "the database changed while the box was idle")
        #expect(before.1 == after.1, "the WAL changed while the box was idle")

        // Alive, but not healthy: the missing port is named, the working one is not.
        #expect(try await MetricsEndpointTests.get(base + "/livez") == (200, "ok\n"))
        let health = try await MetricsEndpointTests.get(base + "/healthz")
        #expect(health.status == 503)
        #expect(health.body.contains(missing), "\(health.body)")
        #expect(!health.body.contains(pty.slavePath), "\(health.body)")

        let metrics = try await MetricsEndpointTests.get(base + "/metrics").body
        #expect(metrics.contains("picket_build_info{version=\""), "\(metrics)")
        // Two ports: nothing says which relays seis-7, so the missing one does not take it down.
        #expect(metrics.contains("picket_sensor_up{sensor=\"seis-7\"} 1"), "\(metrics)")
        #expect(metrics.contains("picket_sensor_last_event_timestamp_seconds{sensor=\"seis-7\"}"), "\(metrics)")
        let dbBytes = MetricsEndpointTests.parse(metrics)["picket_db_bytes"] ?? 0
        #expect(dbBytes > 4096, "\(metrics)")
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }

    /// A storm of sentences on the radio port: the metrics keep moving while
    /// it lasts (they used to stand still until the hot path caught up).
    @Test func metricsStayCurrentThroughAStorm() async throws {
        let f = try Fixture()
        let pty = try PseudoTerminal()
        let (child, base) = try await Self.startBox(
            f, pty,
            yaml: """
                box: storm-01
                sector: test
                serial:
                  - {port: \(pty.slavePath), baud: 9600, protocol: nmea}
                sensors:
                \((0..<20).map { "  - {id: s\($0), kind: seismic, zone: north-fork}" }.joined(separator: "\n"))
                """)

        // 12 s of back-to-back detections, none a duplicate (20 sensors times
        // 65,536 sequence numbers), written from a thread of its own.
        var blocks: [[UInt8]] = []
        for k in 0..<640 {
            var block: [UInt8] = []
            for i in 0..<2048 { block += detectionFrame("s\(k % 20)", seq: (k / 20) * 2048 + i) }
            blocks.append(block)
        }
        let stop = Atomic<Bool>(false)
        // The writer thread alone writes to the master until the storm ends.
        nonisolated(unsafe) let terminal = pty
        let writer = Thread { [blocks] in
            let clock = ContinuousClock()
            let end = clock.now + .seconds(12)
            var k = 0
            while clock.now < end && !stop.load(ordering: .relaxed) {
                try? terminal.write(blocks[k % blocks.count], timeout: .seconds(2))
                k += 1
            }
        }
        writer.start()
        defer { stop.store(true, ordering: .relaxed) }
        try await Task.sleep(for: .seconds(2))
        var seen: [Double] = []
        for _ in 0..<4 {
            let figures = MetricsEndpointTests.parse(try await MetricsEndpointTests.get(base + "/metrics").body)
            seen.append(figures["picket_inputs_total"] ?? 0)
            try await Task.sleep(for: .seconds(2))
        }
        // Every scrape during the storm shows more inputs than the one before.
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 }, "\(seen)")
        stop.store(true, ordering: .relaxed)
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }

    /// A system clock a day off GPS time: `/healthz` says so, the gauge shows it.
    @Test func healthzNamesAClockFarFromGPS() async throws {
        let f = try Fixture()
        let pty = try PseudoTerminal()
        let (child, base) = try await Self.startBox(
            f, pty,
            yaml: """
                box: clock-01
                sector: test
                serial:
                  - {port: \(pty.slavePath), baud: 9600, protocol: nmea}
                sensors:
                  - {id: seis-7, kind: seismic, zone: north-fork}
                health: {clock_max_offset_s: 5, disk_min_free_mb: 99999999}
                """)
        // The disk is judged from the first turn, not five seconds later.
        let first = try await MetricsEndpointTests.get(base + "/healthz")
        #expect(first.status == 503 && first.body.contains("disk: "), "\(first.body)")
        // GPS time one day behind the system clock.
        let yesterday = Date().addingTimeInterval(-86_400)
        let format = DateFormatter()
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "HHmmss.SS,'A',"
        let time = format.string(from: yesterday)
        format.dateFormat = "ddMMyy"
        let body = "GPRMC,\(time)4459.5500,N,07306.5880,W,0.0,0.0,\(format.string(from: yesterday)),,,A"
        try pty.write(Array(nmeaFrame(body).utf8))
        var health = (status: 0, body: "")
        for _ in 0..<60 {
            health = try await MetricsEndpointTests.get(base + "/healthz")
            if health.body.contains("clock:") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(health.status == 503)
        #expect(health.body.contains("clock: system clock is 86400 s ahead of GPS"), "\(health.body)")
        let figures = MetricsEndpointTests.parse(try await MetricsEndpointTests.get(base + "/metrics").body)
        let offset = figures["picket_clock_gps_offset_seconds"] ?? 0
        #expect(offset > 86_390 && offset < 86_410, "\(figures)")
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
