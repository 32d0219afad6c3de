import Foundation
import PicketTestSupport
import Testing

/// The command line as a technician meets it: the real `picket` binary,
/// its exit codes (sysexits) and messages that name file, line and key.
@Suite struct CLITests {
    let recording = Support.recordings.appendingPathComponent("trail-crossing.jsonl").path
    let config = Support.recordings.appendingPathComponent("trail-crossing.yaml").path

    @Test func replayPrintsSummaryAndJSONQueriesWork() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.db").path
        let replay = try await Support.picket(["replay", recording, "--config", config, "--db", db])
        #expect(replay.status == 0, "\(replay.err)")
        #expect(replay.out.contains("events     16 in 9 episodes; glitches 1"))
        #expect(replay.out.contains("alerts     6 (crossing 2, detection 3, northbound 1)"))
        #expect(replay.out.contains("inputs/s"))

        let events = try await Support.picket(["events", "--db", db, "--json"])
        #expect(events.status == 0)
        let lines = events.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 16)
        let first = try Support.object(lines[0])
        #expect(first["ts"] as? String == "2026-06-05T03:12:01.520000000Z")
        #expect((first["ts_ns"] as? NSNumber)?.int64Value == 1_780_629_121_520_000_000)
        #expect(first["sensor"] as? String == "pir-1")
        #expect(first["source"] as? String == "gpio")
        #expect(first["lat"] as? Double == 44.9931)
        for key in [
            "id", "box", "sector", "sensor", "kind", "zone", "source", "state", "ts", "episode", "class",
            "strength", "image_ref", "lat", "lon", "tags",
        ] {
            #expect(first.keys.contains(key), "event JSON lacks \(key)")
        }

        let bySensor = try await Support.picket(["events", "--db", db, "--json", "--sensor", "seis-7"])
        #expect(bySensor.out.split(separator: "\n").count == 3)
        let since = try await Support.picket(["events", "--db", db, "--json", "--since", "2026-06-05T03:13:00Z"])
        #expect(since.out.split(separator: "\n").count == 2)

        let alerts = try await Support.picket(["alerts", "--db", db, "--json"])
        let alertLines = alerts.out.split(separator: "\n").map(String.init)
        #expect(alertLines.count == 6)
        // A replay forwards nothing: its alerts are never sent, not waiting.
        for line in alertLines { #expect(try Support.object(line)["delivery"] as? String == "not_forwarded") }
        let pending = try await Support.picket(["alerts", "--db", db, "--json", "--pending"])
        #expect(pending.status == 0 && pending.out.isEmpty, "\(pending.out)")
        let crossing = try Support.object(alertLines[1])
        #expect(crossing["rule"] as? String == "crossing")
        #expect((crossing["events"] as? [String])?.count == 2)
        #expect(crossing["first_ts"] as? String == "2026-06-05T03:12:01.520000000Z")
        #expect(crossing["direction"] is NSNull)
        // The position both as events carry it and as the object section 5 names.
        let position = try #require(crossing["position"] as? [String: Double])
        #expect(position["lat"] == crossing["lat"] as? Double)
        #expect(position["lon"] == crossing["lon"] as? Double)
        #expect(position["lat"] != nil)
        #expect(try await Support.picket(["alerts", "--db", db, "--dead", "--json"]).out.isEmpty)

        let sensors = try await Support.picket(["sensors", "--db", db, "--json"])
        let seis = try sensors.out.split(separator: "\n").map { try Support.object(String($0)) }
            .first { $0["sensor"] as? String == "seis-7" }
        #expect(seis?["duplicates"] as? Int == 1)
        #expect(seis?["lost"] as? Int == 1)
        #expect(seis?["last_event_ts"] as? String == "2026-06-05T03:13:10.000000000Z")

        let table = try await Support.picket(["events", "--db", db])
        #expect(table.out.hasPrefix("TS "))
    }

    @Test func badRecordingLineExits65NamingFileAndLine() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.jsonl")
        try """
        {"picket_recording": 1, "started_utc": "2026-06-05T03:12:00.000Z", "box": "swanton-07"}
        {"t": 1000, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising"}}
        {"t": 2000, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "falling"
        {"t": 500, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising"}}
        {"gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising"}}
        {"t": 3000, "gpio": {"chip": "gpiochip9", "line": 4, "edge": "rising"}}
        {"t": 3000, "serial": {"port": "/dev/ttyS9", "text": "x"}}
        {"t": 9000000000000000000, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising"}}

        """.write(to: bad, atomically: true, encoding: .utf8)
        let result = try await Support.picket([
            "replay", bad.path, "--config", config, "--db", dir.appendingPathComponent("x.db").path,
        ])
        #expect(result.status == 65)
        #expect(result.err.contains("\(bad.path):3: not valid JSON"))
        #expect(result.err.contains("\(bad.path):4: \"t\" goes back in time: 500 after 1000"))
        #expect(result.err.contains("\(bad.path):5: missing \"t\""))
        #expect(result.err.contains("\(bad.path):6: GPIO gpiochip9 line 4 is not in the configuration"))
        #expect(result.err.contains("\(bad.path):7: serial port /dev/ttyS9 is not in the configuration"))
        #expect(result.err.contains("\(bad.path):8: \"t\" is too large"))
    }

    @Test func missingInputsExit66() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = try await Support.picket([
            "replay", "/nonexistent/rec.jsonl", "--config", config, "--db", dir.appendingPathComponent("x.db").path,
        ])
        #expect(missing.status == 66)
        #expect(missing.err.contains("/nonexistent/rec.jsonl"))
        let noDB = try await Support.picket(["events", "--db", dir.appendingPathComponent("none.db").path])
        #expect(noDB.status == 66)
        let noConfig = try await Support.picket(["check-config", "/nonexistent/picket.yaml"])
        #expect(noConfig.status == 66)
    }

    @Test func badConfigKeyExits78NamingFileLineAndKey() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("picket.yaml")
        try """
        box: swanton-07
        sector: swanton
        gpio:
          - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, debounce_ms: -5}
          - {chip: gpiochip0, line: 18, sensor: pir-2, kind: pir, debounce: 30}

        """.write(to: path, atomically: true, encoding: .utf8)
        let result = try await Support.picket(["check-config", path.path])
        #expect(result.status == 78)
        #expect(result.err.contains("\(path.path):4: gpio[0].debounce_ms: must be a whole number of milliseconds >= 0"))
        #expect(result.err.contains("\(path.path):5:"))
        #expect(result.err.contains("gpio[1].debounce"))
        let replay = try await Support.picket([
            "replay", recording, "--config", path.path, "--db", dir.appendingPathComponent("x.db").path,
        ])
        #expect(replay.status == 78)
        let good = try await Support.picket(["check-config", config])
        #expect(good.status == 0)
    }

    @Test func usageErrorsExit64() async throws {
        #expect(try await Support.picket(["events", "--bogus"]).status == 64)
        #expect(try await Support.picket(["replay"]).status == 64)
        #expect(try await Support.picket(["events", "--since", "yesterday-ish", "--db", "/tmp/none.db"]).status == 64)
    }

    /// `picket run --simulate` stores events and shuts down cleanly on
    /// SIGTERM; what it recorded (`--record`) replays to the very same events
    /// and alerts, ids included.
    @Test func simulatedRunStopsCleanlyOnSIGTERMAndItsRecordingReplaysIdentically() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("sim.db").path
        let recording = dir.appendingPathComponent("sim.jsonl").path
        let process = Process()
        process.executableURL = Support.binary
        process.arguments = ["run", "--simulate", "--db", db, "--record", recording]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try await Task.sleep(for: .seconds(9))
        process.terminate()
        try await offThePool { process.waitUntilExit() }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let events = try await Support.picket(["events", "--db", db, "--json"])
        #expect(events.status == 0)
        #expect(events.out.split(separator: "\n").count > 0)
        let sensors = try await Support.picket(["sensors", "--db", db, "--json"])
        #expect(sensors.out.contains("\"sensor\":\"seis-7\""))

        let replayed = dir.appendingPathComponent("replayed.db").path
        let replay = try await Support.picket(["replay", recording, "--db", replayed])
        #expect(replay.status == 0, "\(replay.err)")
        for query in ["events", "alerts"] {
            let live = try await Support.picket([query, "--db", db, "--json"]).out
            let again = try await Support.picket([query, "--db", replayed, "--json"]).out
            #expect(
                Support.withoutLiveMarks(live) == again, "\(query) of the live run and of its replay differ")
        }
    }

    /// Database paths that once crashed or silently kept nothing, and
    /// `--since` bounds past what nanoseconds hold.
    @Test func oddDatabasePathsAndSinceBounds() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = Support.recordings.appendingPathComponent("trail-crossing.jsonl").path
        let config = Support.recordings.appendingPathComponent("trail-crossing.yaml").path

        // A one-character relative path trapped in NSString.deletingLastPathComponent.
        let short = try await Support.picket(["replay", recording, "--config", config, "--db", "x"], in: dir)
        #expect(short.status == 0, "\(short.err)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x").path))
        let events = try await Support.picket(["events", "--db", "x", "--json"], in: dir)
        let all = events.out.split(separator: "\n")
        #expect(!all.isEmpty)

        // An empty path or :memory: would keep nothing: usage errors.
        for db in ["", " ", ":memory:"] {
            for arguments in [
                ["replay", recording, "--config", config, "--db", db], ["report", "--zone", "z", "--db", db],
                ["run", "--simulate", "--db", db], ["events", "--db", db],
            ] {
                let result = try await Support.picket(arguments, in: dir)
                #expect(result.status == 64, "\(arguments): \(result.err)")
                #expect(result.err.contains("--db"), "\(result.err)")
            }
        }

        // Bounds beyond 1677...2262 mean "from the beginning" and "nothing yet".
        for (since, count) in [
            ("99999999999d", all.count), ("9223372037s", all.count), ("0001-01-01T00:00:00Z", all.count),
            ("9999-12-31T23:59:59Z", 0),
        ] {
            let result = try await Support.picket(["events", "--db", "x", "--json", "--since", since], in: dir)
            #expect(result.status == 0, "--since \(since): \(result.err)")
            #expect(result.out.split(separator: "\n").count == count, "--since \(since)")
        }
    }

    /// SIGTERM stops `picket run` cleanly (exit 0) at any moment once the
    /// process runs: while it is still starting (a slow start made by a test
    /// hook), and right after it says it runs, before its services are up;
    /// the signal handlers of the service group came too late for both.
    @Test func sigtermWhileStartingStopsCleanly() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var environment = ProcessInfo.processInfo.environment
        environment["PICKET_TEST_SLOW_START_MS"] = "3000"
        let slow = try ChildProcess(
            Support.binary, ["run", "--simulate", "--db", dir.appendingPathComponent("slow.db").path],
            log: dir.appendingPathComponent("slow.log"), environment: environment)
        try await slow.waitForLog("slow start")
        #expect(try await slow.stop() == 0, "\(slow.stderr)")
        #expect(slow.process.terminationReason == .exit)
        #expect(slow.stderr.contains("stopping"), "\(slow.stderr)")

        for run in 0..<3 {
            let child = try ChildProcess(
                Support.binary, ["run", "--simulate", "--db", dir.appendingPathComponent("quick.db").path],
                log: dir.appendingPathComponent("quick-\(run).log"))
            try await child.waitForLog("picket running")
            #expect(try await child.stop() == 0, "\(child.stderr)")
            #expect(child.process.terminationReason == .exit)
            #expect(child.stderr.contains("picket stopped"), "\(child.stderr)")
        }
    }

    /// `picket record` writes a valid recording and stops after --duration.
    @Test func recordSimulatedForADuration() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("rec.jsonl").path
        let record = try await Support.picket(["record", "--simulate", "--out", out, "--duration", "4"])
        #expect(record.status == 0, "\(record.err)")
        #expect(record.out.hasPrefix("recorded "))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 3)
        let header = try Support.object(String(lines[0]))
        #expect(header["picket_recording"] as? Int == 1)
        #expect(header["box"] as? String == "sim-01")
        let replay = try await Support.picket(["replay", out, "--db", dir.appendingPathComponent("r.db").path])
        #expect(replay.status == 0, "\(replay.err)")
        #expect(try await Support.picket(["record", "--simulate", "--out", out, "--duration", "-1"]).status == 64)
    }
}
