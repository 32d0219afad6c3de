import Foundation
import Glibc
import Logging
import PicketCore
import PicketTestSupport
import Synchronization
import Testing

@testable import PicketHardware

/// The termios driver against real pseudo-terminals: what the test writes to
/// the master must reach the sink byte for byte, and unplugging (closing the
/// master) must end in a gap, an unhealthy report and a reconnect.
@Suite struct TermiosSerialDriverTests {
    typealias Harness = SerialDriverHarness
    static let fastRetry = SerialDriverHarness.fastRetry

    @Test func sentencesArriveCompleteAndInOrder() async throws {
        let pty = try PseudoTerminal()
        let h = Harness()
        try await h.running(h.driver(pty.slavePath, portIndex: 2)) {
            try await h.waitHealthy()
            let before = h.mapping.now()

            // Byte by byte: every byte may come in a read of its own.
            var expected = (1...5).flatMap { nmeaSentence("PGSD,seis-7,\($0),FOOT,\(10 + $0)") }
            try pty.writeByteByByte(expected)
            try await eventually("byte-by-byte sentences") { h.sink.bytes.count >= expected.count }

            // Raw mode: XON/XOFF, CR, ^C, DEL and 8-bit bytes pass unchanged.
            let everyByte = (0...255).map { UInt8($0) }
            try pty.write(everyByte)
            expected += everyByte

            // A burst of ~50 KB in one write: more than one read can hold.
            let burst = (0..<1800).flatMap { nmeaSentence("PGSD,seis-\($0 % 9),\($0),VEH,\($0 % 101)") }
            #expect(burst.count > 50_000)
            try pty.write(burst)
            expected += burst
            try await eventually("the burst") { h.sink.bytes.count >= expected.count }
            let after = h.mapping.now()

            #expect(h.sink.bytes == expected)
            let chunks = h.sink.recorded.compactMap { item -> (port: Int, t: Int64, count: Int)? in
                if case .chunk(let port, let t, let bytes) = item { return (port, t, bytes.count) }
                return nil
            }
            #expect(chunks.count > burst.count / TermiosSerialDriver.readSize)
            #expect(chunks.allSatisfy { $0.port == 2 && $0.count > 0 && $0.count <= TermiosSerialDriver.readSize })
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.t <= $1.t })
            #expect(chunks.allSatisfy { $0.t >= before && $0.t <= after })
            #expect(h.sink.gaps == 0)
            // Flushing re-offers GPIO tails, which a serial driver does not own.
            #expect(h.sink.flushCount == 0)
        }
    }

    @Test func setsTheBaudRateAndRaw8N1() async throws {
        let pty = try PseudoTerminal()
        // A second descriptor on the slave, cooked at 1200 7E2 with hardware
        // flow control, so every setting the driver makes is visible.
        let slave = try SystemCall.retrying("open", pty.slavePath) {
            open(pty.slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        }
        defer { close(slave) }
        var cooked = termios()
        _ = try SystemCall.retrying("tcgetattr", pty.slavePath) { tcgetattr(slave, &cooked) }
        cooked.c_cflag |= tcflag_t(CSTOPB) | tcflag_t(CRTSCTS)
        cooked.c_lflag |= tcflag_t(ICANON | ECHO | ISIG)
        cooked.c_iflag |= tcflag_t(IXON | ICRNL)
        cfsetispeed(&cooked, speed_t(B1200))
        cfsetospeed(&cooked, speed_t(B1200))
        _ = try SystemCall.retrying("tcsetattr", pty.slavePath) { tcsetattr(slave, TCSANOW, &cooked) }

        let h = Harness()
        try await h.running(h.driver(pty.slavePath, baud: 115_200)) {
            try await h.waitHealthy()
            var t = termios()
            _ = try SystemCall.retrying("tcgetattr", pty.slavePath) { tcgetattr(slave, &t) }
            #expect(cfgetispeed(&t) == speed_t(B115200))
            #expect(cfgetospeed(&t) == speed_t(B115200))
            Self.expectRaw8N1(t)
        }
    }

    /// What a pty cannot show (it forces CS8 and no parity itself): the pure
    /// settings from a cooked 7E2 terminal.
    @Test func makesRaw8N1FromACookedTerminal() {
        var t = termios()
        t.c_iflag = tcflag_t(ICRNL | IXON | IXOFF | IXANY | ISTRIP | BRKINT)
        t.c_oflag = tcflag_t(OPOST | ONLCR)
        t.c_cflag = tcflag_t(CS7 | PARENB | PARODD | CSTOPB | HUPCL) | tcflag_t(CRTSCTS)
        t.c_lflag = tcflag_t(ICANON | ECHO | ECHOE | ISIG | IEXTEN)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 5
        }
        Termios.makeRaw8N1(&t, speed: speed_t(B4800))
        #expect(cfgetispeed(&t) == speed_t(B4800))
        #expect(cfgetospeed(&t) == speed_t(B4800))
        Self.expectRaw8N1(t)
    }

    static func expectRaw8N1(_ t: termios, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(t.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8), sourceLocation: sourceLocation)
        #expect(t.c_cflag & tcflag_t(PARENB | CSTOPB) == 0, "no parity, one stop bit", sourceLocation: sourceLocation)
        #expect(t.c_cflag & tcflag_t(CRTSCTS) == 0, "no hardware flow control", sourceLocation: sourceLocation)
        #expect(t.c_cflag & tcflag_t(CLOCAL | CREAD) == tcflag_t(CLOCAL | CREAD), sourceLocation: sourceLocation)
        #expect(t.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0, sourceLocation: sourceLocation)
        #expect(t.c_iflag & tcflag_t(ICRNL | IXON | IXOFF | IXANY | ISTRIP) == 0, sourceLocation: sourceLocation)
        #expect(t.c_oflag & tcflag_t(OPOST) == 0, sourceLocation: sourceLocation)
        withUnsafeBytes(of: t.c_cc) { cc in
            #expect(cc[Int(VMIN)] == 0 && cc[Int(VTIME)] == 0, sourceLocation: sourceLocation)
        }
    }

    /// Every rate the configuration accepts has a termios constant.
    @Test(arguments: [
        1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400, 460_800, 500_000, 576_000, 921_600,
    ])
    func standardRatesAreSupported(baud: Int) {
        #expect(Termios.speed(baud: baud) != nil)
    }

    @Test func anUnsupportedRateIsAnErrorNamingThePort() async {
        let h = Harness()
        await #expect(throws: UnsupportedBaudRate(port: "/dev/ttyUSB3", baud: 12345)) {
            try await h.driver("/dev/ttyUSB3", baud: 12345).run(into: h.sink)
        }
        #expect("\(UnsupportedBaudRate(port: "/dev/ttyUSB3", baud: 12345))".hasPrefix("/dev/ttyUSB3: "))
    }

    /// Unplugging and plugging in again: the peer closes (the slave hangs
    /// up), a new one appears under the same by-id style link.
    @Test func reconnectsWhenANewPeerAppears() async throws {
        let dir = try temporaryDirectory("picket-serial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path
        let first = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: first.slavePath)

        let h = Harness()
        try await h.running(h.driver(link, portIndex: 1)) {
            try await h.waitHealthy()
            let before = nmeaSentence("PGSD,seis-7,1,FOOT,11")
            try first.write(before)
            try await eventually("bytes from the first peer") { h.sink.bytes == before }

            try first.unplug(link: link)
            try await eventually("a gap after the hangup") { h.sink.gaps == 1 }
            try await eventually("an unhealthy report") { h.health.statuses.last?.healthy == false }
            let down = h.health.statuses.first { !$0.healthy }
            #expect(down?.source == link)
            #expect(down?.sensors == [])
            #expect(down?.detail.hasPrefix("\(link): ") == true)

            let second = try PseudoTerminal()
            try PseudoTerminal.pointLink(link, to: second.slavePath)
            try await h.waitHealthy(count: 2)
            let after = nmeaSentence("PGSD,seis-7,2,FOOT,12")
            try second.write(after)
            try await eventually("bytes from the second peer") { h.sink.bytes == before + after }

            // The gap sits between the two peers' bytes.
            let items = h.sink.recorded
            let gap = try #require(items.firstIndex { if case .gap = $0 { true } else { false } })
            #expect(items[gap] == .gap(port: 1, t: h.sink.gapTimes[0]))
            #expect(items[..<gap].flatMap(\.bytes) == before)
            #expect(items[(gap + 1)...].flatMap(\.bytes) == after)
            #expect(h.log.count(.warning) == 1)
            #expect(h.log.all.filter { $0.message == "serial port reconnected" }.count == 1)
        }
    }

    /// A device that is missing at start is waited for, not given up on:
    /// one unhealthy report and one warning however many retries it takes.
    @Test func waitsForAMissingDevice() async throws {
        let dir = try temporaryDirectory("picket-serial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path

        let h = Harness()
        let driver = h.driver(link)
        let sink = h.sink
        let ended = Atomic<Bool>(false)
        let task = Task {
            try await driver.run(into: sink)
            ended.store(true, ordering: .releasing)
        }
        defer { task.cancel() }

        try await eventually("an unhealthy report") { h.health.statuses.contains { !$0.healthy } }
        let down = h.health.statuses.first
        #expect(down?.healthy == false)
        #expect(down?.source == link)
        #expect(down?.detail.hasPrefix("\(link): ") == true)
        #expect(down?.detail.contains("No such file or directory") == true)
        // Let it retry a few times (20, 40, 80, 160 ms...).
        try await Task.sleep(for: .milliseconds(400))
        let stillRunning = !ended.load(ordering: .acquiring)
        #expect(stillRunning)

        let pty = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: pty.slavePath)
        try await h.waitHealthy()
        let bytes = nmeaSentence("PGSD,seis-7,1,FOOT,11")
        try pty.write(bytes)
        try await eventually("bytes once the device is there") { h.sink.bytes == bytes }

        #expect(h.health.statuses.count { !$0.healthy } == 1)
        #expect(h.log.count(.warning) == 1)
        #expect(h.sink.gaps == 0, "nothing was read before, so nothing to cut")
        task.cancel()
        try await task.value
    }

    /// The link re-made to another device while the old one stays up (no
    /// hangup): the idle check notices and the driver follows the path.
    @Test func followsItsPathToAnotherDevice() async throws {
        let dir = try temporaryDirectory("picket-serial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path
        let first = try PseudoTerminal()
        let second = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: first.slavePath)

        let h = Harness()
        try await h.running(h.driver(link)) {
            try await h.waitHealthy()
            try PseudoTerminal.pointLink(link, to: second.slavePath)
            try await h.waitHealthy(count: 2)
            #expect(h.sink.gaps == 1)
            #expect(h.health.statuses.contains { !$0.healthy && $0.detail == "\(link): now names another device" })
            let bytes = nmeaSentence("PGSD,seis-7,1,FOOT,11")
            try second.write(bytes)
            try await eventually("bytes from the new device") { h.sink.bytes == bytes }
        }
    }

    enum CancelledWhile: String, CaseIterable, Sendable {
        case reading
        case waitingToRetry
        case starting
    }

    /// Cancellation wakes the driver's thread at once: from `poll` on the
    /// port, from a long backoff, or before it polled at all.
    @Test(arguments: CancelledWhile.allCases)
    func cancellationReturnsPromptly(while state: CancelledWhile) async throws {
        let pty = try PseudoTerminal()
        let h = Harness()
        let driver =
            switch state {
            case .reading, .starting:
                h.driver(pty.slavePath)
            case .waitingToRetry:
                h.driver(
                    "/dev/picket-no-such-port", retry: RetryPolicy(initialNs: 60_000_000_000, maximumNs: 60_000_000_000)
                )
            }
        let sink = h.sink
        let task = Task { try await driver.run(into: sink) }
        switch state {
        case .reading: try await h.waitHealthy()
        case .waitingToRetry: try await eventually("an unhealthy report") { !h.health.statuses.isEmpty }
        case .starting: break
        }
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        try await task.value
        let elapsed = clock.now - start
        // The point is that cancellation does not wait out the 60 s backoff or a
        // poll that never ends; the bound is three quarters of that backoff
        // because the suite shares two cores with process-spawning tests and a
        // browser (about 10 ms when idle, 2 s seen in CI, 20.6 s at load 10).
        #expect(elapsed < .seconds(45), "run returned \(elapsed) after cancellation")
    }
}
