import Foundation
import PicketConfig
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

/// `storage.retain_days` end to end, with the real binary: a recording made
/// 200 days ago is replayed (a replay keeps its old events), then
/// `picket run` with `retain_days: 90` prunes them and the file shrinks.
@Suite struct RetentionRunTests {
    static let day: Int64 = 86_400_000_000_000

    /// The simulated field kit without rules, metrics off, 90 days kept.
    static func configuration(in dir: URL) throws -> String {
        let kit = DefaultConfiguration.yaml
        let withoutRules = String(kit[..<kit.range(of: "\nrules:")!.lowerBound])
        let path = dir.appendingPathComponent("retention.yaml").path
        try (withoutRules + "\nstorage: {retain_days: 90}\nmetrics: {listen: \"off\"}\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `count` radio detections of seis-7, one a second, starting `startedUTC`.
    static func recording(startedUTC: Int64, count: Int, in dir: URL) throws -> String {
        var lines = [
            #"{"picket_recording": 1, "started_utc": "\#(UTCTime.format(startedUTC))", "box": "sim-01"}"#
        ]
        for i in 1...count {
            let text = String(decoding: nmeaSentence("PGSD,seis-7,\(i),FOOT,\(i % 100)"), as: UTF8.self)
            let line: [String: Any] = [
                "t": Int64(i) * 1_000_000_000, "serial": ["port": "/dev/ttyUSB0", "text": text],
            ]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: line), as: UTF8.self))
        }
        let path = dir.appendingPathComponent("old.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func fileSize(_ path: String) -> Int64 {
        let size = { (p: String) in
            ((try? FileManager.default.attributesOfItem(atPath: p)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        return size(path) + size(path + "-wal")
    }

    @Test func runPrunesAnOldReplayAndTheFileShrinks() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Self.configuration(in: dir)
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let recording = try Self.recording(startedUTC: now - 200 * Self.day, count: 20_000, in: dir)
        let db = dir.appendingPathComponent("old.db").path

        let replay = try await Support.picket(["replay", recording, "--config", config, "--db", db])
        #expect(replay.status == 0, "\(replay.err)")
        // A replay prunes nothing: the recording's old events are all there.
        let replayed = try Store(path: db, create: false).count("events")
        #expect(replayed == 20_000)
        let sizeAfterReplay = Self.fileSize(db)

        let child = try ChildProcess(
            Support.binary, ["run", "--simulate", "--config", config, "--db", db],
            log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("pruned old rows")
        try await Task.sleep(for: .seconds(2))
        #expect(try await child.stop() == 0, "\(child.stderr)")
        #expect(child.stderr.contains("events=20000"), "\(child.stderr)")

        let cutoff = now - 90 * Self.day
        let events = try await Support.picket(["events", "--db", db, "--json"])
        #expect(events.status == 0, "\(events.err)")
        let times = try events.out.split(separator: "\n").map { try Support.object(String($0))["ts_ns"] as? Int }
        #expect(times.allSatisfy { Int64($0 ?? 0) >= cutoff }, "events older than 90 days remain")
        #expect(try Store(path: db, create: false).events().allSatisfy { $0.ts >= cutoff })
        let sizeAfterRun = Self.fileSize(db)
        #expect(sizeAfterRun < sizeAfterReplay / 2, "\(sizeAfterReplay) -> \(sizeAfterRun) bytes")
    }
}
