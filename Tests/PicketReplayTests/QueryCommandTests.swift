import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `picket events` and `picket alerts` as the real binary runs them:
/// `--until`, `--zone`, `--limit` in JSON and text, usage errors, and
/// `--follow` against rows another process commits while it runs.
@Suite struct QueryCommandTests {
    static let s: Int64 = 1_000_000_000
    static let t0: Int64 = 1_780_629_120 * s

    /// Event `n` at t0 + n s: even ones in zone north, odd ones in south.
    static func event(_ n: Int) -> Event {
        let ts = t0 + Int64(n) * s
        let id = Identifier.event(box: "b", sensor: "pir-1", source: .gpio, state: .active, ts: ts, ordinal: 0)
        return Event(
            id: id, box: "b", sector: "s", sensor: "pir-1", kind: .pir, zone: n % 2 == 0 ? "north" : "south",
            source: .gpio, state: .active, ts: ts, episode: id)
    }

    static func alert(_ n: Int) -> Alert {
        Alert(
            id: "alert-\(n)", rule: "rule-\(n)", severity: .high, box: "b", sector: "s",
            zone: n % 2 == 0 ? "north" : "south", firstTs: t0 + Int64(n) * s, lastTs: t0 + Int64(n) * s,
            direction: nil, events: [], position: nil, summary: "alert \(n)")
    }

    static func time(_ n: Int) -> String { UTCTime.format(t0 + Int64(n) * s) }

    /// A database with events 0...9 and alerts 0...5, the way a daemon
    /// with `forward` writes them (each alert pending for the sector).
    static func seed(_ db: String, events: ClosedRange<Int> = 0...9, alerts: ClosedRange<Int> = 0...5) throws {
        let store = try Store(path: db)
        var batch = StoreBatch(events: events.map(event), alerts: alerts.map(alert))
        batch.outbox = batch.alerts.map(sectorEntry)
        try store.write(batch, run: "test", now: t0)
    }

    static func sectorEntry(_ alert: Alert) -> OutboxEntry {
        OutboxEntry(
            id: alert.id, destination: "sector", alerts: [alert.id], severityRank: alert.severity.rank,
            createdTs: alert.firstTs)
    }

    /// Each JSON line's `ts` (events) or `first_ts` (alerts), as the n of its row.
    static func rows(_ output: ProcessOutput, key: String = "ts") throws -> [Int] {
        try output.out.split(separator: "\n").map { line in
            let object = try Support.object(String(line))
            let ts = try #require(object[key] as? String)
            return try #require((0...100).first { time($0) == ts })
        }
    }

    @Test func eventsUntilZoneAndLimitInJSONAndText() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        try Self.seed(db)
        func events(_ arguments: [String]) async throws -> [Int] {
            let result = try await Support.picket(["events", "--db", db, "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.err)")
            return try Self.rows(result)
        }
        #expect(try await events([]) == Array(0...9))
        #expect(try await events(["--limit", "3"]) == [7, 8, 9])
        #expect(try await events(["--limit", "0"]) == [])
        #expect(try await events(["--limit", "50"]) == Array(0...9))
        #expect(try await events(["--until", Self.time(4)]) == [0, 1, 2, 3, 4])
        #expect(try await events(["--zone", "south"]) == [1, 3, 5, 7, 9])
        #expect(try await events(["--zone", "nowhere"]) == [])
        #expect(
            try await events(["--zone", "north", "--since", Self.time(1), "--until", Self.time(7), "--limit", "2"])
                == [4, 6])
        // An age: everything here is long past.
        #expect(try await events(["--until", "1h", "--limit", "1"]) == [9])
        #expect(try await events(["--since", "1h"]) == [])

