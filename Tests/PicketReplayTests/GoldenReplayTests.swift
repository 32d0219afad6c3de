import Foundation
import PicketCore
import PicketStore
import Testing

/// Replays the recordings under `Hardware/recordings/` and compares what is
/// stored with the checked-in expectations (gpsd's regression style). Set
/// `PICKET_UPDATE_GOLDEN=1` to rewrite them after a deliberate change, then
/// read the diff: the figures in the other tests were derived by hand from
/// PRODUCT.md and pin the meaning.
@Suite struct GoldenReplayTests {
    static let names = ["trail-crossing", "radio-relay"]

    @Test(arguments: names)
    func replayMatchesExpectedOutput(name: String) async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("replay.db")
        _ = try await Support.replay(
            Support.recordings.appendingPathComponent("\(name).jsonl"),
            config: Support.recordings.appendingPathComponent("\(name).yaml"), into: db)
        let (events, alerts, sensors) = try Support.jsonLines(db)
        for (kind, lines) in [("events", events), ("alerts", alerts), ("sensors", sensors)] {
            let expected = Support.recordings.appendingPathComponent("expected/\(name).\(kind).jsonl")
            let actual = lines.map { $0 + "\n" }.joined()
            if try Self.updatesGolden(ProcessInfo.processInfo.environment) {
                try actual.write(to: expected, atomically: true, encoding: .utf8)
            }
            let golden = try String(contentsOf: expected, encoding: .utf8)
            #expect(actual == golden, "\(name).\(kind) differs from \(expected.path)")
        }
    }

    /// Under `CI` the update mode is refused: it writes each expected file
    /// from this run's output and then compares the file with itself, so a
    /// CI run with it set would pass whatever the replay does.
    struct GoldenUpdateRefused: Error, CustomStringConvertible {
        var description: String {
            "PICKET_UPDATE_GOLDEN is set while CI is: the golden tests would compare each expected file with "
                + "itself and prove nothing; unset PICKET_UPDATE_GOLDEN (it is for a developer's deliberate change)"
        }
    }

    /// Whether this run rewrites the expected files (`PICKET_UPDATE_GOLDEN=1`,
    /// outside CI); throws when CI is set and so is PICKET_UPDATE_GOLDEN.
    static func updatesGolden(_ environment: [String: String]) throws(GoldenUpdateRefused) -> Bool {
        guard let update = environment["PICKET_UPDATE_GOLDEN"], !update.isEmpty else { return false }
        if let ci = environment["CI"], !ci.isEmpty { throw GoldenUpdateRefused() }
        return update == "1"
    }

    @Test func updatingTheGoldenFilesIsRefusedUnderCI() {
        #expect(throws: GoldenUpdateRefused.self) {
            try Self.updatesGolden(["PICKET_UPDATE_GOLDEN": "1", "CI": "true"])
        }
        #expect(throws: GoldenUpdateRefused.self) { try Self.updatesGolden(["PICKET_UPDATE_GOLDEN": "0", "CI": "1"]) }
        #expect((try? Self.updatesGolden(["PICKET_UPDATE_GOLDEN": "1"])) == true)
        #expect((try? Self.updatesGolden(["CI": "true"])) == false)
        #expect((try? Self.updatesGolden([:])) == false)
        #expect((try? Self.updatesGolden(["PICKET_UPDATE_GOLDEN": "", "CI": "true"])) == false)
    }

    /// trail-crossing.jsonl, step by step (the timeline is in
    /// Hardware/recordings/README.md).
    @Test func trailCrossingFigures() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("replay.db")
        let summary = try await Support.replay(
            Support.recordings.appendingPathComponent("trail-crossing.jsonl"),
            config: Support.recordings.appendingPathComponent("trail-crossing.yaml"), into: db)
        let c = summary.counters
        #expect(c.edges == 21)
        #expect(c.serialChunks == 4)
        #expect(c.events == 16)
        #expect(c.episodes == 9)
        #expect(c.glitches == ["pir-1": 1])
        #expect(c.duplicates == ["seis-7": 1])
        #expect(c.lostTotal == 1)
        #expect(c.alertsByRule == ["crossing": 2, "detection": 3, "northbound": 1])

        let store = try Store(path: db.path, create: false)
        let events = try store.events()
        let t0 = UTCTime.parse("2026-06-05T03:12:00Z")!
        func at(_ seconds: Double) -> Int64 { t0 + Int64((seconds * 1e9).rounded()) }
        let pir = events.filter { $0.sensor == "pir-1" }
        // Bounce makes one event, stamped with the burst's first edge; the 2 ms
        // flicker at 4 s is a glitch; the edge at 71 s ends inside its window
        // and completes at the end of the replay.
        #expect(pir.map(\.ts) == [at(1.52), at(3.0), at(7.0), at(7.5), at(71.0)])
        #expect(pir.map(\.state) == [.active, .inactive, .active, .inactive, .active])
        #expect(pir[0].episode == pir[0].id)
        #expect(pir[1].episode == pir[0].id)
        #expect(pir[2].episode == pir[2].id)
        #expect(pir[0].position == Position(lat: 44.9931, lon: -73.1102))
        #expect(pir[0].tags == ["trail": "north-fork"])
        // Active-low beams: a falling edge is a cut.
        let beamS = events.filter { $0.sensor == "beam-s" }
        #expect(beamS.map(\.ts) == [at(10.0), at(10.5), at(16.0), at(16.3)])
        #expect(beamS.map(\.state) == [.active, .inactive, .active, .inactive])
        let seismic = events.filter { $0.sensor == "seis-7" }
        #expect(seismic.map(\.ts) == [at(2), at(6), at(70)])
        #expect(seismic[1].episode == seismic[0].id)
        #expect(seismic[0].detectionClass == "FOOT")
        #expect(seismic[0].strength == 64)
        #expect(seismic[0].position == Position(lat: 44.9925, lon: -73.1098))

        let alerts = try store.alerts().map(\.alert)
        #expect(alerts.map(\.rule) == ["detection", "crossing", "detection", "northbound", "crossing", "detection"])
        let crossing = alerts.filter { $0.rule == "crossing" }
        #expect(crossing[0].events == [pir[0].id, seismic[0].id])
        #expect(crossing[0].firstTs == at(1.52))
        #expect(crossing[0].lastTs == at(2.0))
        #expect(crossing[0].severity == .high)
        #expect(crossing[0].zone == "north-fork")
        // Quiet until 62 s after firing at 2 s; fires again at 71 s.
        #expect(crossing[1].events == [seismic[2].id, pir[4].id])
        let northbound = try #require(alerts.first { $0.rule == "northbound" })
        #expect(northbound.direction == "northbound")
        #expect(northbound.firstTs == at(10.0))
        #expect(northbound.lastTs == at(12.0))
        #expect(alerts.allSatisfy { $0.box == "swanton-07" && $0.sector == "swanton" })
    }

    @Test func radioRelayFigures() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("replay.db")
        let summary = try await Support.replay(
            Support.recordings.appendingPathComponent("radio-relay.jsonl"),
            config: Support.recordings.appendingPathComponent("radio-relay.yaml"), into: db)
        let c = summary.counters
        #expect(c.framing.frames == 17)
        #expect(c.framing[.tooLong] == 1)
        #expect(c.framing[.badChecksum] == 1)
        #expect(c.framing[.truncated] == 1)
        #expect(c.framing.noiseBytes == 24)
        #expect(c.invalidSentences == 1)
        #expect(c.fixes == 2)
        #expect(c.statuses == 2)
        #expect(c.duplicates == ["seis-7": 1])
        // 104 after 102: 1; 65535 after 104: 65430; 0 after 65535: 0; 102 after 0: 101.
        #expect(c.lost == ["seis-7": 65532])
        #expect(c.unknownSensorSentences == ["ghost-3": 1])

        let store = try Store(path: db.path, create: false)
        let events = try store.events()
        let t0 = UTCTime.parse("2026-06-05T03:12:00Z")!
        // A sentence split over two reads has the time of the read with its line feed.
        #expect(events[0].ts == t0 + 1_001_000_000)
        // Before any GPS fix: the site; after: the fix (45°00.0000'N 73°07.0000'W).
        #expect(events[0].position == Position(lat: 44.9925, lon: -73.1098))
        let fixed = try #require(events.first { $0.ts == t0 + 2_000_000_000 })
        #expect(abs(fixed.position!.lat - 45.0) < 1e-9)
        #expect(abs(fixed.position!.lon - (-73.0 - 7.0 / 60)) < 1e-9)
        let ghost = try #require(events.first { $0.sensor == "ghost-3" })
        #expect(ghost.kind == .unknown)
        #expect(ghost.zone == nil)
        let capture = try #require(events.first { $0.sensor == "cam-1" })
        #expect(capture.imageRef == "img-0007.jpg")
        #expect(capture.tags == ["model": "bushnell"])
        // seq 102 again 63 s after it was accepted is no longer a duplicate.
        #expect(events.last?.ts == t0 + 70_000_000_000)

        let health = Dictionary(uniqueKeysWithValues: try store.sensors().map { ($0.sensor, $0) })
        let seis = try #require(health["seis-7"])
        #expect(seis.batteryMv == 3890)
        #expect(seis.tempC == -4.0)
        #expect(seis.tamper == true)
        #expect(seis.lastHeartbeatTs == t0 + 11_000_000_000)
        #expect(health["ghost-3"]?.kind == .unknown)
        let fix = try #require(try store.boxFix())
        #expect(abs(fix.position.lat - 45.01) < 1e-9)
    }

    /// The same recording and configuration give byte-identical output, ids
    /// included, in a fresh database; replayed again into the same database
    /// nothing is stored twice and no counter doubles.
    @Test(arguments: names)
    func replayIsDeterministicAndIdempotent(name: String) async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = Support.recordings.appendingPathComponent("\(name).jsonl")
        let config = Support.recordings.appendingPathComponent("\(name).yaml")
        let a = dir.appendingPathComponent("a.db")
        let b = dir.appendingPathComponent("b.db")
        _ = try await Support.replay(recording, config: config, into: a)
        _ = try await Support.replay(recording, config: config, into: b)
        let first = try Support.jsonLines(a)
        let second = try Support.jsonLines(b)
        #expect(first.events == second.events)
        #expect(first.alerts == second.alerts)
        #expect(first.sensors == second.sensors)
        _ = try await Support.replay(recording, config: config, into: a)
        let again = try Support.jsonLines(a)
        #expect(again.events == first.events)
        #expect(again.alerts == first.alerts)
        #expect(again.sensors == first.sensors)
    }

    /// A recording with a bad line leaves the database as it was.
    @Test func badRecordingStoresNothing() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try String(
            contentsOf: Support.recordings.appendingPathComponent("trail-crossing.jsonl"), encoding: .utf8)
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[20] = "{\"t\": 1, \"gpio\": {\"chip\": \"gpiochip0\", \"line\": 17, \"edge\": \"rising\"}}"
        let bad = dir.appendingPathComponent("bad.jsonl")
        try lines.joined(separator: "\n").write(to: bad, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("replay.db")
        await #expect(throws: (any Error).self) {
            _ = try await Support.replay(
                bad, config: Support.recordings.appendingPathComponent("trail-crossing.yaml"), into: db)
        }
        let store = try Store(path: db.path, create: false)
        #expect(try store.count("events") == 0)
        #expect(try store.count("alerts") == 0)
    }
}
