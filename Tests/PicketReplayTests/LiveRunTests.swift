import Foundation
import Glibc
import PicketStore
import PicketTestSupport
import Testing

/// `picket run` and `picket record` on live drivers, as a field box runs
/// them: the radio receiver is a real pseudo-terminal, and the GPIO line is
/// on a chip this machine does not have (its kernel has no GPIO), so the
/// real libgpiod refuses it and the serial side must carry on regardless.
@Suite struct LiveRunTests {
    /// A configuration with the pty as its serial port and one GPIO line.
    static func configuration(port: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("live.yaml").path
        try """
        box: live-01
        sector: test
        site: {lat: 44.99, lon: -73.11}
        gpio:
          - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: trail, debounce_ms: 30}
        serial:
          - {port: \(port), baud: 9600}
        sensors:
          - {id: seis-7, kind: seismic, zone: trail, holdoff_ms: 1000, severity: medium}

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func detections(_ seqs: ClosedRange<Int>) -> [UInt8] {
        seqs.flatMap { nmeaSentence("PGSD,seis-7,\($0),FOOT,\(20 + $0)") }
    }

    /// The live run stores the radio's detections while the missing GPIO
    /// chip is reported unhealthy; its `--record` file replays to the very
    /// same events and alerts, ids included.
    @Test func liveRunOnAPseudoTerminalReplaysIdentically() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pty = try PseudoTerminal()
        let config = try Self.configuration(port: pty.slavePath, in: dir)
        let db = dir.appendingPathComponent("live.db").path
        let recording = dir.appendingPathComponent("live.jsonl").path
        let child = try ChildProcess(
            Support.binary,
            ["run", "--config", config, "--db", db, "--record", recording], log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("serial port open")
        try await child.waitForLog("gpiochip0 line 17: no such GPIO chip")

        // Byte by byte, then a burst with a relay duplicate (seq 3 again) and garbage.
        try pty.writeByteByByte(Self.detections(1...2))
        try pty.write(Self.detections(3...3) + Array("noise".utf8) + Self.detections(3...6))
        // Read the database directly: a child `picket events` every 10 ms
        // would hold a cooperative thread most of the time.
        try await eventually("six events stored") {
            try FileManager.default.fileExists(atPath: db) && Store(path: db, create: false).count("events") == 6
        }
        #expect(try await child.stop() == 0, "\(child.stderr)")

        let events = try await Support.picket(["events", "--db", db, "--json"]).out.split(separator: "\n")
        #expect(events.count == 6)
        let first = try Support.object(String(events[0]))
        #expect(first["sensor"] as? String == "seis-7")
        #expect(first["source"] as? String == "serial")
        #expect(first["box"] as? String == "live-01")
        let sensors = try await Support.picket(["sensors", "--db", db]).out
        #expect(sensors.contains("gpiochip0 line 17: no such GPIO chip"))
        let seis = try await Support.picket(["sensors", "--db", db, "--json"]).out.split(separator: "\n")
            .map { try Support.object(String($0)) }.first { $0["sensor"] as? String == "seis-7" }
        #expect(seis?["duplicates"] as? Int == 1)

        let replayed = dir.appendingPathComponent("replayed.db").path
        let replay = try await Support.picket(["replay", recording, "--config", config, "--db", replayed])
        #expect(replay.status == 0, "\(replay.err)")
        for query in ["events", "alerts"] {
            let live = try await Support.picket([query, "--db", db, "--json"]).out
            let again = try await Support.picket([query, "--db", replayed, "--json"]).out
            #expect(!live.isEmpty)
            #expect(
                Support.withoutLiveMarks(live) == again, "\(query) of the live run and of its replay differ")
        }
    }

    /// `picket record` on the pty, killed with SIGKILL, then `picket replay`
    /// of what it wrote: every sentence becomes its event.
    @Test func recordOnAPseudoTerminalThenReplay() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pty = try PseudoTerminal()
        let config = try Self.configuration(port: pty.slavePath, in: dir)
        let out = dir.appendingPathComponent("rec.jsonl").path
        let child = try ChildProcess(
            Support.binary,
            ["record", "--out", out, "--config", config, "--duration", "600"],
            log: dir.appendingPathComponent("record.log"))
        try await child.waitForLog("serial port open")
        try pty.write(Self.detections(1...4))
        try await eventually("four sentences recorded") {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").components(separatedBy: "PGSD").count == 5
        }
        // Bytes that are not UTF-8 (a radio's line noise) are recorded as b64.
        try pty.write([0xFF, 0xFE, 0x80] + Self.detections(5...5))
        try await eventually("a b64 chunk recorded") {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("\"b64\"")
        }
        // Killed, not stopped: what it wrote is a valid recording all the same.
        kill(child.process.processIdentifier, SIGKILL)
        let process = child.process
        try await offThePool { process.waitUntilExit() }
        #expect(child.process.terminationReason == .uncaughtSignal)

        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let header = try Support.object(String(lines[0]))
        #expect(header["box"] as? String == "live-01")
        let db = dir.appendingPathComponent("r.db").path
        let replay = try await Support.picket(["replay", out, "--config", config, "--db", db])
        #expect(replay.status == 0, "\(replay.err)")
        let events = try await Support.picket(["events", "--db", db, "--json"]).out.split(separator: "\n")
        #expect(events.count == 5)
        let strengths = try events.map { try Support.object(String($0))["strength"] as? Int }
        #expect(strengths == [21, 22, 23, 24, 25])
    }

    /// SIGTERM in the middle of a burst: the drivers stop, the hot path
    /// drains, open windows complete and the last batch commits, so every
    /// sentence the driver read is stored (the live hot path holds events a
    /// quarter second and commits every quarter second, so most of these
    /// are still in memory when the signal comes).
    @Test func sigtermDuringABurstLosesNothing() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pty = try PseudoTerminal()
        let config = try Self.configuration(port: pty.slavePath, in: dir)
        let db = dir.appendingPathComponent("burst.db").path
        let child = try ChildProcess(
            Support.binary, ["run", "--config", config, "--db", db], log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("serial port open")
        // SIGTERM right after the write: what reached the port is still read.
        try pty.write((1...400).flatMap { nmeaSentence("PGSD,seis-7,\($0),FOOT,\($0 % 100)") })
        #expect(try await child.stop() == 0, "\(child.stderr)")
        let stored = try Store(path: db, create: false).count("events")
        #expect(stored == 400, "\(child.stderr)")
    }

    /// SIGHUP with a broken configuration keeps the running one (logged with
    /// file and line); with a valid one the daemon restarts on it inside the
    /// process, and events before and after are all stored.
    @Test func sighupReloadsOnlyAValidConfiguration() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pty = try PseudoTerminal()
        let config = try Self.configuration(port: pty.slavePath, in: dir)
        let good = try String(contentsOfFile: config, encoding: .utf8)
        let db = dir.appendingPathComponent("hup.db").path
        let child = try ChildProcess(
            Support.binary, ["run", "--config", config, "--db", db], log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("serial port open")
        try pty.write(Self.detections(1...5))

        try (good + "alarms: []\n").write(toFile: config, atomically: true, encoding: .utf8)
        kill(child.process.processIdentifier, SIGHUP)
        try await child.waitForLog("new configuration refused")
        #expect(child.stderr.contains("\(config):10: alarms: unknown key"))
        #expect(child.process.isRunning)

        try good.replacingOccurrences(of: "box: live-01", with: "box: live-02").write(
            toFile: config, atomically: true, encoding: .utf8)
        kill(child.process.processIdentifier, SIGHUP)
        try await child.waitForLog("configuration reloaded")
        try await eventually("the port open again") {
            child.stderr.components(separatedBy: "serial port open").count == 3
        }
        try pty.write(Self.detections(6...10))
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await child.stop() == 0, "\(child.stderr)")

        let events = try Store(path: db, create: false).events()
        #expect(events.count == 10)
        #expect(events.prefix(5).allSatisfy { $0.box == "live-01" })
        #expect(events.suffix(5).allSatisfy { $0.box == "live-02" })
    }
}
