import Foundation
import Glibc
import PicketCore
import PicketTestSupport
import Synchronization
import Testing

@testable import PicketHardware

/// The GPIO driver's batch, resync, timestamp and retry logic, above a fake
/// backend whose lines are pipes the driver really polls. The fake keeps the
/// kernel's rules: 16 queued events per line, the newest dropped on overflow,
/// logical values and directions for an active-low line.
@Suite struct GPIODriverTests {
    static let fastRetry = RetryPolicy(initialNs: 10_000_000, maximumNs: 50_000_000)

    static func line(
        _ offset: Int, _ sensor: String, active: ActiveLevel = .high, chip: String = "gpiochip0",
        bias: LineBias = .asIs, pollMs: Int? = nil
    ) -> GPIOLineConfig {
        GPIOLineConfig(
            chip: chip, line: offset, sensor: SensorConfig(id: sensor, kind: .pir, zone: "z"), active: active,
            debounceMs: 30, bias: bias, pollMs: pollMs)
    }

    struct Harness {
        let backend = FakeGPIO()
        let sink = CollectingSink()
        let health = HealthLog()
        let log = CapturedLog()
        let mapping = UTCMapping()

        func driver(
            _ lines: [GPIOLineConfig], storm: GPIOStormLimit = .default, confirmNs: Int64 = 50_000_000
        ) -> LibgpiodGPIODriver {
            LibgpiodGPIODriver(
                lines: lines, backend: backend, mapping: mapping, health: health.board, logger: log.logger,
                retry: GPIODriverTests.fastRetry, storm: storm, confirmNs: confirmNs)
        }

        func running<R>(_ driver: LibgpiodGPIODriver, _ body: () async throws -> R) async throws -> R {
            let sink = sink
            let task = Task { try await driver.run(into: sink) }
            defer { task.cancel() }
            let result = try await body()
            task.cancel()
            try await task.value
            return result
        }

        func waitHealthy(_ count: Int) async throws {
            try await eventually("\(count) healthy line(s)") { health.statuses.count { $0.healthy } >= count }
        }
    }

    @Test func edgesReachTheSinkMappedToUTCInOrder() async throws {
        let h = Harness()
        let driver = h.driver([Self.line(17, "pir-1"), Self.line(22, "pir-2")])
        try await h.running(driver) {
            try await h.waitHealthy(2)
            let now = SystemClock().monotonicNs()
            h.backend.emit(
                "gpiochip0", 22,
                [GPIOKernelEvent(timestampNs: now - 3_000_000, rising: true), .init(timestampNs: now, rising: false)])
            try await eventually("two edges") { h.sink.edges.count == 2 }
            let edges = h.sink.edges
            #expect(edges.map(\.line) == [1, 1])
            #expect(edges.map(\.rising) == [true, false])
            #expect(edges[1].t - edges[0].t == 3_000_000)
            let expected = h.mapping.unclamped(monotonic: now)
            #expect(abs(edges[1].t - expected) < 50_000_000)
            #expect(driver.syntheticEdges == 0)
            #expect(h.backend.consumer(of: "gpiochip0", 17) == "picket")
        }
        #expect(h.backend.released == 2)
    }

