import Foundation
import Glibc
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import Testing

/// The live serial path end to end: a pseudo-terminal standing in for the
/// radio receiver, the termios driver feeding the hub, the pipeline
/// committing to SQLite, and an unplug in the middle of a sentence.
@Suite struct SerialEndToEndTests {
    @Test func radioSentencesBecomeStoredEventsAcrossAnUnplug() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path
        let first = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: first.slavePath)

        let configuration = PicketConfiguration(
            box: "e2e-box", sector: "e2e", serial: [SerialPortConfig(port: link, baud: 9600)],
            sensors: [SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork")])
        let mapping = UTCMapping()
        let started = mapping.now()
        let store = try Store(path: dir.appendingPathComponent("picket.db").path)
        let runID = "live:e2e"
        try store.beginRun(
            id: runID, mode: "live", startedTs: started, input: "serial \(link)", sensors: configuration.allSensors)
        let hub = InputHub(lines: 0, ports: 1)
        let pipeline = Pipeline(
            configuration: configuration, hub: hub, store: store, runID: runID, logger: Support.logger)
        let health = DriverHealthBoard()
        let driver = TermiosSerialDriver(
            portIndex: 0, config: configuration.serial[0], mapping: mapping, health: health, logger: Support.logger,
            retry: RetryPolicy(initialNs: 20_000_000, maximumNs: 200_000_000))
        let task = Task { try await driver.run(into: hub) }
        defer { task.cancel() }

        var statuses: [DriverStatus] = []
        /// Does what the processing thread does live, then checks `condition`;
        /// until it holds or ten seconds pass.
        func processUntil(_ what: String, _ condition: () -> Bool) async throws {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while true {
                pipeline.drain()
                let now = mapping.now()
                pipeline.advance(to: now - 20_000_000)
                try pipeline.collect(now: now, force: true)
                statuses += health.take()
                if condition() { return }
                guard clock.now < deadline else {
                    Issue.record("timed out waiting: \(what)")
                    throw TimedOut()
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        var counters: ProcessorCounters { pipeline.processor.counters }
        func healthy(_ n: Int) -> Bool { statuses.last?.healthy == true && statuses.count { $0.healthy } == n }
        func detection(_ seq: Int, strength: Int, class detectionClass: String = "FOOT") -> [UInt8] {
            Self.sentence("PGSD,seis-7,\(seq),\(detectionClass),\(strength)")
        }

        try await processUntil("the port open") { healthy(1) }
        // Byte by byte: sentences assembled from many one-byte reads.
        for seq in 1...3 { try first.writeByteByByte(detection(seq, strength: 10 + seq)) }
        try await processUntil("three events") { counters.events == 3 }
        // A burst in one write.
        try first.write((4...203).flatMap { detection($0, strength: $0 % 100) })
        try await processUntil("203 events") { counters.events == 203 }

        // Unplugged in the middle of a sentence. Its tail arrives from the
        // next device: joined to its head it would be a valid sentence
        // (strength 100), so it must be dropped, not stored.
        let split = detection(300, strength: 100, class: "VEH")
        let cut = split.count / 2
        try first.write(Array(split[..<cut]))
        let bytesBeforeUnplug = counters.serialBytes
        try await processUntil("the sentence's head read") { counters.serialBytes == bytesBeforeUnplug + cut }
        first.close()
        try await processUntil("the unplug seen") { statuses.last?.healthy == false }
        let second = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: second.slavePath)
        try await processUntil("the port reopened") { healthy(2) }
        try second.writeByteByByte(Array(split[cut...]))
        try second.writeByteByByte(detection(301, strength: 41))
        try second.write((302...305).flatMap { detection($0, strength: $0 % 100) })
        try await processUntil("208 events") { counters.events >= 208 }

        task.cancel()
        try await task.value
        try pipeline.finish(now: mapping.now())
        let finished = mapping.now()

        let events = try store.events()
        #expect(events.count == 208)
        #expect(events.allSatisfy { $0.sensor == "seis-7" && $0.kind == .seismic && $0.source == .serial })
        #expect(events.allSatisfy { $0.state == .active && $0.box == "e2e-box" && $0.zone == "north-fork" })
        #expect(events.allSatisfy { $0.ts >= started && $0.ts <= finished })
        let expectedStrengths =
            (1...3).map { 10 + $0 } + (4...203).map { $0 % 100 } + [41] + (302...305).map { $0 % 100 }
        #expect(events.compactMap(\.strength).sorted() == expectedStrengths.sorted())
        #expect(!events.contains { $0.strength == 100 })
        #expect(events.filter { $0.detectionClass == "VEH" }.isEmpty)
        #expect(counters.serialGaps == 1)
        // 204 to 300 never arrived whole: 97 radio messages lost between 203 and 301.
        #expect(counters.lost["seis-7"] == 97)
        #expect(hub.totalDrops == 0)
    }

    struct TimedOut: Error {}

    static func sentence(_ body: String) -> [UInt8] {
        let checksum = body.utf8.reduce(UInt8(0), ^)
        let hex = String(checksum, radix: 16, uppercase: true)
        return Array("$\(body)*\(hex.count == 1 ? "0" + hex : hex)\r\n".utf8)
    }
}

/// A pseudo-terminal pair standing in for the USB radio receiver: the driver
/// opens the slave (through a link, as `/dev/serial/by-id` names it), the
/// test writes to the master, and closing the master hangs the slave up the
/// way unplugging the adapter does.
private final class PseudoTerminal {
    let master: Int32
    let slavePath: String
    private var open = true

    /// Glibc's Swift module is built without `_XOPEN_SOURCE`, which hides the
    /// pty functions; the real ones are looked up in the C library.
    private typealias DescriptorCall = @convention(c) (Int32) -> Int32
    private typealias PtsnameR = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32

    private static func function<F>(_ name: String, as type: F.Type) -> F {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { fatalError("\(name) not in the C library") }
        return unsafeBitCast(symbol, to: type)
    }

    init() throws {
        let fd = try SystemCall.retrying("posix_openpt", "/dev/ptmx") {
            Self.function("posix_openpt", as: DescriptorCall.self)(O_RDWR | O_NOCTTY | O_CLOEXEC)
        }
        do {
            _ = try SystemCall.retrying("grantpt", "/dev/ptmx") {
                Self.function("grantpt", as: DescriptorCall.self)(fd)
            }
            _ = try SystemCall.retrying("unlockpt", "/dev/ptmx") {
                Self.function("unlockpt", as: DescriptorCall.self)(fd)
            }
            var name = [CChar](repeating: 0, count: 128)
            let failed = Self.function("ptsname_r", as: PtsnameR.self)(fd, &name, name.count)
            guard failed == 0 else { throw SystemError(call: "ptsname_r", subject: "/dev/ptmx", errno: failed) }
            // Nonblocking, so a write the driver never drains fails the test instead of hanging it.
            let flags = try SystemCall.retrying("fcntl", "/dev/ptmx") { fcntl(fd, F_GETFL) }
            _ = try SystemCall.retrying("fcntl", "/dev/ptmx") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
            slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } catch {
            Glibc.close(fd)
            throw error
        }
        master = fd
    }

    deinit { close() }

    /// Writes all of `bytes`, waiting while the pty's buffer is full.
    func write(_ bytes: [UInt8], timeout: Duration = .seconds(10)) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(master, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                    continue
                }
                let e = errno
                guard n < 0, e == EAGAIN || e == EINTR else {
                    throw SystemError(call: "write", subject: slavePath, errno: e)
                }
                guard clock.now < deadline else {
                    throw SystemError(call: "write", subject: slavePath, errno: ETIMEDOUT)
                }
                var fd = pollfd(fd: master, events: Int16(POLLOUT), revents: 0)
                _ = poll(&fd, 1, 50)
            }
        }
    }

    /// One byte per system call, so each may reach the driver in a read of its own.
    func writeByteByByte(_ bytes: [UInt8]) throws {
        for byte in bytes { try write([byte]) }
    }

    func close() {
        guard open else { return }
        open = false
        Glibc.close(master)
    }

    /// Points `link` at `target`, replacing an old link atomically as udev does.
    static func pointLink(_ link: String, to target: String) throws {
        let temporary = link + ".new"
        _ = try SystemCall.retrying("symlink", temporary) { symlink(target, temporary) }
        _ = try SystemCall.retrying("rename", link) { rename(temporary, link) }
    }
}
