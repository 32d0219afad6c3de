import Foundation
import PicketTestSupport
import Testing

/// `picket sector subscribers add|list|remove` as a process (the real
/// binary), on SQLite and on PostgreSQL.
@Suite struct SubscriberCLITests {
    /// A sector configuration in a fresh folder: SQLite there, or `url`.
    static func config(url: String? = nil) throws -> (dir: URL, config: String) {
        let dir = try temporaryDirectory("sector-subscribers")
        let config = dir.appendingPathComponent("sector.yaml").path
        let database =
            url.map { "{url: \"\($0)\"}" } ?? "{path: \(dir.appendingPathComponent("sector.db").path)}"
        try """
        sector: test
        database: \(database)
        boxes:
          - {box: ridge-01, secret_file: \(dir.appendingPathComponent("ridge-01.key").path)}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return (dir, config)
    }

    static func picket(_ arguments: [String], config: String) async throws -> ProcessOutput {
        try await runProcess(SectorProcessTests.binary, ["sector", "subscribers"] + arguments + ["--config", config])
    }

    static let north = [
        "add", "--name", "North farm", "--phone", "+18025550100", "--zones", "north-fork, ridge-01:gate",
        "--min-severity", "medium", "--quiet-hours", "22:00-06:30", "--max-per-hour", "4",
    ]

    /// The objects of `list --json`, one a line.
    static func listed(_ config: String) async throws -> [[String: Any]] {
        let list = try await picket(["list", "--json"], config: config)
        #expect(list.status == 0, "\(list.err)")
        return try list.out.split(separator: "\n").map { try jsonObject(String($0)) }
    }

    @Test func addListRemoveOnSQLite() async throws {
        let (dir, config) = try Self.config()
        defer { try? FileManager.default.removeItem(at: dir) }
        let none = try await Self.picket(["list"], config: config)
        #expect(none.status == 0, "\(none.err)")
        #expect(none.out.contains("no subscribers"))
        #expect(try await Self.listed(config).isEmpty)

        let added = try await Self.picket(Self.north, config: config)
        #expect(added.status == 0, "\(added.err)")
        #expect(added.out.contains("North farm"))
        #expect(added.err.isEmpty, "\(added.err)")
        let plain = try await Self.picket(
            ["add", "--name", "Ford", "--phone", "+447700900123", "--zones", "ford"], config: config)
        #expect(plain.status == 0, "\(plain.err)")

        let objects = try await Self.listed(config)
        #expect(objects.map { $0["name"] as? String } == ["Ford", "North farm"])
        let north = try #require(objects.last)
        #expect(
            Set(north.keys)
                == ["name", "phone", "zones", "min_severity", "quiet_hours", "max_per_hour", "opted_out"])
        #expect(north["phone"] as? String == "+18025550100")
        #expect(north["zones"] as? [String] == ["north-fork", "ridge-01:gate"])
        #expect(north["min_severity"] as? String == "medium")
        #expect(north["quiet_hours"] as? String == "22:00-06:30")
        #expect(north["max_per_hour"] as? Int == 4)
        #expect(north["opted_out"] as? Bool == false)
        let ford = try #require(objects.first)
        #expect(ford["min_severity"] as? String == "low")
        #expect(ford["quiet_hours"] is NSNull)
        #expect(ford["max_per_hour"] is NSNull)

        let table = try await Self.picket(["list"], config: config)
        #expect(table.status == 0)
        let lines = table.out.split(separator: "\n")
        #expect(lines.count == 3, "\(table.out)")
        #expect(lines.first?.hasPrefix("NAME") == true)
        #expect(lines.last?.contains("+18025550100") == true)
        #expect(lines.last?.contains("22:00-06:30") == true)

        // A phone already on the list: 65, nothing changed.
        let twice = try await Self.picket(
            ["add", "--name", "Other", "--phone", "+18025550100", "--zones", "south"], config: config)
        #expect(twice.status == 65, "\(twice.err)")
        #expect(twice.err.contains("--phone +18025550100"), "\(twice.err)")
        #expect(twice.err.contains("already"), "\(twice.err)")
        #expect(try await Self.listed(config).count == 2)

        let removed = try await Self.picket(["remove", "+18025550100"], config: config)
        #expect(removed.status == 0, "\(removed.err)")
        #expect(removed.out.contains("North farm"))
        #expect(try await Self.listed(config).map { $0["phone"] as? String } == ["+447700900123"])
        let again = try await Self.picket(["remove", "+18025550100"], config: config)
        #expect(again.status == 65, "\(again.err)")
        #expect(again.err.contains("no subscriber has phone +18025550100"), "\(again.err)")
    }

    /// Each refusal: exit 64 naming the flag, its value and the form expected; nothing stored.
    @Test(arguments: [
        (["--phone", "8025550100"], "--phone 8025550100: must be an E.164 number"),
        (["--phone", "+1 802 555 0100"], "--phone +1 802 555 0100: must be an E.164 number"),
        (["--zones", "north,,south"], "--zones north,,south: must be zone names"),
        (["--zones", "bad box:gate"], "--zones bad box:gate: must be a zone name"),
        (["--zones", ":gate"], "--zones :gate: must be a zone name"),
        (["--min-severity", "urgent"], "--min-severity urgent: must be one of low, medium, high, critical"),
        (["--quiet-hours", "10pm-6am"], "--quiet-hours 10pm-6am: must be \"HH:MM-HH:MM\""),
        (["--quiet-hours", "24:00-06:00"], "--quiet-hours 24:00-06:00: must be \"HH:MM-HH:MM\""),
        (["--max-per-hour", "0"], "--max-per-hour 0: must be a whole number >= 1"),
        (["--max-per-hour", "lots"], "--max-per-hour lots: must be a whole number >= 1"),
        (["--name", " "], "--name  : must be a non-empty name"),
        (["--name", "North\u{202E}farm"], "--name North\\u{202E}farm: must be printable text"),
    ])
    func refusalsExit64(_ change: [String], _ expected: String) async throws {
        let (dir, config) = try Self.config()
        defer { try? FileManager.default.removeItem(at: dir) }
        var arguments = ["add", "--name", "N", "--phone", "+18025550100", "--zones", "north"]
        if let index = arguments.firstIndex(of: change[0]) {
            arguments[index + 1] = change[1]
        } else {
            arguments += change
        }
        let refused = try await Self.picket(arguments, config: config)
        #expect(refused.status == 64, "\(refused.err)")
        #expect(refused.err.contains(expected), "\(refused.err)")
        #expect(try await Self.listed(config).isEmpty)
    }

    @Test func otherRefusals() async throws {
        let (dir, config) = try Self.config()
        defer { try? FileManager.default.removeItem(at: dir) }
        let badPhone = try await Self.picket(["remove", "555"], config: config)
        #expect(badPhone.status == 64, "\(badPhone.err)")
        #expect(badPhone.err.contains("555: must be an E.164 number"), "\(badPhone.err)")
        let missing = try await runProcess(
            SectorProcessTests.binary,
            ["sector", "subscribers", "list", "--config", dir.appendingPathComponent("none.yaml").path])
        #expect(missing.status == 66, "\(missing.err)")
        // The zones flag is required.
        let noZones = try await Self.picket(["add", "--name", "N", "--phone", "+18025550100"], config: config)
        #expect(noZones.status == 64, "\(noZones.err)")
        #expect(noZones.err.contains("--zones"), "\(noZones.err)")
    }

    @Test func aZoneOfAnUnknownBoxIsAWarning() async throws {
        let (dir, config) = try Self.config()
        defer { try? FileManager.default.removeItem(at: dir) }
        let added = try await Self.picket(
            ["add", "--name", "N", "--phone", "+18025550100", "--zones", "ridge-01:gate,ridge-99:gate"],
            config: config)
        #expect(added.status == 0, "\(added.err)")
        #expect(added.err.contains("warning: \(config): zone ridge-99:gate: box ridge-99 is not in"), "\(added.err)")
        #expect(!added.err.contains("ridge-01:gate"), "\(added.err)")
        #expect(try await Self.listed(config).first?["zones"] as? [String] == ["ridge-01:gate", "ridge-99:gate"])
    }

    @Test(.enabled(if: !PostgresTestServer.skipped, "PICKET_SKIP_POSTGRES_TESTS is set"))
    func addListRemoveOnPostgreSQL() async throws {
        let url = try await PostgresTestServer.makeDatabase()
        let (dir, config) = try Self.config(url: url)
        defer { try? FileManager.default.removeItem(at: dir) }
        let added = try await Self.picket(Self.north, config: config)
        #expect(added.status == 0, "\(added.err)")
        let objects = try await Self.listed(config)
        #expect(objects.count == 1)
        #expect(objects.first?["zones"] as? [String] == ["north-fork", "ridge-01:gate"])
        #expect(objects.first?["quiet_hours"] as? String == "22:00-06:30")
        #expect(objects.first?["max_per_hour"] as? Int == 4)
        let rows = try await PostgresTestServer.psql("SELECT phone, name FROM subscribers", url: url)
        #expect(rows.contains("+18025550100"), "\(rows)")
        let twice = try await Self.picket(Self.north, config: config)
        #expect(twice.status == 65, "\(twice.err)")
        #expect(try await Self.picket(["remove", "+18025550100"], config: config).status == 0)
        #expect(try await Self.listed(config).isEmpty)
    }
}
