import Foundation
import Glibc
import PicketHardware
import PicketTestSupport
import Testing

/// `picket run` as a user who may not open the chip's node, through the real
/// libgpiod: the line says who owns the node and which group to join, in the
/// log and in `picket sensors`, instead of retrying silently. This machine
/// has no GPIO chip, so the node is a plain file the user cannot open;
/// libgpiod 1 opens before it checks what the node is (libgpiod 2 checks
/// first and would say "not a GPIO chip"), and running as another user needs
/// root and setpriv.
@Suite struct GPIOPermissionTests {
    static var canRun: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            && LibgpiodBackend().apiMajor == 1
    }

    @Test(.enabled(if: canRun, "needs root, /usr/bin/setpriv and the system's libgpiod 1"))
    func aChipTheUserMayNotOpenNamesTheGroupToJoin() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(chmod(dir.path, 0o777) == 0)
        let node = dir.appendingPathComponent("gpiochip7").path
        #expect(FileManager.default.createFile(atPath: node, contents: nil))
        let group = try #require(getgrnam("dialout") ?? getgrnam("daemon"))
        let groupName = String(cString: group.pointee.gr_name)
        #expect(chown(node, 0, group.pointee.gr_gid) == 0)
        #expect(chmod(node, 0o660) == 0)
        let config = dir.appendingPathComponent("perm.yaml").path
        try """
        box: perm-01
        sector: test
        metrics: {listen: off}
        gpio:
          - {chip: \(node), line: 17, sensor: pir-1, kind: pir}

        """.write(toFile: config, atomically: true, encoding: .utf8)
        _ = chmod(config, 0o644)
        let db = dir.appendingPathComponent("perm.db").path
        let child = try ChildProcess(
            URL(fileURLWithPath: "/usr/bin/setpriv"),
            [
                "--reuid=nobody", "--regid=\(getgrnam("nogroup") != nil ? "nogroup" : "nobody")", "--clear-groups",
                Support.binary.path, "run", "--config", config, "--db", db,
            ],
            log: dir.appendingPathComponent("run.log"))
        let message =
            "\(node) line 17: permission denied: \(node) is group \(groupName) mode 0660; add user nobody to group \(groupName) (or install Hardware/udev/60-picket.rules)"
        try await child.waitForLog(message)
        try await child.waitForLog("source unhealthy")
        #expect(try await child.stop() == 0, "\(child.stderr)")
        let sensors = try await Support.picket(["sensors", "--db", db]).out
        #expect(sensors.contains("UNHEALTHY: \(message)"), "\(sensors)")
        // Logged once, not at every retry.
        #expect(child.stderr.components(separatedBy: "GPIO line unavailable").count == 2, "\(child.stderr)")
    }
}
