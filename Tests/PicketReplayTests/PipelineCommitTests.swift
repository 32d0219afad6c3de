import Foundation
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import PicketTestSupport
import Testing

/// How the live pipeline commits: nothing when nothing is new, a backlog in
/// bounded transactions, and an alert never before its events.
@Suite struct PipelineCommitTests {
    static let t0: Int64 = 1_780_000_000_000_000_000
    static let ms: Int64 = 1_000_000

    struct Rig {
        let dir: URL
        let store: Store
        let pipeline: Pipeline
        let hub: InputHub

        init() throws {
            dir = try Support.temporaryDirectory()
            let configuration = PicketConfiguration(
                box: "commit-box", sector: "test", serial: [SerialPortConfig(port: "/dev/radio")],
                sensors: [SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork", severity: .low)])
            store = try Store(path: dir.appendingPathComponent("picket.db").path)
            try store.beginRun(
                id: "live:test", mode: "live", startedTs: PipelineCommitTests.t0, input: nil,
                sensors: configuration.allSensors)
            hub = InputHub(lines: 0, ports: 1, capacity: 1 << 14)
            pipeline = Pipeline(
                configuration: configuration, hub: hub, store: store, runID: "live:test", logger: Support.logger,
                mode: .live(.init()))
        }

        /// Hands `count` detections to the hub, 1 ms apart from `from`, and processes them.
        func feed(_ seqs: ClosedRange<Int>, at start: Int64) {
            for seq in seqs {
                let bytes = detectionFrame("seis-7", seq: seq)
                bytes.withUnsafeBytes {
                    _ = hub.offerSerial(port: 0, t: start + Int64(seq) * PipelineCommitTests.ms, bytes: $0)
                }
                if hub.freeSlots(for: .port(0)) < 64 { pipeline.drain() }
            }
            while pipeline.drain() > 0 {}
        }

        func count(_ sql: String) throws -> Int {
            let s = try store.database.statement(sql)
            defer { s.reset() }
            return try s.step() ? s.int(0) : 0
        }
    }

    @Test func nothingNewWritesNothing() throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        rig.feed(1...3, at: Self.t0)
        rig.pipeline.advance(to: Self.t0 + 1000 * Self.ms)
        #expect(try rig.pipeline.collect(now: Self.t0 + 1000 * Self.ms, force: true))
        #expect(try rig.store.count("events") == 3)
        // Another connection sees no commit while nothing happens.
        let other = try Store(path: rig.store.path)
        let version = { () throws -> Int in
            let s = try other.database.statement("PRAGMA data_version")
            defer { s.reset() }
            return try s.step() ? s.int(0) : -1
        }
        let before = try version()
        let commits = rig.pipeline.commits
        for step in 2...20 {
            let now = Self.t0 + Int64(step) * 1000 * Self.ms
            rig.pipeline.advance(to: now)
            #expect(try !rig.pipeline.collect(now: now, force: true))
        }
        #expect(try version() == before)
        #expect(rig.pipeline.commits == commits)
        // And the next input is committed as before.
        rig.feed(4...4, at: Self.t0 + 21_000 * Self.ms)
        rig.pipeline.advance(to: Self.t0 + 22_000 * Self.ms)
        #expect(try rig.pipeline.collect(now: Self.t0 + 22_000 * Self.ms, force: true))
        #expect(try version() != before)
        #expect(try rig.store.count("events") == 4)
    }

    @Test func aBacklogGoesInBoundedTransactionsAlertsAfterTheirEvents() throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        rig.pipeline.maxCommitEvents = 400
        rig.pipeline.batchSize = 1_000_000
        rig.feed(1...1000, at: Self.t0)
        rig.pipeline.advance(to: Self.t0 + 10_000 * Self.ms)
        var committed: [Int] = []
        while rig.pipeline.hasPendingOutput || committed.isEmpty {
            #expect(try rig.pipeline.collect(now: Self.t0 + 10_000 * Self.ms, force: true))
            committed.append(try rig.count("SELECT COUNT(*) FROM events"))
            // No stored alert names an event that is not stored yet.
            #expect(
                try rig.count(
                    """
                    SELECT COUNT(*) FROM alerts a, json_each(a.events) j
                    WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = j.value)
                    """) == 0)
            if committed.count > 10 { break }
        }
        #expect(committed == [400, 800, 1000])
        #expect(try rig.count("SELECT COUNT(*) FROM alerts") == 1000)
        // Stored in time order.
        #expect(
            try rig.count("SELECT COUNT(*) FROM events a JOIN events b ON b.seq = a.seq + 1 WHERE b.ts < a.ts") == 0)
    }

    /// A box whose only input is its GPS (a fix a second) writes its fix,
    /// clock offset and counters once a minute, not at every tick.
    @Test func aGPSAloneIsCommittedOnceAMinute() throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        let rmc = Array(nmeaFrame("GPRMC,031200.00,A,4459.5500,N,07306.5880,W,0.0,0.0,050626,,,A").utf8)
        let second: Int64 = 1_000_000_000
        _ = try rig.pipeline.collect(now: Self.t0, force: true)
        let start = rig.pipeline.commits
        for s in 1...180 {
            let t = Self.t0 + Int64(s) * second
            rmc.withUnsafeBytes { _ = rig.hub.offerSerial(port: 0, t: t, bytes: $0) }
            rig.pipeline.drain()
            rig.pipeline.advance(to: t + 500 * Self.ms)
            _ = try rig.pipeline.collect(now: t + 500 * Self.ms, force: true)
        }
        let commits = rig.pipeline.commits - start
        #expect(commits >= 2 && commits <= 4, "\(commits) commits for 180 s of GPS alone")
        #expect(try rig.store.boxFix() != nil)
        // A stop writes what waits.
        try rig.pipeline.finish(now: Self.t0 + 181 * second)
        #expect(try rig.store.counters(run: "live:test")["inputs"] == 180)
    }
}
