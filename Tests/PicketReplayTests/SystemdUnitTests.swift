import Foundation
import PicketTestSupport
import Testing

/// `systemd/picket.service` as systemd reads it, offline (no running
/// systemd needed): `systemd-analyze verify` clean, and sandboxed to an
/// exposure of 2.0 or lower by `systemd-analyze security`.
@Suite struct SystemdUnitTests {
    static let unit = Support.root.appendingPathComponent("systemd/picket.service")

    static func analyze(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await runProcess(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), arguments)
        return (result.status, result.out + result.err)
    }

    /// `systemd-analyze security --offline=true` of `unit`: its overall
    /// exposure level and the line that says it.
    static func exposure(_ unit: URL) async throws -> (level: Double, line: String) {
        let security = try await analyze(["security", "--offline=true", unit.path])
        let line = try #require(
            security.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(security.output)"
        )
        let level = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        return (level, String(line))
    }

    /// Runs `systemd-analyze verify` on a copy of `unit` whose ExecStart
    /// points at the binary under test (verify insists that it exists; the
    /// only change to the unit), expects it clean, and returns the unit's text.
    /// Runs systemd/install.sh with DESTDIR `root` and the binary under test.
    static func install(into root: URL, _ arguments: [String]) async throws -> Int32 {
        let script = Support.root.appendingPathComponent("systemd/install.sh").path
        return try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script] + arguments
            var environment = ProcessInfo.processInfo.environment
            environment["DESTDIR"] = root.path
            environment["PICKET_BINARY"] = Support.binary.path
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func verify(_ unit: URL, execStart: String) async throws -> String {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent(unit.lastPathComponent)
        let text = try String(contentsOf: unit, encoding: .utf8)
        #expect(text.contains(execStart))
        try text.replacingOccurrences(of: "/usr/local/bin/picket", with: Support.binary.path)
            .write(to: copy, atomically: true, encoding: .utf8)
        let verify = try await analyze(["verify", copy.path])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.isEmpty, "\(verify.output)")
        return text
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitVerifies() async throws {
        let text = try await Self.verify(Self.unit, execStart: "ExecStart=/usr/local/bin/picket run")
        for line in [
            "Type=notify", "WatchdogSec=", "Restart=on-failure", "RestartPreventExitStatus=78",
            "StateDirectory=picket", "ConfigurationDirectory=picket", "LoadCredential=", "DeviceAllow=char-gpiochip",
        ] {
            #expect(text.contains(line), "the unit lacks \(line)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitIsSandboxed() async throws {
        let (level, line) = try await Self.exposure(Self.unit)
        #expect(level <= 2.0, "\(line)")
    }

    /// A USB adapter plugged in after boot: `DeviceAllow=char-ttyUSB` is
    /// resolved when the unit starts, so the drivers that register those
    /// majors must be loaded before it, by the `modprobe@` units systemd
    /// ships (the remedy `systemd.resource-control(5)` gives).
    @Test func theUnitLoadsTheSerialDriversBeforeItStarts() throws {
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        let unitSection = try #require(text.components(separatedBy: "[Service]").first)
        func values(_ key: String) -> Set<String> {
            Set(
                unitSection.split(separator: "\n").filter { $0.hasPrefix("\(key)=") }
                    .flatMap { $0.dropFirst(key.count + 1).split(separator: " ").map(String.init) })
        }
        for module in ["usbserial", "cdc_acm", "ftdi_sio"] {
            #expect(values("Wants").contains("modprobe@\(module).service"), "Wants= lacks modprobe@\(module)")
            #expect(values("After").contains("modprobe@\(module).service"), "After= lacks modprobe@\(module)")
        }
        for group in ["char-ttyUSB", "char-ttyACM"] {
            #expect(text.contains("DeviceAllow=\(group) rw"))
        }
    }

    /// The units named above exist: systemd (245 and later, Debian 12's
    /// 252 included) ships the `modprobe@` template, which loads `%i` and
    /// skips a module that is built in or absent. (`systemd-analyze verify`
    /// does not report a missing dependency, so this is checked directly.)
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/lib/systemd/system/modprobe@.service")))
    func theModprobeTemplateLoadsItsInstance() throws {
        let template = try String(contentsOfFile: "/lib/systemd/system/modprobe@.service", encoding: .utf8)
        #expect(template.contains("modprobe -abq %i"), "\(template)")
        #expect(template.contains("Before=sysinit.target"))
    }

    /// ModemManager must leave the adapters alone: it probes every new tty
    /// with AT commands and reads the answers, taking the receiver's bytes.
    @Test func theUdevRulesHideTheAdaptersFromModemManager() throws {
        let rules = try String(
            contentsOf: Support.root.appendingPathComponent("Hardware/udev/60-picket.rules"), encoding: .utf8)
        let adapterRules = rules.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n")
            .filter { !$0.hasPrefix("#") && $0.contains("SUBSYSTEM==\"tty\"") }
        #expect(adapterRules.count >= 2)
        for rule in adapterRules {
            #expect(rule.contains("ENV{ID_MM_DEVICE_IGNORE}=\"1\""), "\(rule)")
            #expect(rule.contains("SYMLINK+=\"picket-"), "\(rule)")
        }
    }

    /// Raspberry Pi OS's 99-com.rules, read after ours, sets group `gpio` on
    /// every gpio device: our rule's group and mode must be final (`:=`),
    /// and the install script adds picket to `gpio` where it exists. The
    /// unit must not require `gpio` (x86 boxes have no such group).
    @Test func gpioChipsStayThePicketGroups() throws {
        let rules = try String(
            contentsOf: Support.root.appendingPathComponent("Hardware/udev/60-picket.rules"), encoding: .utf8)
        let gpioRules = rules.split(separator: "\n").filter {
            !$0.hasPrefix("#") && $0.contains("SUBSYSTEM==\"gpio\"")
        }
        #expect(gpioRules.count == 1)
        for rule in gpioRules {
            #expect(rule.contains("KERNEL==\"gpiochip[0-9]*\""), "\(rule)")
            #expect(rule.contains("GROUP:=\"picket\""), "\(rule)")
            #expect(rule.contains("MODE:=\"0660\""), "\(rule)")
        }
        let install = try String(
            contentsOf: Support.root.appendingPathComponent("systemd/install.sh"), encoding: .utf8)
        #expect(install.contains("if getent group gpio >/dev/null; then usermod -a -G gpio picket; fi"))
        let unit = try String(contentsOf: Self.unit, encoding: .utf8)
        let groups = unit.split(separator: "\n").filter { $0.hasPrefix("SupplementaryGroups=") }
        #expect(!groups.isEmpty)
        #expect(groups.allSatisfy { !$0.split(separator: "=")[1].split(separator: " ").contains("gpio") })
    }

    /// The install script staged into a folder (DESTDIR): every file where
    /// the unit and the README say; uninstall removes them and keeps the
    /// technician's configuration.
    @Test func installAndUninstallIntoAStagingRoot() async throws {
        let root = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func run(_ arguments: [String]) async throws -> Int32 { try await Self.install(into: root, arguments) }
        #expect(try await run([]) == 0)
        let files = [
            "usr/local/bin/picket", "etc/systemd/system/picket.service", "etc/udev/rules.d/60-picket.rules",
            "etc/picket/picket.yaml", "etc/picket/sector.key", "etc/picket/hotline.cred",
        ]
        for file in files {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file)")
        }
        let key = try FileManager.default.attributesOfItem(
            atPath: root.appendingPathComponent("etc/picket/sector.key").path)
        #expect((key[.posixPermissions] as? Int) == 0o600)
        #expect(try await run(["--uninstall"]) == 0)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/local/bin/picket").path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(files[1]).path))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("etc/picket/picket.yaml").path))
    }
}
