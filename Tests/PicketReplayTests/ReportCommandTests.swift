import Foundation
import Glibc
import PicketConfig
import PicketCore
import PicketDaemon
import PicketStore
import PicketTestSupport
import Testing

/// `picket report` as a hotline operator uses it: the real binary, alone and
/// beside a running `picket run` on the same database, and the pipeline
/// that takes reports into its rules.
@Suite struct ReportCommandTests {
    static let s: Int64 = 1_000_000_000
    static let t0: Int64 = 1_780_629_120 * s

    /// The environment of a child `picket` with no configuration on this
    /// machine (`$CONFIGURATION_DIRECTORY` points at an empty folder), so a
    /// test never depends on /etc/picket.
    static func environment(_ dir: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["CONFIGURATION_DIRECTORY"] = dir.appendingPathComponent("no-config").path
        return env
    }

    /// A small box: one zone, one PIR, one radio seismic sensor, and a
    /// sequence rule each way between seis-7 and the hotline's reports.
    static let yaml = """
        box: rep-01
        sector: test
        site: {lat: 44.99, lon: -73.11}
        gpio:
          - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: north-fork, debounce_ms: 30, holdoff_ms: 5000}
        serial:
          - {port: /dev/ttyUSB0, baud: 9600}
        sensors:
          - {id: seis-7, kind: seismic, zone: north-fork, holdoff_ms: 10000}
        rules:
          - {name: reported-then-seismic, sequence: [report, seis-7], within_s: 600, severity: high}
          - {name: seismic-then-reported, sequence: [seis-7, report], within_s: 600, severity: medium,
             direction: inbound}

        """

