import Dispatch
import Foundation
import PicketConfig
import PicketCore
import PicketStore
import Testing

@testable import PicketDaemon

/// A replay's store on its own thread and its check beside it (issue 11):
/// a store failure still stops the replay with the store's error, keeping
/// only committed transactions, and a bad line found by the check while the
/// writer already holds batches still stores nothing.
@Suite struct ReplayWriterTests {
    static let configuration = Support.recordings.appendingPathComponent("trail-crossing.yaml")

    /// trail-crossing.jsonl `copies` times, each an hour after the one
    /// before: enough events that the writer gets batches long before the end.
    static func longRecording(in dir: URL, copies: Int, lastLine: String? = nil) throws -> (URL, lines: Int) {
        let source = try String(
            contentsOf: Support.recordings.appendingPathComponent("trail-crossing.jsonl"), encoding: .utf8)
        let lines = source.split(separator: "\n")
        var out = String(lines[0]) + "\n"
        var count = 1
        for copy in 0..<copies {
            for line in lines.dropFirst() {
                // `{"t": 1520000000, ...`: the time moved by the copy's hour.
                let parts = line.split(separator: ",", maxSplits: 1)
                let t = Int64(parts[0].dropFirst(6))! + Int64(copy) * 3_600_000_000_000
                out += "{\"t\": \(t),\(parts[1])\n"
                count += 1
            }
        }
        if let lastLine {
            out += lastLine + "\n"
            count += 1
        }
        let file = dir.appendingPathComponent("long.jsonl")
        try out.write(to: file, atomically: true, encoding: .utf8)
        return (file, count)
    }

    func replay(
        _ recording: URL, into db: URL, eventsPerTransaction: Int,
        progress: ((Int, Int) -> Void)? = nil, beforeCheck: (@Sendable () -> Void)? = nil
    ) async throws -> ReplaySummary {
        try await ReplayRunner.run(
            recording: recording.path, configuration: try ConfigLoader.load(path: Self.configuration.path),
            databasePath: db.path, realtime: false, logger: Support.logger, clock: SystemClock(),
            progress: progress, eventsPerTransaction: eventsPerTransaction, beforeCheck: beforeCheck)
    }

    static func eventIDs(_ db: URL) throws -> [String] {
        let store = try Store(path: db.path, create: false)
        let s = try store.database.statement("SELECT id FROM events ORDER BY seq")
        var ids: [String] = []
        while try s.step() { ids.append(s.optionalString(0) ?? "") }
        s.reset()
        return ids
    }

    @Test("a store failure mid-replay stops it with the store's error; only committed transactions stay")
    func storeFailureMidReplay() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (recording, _) = try Self.longRecording(in: dir, copies: 600)
        let whole = dir.appendingPathComponent("whole.db")
        _ = try await replay(recording, into: whole, eventsPerTransaction: 500)
        let all = try Self.eventIDs(whole)
        #expect(all.count > 6000, "\(all.count)")
        // The 3 001st event cannot be inserted: the writer's failure, mid-replay.
        let db = dir.appendingPathComponent("replay.db")
        do {
            let store = try Store(path: db.path)
            try store.database.execute(
                """
                CREATE TRIGGER fail_late BEFORE INSERT ON events WHEN (SELECT count(*) FROM events) >= 3000
                BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END
                """)
        }
        var thrown: (any Error)?
        do {
            _ = try await replay(recording, into: db, eventsPerTransaction: 500)
        } catch {
            thrown = error
        }
        let error = try #require(thrown as? StoreError)
        #expect("\(error)".contains("the disk is on fire"), "\(error)")
        // What stays is whole transactions, in order: a prefix of the full replay.
        let stored = try Self.eventIDs(db)
        #expect(stored.count <= 3000)
        #expect(stored == Array(all.prefix(stored.count)))
        let store = try Store(path: db.path, create: false)
        #expect(try store.count("runs") == (stored.isEmpty ? 0 : 1))
    }

    @Test("a bad last line found by the check after the writer got batches stores nothing; a good file all")
    func checkFailureWithWriterRunning() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for bad in [true, false] {
            let (recording, lines) = try Self.longRecording(
                in: dir, copies: 600,
                lastLine: bad ? #"{"t": 1, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising"}}"# : nil)
            // The check is held back until the replay has offered most of
            // the file: the writer has had batches (and, at 100 events per
            // transaction, reasons to commit) long before it passes or fails.
            let release = DispatchSemaphore(value: 0)
            var released = false
            let db = dir.appendingPathComponent("replay-\(bad).db")
            var thrown: (any Error)?
            do {
                let summary = try await replay(
                    recording, into: db, eventsPerTransaction: 100,
                    progress: { linesRead, _ in
                        if !released, linesRead >= lines * 9 / 10 {
                            released = true
                            release.signal()
                        }
                    },
                    beforeCheck: { release.wait() })
                #expect(summary.transactions > 2, "\(summary.transactions)")
            } catch {
                thrown = error
            }
            #expect(released)
            let store = try Store(path: db.path, create: false)
            if bad {
                let error = try #require(thrown)
                #expect("\(error)".contains(":\(lines): \"t\" goes back in time"), "\(error)")
                #expect(try store.count("events") == 0)
                #expect(try store.count("alerts") == 0)
                #expect(try store.count("runs") == 0)
            } else {
                #expect(thrown == nil, "\(thrown.map { "\($0)" } ?? "")")
                #expect(try store.count("events") > 6000)
                #expect(try store.count("runs") == 1)
            }
        }
    }
}
