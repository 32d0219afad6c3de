import Foundation
import Glibc
import Logging
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// What a serial port on a field box needs beyond reading bytes: it is
/// Picket's alone (a second reader is refused as busy and takes nothing),
/// it keeps DTR up across closes, it proves its settings took, a port that
/// keeps breaking backs off and stays quiet in the log, and a kernel
/// console on it is pointed out.
@Suite struct SerialPortOnRealBoxesTests {
    /// Drivers log a repeated failure once per 10 minutes here unless a test says otherwise.
    static func harness() -> SerialDriverHarness { SerialDriverHarness(logIntervalNs: 600_000_000_000) }

    // MARK: Exclusive open

    /// Two readers of one port: the second is refused as busy, names the
    /// holder, and gets nothing; the first gets every byte. Once the first
    /// lets go, the second takes the port over.
    @Test func aSecondReaderIsRefusedAsBusyAndTheFirstLosesNothing() async throws {
        let pty = try PseudoTerminal()
        let first = Self.harness()
        let second = Self.harness()
        let firstTask = first.start(first.driver(pty.slavePath))
        defer { firstTask.cancel() }
        try await eventually("the first open") { first.healthyCount == 1 }

        let secondTask = second.start(second.driver(pty.slavePath))
        defer { secondTask.cancel() }
        try await eventually("the second refused") { second.health.statuses.contains { !$0.healthy } }
        let refused = try #require(second.health.statuses.first)
        #expect(!refused.healthy)
        #expect(refused.detail.hasPrefix("\(pty.slavePath): busy: held by "), "\(refused.detail)")
        #expect(refused.detail.contains("(pid \(getpid()))"), "\(refused.detail)")
        #expect(
            second.log.all.contains { $0.level == .warning && $0.metadata["reason"]?.description == refused.detail })

        let sentences = (1...50).flatMap { nmeaSentence("PGSD,seis-7,\($0),FOOT,\($0)") }
        try pty.write(sentences)
        try await eventually("every sentence read by the first") { first.sink.bytes.count >= sentences.count }
        #expect(first.sink.bytes == sentences)
        #expect(second.sink.bytes.isEmpty)
        #expect(second.healthyCount == 0)
        // Still busy however often it retried: one warning, and every report says busy.
        #expect(second.log.count(.warning) == 1)
        #expect(second.health.statuses.allSatisfy { !$0.healthy && $0.detail.contains(": busy: held by ") })