    /// A storm overflows the kernel's 16-event queue: the newest edges are
    /// lost, the last one kept says "low" while the line is high. The driver
    /// reads the full batch, then the empty queue, then the value, and
    /// injects the falling edge the debouncer needs.
    @Test func aFullBatchEndsInAResyncToTheTrueLevel() async throws {
        let h = Harness()
        let driver = h.driver([Self.line(17, "pir-1")])
        try await h.running(driver) {
            try await h.waitHealthy(1)
            let t0 = SystemClock().monotonicNs()
            let storm = (0...40).map { GPIOKernelEvent(timestampNs: t0 + Int64($0) * 1000, rising: $0 % 2 == 0) }
            // Kept: edges 0...15, the last falling; lost: 16...40, ending rising.
            h.backend.emit("gpiochip0", 17, storm, valueAfter: true)
            try await eventually("16 edges and a synthetic one") { h.sink.edges.count == 17 }
            let edges = h.sink.edges
            #expect(edges.prefix(16).map(\.rising) == (0..<16).map { $0 % 2 == 0 })
            #expect(edges[16].rising == true)
            #expect(edges[16].t >= edges[15].t)
            #expect(driver.syntheticEdges == 1)
            #expect(driver.fullBatchesRead == 1)

            // A full batch whose last edge is the truth needs no synthetic edge.
            let t1 = SystemClock().monotonicNs()
            let agreeing = (0..<16).map { GPIOKernelEvent(timestampNs: t1 + Int64($0), rising: $0 % 2 == 1) }
            h.backend.emit("gpiochip0", 17, agreeing + [.init(timestampNs: t1 + 99, rising: false)], valueAfter: true)
            try await eventually("16 more edges") { h.sink.edges.count == 33 }
            try await Task.sleep(for: .milliseconds(50))
            #expect(h.sink.edges.count == 33)
            #expect(driver.syntheticEdges == 1)
            #expect(driver.fullBatchesRead == 2)
        }
    }

    /// The kernel reports an active-low line's events inverted; the sink gets
    /// the level on the wire, as a recording holds it and the debouncer expects.
    @Test func activeLowEdgesAreHandedOnAsOnTheWire() async throws {
        let h = Harness()
        // The beam's idle level is high: logical 0, no synthetic edge at start.
        try await h.running(h.driver([Self.line(22, "beam-s", active: .low)])) {
            try await h.waitHealthy(1)
            let now = SystemClock().monotonicNs()
            // Logical rising = the beam broken = the wire going low.
            h.backend.emit("gpiochip0", 22, [.init(timestampNs: now, rising: true)], valueAfter: true)
            try await eventually("one edge") { h.sink.edges.count == 1 }
            #expect(h.sink.edges[0].rising == false)
        }
        #expect(h.backend.requestedActiveLow("gpiochip0", 22))
    }

    /// A line already active when it is requested is reported at once.
    @Test func aLineActiveAtStartGetsASyntheticEdge() async throws {
        let h = Harness()
        h.backend.setValue("gpiochip0", 17, true)
        let driver = h.driver([Self.line(17, "pir-1")])
        try await h.running(driver) {
            try await eventually("the start edge") { h.sink.edges.count == 1 }
            #expect(h.sink.edges[0].rising == true)
            #expect(driver.syntheticEdges == 1)
        }
    }

    /// A busy line is reported naming chip and line, retried with backoff,
    /// and the other line delivers meanwhile; once free it is requested.
    @Test func aBusyLineIsRetriedWhileTheOthersRun() async throws {
        let h = Harness()
        h.backend.refuse("gpiochip0", 22, .busy(consumer: "gpioset"), times: 5)
        try await h.running(h.driver([Self.line(17, "pir-1"), Self.line(22, "beam-s")])) {
            try await h.waitHealthy(1)
            h.backend.emit("gpiochip0", 17, [.init(timestampNs: SystemClock().monotonicNs(), rising: true)])
            try await eventually("line 17's edge") { h.sink.edges.count == 1 }
            try await h.waitHealthy(2)
            let down = h.health.statuses.filter { !$0.healthy }
            #expect(down.count == 1)
            #expect(down.first?.source == "gpiochip0:22")
            #expect(down.first?.sensors == ["beam-s"])
            #expect(down.first?.detail == "gpiochip0 line 22: line is busy (held by \"gpioset\")")
            #expect(h.backend.requests("gpiochip0", 22) == 6)
            // Five failures, one warning.
            #expect(h.log.all.count { $0.message == "GPIO line unavailable, retrying" } == 1)
        }
    }

