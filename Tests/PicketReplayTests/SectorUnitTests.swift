import Foundation
import PicketTestSupport
import Testing

/// `systemd/picket-sector.service` as systemd reads it, offline, checked
/// like the box's unit (SystemdUnitTests): `systemd-analyze verify` clean,
/// exposure 2.0 or lower, installed but not enabled by install.sh.
@Suite struct SectorUnitTests {
    static let unit = Support.root.appendingPathComponent("systemd/picket-sector.service")

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitVerifies() async throws {
        let text = try await SystemdUnitTests.verify(
            Self.unit, execStart: "ExecStart=/usr/local/bin/picket sector --config /etc/picket/sector.yaml")
        for line in [
            "Type=notify", "Restart=on-failure", "RestartPreventExitStatus=78", "User=picket-sector",
            "StateDirectory=picket-sector", "ConfigurationDirectory=picket", "PrivateDevices=yes",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n",
        ] {
            #expect(text.contains(line), "the unit lacks \(line)")
        }
        #expect(!text.contains("DeviceAllow="))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitIsSandboxed() async throws {
        let (level, line) = try await SystemdUnitTests.exposure(Self.unit)
        // 1.5 with systemd 252.
        #expect(level <= 2.0, "\(line)")
    }

    /// The example configuration's database is where the unit lets the sector write.
    @Test func theExampleDatabaseIsInTheStateDirectory() throws {
        let example = try String(
            contentsOf: Support.root.appendingPathComponent("Config/sector.example.yaml"), encoding: .utf8)
        #expect(example.contains("path: /var/lib/picket-sector/sector.db"))
    }

    /// install.sh into a staging root: the sector's unit and configuration
    /// are there, the unit is not enabled, uninstall removes the unit and
    /// keeps the configuration.
    @Test func installStagesTheSectorUnitWithoutEnablingIt() async throws {
        let root = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func run(_ arguments: [String]) async throws -> Int32 {
            try await SystemdUnitTests.install(into: root, arguments)
        }
        func exists(_ path: String) -> Bool {
            FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path)
        }
        let unit = "etc/systemd/system/picket-sector.service"
        // A configuration already there is kept.
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("etc/picket"), withIntermediateDirectories: true)
        try "sector: mine\n".write(
            to: root.appendingPathComponent("etc/picket/sector.yaml"), atomically: true, encoding: .utf8)
        #expect(try await run([]) == 0)
        #expect(exists(unit))
        #expect(
            try String(contentsOf: root.appendingPathComponent(unit), encoding: .utf8)
                == String(contentsOf: Self.unit, encoding: .utf8))
        #expect(
            try String(contentsOf: root.appendingPathComponent("etc/picket/sector.yaml"), encoding: .utf8)
                == "sector: mine\n")
        #expect(exists("etc/picket/boxes"))
        #expect(exists("etc/picket/sector-operators"))
        #expect(!exists("etc/systemd/system/multi-user.target.wants/picket-sector.service"))
        #expect(try await run(["--uninstall"]) == 0)
        #expect(!exists(unit))
        #expect(exists("etc/picket/sector.yaml"))

        // A fresh root gets the example configuration.
        let fresh = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: fresh) }
        #expect(try await SystemdUnitTests.install(into: fresh, []) == 0)
        #expect(
            try String(contentsOf: fresh.appendingPathComponent("etc/picket/sector.yaml"), encoding: .utf8)
                == String(
                    contentsOf: Support.root.appendingPathComponent("Config/sector.example.yaml"), encoding: .utf8))
    }
}