    static func writeConfiguration(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("picket.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The id `picket report` printed: `stored report <id> at <ts>, ...`.
    static func printedID(_ out: String) -> String? {
        let words = out.split(separator: " ")
        guard words.count > 2, words[0] == "stored", words[1] == "report" else { return nil }
        return String(words[2])
    }

    @Test func reportIsStoredAsAnEventWithSourceReport() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("new/x.db").path
        let report = try await Support.picket(
            ["report", "--zone", "north-fork", "--class", "FOOT", "--note", "two people at the gate", "--db", db],
            environment: Self.environment(dir))
        #expect(report.status == 0, "\(report.err)")
        let id = try #require(Self.printedID(report.out), "\(report.out)")
        // No configuration and a new database: the host name stands in for the box, and no daemon runs.
        #expect(report.err.contains("nothing in \(db) says which box this is"))
        #expect(report.err.contains("no picket run is writing to \(db)"))

        let events = try await Support.picket(
            ["events", "--db", db, "--json"], environment: Self.environment(dir))
        #expect(events.status == 0, "\(events.err)")
        let lines = events.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 1)
        let event = try Support.object(try #require(lines.first))
        #expect(event["id"] as? String == id)
        #expect(event["source"] as? String == "report")
        #expect(event["sensor"] as? String == "report")
        #expect(event["kind"] as? String == "unknown")
        #expect(event["state"] as? String == "active")
        #expect(event["zone"] as? String == "north-fork")
        #expect(event["class"] as? String == "FOOT")
        #expect(event["note"] as? String == "two people at the gate")
        #expect(event["episode"] as? String == id)
        #expect(event["sector"] as? String == "unknown")
        #expect(report.out.contains("at \(event["ts"] as? String ?? "?")"))
        let table = try await Support.picket(["events", "--db", db], environment: Self.environment(dir))
        #expect(table.out.contains(" report "))

        // With a configuration: its box and site, and the report waits in the inbox, untaken.
        let config = try Self.writeConfiguration(in: dir)
        let second = try await Support.picket(
            ["report", "--zone", "north-fork", "--config", config, "--db", db], environment: Self.environment(dir))
        #expect(second.status == 0, "\(second.err)")
        let store = try Store(path: db, create: false, readOnly: true)
        let stored = try store.events(sensor: "report")
        #expect(stored.count == 2)
        #expect(stored.last?.box == "rep-01")
        #expect(stored.last?.sector == "test")
        #expect(stored.last?.position == Position(lat: 44.99, lon: -73.11))
        #expect(stored.last?.detectionClass == nil)
        #expect(stored.last?.note == nil)
        #expect(try store.reports().map(\.id) == stored.map(\.id))
        #expect(try store.reports().allSatisfy { $0.takenTs == nil })
    }

    @Test func badArgumentsExit64AndAMissingConfigurationExits66() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.db").path
        let env = Self.environment(dir)
        let badClass = try await Support.picket(
            ["report", "--zone", "north-fork", "--class", "BEAR", "--db", db], environment: env)
        #expect(badClass.status == 64)
        #expect(badClass.err.contains("--class must be one of FOOT, VEH, ANIM, UNK, not 'BEAR'"))
        #expect(try await Support.picket(["report", "--db", db], environment: env).status == 64)
        #expect(try await Support.picket(["report", "--zone", " ", "--db", db], environment: env).status == 64)
        let config = try Self.writeConfiguration(in: dir)
        let badZone = try await Support.picket(
            ["report", "--zone", "north-frok", "--config", config, "--db", db], environment: env)
        #expect(badZone.status == 64)
        #expect(
            badZone.err.contains("--zone: no sensor in \(config) is in zone north-frok (configured zones: north-fork)"))
        let missing = try await Support.picket(
            ["report", "--zone", "north-fork", "--config", dir.appendingPathComponent("none.yaml").path, "--db", db],
            environment: env)
        #expect(missing.status == 66)
        // Lower case is accepted and stored as the wire spelling.
        let lower = try await Support.picket(
            ["report", "--zone", "north-fork", "--class", "veh", "--db", db], environment: env)
        #expect(lower.status == 0, "\(lower.err)")
        #expect(try Store(path: db, create: false).events().map(\.detectionClass) == ["VEH"])
    }

    /// Another process holds the write lock for longer than the busy
    /// timeout: exit 74, naming the file, and nothing stored.
    @Test func databaseLockedPastTheBusyTimeoutExits74() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.db").path
        let env = Self.environment(dir)
        #expect(
            try await Support.picket(["report", "--zone", "north-fork", "--db", db], environment: env).status == 0
        )
        let holder = try SQLiteDatabase(path: db)
        try holder.execute("BEGIN IMMEDIATE")
        let locked = try await Support.picket(["report", "--zone", "north-fork", "--db", db], environment: env)
        try holder.execute("ROLLBACK")
        #expect(locked.status == 74)
        #expect(locked.err.contains("\(db): the database stayed locked for more than 5 s"))
        #expect(locked.err.contains("NOT stored"))
        #expect(try Store(path: db, create: false).reports().count == 1)
    }

    /// The live pipeline, driven directly: a report stored by the command's
    /// code is handed to the processor once, takes part in a sequence rule
    /// in time order, and is marked taken in the commit that stores the
    /// alert; its event row stays one row.
    @Test func pipelineTakesReportsIntoItsRules() throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.db").path
        let configuration = try ConfigLoader.parse(yaml: Self.yaml, file: "test.yaml")
        let store = try Store(path: db)
        func pipeline(_ runID: String, mode: Pipeline.Mode = .live(.init())) throws -> Pipeline {
            try store.beginRun(
                id: runID, mode: "live", startedTs: Self.t0, input: nil, sensors: configuration.allSensors)
            return Pipeline(
                configuration: configuration,
                hub: InputHub(lines: configuration.gpio.count, ports: configuration.serial.count), store: store,
                runID: runID, logger: Support.logger, mode: mode)
        }
        let live = try pipeline("live:1")
        let report = Report.event(
            box: "rep-01", sector: "test", zone: "north-fork", detectionClass: .foot, note: "at the gate",
            ts: Self.t0 + 1 * Self.s, position: nil)
        #expect(try store.storeReport(report))
        #expect(try !store.storeReport(report))

        #expect(try live.takeReports() == 1)
        live.advance(to: Self.t0)
        try live.collect(now: Self.t0, force: true)
        // Still in the reorder stage: handed over, not taken, not handed again.
        #expect(try store.reports().first?.takenTs == nil)
        #expect(try live.takeReports() == 0)

        let detection = nmeaSentence("PGSD,seis-7,1,FOOT,40")
        detection.withUnsafeBytes { bytes in
            RawInput.serial(port: 0, t: Self.t0 + 5 * Self.s, bytes: bytes) { live.process($0) }
        }
        live.advance(to: Self.t0 + 10 * Self.s)
        try live.collect(now: Self.t0 + 10 * Self.s, force: true)

        let alerts = try store.alerts().map(\.alert)
        #expect(alerts.map(\.rule) == ["reported-then-seismic"])
        #expect(alerts.first?.events.first == report.id)
        let taken = try #require(try store.reports().first)
        #expect(taken.takenTs == Self.t0 + 10 * Self.s)
        #expect(taken.takenRun == "live:1")
        #expect(try store.events(sensor: "report") == [report])
        #expect(try store.counters(run: "live:1")["reports"] == 1)
        try live.finish(now: Self.t0 + 11 * Self.s)

        // The next start does not take it again; a replay takes none at all.
        #expect(try pipeline("live:2").takeReports() == 0)
        try store.storeReport(
            Report.event(
                box: "rep-01", sector: "test", zone: "north-fork", detectionClass: nil, note: nil,
                ts: Self.t0 + 20 * Self.s, position: nil))
        let replay = try pipeline("replay:1", mode: .replay)
        #expect(try replay.takeReports() == 0)
        #expect(try pipeline("live:3").takeReports() == 1)
    }

    /// `picket run --simulate` with sequence rules naming `report`: a report
    /// entered before it started is taken at its start; one entered after a
    /// seis-7 episode fires `[seis-7, report]` within a second or so.
    @Test func runningDaemonTakesReportsAndASequenceWithReportFires() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.db").path
        let config = try Self.writeConfiguration(in: dir)
        let env = Self.environment(dir)
        let early = try await Support.picket(
            ["report", "--zone", "north-fork", "--config", config, "--db", db], environment: env)
        #expect(early.status == 0, "\(early.err)")
        #expect(early.err.contains("no picket run is writing"))
        let earlyID = try #require(Self.printedID(early.out), "\(early.out)")

        let child = try ChildProcess(
            Support.binary,
            ["run", "--simulate", "--config", config, "--db", db], log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("picket running")
        try await eventually("the early report taken", timeout: .seconds(30)) {
            try Store(path: db, create: false, readOnly: true).reports().first?.takenTs != nil
        }
        try await eventually("a seis-7 episode", timeout: .seconds(60)) {
            !(try Store(path: db, create: false, readOnly: true).events(sensor: "seis-7").isEmpty)
        }
        let report = try await Support.picket(
            [
                "report", "--zone", "north-fork", "--class", "FOOT", "--note", "two people at the gate", "--config",
                config,
                "--db", db,
            ],
            environment: env)
        #expect(report.status == 0, "\(report.err)")
        #expect(!report.err.contains("no picket run is writing"), "\(report.err)")
        let id = try #require(Self.printedID(report.out), "\(report.out)")
        try await eventually("the sequence [seis-7, report] fired", timeout: .seconds(30)) {
            try Store(path: db, create: false, readOnly: true).alerts().contains {
                $0.alert.rule == "seismic-then-reported" && $0.alert.events.last == id
            }
        }
        #expect(try await child.stop() == 0, "\(child.stderr)")
        #expect(child.stderr.contains("hotline report taken"))

        let store = try Store(path: db, create: false)
        let alert = try #require(try store.alerts().first { $0.alert.rule == "seismic-then-reported" }?.alert)
        #expect(alert.direction == "inbound")
        // The early report, taken at the start, came before the first seis-7 episode: [report, seis-7] fired too.
        #expect(
            try store.alerts().contains { $0.alert.rule == "reported-then-seismic" && $0.alert.events.first == earlyID }
        )
        #expect(alert.zone == "north-fork")
        #expect(try store.reports().allSatisfy { $0.takenTs != nil && $0.takenRun?.hasPrefix("live:") == true })
        #expect(try store.events(sensor: "report").count == 2)
    }

    /// Twenty operators at once while the daemon writes: every report is
    /// stored once and taken once, and the daemon still stops cleanly.
    @Test func concurrentReportsBesideARunningDaemon() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.db").path
        let child = try ChildProcess(
            Support.binary,
            ["run", "--simulate", "--db", db], log: dir.appendingPathComponent("run.log"))
        try await child.waitForLog("picket running")

        let count = 20
        let results = try await withThrowingTaskGroup(of: ProcessOutput.self) { group in
            for i in 0..<count {
                group.addTask {
                    try await Support.picket(
                        [
                            "report", "--zone", i.isMultiple(of: 2) ? "north-fork" : "river-ford", "--class", "UNK",
                            "--note", "caller \(i)", "--db", db,
                        ], environment: Self.environment(dir))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == count)
        for result in results { #expect(result.status == 0, "\(result.err)") }
        try await eventually("all \(count) reports taken", timeout: .seconds(30)) {
            try Store(path: db, create: false, readOnly: true).reports().filter { $0.takenTs != nil }.count == count
        }
        #expect(try await child.stop() == 0, "\(child.stderr)")

        let store = try Store(path: db, create: false)
        let events = try store.events(sensor: "report")
        #expect(events.count == count)
        #expect(Set(events.map(\.id)).count == count)
        #expect(Set(events.compactMap(\.note)) == Set((0..<count).map { "caller \($0)" }))
        // No configuration: the box the running daemon recorded.
        #expect(events.allSatisfy { $0.box == "sim-01" && $0.sector == "simulated" })
        let inbox = try store.reports()
        #expect(inbox.count == count)
        #expect(inbox.allSatisfy { $0.takenTs != nil })
    }
}
