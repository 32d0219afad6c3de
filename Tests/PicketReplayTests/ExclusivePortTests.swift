import Foundation
import Glibc
import PicketStore
import PicketTestSupport
import Testing

/// A serial port is one daemon's alone: a second `picket run` or `picket
/// record` on a port a first `picket run` holds is refused as busy (and
/// says by whom), takes none of its bytes, and gets the port once the
/// first exits. The port is a real pseudo-terminal.
@Suite struct ExclusivePortTests {
    enum Second: String, CaseIterable, Sendable {
        case run
        case record
    }

    @Test(arguments: Second.allCases)
    func aSecondPicketOnAHeldPortIsRefusedAsBusy(second kind: Second) async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pty = try PseudoTerminal()
        let config = try LiveRunTests.configuration(port: pty.slavePath, in: dir)
        let firstDB = dir.appendingPathComponent("first.db").path
        let first = try ChildProcess(
            Support.binary, ["run", "--config", config, "--db", firstDB], log: dir.appendingPathComponent("first.log"))
        defer { if first.process.isRunning { first.process.terminate() } }
        try await first.waitForLog("serial port open")

        let secondDB = dir.appendingPathComponent("second.db").path
        let recording = dir.appendingPathComponent("second.jsonl").path
        let arguments =
            switch kind {
            case .run: ["run", "--config", config, "--db", secondDB]
            case .record: ["record", "--out", recording, "--config", config, "--duration", "600"]
            }
        let second = try ChildProcess(Support.binary, arguments, log: dir.appendingPathComponent("second.log"))
        defer { if second.process.isRunning { second.process.terminate() } }
        try await second.waitForLog("busy: held by")
        let refusal = try #require(second.stderr.split(separator: "\n").first { $0.contains("busy: held by") })
        #expect(refusal.contains(pty.slavePath), "\(refusal)")
        #expect(refusal.contains("picket (pid \(first.process.processIdentifier))"), "\(refusal)")

        // The first gets every sentence, the second none.
        let count = 40
        try pty.write(LiveRunTests.detections(1...count))
        try await eventually("\(count) events stored by the first") {
            try FileManager.default.fileExists(atPath: firstDB)
                && Store(path: firstDB, create: false).count("events") == count
        }
        #expect(try await first.stop() == 0, "\(first.stderr)")
        #expect(try Store(path: firstDB, create: false).count("events") == count)

        // The first gone, the second takes the port over and reads from then on.
        try await second.waitForLog("serial port open", timeout: .seconds(90))
        let later = (count + 1)...(count + 3)
        try pty.write(LiveRunTests.detections(later))
        switch kind {
        case .run:
            try await eventually("the second stores what came after") {
                try FileManager.default.fileExists(atPath: secondDB)
                    && Store(path: secondDB, create: false).count("events") == later.count
            }
            #expect(try await second.stop() == 0, "\(second.stderr)")
            #expect(try Store(path: secondDB, create: false).count("events") == later.count)
        case .record:
            try await eventually("the second records what came after") {
                ((try? String(contentsOfFile: recording, encoding: .utf8)) ?? "")
                    .components(separatedBy: "PGSD").count == later.count + 1
            }
            #expect(try await second.stop() == 0, "\(second.stderr)")
        }
    }

    /// `check-config --hardware` opens the ports and requests the lines:
    /// the pty while a `picket run` holds it is busy, named with the holder;
    /// the GPIO chip this machine lacks is missing; once the daemon is
    /// stopped the port is fine.
    @Test func checkConfigHardwareReportsBusyAndMissing() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pty = try PseudoTerminal()
        let config = try LiveRunTests.configuration(port: pty.slavePath, in: dir)
        let daemon = try ChildProcess(
            Support.binary, ["run", "--config", config, "--db", dir.appendingPathComponent("d.db").path],
            log: dir.appendingPathComponent("run.log"))
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        try await daemon.waitForLog("serial port open")

        let busy = try await Support.picket(["check-config", "--hardware", config])
        #expect(busy.status == 74, "\(busy.out)\(busy.err)")
        #expect(
            busy.out.contains(
                "serial[0] \(pty.slavePath): PROBLEM: \(pty.slavePath): busy: held by picket (pid "
                    + "\(daemon.process.processIdentifier))"), "\(busy.out)")
        #expect(busy.out.contains("gpio[0] gpiochip0 line 17: PROBLEM: gpiochip0 line 17: no such GPIO chip"))
        #expect(busy.err.contains("2 of the configured ports and lines cannot be used"), "\(busy.err)")
        #expect(try await daemon.stop() == 0)

        let free = try await Support.picket(["check-config", "--hardware", config])
        #expect(
            free.out.contains("serial[0] \(pty.slavePath): OK: opened at 9600 baud, 8N1, exclusively"), "\(free.out)")
        #expect(free.status == 74, "the GPIO chip is still missing")
    }

    /// `check-config` warns, without refusing, about a port named by
    /// enumeration order; `run` logs the same warning.
    @Test func checkConfigWarnsAboutTtyUSBNames() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try LiveRunTests.configuration(port: "/dev/ttyUSB0", in: dir)
        let check = try await Support.picket(["check-config", config])
        #expect(check.status == 0, "\(check.err)")
        #expect(
            check.err.contains(
                "\(config):7: serial[0].port: /dev/ttyUSB0 may name another adapter after a reboot; "
                    + "use /dev/serial/by-id/... or a udev name such as /dev/picket-radio"), "\(check.err)")
        #expect(check.out.contains("1 warning"), "\(check.out)")

        let stable = try LiveRunTests.configuration(port: "/dev/picket-radio", in: dir)
        let quiet = try await Support.picket(["check-config", stable])
        #expect(quiet.status == 0)
        #expect(quiet.err.isEmpty, "\(quiet.err)")
    }
}
