import Foundation
import PicketConfig
import PicketCore
import PicketDaemon
import PicketStore
import Testing

/// A replay commits in bounded transactions (issue 11): the result is the
/// same, a bad recording still stores nothing, and the counters are the
/// run's, not the last transaction's.
@Suite struct ReplayTransactionTests {
    func replay(_ name: String, into db: URL, eventsPerTransaction: Int) async throws -> ReplaySummary {
        try await ReplayRunner.run(
            recording: Support.recordings.appendingPathComponent("\(name).jsonl").path,
            configuration: try ConfigLoader.load(path: Support.recordings.appendingPathComponent("\(name).yaml").path),
            databasePath: db.path, logger: Support.logger, eventsPerTransaction: eventsPerTransaction)
    }

    @Test("a replay in many small transactions stores exactly the golden output", arguments: GoldenReplayTests.names)
    func smallTransactionsSameOutput(name: String) async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("replay.db")
        let summary = try await replay(name, into: db, eventsPerTransaction: 1)
        let one = dir.appendingPathComponent("one.db")
        let whole = try await replay(name, into: one, eventsPerTransaction: .max)
        #expect(whole.transactions == 1)
        #expect(summary.transactions > 2, "\(summary.transactions)")
        let (events, alerts, sensors) = try Support.jsonLines(db)
        for (kind, lines) in [("events", events), ("alerts", alerts), ("sensors", sensors)] {
            let expected = Support.recordings.appendingPathComponent("expected/\(name).\(kind).jsonl")
            let golden = try String(contentsOf: expected, encoding: .utf8)
            #expect(lines.map { $0 + "\n" }.joined() == golden, "\(name).\(kind)")
        }
        let a = try Store(path: db.path, create: false)
        let b = try Store(path: one.path, create: false)
        for (table, columns): (String, Int32) in [
            ("counters", 3), ("sensor_counters", 6), ("runs", 5), ("sensors", 7), ("box", 2),
        ] {
            let rows = try Self.rows(a, table, columns: columns)
            #expect(rows == (try Self.rows(b, table, columns: columns)), "\(table)")
            if ["counters", "runs", "sensors"].contains(table) { #expect(!rows.isEmpty, "\(table)") }
        }
    }

    @Test("a bad last line, found after many transactions' worth of events, still stores nothing")
    func badLastLineStoresNothing() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try String(
            contentsOf: Support.recordings.appendingPathComponent("trail-crossing.jsonl"), encoding: .utf8)
        let bad = dir.appendingPathComponent("bad.jsonl")
        try (source + "{\"t\": 1, \"gpio\": {\"chip\": \"gpiochip0\", \"line\": 17, \"edge\": \"rising\"}}\n")
            .write(to: bad, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("replay.db")
        await #expect(throws: (any Error).self) {
            _ = try await ReplayRunner.run(
                recording: bad.path,
                configuration: try ConfigLoader.load(
                    path: Support.recordings.appendingPathComponent("trail-crossing.yaml").path),
                databasePath: db.path, logger: Support.logger, eventsPerTransaction: 1)
        }
        let store = try Store(path: db.path, create: false)
        #expect(try store.count("events") == 0)
        #expect(try store.count("alerts") == 0)
        #expect(try store.count("runs") == 0)
    }

    /// Every row of `table`, in a stable order, as text.
    static func rows(_ store: Store, _ table: String, columns: Int32) throws -> [String] {
        let s = try store.database.statement("SELECT * FROM \(table) ORDER BY 1, 2")
        var out: [String] = []
        while try s.step() {
            out.append((0..<columns).map { s.optionalString($0) ?? "NULL" }.joined(separator: "|"))
        }
        s.reset()
        return out
    }
}