    /// A line whose reads start failing (the chip went away) is released,
    /// reported, and requested again; its level is checked on return.
    @Test func aFailingLineIsReleasedAndRequestedAgain() async throws {
        let h = Harness()
        let driver = h.driver([Self.line(17, "pir-1")])
        try await h.running(driver) {
            try await h.waitHealthy(1)
            h.backend.failReads("gpiochip0", 17, errno: ENODEV, valueAfter: true)
            try await h.waitHealthy(2)
            let statuses = h.health.statuses
            #expect(statuses.map(\.healthy) == [true, false, true])
            #expect(statuses[1].detail.hasPrefix("gpiochip0 line 17: gpiod_line_event_read_fd_multiple failed"))
            // While it was gone the line went active: the re-request reports it.
            try await eventually("the resync edge") { h.sink.edges.count == 1 }
            #expect(h.sink.edges[0].rising)
            #expect(h.log.all.contains { $0.message == "GPIO line lost, requesting it again" })
        }
        #expect(h.backend.released == 2)
    }

    @Test func cancellationReturnsWhileEveryLineIsDown() async throws {
        let h = Harness()
        h.backend.refuse("gpiochip0", 17, .noSuchChip, times: .max)
        let driver = LibgpiodGPIODriver(
            lines: [Self.line(17, "pir-1")], backend: h.backend, mapping: h.mapping, health: h.health.board,
            logger: h.log.logger, retry: RetryPolicy(initialNs: 60_000_000_000, maximumNs: 60_000_000_000))
        let sink = h.sink
        let task = Task { try await driver.run(into: sink) }
        try await eventually("an unhealthy report") { !h.health.statuses.isEmpty }
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        try await task.value
        // Not the 60 s backoff (about 10 ms when idle; generous for busy CI cores).
        #expect(clock.now - start < .seconds(15))
        #expect(h.health.statuses.first?.detail.contains("gpiochip0 line 17: no such GPIO chip") == true)
    }
}

/// Line bookkeeping without threads: physical edges, the floor, the resync.
@Suite struct GPIOLineTrackerTests {
    @Test func timesNeverGoBackwardsWhenTheClockIsSteppedBack() {
        var tracker = GPIOLineTracker(activeLow: false)
        #expect(tracker.edge(.init(timestampNs: 0, rising: true), utc: 5_000).t == 5_000)
        // The wall clock was stepped back by NTP between two events.
        #expect(tracker.edge(.init(timestampNs: 0, rising: false), utc: 2_000).t == 5_000)
        #expect(tracker.edge(.init(timestampNs: 0, rising: true), utc: 7_000).t == 7_000)
    }

    @Test(arguments: [false, true])
    func syncInjectsOnlyWhenTheLevelDisagrees(activeLow: Bool) {
        var tracker = GPIOLineTracker(activeLow: activeLow)
        // Starts at the inactive level: logical 0 agrees.
        #expect(tracker.sync(logicalValue: false, utc: 1) == nil)
        let edge = tracker.sync(logicalValue: true, utc: 2)
        #expect(edge?.rising == !activeLow)
        #expect(tracker.levelHigh == !activeLow)
        #expect(tracker.sync(logicalValue: true, utc: 3) == nil)
        tracker.resyncDue = true
        _ = tracker.sync(logicalValue: true, utc: 4)
        #expect(!tracker.resyncDue)
    }

    /// v1 timestamps are CLOCK_MONOTONIC from Linux 5.7 and CLOCK_REALTIME
    /// before; both land on UTC.
    @Test func kernelTimestampsOfEitherClockMapToUTC() {
        let mapping = UTCMapping()
        let mono = SystemClock().monotonicNs()
        let real = SystemClock().wallNs()
        let fromMonotonic = mapping.utc(kernelTimestamp: mono - 1_000, monotonicNow: mono, realtimeNow: real)
        let fromRealtime = mapping.utc(kernelTimestamp: real - 1_000, monotonicNow: mono, realtimeNow: real)
        #expect(fromRealtime == real - 1_000)
        #expect(abs(fromMonotonic - (real - 1_000)) < 50_000_000)
    }
}