        firstTask.cancel()
        try await firstTask.value
        try await eventually("the second takes the port over") { second.healthyCount == 1 }
        // Bytes written in the instant the port changes hands may go to
        // neither reader (the pty hangs up when its last reader closes):
        // write until the second has a whole sentence.
        let after = nmeaSentence("PGSD,seis-7,51,FOOT,51")
        var received = false
        for _ in 0..<30 where !received {
            try pty.write(after)
            try await Task.sleep(for: .seconds(1))
            received = second.sink.bytes.count >= after.count && second.sink.bytes.suffix(after.count) == after[...]
        }
        #expect(received, "the second never read what came after the first let go")
        secondTask.cancel()
        try await secondTask.value
    }

    /// The holder as `/proc/locks` lists it: FLOCK holders of the node's
    /// filesystem and inode, not POSIX locks, not waiters, not other files.
    @Test func lockHoldersAreReadFromProcLocks() {
        let dev = dev_t((0x1a << 8) | 0x03)
        let text = """
            1: POSIX  ADVISORY  WRITE 8423 1a:03:77 1073741824 1073742335
            2: FLOCK  ADVISORY  WRITE 900 1a:03:76 0 EOF
            3: FLOCK  ADVISORY  WRITE 812 1a:03:77 0 EOF
            3: -> FLOCK  ADVISORY  WRITE 813 1a:03:77 0 EOF
            """
        #expect(PortHolders.lockHolders(in: text, device: dev, inode: 77) == [812])
        #expect(PortHolders.lockHolders(in: text, device: dev, inode: 78) == [])
        #expect(PortHolders.major(dev) == 0x1a && PortHolders.minor(dev) == 3)
    }

    /// EPERM (the unit's device policy, fixed when it started) and EACCES
    /// (the file's group) each say what to do.
    @Test func permissionDeniedSaysWhatToDo() {
        let policy = SerialOpenError.opening(SystemError(call: "open", subject: "/dev/x", errno: EPERM), path: "/dev/x")
        #expect(policy.description.hasPrefix("/dev/x: permission denied by the service's device policy"))
        #expect(policy.description.contains("systemctl restart picket"))
        let mode = SerialOpenError.opening(SystemError(call: "open", subject: "/dev/x", errno: EACCES), path: "/dev/x")
        #expect(mode.description.contains("dialout"))
        let gone = SerialOpenError.opening(SystemError(call: "open", subject: "/dev/x", errno: ENOENT), path: "/dev/x")
        #expect(gone == .system(SystemError(call: "open", subject: "/dev/x", errno: ENOENT)))
    }

    // MARK: Settings

    /// HUPCL would drop DTR at every close, resetting an Arduino or ESP32
    /// receiver at every reload: it is off while Picket holds the port. (On
    /// a pty, termios read through the master is the slave's.)
    @Test func hangupOnCloseIsOffOnAnOpenPort() async throws {
        let pty = try PseudoTerminal()
        var before = termios()
        _ = try SystemCall.retrying("tcgetattr", "master") { tcgetattr(pty.master, &before) }
        before.c_cflag |= tcflag_t(HUPCL)
        _ = try SystemCall.retrying("tcsetattr", "master") { tcsetattr(pty.master, TCSANOW, &before) }
        _ = try SystemCall.retrying("tcgetattr", "master") { tcgetattr(pty.master, &before) }
        #expect(before.c_cflag & tcflag_t(HUPCL) != 0, "the test needs HUPCL on to start with")

        let h = Self.harness()
        let task = h.start(h.driver(pty.slavePath))
        defer { task.cancel() }
        try await eventually("the port open") { h.healthyCount == 1 }
        var held = termios()
        _ = try SystemCall.retrying("tcgetattr", "master") { tcgetattr(pty.master, &held) }
        #expect(held.c_cflag & tcflag_t(HUPCL) == 0, "HUPCL is still on")
        task.cancel()
        try await task.value
    }

    @Test func settingsThatDidNotTakeAreNamed() {
        var t = termios()
        Termios.makeRaw8N1(&t, speed: speed_t(B9600))
        #expect(Termios.settingsNotTaken(t, path: "/dev/picket-radio", baud: 9600, speed: speed_t(B9600)) == nil)
        #expect(t.c_cflag & tcflag_t(HUPCL) == 0)

        var fast = termios()
        Termios.makeRaw8N1(&fast, speed: speed_t(B115200))
        let baud = Termios.settingsNotTaken(fast, path: "/dev/picket-radio", baud: 9600, speed: speed_t(B9600))
        #expect(baud?.hasPrefix("/dev/picket-radio: the adapter did not take 9600 baud (reads back 115200)") == true)

        var sevenE2 = t
        sevenE2.c_cflag = (sevenE2.c_cflag & ~tcflag_t(CSIZE)) | tcflag_t(CS7 | PARENB | CSTOPB | HUPCL)
        let framing = Termios.settingsNotTaken(sevenE2, path: "/dev/picket-gps", baud: 9600, speed: speed_t(B9600))
        #expect(
            framing?.hasPrefix(
                "/dev/picket-gps: the adapter did not take raw 8N1 at 9600 baud (reads back not 8 data bits, "
                    + "parity on, 2 stop bits, hangup on close (HUPCL) on)") == true, "\(framing ?? "nil")")
        #expect(SerialOpenError.settingsNotTaken(path: "/dev/picket-gps", detail: framing ?? "").isSettings)
    }

    // MARK: Flapping

    /// A port that opens and breaks at once, over and over (the master of
    /// each pty closed as soon as the driver has opened it): with sessions
    /// shorter than `stableAfterNs` the backoff keeps growing and the loss
    /// is logged once; when sessions count as stable, each break starts the
    /// backoff over and is logged.
    @Test(arguments: [false, true])
    func aFlappingPortBacksOffAndIsLoggedOnce(sessionsAreStable: Bool) async throws {
        let dir = try temporaryDirectory("picket-serial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path
        var pty = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: pty.slavePath)
        let h = Self.harness()
        let task = h.start(h.driver(link, stableAfterNs: sessionsAreStable ? 0 : 60_000_000_000))
        defer { task.cancel() }
        let cycles = 6
        for cycle in 1...cycles {
            try await eventually("open number \(cycle)") { h.healthyCount == cycle }
            try pty.unplug(link: link)
            try await eventually("break number \(cycle)") { h.sink.gaps == cycle }
            pty = try PseudoTerminal()
            try PseudoTerminal.pointLink(link, to: pty.slavePath)
        }
        try await eventually("open number \(cycles + 1)") { h.healthyCount == cycles + 1 }
        task.cancel()
        try await task.value

        let attempts = h.log.all.filter { $0.message == "serial port retry" }
            .compactMap { $0.metadata["attempt"].flatMap { Int($0.description) } }
        #expect(attempts.count >= cycles)
        let lost = h.log.all.filter { $0.message == "serial port lost, reopening" }.count
        let reconnected = h.log.all.filter { $0.message == "serial port reconnected" }.count
        if sessionsAreStable {
            #expect(attempts.filter { $0 == 0 }.count >= cycles, "\(attempts)")
            #expect(lost == cycles)
            #expect(reconnected == cycles)
        } else {
            #expect(zip(attempts, attempts.dropFirst()).allSatisfy { $0 < $1 }, "backoff restarted: \(attempts)")
            #expect(lost == 1, "a flapping port logged \(lost) losses")
            #expect(reconnected == 1)
        }
    }

    // MARK: check-config --hardware

    /// Every port opened and every line requested once, as the daemon
    /// would: a good port, a missing one and a held one; a free line and a
    /// busy one. Each is given back (the good port can be opened again).
    @Test func theHardwareCheckOpensEveryPortAndLine() throws {
        let free = try PseudoTerminal()
        let held = try PseudoTerminal()
        let holder = try SystemCall.retrying("open", held.slavePath) {
            open(held.slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        }
        defer { close(holder) }
        _ = try SystemCall.retrying("flock", held.slavePath) { flock(holder, LOCK_EX | LOCK_NB) }
        let gpio = FakeGPIO()
        gpio.refuse("gpiochip0", 22, .busy(consumer: "gpioset"), times: 1)
        let configuration = PicketConfiguration(
            box: "b", sector: "s",
            gpio: [GPIODriverTests.line(17, "pir-1"), GPIODriverTests.line(22, "beam-s")],
            serial: [
                SerialPortConfig(port: free.slavePath), SerialPortConfig(port: "/dev/picket-no-such-port"),
                SerialPortConfig(port: held.slavePath, baud: 4800),
            ])
        let findings = HardwareCheck.run(configuration: configuration, gpioBackend: gpio)
        #expect(
            findings.map(\.status) == [.ok, .problem, .problem, .ok, .problem], "\(findings.map(\.description))")
        #expect(findings[0].description == "serial[0] \(free.slavePath): OK: opened at 9600 baud, 8N1, exclusively")
        #expect(findings[1].detail.hasPrefix("/dev/picket-no-such-port: open failed: No such file or directory"))
        #expect(findings[2].detail.hasPrefix("\(held.slavePath): busy: held by "), "\(findings[2].detail)")
        #expect(findings[2].detail.contains("(pid \(getpid()))"))
        #expect(findings[3].subject == "gpio[0] gpiochip0 line 17")
        #expect(findings[4].detail == "gpiochip0 line 22: line is busy (held by \"gpioset\")")
        #expect(gpio.released == 1)
        // Given back: the daemon can have it.
        #expect(HardwareCheck.serial(SerialPortConfig(port: free.slavePath), subject: "again").status == .ok)
    }

    /// The losses a flapping port does not log are counted into the next
    /// line it does log (`repeats`), so the log still adds up: every loss is
    /// either a line or counted in one. The last loss comes after more than
    /// the interval, so it is logged and carries the count of the rest.
    @Test func unsaidLossesAreCountedInTheNextLine() async throws {
        let dir = try temporaryDirectory("picket-serial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path
        var pty = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: pty.slavePath)
        let h = Self.harness()
        let interval: Int64 = 300_000_000
        let task = h.start(h.driver(link, logIntervalNs: interval))
        defer { task.cancel() }
        let cycles = 6
        for cycle in 1...cycles {
            try await eventually("open number \(cycle)") { h.healthyCount == cycle }
            if cycle == cycles { try await Task.sleep(for: .nanoseconds(2 * interval)) }
            try pty.unplug(link: link)
            try await eventually("break number \(cycle)") { h.sink.gaps == cycle }
            pty = try PseudoTerminal()
            try PseudoTerminal.pointLink(link, to: pty.slavePath)
        }
        try await eventually("open number \(cycles + 1)") { h.healthyCount == cycles + 1 }
        task.cancel()
        try await task.value

        let lines = h.log.all.filter { $0.message == "serial port lost, reopening" }
        let counted = lines.map { 1 + ($0.metadata["repeats"].flatMap { Int($0.description) } ?? 0) }
        #expect(counted.reduce(0, +) == cycles, "\(counted)")
        #expect(lines.count >= 2)
    }

    // MARK: Kernel console

    @Test func aKernelConsoleOnTheConfiguredPortIsPointedOut() throws {
        let dir = try temporaryDirectory("picket-console")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tty = dir.appendingPathComponent("ttyS0").path
        #expect(FileManager.default.createFile(atPath: tty, contents: nil))
        try PseudoTerminal.pointLink(dir.appendingPathComponent("serial0").path, to: tty)
        let cmdline = "coherent_pool=1M 8250.nr_uarts=1 console=serial0,115200 console=tty1 root=PARTUUID=1 rootwait\n"

        #expect(KernelConsole.consoles(cmdline: cmdline) == ["serial0", "tty1"])
        // The port by its real name, the console by its link, and the other way round.
        let warning = KernelConsole.warning(port: tty, cmdline: cmdline, devices: dir.path)
        #expect(warning?.hasPrefix("\(tty) is a kernel console (console=serial0 on the kernel command line") == true)
        #expect(warning?.contains("serial-getty@ttyS0.service") == true)
        let byLink = KernelConsole.warning(
            port: dir.appendingPathComponent("serial0").path, cmdline: "console=ttyS0,115200", devices: dir.path)
        #expect(byLink != nil)
        #expect(KernelConsole.warning(port: tty, cmdline: "console=tty1 quiet", devices: dir.path) == nil)
        #expect(KernelConsole.warning(port: tty, cmdline: nil, devices: dir.path) == nil)
    }
}