        // The text view: the same columns and header, the newest rows oldest first, aligned.
        let text = try await Support.picket(["events", "--db", db, "--limit", "2", "--zone", "north"])
        #expect(text.status == 0, "\(text.err)")
        let lines = text.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(
            lines[0].split(separator: " ") == [
                "TS", "SENSOR", "KIND", "ZONE", "SOURCE", "STATE", "CLASS", "STRENGTH", "EPISODE",
            ])
        #expect(lines[1].hasPrefix(Self.time(6) + " "))
        #expect(lines[2].hasPrefix(Self.time(8) + " "))
        let zoneColumn = try #require(lines[0].range(of: "ZONE")).lowerBound.utf16Offset(in: lines[0])
        for line in lines.dropFirst() {
            #expect(line.dropFirst(zoneColumn).hasPrefix("north "), "\(line)")
        }
        let empty = try await Support.picket(["events", "--db", db, "--zone", "nowhere"])
        #expect(empty.out.hasPrefix("TS "))
        #expect(empty.out.split(separator: "\n").count == 1)
    }

    @Test func alertsSinceUntilZoneAndLimitInJSONAndText() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        try Self.seed(db)
        func alerts(_ arguments: [String]) async throws -> [Int] {
            let result = try await Support.picket(["alerts", "--db", db, "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.err)")
            return try Self.rows(result, key: "first_ts")
        }
        #expect(try await alerts([]) == Array(0...5))
        #expect(try await alerts(["--limit", "2"]) == [4, 5])
        #expect(try await alerts(["--since", Self.time(2), "--until", Self.time(4)]) == [2, 3, 4])
        #expect(try await alerts(["--zone", "south"]) == [1, 3, 5])
        #expect(try await alerts(["--zone", "north", "--pending", "--limit", "1"]) == [4])
        #expect(try await alerts(["--dead", "--zone", "north"]) == [])

        let text = try await Support.picket(["alerts", "--db", db, "--zone", "south", "--limit", "2"])
        #expect(text.status == 0, "\(text.err)")
        let lines = text.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(
            lines[0].split(separator: " ") == ["ID", "FIRST_TS", "RULE", "SEVERITY", "ZONE", "DELIVERY", "SUMMARY"])
        #expect(lines[1].split(separator: " ").prefix(2) == ["alert-3", Substring(Self.time(3))])
        #expect(lines[1].hasSuffix("alert 3"))
        #expect(lines[2].split(separator: " ").prefix(2) == ["alert-5", Substring(Self.time(5))])
        #expect(lines[2].hasSuffix("alert 5"))
    }

    /// The sector delivery's fields come from the outbox (now a join, no
    /// longer the whole outbox in memory), in the same place and order.
    @Test func alertJSONCarriesItsSectorDelivery() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        let store = try Store(path: db)
        var batch = StoreBatch(alerts: [Self.alert(1)])
        batch.outbox = batch.alerts.map(Self.sectorEntry)
        try store.write(batch, run: "test", now: Self.t0)
        try store.write(StoreBatch(alerts: [Self.alert(2)]), run: "test", now: Self.t0)
        try store.markInFlight("alert-1", now: Self.t0)
        try store.markRetry("alert-1", status: 503, response: "busy", nextAttemptTs: Self.t0 + 9 * Self.s)
        let result = try await Support.picket(["alerts", "--db", db, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(
            lines[0].hasSuffix(
                #""delivery":"pending","attempts":1,"next_attempt_ts":"\#(Self.time(9))","last_status":503,"#
                    + #""last_response":"busy"}"#), "\(lines[0])")
        // Alert 2 has no sector delivery (a box without forward): it is never sent.
        #expect(lines[1].hasSuffix(#""delivery":"not_forwarded"}"#), "\(lines[1])")
        let text = try await Support.picket(["alerts", "--db", db])
        #expect(text.status == 0, "\(text.err)")
        let rows = text.out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.count == 3, "\(text.out)")
        // Columns: ID, FIRST_TS, RULE, SEVERITY, ZONE, DELIVERY, SUMMARY.
        #expect(rows.first?[5] == "DELIVERY", "\(text.out)")
        #expect(rows.dropFirst().map { $0.count > 5 ? $0[5] : "" } == ["pending", "not_forwarded"], "\(text.out)")
        let pending = try await Support.picket(["alerts", "--db", db, "--pending", "--json"])
        #expect(pending.out.split(separator: "\n").count == 1, "\(pending.out)")
    }

    @Test func badUntilAndLimitAreUsageErrorsNamingTheOption() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        try Self.seed(db)
        for command in ["events", "alerts"] {
            for (option, value) in [
                // `-3h` is an age (3 hours ago, AuditLeftoverTests); `-3y` is no unit.
                ("--until", "tomorrow-ish"), ("--until", "5y"), ("--since", "-3y"), ("--limit", "ten"),
                ("--limit", "-1"), ("--limit", "2.5"),
            ] {
                let result = try await Support.picket([command, "--db", db, "\(option)=\(value)"])
                #expect(result.status == 64, "\(command) \(option) \(value): \(result.err)")
                #expect(result.err.contains(option) && result.err.contains("'\(value)'"), "\(result.err)")
                #expect(result.out.isEmpty)
            }
        }
    }

    /// The technician's walk test: `events --follow` prints the newest rows,
    /// then each event another process commits, and exits 0 on SIGINT.
    @Test func eventsFollowPrintsNewRowsUntilSIGINT() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        try Self.seed(db, events: 0...3)
        let json = try Follower(["events", "--follow", "--json", "--limit", "1", "--db", db], in: dir, name: "json")
        let text = try Follower(["events", "--follow", "--zone", "south", "--db", db], in: dir, name: "text")
        defer {
            json.kill()
            text.kill()
        }
        // The newest row first, and the text view's header with the stored rows.
        try await json.waitForLines(1)
        try await text.waitForLines(3)
        #expect(try json.lines.map { try Support.object($0)["ts"] as? String } == [Self.time(3)])

        // Rows committed later, in two transactions, as a daemon would.
        let store = try Store(path: db)
        try store.write(StoreBatch(events: [Self.event(4), Self.event(5)]), run: "test", now: Self.t0)
        try await json.waitForLines(3)
        try store.write(StoreBatch(events: [Self.event(7)]), run: "test", now: Self.t0)
        try await json.waitForLines(4)
        #expect(
            try json.lines.map { try Support.object($0)["ts"] as? String } == [3, 4, 5, 7].map(Self.time))

        // The text follower shows the new rows of its zone alone, under the same header.
        try await text.waitForLines(5)
        let lines = try text.lines
        #expect(lines.count == 5, "\(lines)")
        #expect(lines[0].hasPrefix("TS "))
        #expect(zip(lines.dropFirst(), [1, 3, 5, 7]).allSatisfy { $0.hasPrefix(Self.time($1) + " ") }, "\(lines)")

        #expect(try await json.stop(SIGINT) == 0, "\(json.stderr)")
        #expect(try await text.stop(SIGTERM) == 0, "\(text.stderr)")
    }

    @Test func alertsFollowPrintsNewAlertsUntilSIGTERM() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("q.db").path
        try Self.seed(db, events: 0...0, alerts: 0...1)
        let follower = try Follower(["alerts", "--follow", "--json", "--db", db], in: dir, name: "alerts")
        defer { follower.kill() }
        try await follower.waitForLines(2)
        let store = try Store(path: db)
        try store.write(StoreBatch(alerts: [Self.alert(2)]), run: "test", now: Self.t0)
        try await follower.waitForLines(3)
        #expect(
            try follower.lines.map { try Support.object($0)["id"] as? String } == ["alert-0", "alert-1", "alert-2"])
        #expect(try await follower.stop(SIGTERM) == 0, "\(follower.stderr)")
        #expect(follower.process.terminationReason == .exit)

        // An empty database: nothing, then the first alert as it comes.
        let empty = dir.appendingPathComponent("empty.db").path
        let fresh = try Store(path: empty)
        let first = try Follower(["alerts", "--follow", "--json", "--pending", "--db", empty], in: dir, name: "empty")
        defer { first.kill() }
        var pending = StoreBatch(alerts: [Self.alert(4)])
        pending.outbox = pending.alerts.map(Self.sectorEntry)
        try fresh.write(pending, run: "test", now: Self.t0)
        try await first.waitForLines(1)
        #expect(try first.lines.map { try Support.object($0)["id"] as? String } == ["alert-4"])
        #expect(try await first.stop(SIGINT) == 0, "\(first.stderr)")
    }
}

/// A `picket ... --follow` whose standard output goes to a file the test reads while it runs.
final class Follower {
    let process = Process()
    let out: URL
    let err: URL

    init(_ arguments: [String], in directory: URL, name: String) throws {
        out = directory.appendingPathComponent("\(name).out")
        err = directory.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = Support.binary
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
    }

    /// The complete lines printed so far.
    var lines: [String] {
        get throws {
            let text = String(decoding: try Data(contentsOf: out), as: UTF8.self)
            return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
    }

    var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

    func waitForLines(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await eventually("\(count) lines from \(process.arguments ?? [])", sourceLocation: sourceLocation) {
            try lines.count >= count || !process.isRunning
        }
        let printed = try lines
        #expect(printed.count >= count, "\(printed) \(stderr)", sourceLocation: sourceLocation)
    }

    /// Sends `signal`, then the exit status (a signal's death is not 0).
    func stop(_ signal: Int32) async throws -> Int32 {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        let process = process
        try await offThePool { process.waitUntilExit() }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// Ends a follower a failed test left running.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
