import Foundation
import PicketStore
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--db` naming something SQLite cannot use: a directory, a file the user
/// may not read or write, a read-only mount. The real binary must say what is
/// wrong with which path ("is a directory", "permission denied", "read-only")
/// with a sysexits code, never "SQLite error 14"; and the query commands must
/// read a database they cannot write (a technician's copy of an SD card).
@Suite struct DatabasePathTests {
    /// Root reads and writes any file whatever its mode: the permission cases
    /// run the binary as `nobody` through setpriv when the tests run as root.
    static func asUser(_ arguments: [String]) async throws -> ProcessOutput {
        guard getuid() == 0 else { return try await Support.picket(arguments) }
        return try await runProcess(
            URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=65534", "--regid=65534", "--clear-groups", Support.binary.path] + arguments)
    }

    static let canSwitchUser: Bool =
        getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    /// Whether this machine lets the tests mount a tmpfs (root, not in a locked-down container).
    static let canMount: Bool = {
        guard getuid() == 0, let dir = try? temporaryDirectory("picket-mount") else { return false }
        defer { try? FileManager.default.removeItem(at: dir) }
        guard shell("mount -t tmpfs -o size=1m tmpfs '\(dir.path)'") else { return false }
        return shell("umount '\(dir.path)'")
    }()

    @discardableResult
    static func shell(_ command: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// A folder anyone may enter, holding a database with events and alerts.
    static func seeded() throws -> (dir: URL, db: String) {
        let dir = try Support.temporaryDirectory()
        chmod(dir.path, 0o755)
        let db = dir.appendingPathComponent("picket.db").path
        try QueryCommandTests.seed(db)
        return (dir, db)
    }

    static func expectNoSQLiteJargon(_ text: String) {
        #expect(!text.contains("SQLite error"), "\(text)")
        #expect(!text.contains("SELECT") && !text.contains("PRAGMA"), "\(text)")
    }

    @Test("--db naming a directory: 'is a directory', exit 66, for readers and writers alike")
    func directory() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for arguments in [
            ["events"], ["alerts"], ["sensors"], ["alerts", "--retry", "x"], ["report", "--zone", "north"],
            [
                "replay", Support.recordings.appendingPathComponent("trail-crossing.jsonl").path, "--config",
                Support.recordings.appendingPathComponent("trail-crossing.yaml").path,
            ],
        ] {
            let result = try await Support.picket(arguments + ["--db", dir.path])
            #expect(result.status == 66, "\(arguments): \(result.err)")
            #expect(result.err.contains("\(dir.path): is a directory"), "\(arguments): \(result.err)")
            Self.expectNoSQLiteJargon(result.err)
        }
    }

    @Test(
        "a mode-000 database: 'permission denied', exit 66",
        .enabled(if: canSwitchUser, "needs setpriv to drop root, which reads any file"))
    func unreadable() async throws {
        let (dir, db) = try Self.seeded()
        defer { try? FileManager.default.removeItem(at: dir) }
        chmod(db, 0)
        for command in ["events", "alerts", "sensors"] {
            let result = try await Self.asUser([command, "--db", db])
            #expect(result.status == 66, "\(command): \(result.err)")
            #expect(result.err.contains("\(db): permission denied"), "\(command): \(result.err)")
            Self.expectNoSQLiteJargon(result.err)
        }
    }

    @Test(
        "another user's read-only database: events, alerts, sensors read it; writing says 'read-only', exit 74",
        .enabled(if: canSwitchUser, "needs setpriv to drop root, which writes any file"))
    func readOnlyFile() async throws {
        let (dir, db) = try Self.seeded()
        defer { try? FileManager.default.removeItem(at: dir) }
        chmod(db, 0o444)
        try await Self.expectReadable(db, run: Self.asUser)
        for arguments in [["alerts", "--retry", "alert-1"], ["report", "--zone", "north"]] {
            let result = try await Self.asUser(arguments + ["--db", db])
            #expect(result.status == 74, "\(arguments): \(result.err)")
            #expect(result.err.contains("\(db): read-only"), "\(arguments): \(result.err)")
            Self.expectNoSQLiteJargon(result.err)
        }
    }

    @Test(
        "a database on a read-only mount (a copied SD card): readable without its -wal; writing says 'read-only'",
        .enabled(if: canMount, "needs root allowed to mount a tmpfs"))
    func readOnlyMount() async throws {
        let outer = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outer) }
        let mount = outer.appendingPathComponent("sd")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        #expect(Self.shell("mount -t tmpfs -o size=8m tmpfs '\(mount.path)'"))
        defer { Self.shell("umount '\(mount.path)'") }
        let db = mount.appendingPathComponent("picket.db").path
        try QueryCommandTests.seed(db)
        #expect(Self.shell("mount -o remount,ro '\(mount.path)'"))
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))

        try await Self.expectReadable(db, run: { try await Support.picket($0) })
        let recording = Support.recordings.appendingPathComponent("trail-crossing.jsonl").path
        let config = Support.recordings.appendingPathComponent("trail-crossing.yaml").path
        for arguments in [
            ["alerts", "--retry", "alert-1"], ["report", "--zone", "north"], ["replay", recording, "--config", config],
        ] {
            let result = try await Support.picket(arguments + ["--db", db])
            #expect(result.status == 74, "\(arguments): \(result.err)")
            #expect(result.err.contains("\(db): read-only"), "\(arguments): \(result.err)")
            #expect(result.err.contains("read-only file system"), "\(arguments): \(result.err)")
            Self.expectNoSQLiteJargon(result.err)
        }
        // A new database in the read-only folder.
        let fresh = mount.appendingPathComponent("new.db").path
        let result = try await Support.picket(["report", "--zone", "north", "--db", fresh])
        #expect(result.status == 74, "\(result.err)")
        #expect(result.err.contains("\(fresh): read-only"), "\(result.err)")
    }

    /// `events`, `alerts` and `sensors` print the seeded rows from `db`.
    static func expectReadable(_ db: String, run: ([String]) async throws -> ProcessOutput) async throws {
        let events = try await run(["events", "--db", db, "--json"])
        #expect(events.status == 0, "\(events.err)")
        #expect(try QueryCommandTests.rows(events) == Array(0...9))
        let alerts = try await run(["alerts", "--db", db, "--json"])
        #expect(alerts.status == 0, "\(alerts.err)")
        #expect(try QueryCommandTests.rows(alerts, key: "first_ts") == Array(0...5))
        let text = try await run(["alerts", "--db", db])
        #expect(text.status == 0 && text.out.contains("alert 5"), "\(text.err)")
        let sensors = try await run(["sensors", "--db", db, "--json"])
        #expect(sensors.status == 0, "\(sensors.err)")
        #expect(sensors.err.isEmpty, "\(sensors.err)")
        let sensorsText = try await run(["sensors", "--db", db])
        #expect(sensorsText.status == 0 && sensorsText.out.hasPrefix("SENSOR"), "\(sensorsText.err)")
    }
}