// MARK: - The fake backend

/// GPIO lines as pipes: `emit` queues events (16 at most, the newest
/// dropped, as the kernel does) and makes the pipe readable. A line marked
/// `noInterrupt` refuses edge requests, as x86 Super-I/O GPIO and I2C
/// expanders do, and can only be requested for its values.
final class FakeGPIO: GPIOBackend, Sendable {
    struct LineState {
        var queue: [GPIOKernelEvent] = []
        var value = false
        var activeLow = false
        var consumer: String?
        var refusals = 0
        var refusal: GPIORequestError.Reason = .noSuchChip
        var requests = 0
        var requestTimes: [Int64] = []
        var modes: [GPIORequestMode] = []
        var noInterrupt = false
        var readErrno: Int32?
        /// Every request's reads fail at once with this errno (a line that flaps).
        var flapErrno: Int32?
        var fds: (read: Int32, write: Int32)?
    }

    struct Key: Hashable {
        var chip: String
        var line: Int
    }

    private let state = Mutex<[Key: LineState]>([:])
    private let releases = Atomic<Int>(0)
    private let chipList = Mutex<[GPIOChipInfo]>([])

    var released: Int { releases.load(ordering: .relaxed) }

    func request(_ config: GPIOLineConfig, mode: GPIORequestMode, consumer: String) throws(GPIORequestError)
        -> any GPIORequestedLine
    {
        let key = Key(chip: config.chip, line: config.line)
        let refused: GPIORequestError.Reason? = state.withLock { lines in
            lines[key, default: LineState()].requests += 1
            lines[key]!.requestTimes.append(SystemClock().monotonicNs())
            lines[key]!.modes.append(mode)
            if mode == .edges && lines[key]!.noInterrupt { return .noInterrupt }
            guard lines[key]!.refusals > 0 else { return nil }
            lines[key]!.refusals -= 1
            return lines[key]!.refusal
        }
        if let refused { throw GPIORequestError(chip: config.chip, line: config.line, reason: refused) }
        var fds: [Int32] = [-1, -1]
        if mode == .edges {
            precondition(pipe(&fds) == 0)
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        }
        state.withLock { lines in
            lines[key, default: LineState()].consumer = consumer
            lines[key]!.activeLow = config.active == .low
            lines[key]!.fds = mode == .edges ? (fds[0], fds[1]) : nil
            lines[key]!.readErrno = lines[key]!.flapErrno
            // Events queued while the line was not requested never happened for it.
            lines[key]!.queue.removeAll()
            if lines[key]!.flapErrno != nil { wake(lines[key]!) }
        }
        let info = GPIOLineInfo(
            chipPath: "/dev/\(config.chip)", chipLabel: "fake-\(config.chip)", chipLines: 54,
            lineName: "GPIO\(config.line)")
        return Line(backend: self, key: key, fd: fds[0], info: info)
    }

    func chips() -> [GPIOChipInfo] { chipList.withLock { $0 } }

    func setChips(_ chips: [GPIOChipInfo]) { chipList.withLock { $0 = chips } }

    func emit(_ chip: String, _ line: Int, _ events: [GPIOKernelEvent], valueAfter: Bool? = nil) {
        state.withLock { lines in
            let key = Key(chip: chip, line: line)
            let room = max(0, 16 - lines[key, default: LineState()].queue.count)
            lines[key]!.queue += events.prefix(room)
            lines[key]!.value = valueAfter ?? events.last?.rising ?? lines[key]!.value
            wake(lines[key]!)
        }
    }

    func setValue(_ chip: String, _ line: Int, _ value: Bool) {
        state.withLock { $0[Key(chip: chip, line: line), default: LineState()].value = value }
    }

    func refuse(_ chip: String, _ line: Int, _ reason: GPIORequestError.Reason, times: Int) {
        state.withLock {
            $0[Key(chip: chip, line: line), default: LineState()].refusals = times
            $0[Key(chip: chip, line: line)]!.refusal = reason
        }
    }

