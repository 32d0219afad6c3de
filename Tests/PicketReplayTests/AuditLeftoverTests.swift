import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The audit's small command-line findings (issue 10), through the real binary.
@Suite struct AuditLeftoverTests {
    /// `picket events --follow | head -1`: once the reader is gone the
    /// follower ends (exit 0) although no row is ever stored again.
    @Test func followEndsWhenItsReaderClosesWithoutAnotherRow() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        try QueryCommandTests.seed(db, events: 0...1)
        let pipe = Pipe()
        let process = Process()
        process.executableURL = Support.binary
        process.arguments = ["events", "--follow", "--json", "--db", db]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let reader = pipe.fileHandleForReading
        let first = try await offThePool { try reader.read(upToCount: 1) }
        #expect(first?.count == 1)
        try reader.close()
        try await eventually("the follower exits once its reader is gone") { !process.isRunning }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    /// `--since -5m` and `--since=-5m` (and `--until`) are ages, not unknown options.
    @Test func negativeAgesAreAges() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        let minute: Int64 = 60_000_000_000
        let events = [(0, now - 10 * minute), (1, now - 1 * minute)].map { n, ts in
            let id = Identifier.event(box: "b", sensor: "pir-1", source: .gpio, state: .active, ts: ts, ordinal: n)
            return Event(
                id: id, box: "b", sector: "s", sensor: "pir-1", kind: .pir, zone: "north", source: .gpio,
                state: .active, ts: ts, episode: id)
        }
        try Store(path: db).write(StoreBatch(events: events), run: "test", now: now)
        func ids(_ arguments: [String]) async throws -> [String] {
            let result = try await Support.picket(["events", "--db", db, "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.err)")
            return try result.out.split(separator: "\n").map { try Support.object(String($0))["id"] as? String ?? "" }
        }
        #expect(try await ids(["--since", "-5m"]) == [events[1].id])
        #expect(try await ids(["--since=-5m"]) == [events[1].id])
        #expect(try await ids(["--since", "5m"]) == [events[1].id])
        #expect(try await ids(["--until", "-5m"]) == [events[0].id])
        #expect(try await ids(["--since", "-1h", "--until=-5m"]) == [events[0].id])
        let alerts = try await Support.picket(["alerts", "--db", db, "--since", "-5m"])
        #expect(alerts.status == 0, "\(alerts.err)")
        for bad in ["--5m", "-m", "-5x"] {
            let result = try await Support.picket(["events", "--db", db, "--since", bad])
            #expect(result.status == 64, "\(bad): \(result.err)")
            #expect(result.err.contains("--since: '\(bad)' is neither an RFC 3339 time nor an age"), "\(result.err)")
        }
    }

    /// `check-config --hardware` prints the configuration's OK line only
    /// when every port and line is usable.
    @Test func checkConfigHardwareSaysOKOnlyWhenEverythingPassed() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("no-such-tty").path
        let failing = try LiveRunTests.configuration(port: missing, in: dir)
        let refused = try await Support.picket(["check-config", "--hardware", failing])
        #expect(refused.status == 74, "\(refused.out)\(refused.err)")
        #expect(refused.out.contains("PROBLEM"), "\(refused.out)")
        #expect(!refused.out.contains("OK: box"), "\(refused.out)")
        #expect(!refused.err.contains("OK: box"), "\(refused.err)")

        // Without --hardware the same file is valid.
        let plain = try await Support.picket(["check-config", failing])
        #expect(plain.status == 0 && plain.out.contains("\(failing): OK: box live-01"), "\(plain.out)\(plain.err)")

        // A serial port alone, on a pty that is there and free: OK, after its finding.
        let pty = try PseudoTerminal()
        let serialOnly = dir.appendingPathComponent("serial.yaml").path
        try """
        box: live-01
        sector: test
        serial:
          - {port: \(pty.slavePath), baud: 9600}
        sensors:
          - {id: seis-7, kind: seismic, zone: trail}

        """.write(toFile: serialOnly, atomically: true, encoding: .utf8)
        let passed = try await Support.picket(["check-config", "--hardware", serialOnly])
        #expect(passed.status == 0, "\(passed.out)\(passed.err)")
        let lines = passed.out.split(separator: "\n")
        #expect(lines.first?.contains("serial[0] \(pty.slavePath): OK") == true, "\(passed.out)")
        #expect(lines.last?.hasPrefix("\(serialOnly): OK: box live-01") == true, "\(passed.out)")
        #expect(lines.last?.hasSuffix("every port and line usable") == true, "\(passed.out)")
    }
}