    /// The line cannot raise interrupts: edge requests fail, value requests work.
    func withoutInterrupt(_ chip: String, _ line: Int) {
        state.withLock { $0[Key(chip: chip, line: line), default: LineState()].noInterrupt = true }
    }

    /// Every request of the line works, and its first read fails with
    /// `errno`; nil: requests work again for good.
    func flap(_ chip: String, _ line: Int, errno: Int32?) {
        state.withLock { $0[Key(chip: chip, line: line), default: LineState()].flapErrno = errno }
    }

    func failReads(_ chip: String, _ line: Int, errno: Int32, valueAfter: Bool) {
        state.withLock { lines in
            let key = Key(chip: chip, line: line)
            lines[key]!.readErrno = errno
            lines[key]!.value = valueAfter
            wake(lines[key]!)
        }
    }

    func requests(_ chip: String, _ line: Int) -> Int {
        state.withLock { $0[Key(chip: chip, line: line)]?.requests ?? 0 }
    }
    func requestTimes(_ chip: String, _ line: Int) -> [Int64] {
        state.withLock { $0[Key(chip: chip, line: line)]?.requestTimes ?? [] }
    }
    func modes(_ chip: String, _ line: Int) -> [GPIORequestMode] {
        state.withLock { $0[Key(chip: chip, line: line)]?.modes ?? [] }
    }
    func consumer(of chip: String, _ line: Int) -> String? {
        state.withLock { $0[Key(chip: chip, line: line)]?.consumer }
    }
    func requestedActiveLow(_ chip: String, _ line: Int) -> Bool {
        state.withLock { $0[Key(chip: chip, line: line)]?.activeLow ?? false }
    }

    private func wake(_ line: LineState) {
        guard let fds = line.fds else { return }
        var byte: UInt8 = 1
        _ = write(fds.write, &byte, 1)
    }

    fileprivate func read(_ key: Key, into buffer: inout [GPIOKernelEvent]) throws(SystemError) -> Int {
        let result: Result<Int, SystemError> = state.withLock { lines in
            if let e = lines[key]!.readErrno {
                return .failure(
                    SystemError(
                        call: "gpiod_line_event_read_fd_multiple", subject: "\(key.chip) line \(key.line)", errno: e))
            }
            let n = min(buffer.count, lines[key]!.queue.count)
            for i in 0..<n { buffer[i] = lines[key]!.queue[i] }
            lines[key]!.queue.removeFirst(n)
            if lines[key]!.queue.isEmpty, let fds = lines[key]!.fds {
                var sink = [UInt8](repeating: 0, count: 64)
                while Glibc.read(fds.read, &sink, sink.count) > 0 {}
            }
            return .success(n)
        }
        return try result.get()
    }

    fileprivate func value(_ key: Key) -> Bool { state.withLock { $0[key]!.value } }

    fileprivate func release(_ key: Key) {
        releases.add(1, ordering: .relaxed)
        state.withLock { lines in
            if let fds = lines[key]!.fds {
                close(fds.read)
                close(fds.write)
            }
            lines[key]!.fds = nil
            lines[key]!.consumer = nil
        }
    }

    final class Line: GPIORequestedLine {
        let backend: FakeGPIO
        let key: Key
        let eventFD: Int32
        let info: GPIOLineInfo
        private var released = false

        init(backend: FakeGPIO, key: Key, fd: Int32, info: GPIOLineInfo) {
            self.backend = backend
            self.key = key
            self.eventFD = fd
            self.info = info
        }

        func readEvents(into buffer: inout [GPIOKernelEvent]) throws(SystemError) -> Int {
            try backend.read(key, into: &buffer)
        }

        func logicalValue() throws(SystemError) -> Bool { backend.value(key) }

        func release() {
            guard !released else { return }
            released = true
            backend.release(key)
        }
    }
}
