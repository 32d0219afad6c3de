import Foundation
import Logging
import PicketCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The configured GPIO lines, read through libgpiod (or another
/// `GPIOBackend`) on a thread of the driver's own.
///
/// Every line is requested for both edges with its bias and active level;
/// the v1 API gives one event descriptor per line (its events carry no line
/// offset), and all of them are waited on together in one `poll`, beside a
/// wake pipe so cancellation returns at once. Events are read in batches of
/// up to 16, the kernel's queue per line. That queue drops the newest event
/// on overflow, so after a full batch the driver reads until the queue is
/// drained, then reads the line's value and, where it disagrees with the
/// last edge handed on, injects a synthetic edge (counted): the debouncer
/// then converges on the true level after a storm. The same check runs when
/// a line is (re)requested, so a line already active at start is reported.
///
/// A line that cannot be had (no such chip or line, busy) or that fails
/// later is reported unhealthy, logged once, released and requested again
/// with capped backoff; the other lines go on meanwhile.
///
/// One driver feeds every line: the hub's rings each have one producer,
/// and `flush()` re-offers the tails of all lines.
public final class LibgpiodGPIODriver: GPIOEdgeSource {
    /// Events per read: `gpiod_line_event_read_fd_multiple` takes at most 16.
    public static let batchSize = 16
    /// Batches read from one line per turn, so a storm on one line cannot
    /// keep the others from being read.
    static let batchesPerTurn = 4
    /// How long `poll` waits when nothing is due, and while the hub still
    /// holds a line's tail back.
    static let idleMs: Int32 = 1000
    static let heldBackMs: Int32 = 5

    public let lines: [GPIOLineConfig]
    private let backend: any GPIOBackend
    private let mapping: UTCMapping
    private let health: DriverHealthBoard
    private let logger: Logger
    private let retry: RetryPolicy
    private let consumer: String
    private let synthetic = Atomic<Int>(0)
    private let fullBatches = Atomic<Int>(0)

    /// - Parameter lines: the configuration's `gpio`, in order: a line's
    ///   index is its index in the hub.
    public init(
        lines: [GPIOLineConfig], backend: any GPIOBackend = LibgpiodBackend(), mapping: UTCMapping,
        health: DriverHealthBoard, logger: Logger, retry: RetryPolicy = .default, consumer: String = "picket"
    ) {
        self.lines = lines
        self.backend = backend
        self.mapping = mapping
        self.health = health
        self.logger = logger
        self.retry = retry
        self.consumer = consumer
    }

    public var name: String {
        var chips: [String] = []
        for line in lines where !chips.contains(line.chip) { chips.append(line.chip) }
        return "libgpiod " + chips.joined(separator: ", ")
    }

    /// Synthetic edges injected where a line's level disagreed with its last edge.
    public var syntheticEdges: Int { synthetic.load(ordering: .relaxed) }
    /// Full batches read: the kernel's queue was full, edges may have been lost.
    public var fullBatchesRead: Int { fullBatches.load(ordering: .relaxed) }

    /// Reads the lines until the task is cancelled. Throws only when no wake
    /// pipe can be made (no descriptors left).
    public func run(into sink: any InputSink) async throws {
        try await WakePipe.runThread(named: "picket-gpio") { [self] wake in
            var loop = Loop(driver: self, sink: sink, wake: wake)
            loop.run()
        }
    }

    // MARK: The driver's thread

    /// One configured line and what the thread knows of it.
    private struct Slot {
        let index: Int
        let config: GPIOLineConfig
        var tracker: GPIOLineTracker
        var handle: (any GPIORequestedLine)?
        /// CLOCK_MONOTONIC time of the next request while the line is down.
        var retryAt: Int64 = 0
        var attempt = 0
        /// The unhealthy detail last reported; nil while the line works.
        var detail: String?
        var down = false
        var everRequested = false

        var source: String { "\(config.chip):\(config.line)" }
        var subject: String { "\(config.chip) line \(config.line)" }
    }

    private struct Loop {
        let driver: LibgpiodGPIODriver
        let sink: any InputSink
        let wake: WakePipe
        var slots: [Slot]
        var buffer = [GPIOKernelEvent](
            repeating: GPIOKernelEvent(timestampNs: 0, rising: false), count: LibgpiodGPIODriver.batchSize)

        init(driver: LibgpiodGPIODriver, sink: any InputSink, wake: WakePipe) {
            self.driver = driver
            self.sink = sink
            self.wake = wake
            slots = driver.lines.enumerated().map { index, config in
                Slot(index: index, config: config, tracker: GPIOLineTracker(activeLow: config.active == .low))
            }
        }

        mutating func run() {
            defer {
                for i in slots.indices { slots[i].handle?.release() }
            }
            var fds: [pollfd] = []
            var polled: [Int] = []
            while true {
                let now = UTCMapping.monotonicNow()
                var nextRetry = Int64.max
                for i in slots.indices where slots[i].handle == nil {
                    if slots[i].retryAt <= now { request(i) }
                    if slots[i].handle == nil { nextRetry = min(nextRetry, slots[i].retryAt) }
                }
                let heldBack = !sink.flush()
                fds.removeAll(keepingCapacity: true)
                polled.removeAll(keepingCapacity: true)
                fds.append(pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0))
                for i in slots.indices {
                    if let handle = slots[i].handle {
                        fds.append(pollfd(fd: handle.eventFD, events: Int16(POLLIN), revents: 0))
                        polled.append(i)
                    }
                }
                var timeout = heldBack ? LibgpiodGPIODriver.heldBackMs : LibgpiodGPIODriver.idleMs
                if nextRetry != .max {
                    let untilRetry = (max(0, nextRetry - UTCMapping.monotonicNow()) + 999_999) / 1_000_000
                    timeout = min(timeout, Int32(clamping: untilRetry))
                }
                let ready = (try? SystemCall.retrying("poll", "GPIO lines") { poll(&fds, nfds_t(fds.count), timeout) })
                if fds[0].revents != 0 { return }
                guard let ready, ready > 0 else { continue }
                for (k, i) in polled.enumerated() {
                    let events = Int32(fds[k + 1].revents)
                    if events & POLLIN != 0 {
                        service(i)
                    } else if events & (POLLERR | POLLHUP | POLLNVAL) != 0 {
                        fail(i, "\(slots[i].subject): event descriptor reported an error (chip removed?)")
                    }
                }
            }
        }

        /// Reads a ready line's queued events, a few batches at most.
        mutating func service(_ i: Int) {
            guard let handle = slots[i].handle else { return }
            var drained = false
            for _ in 0..<LibgpiodGPIODriver.batchesPerTurn {
                let count: Int
                do throws(SystemError) {
                    count = try handle.readEvents(into: &buffer)
                } catch {
                    fail(i, error.description)
                    return
                }
                if count > 0 {
                    let monotonicNow = UTCMapping.monotonicNow()
                    let realtimeNow = UTCMapping.realtimeNow()
                    for event in buffer[0..<count] {
                        let utc = driver.mapping.utc(
                            kernelTimestamp: event.timestampNs, monotonicNow: monotonicNow, realtimeNow: realtimeNow)
                        let edge = slots[i].tracker.edge(event, utc: utc)
                        sink.offerEdge(line: slots[i].index, rising: edge.rising, t: edge.t)
                    }
                }
                if count < LibgpiodGPIODriver.batchSize {
                    drained = true
                    break
                }
                slots[i].tracker.resyncDue = true
                driver.fullBatches.add(1, ordering: .relaxed)
            }
            if drained && slots[i].tracker.resyncDue { resync(i) }
        }

        /// Compares the line's value with its last edge; injects an edge where they disagree.
        mutating func resync(_ i: Int) {
            guard let handle = slots[i].handle else { return }
            let value: Bool
            do throws(SystemError) {
                value = try handle.logicalValue()
            } catch {
                fail(i, error.description)
                return
            }
            if let edge = slots[i].tracker.sync(logicalValue: value, utc: driver.mapping.now()) {
                driver.synthetic.add(1, ordering: .relaxed)
                sink.offerEdge(line: slots[i].index, rising: edge.rising, t: edge.t)
            }
        }

        mutating func request(_ i: Int) {
            do throws(GPIORequestError) {
                slots[i].handle = try driver.backend.request(slots[i].config, consumer: driver.consumer)
            } catch {
                down(i, error.description)
                return
            }
            up(i)
            // The level now is the line's truth; the first edge may be long away.
            resync(i)
        }

        /// A requested line broke: give it back and request it again later.
        mutating func fail(_ i: Int, _ detail: String) {
            slots[i].handle?.release()
            slots[i].handle = nil
            slots[i].attempt = 0
            down(i, detail)
        }

        mutating func down(_ i: Int, _ detail: String) {
            let config = slots[i].config
            if !slots[i].down {
                slots[i].down = true
                driver.logger.warning(
                    slots[i].everRequested ? "GPIO line lost, requesting it again" : "GPIO line unavailable, retrying",
                    metadata: [
                        "chip": "\(config.chip)", "line": "\(config.line)", "sensor": "\(config.sensor.id)",
                        "reason": "\(detail)",
                    ])
            }
            if slots[i].detail != detail {
                slots[i].detail = detail
                driver.health.report(
                    DriverStatus(
                        source: slots[i].source, sensors: [config.sensor.id], healthy: false, detail: detail,
                        ts: driver.mapping.now()))
            }
            slots[i].retryAt = UTCMapping.monotonicNow() + driver.retry.delay(attempt: slots[i].attempt)
            slots[i].attempt += 1
        }

        mutating func up(_ i: Int) {
            let config = slots[i].config
            var detail = "\(slots[i].subject): requested for both edges, active \(config.active.rawValue)"
            if config.bias != .asIs { detail += ", bias \(config.bias.rawValue)" }
            driver.health.report(
                DriverStatus(
                    source: slots[i].source, sensors: [config.sensor.id], healthy: true, detail: detail,
                    ts: driver.mapping.now()))
            let metadata: Logger.Metadata = [
                "chip": "\(config.chip)", "line": "\(config.line)", "sensor": "\(config.sensor.id)",
            ]
            if slots[i].down {
                driver.logger.notice(
                    slots[i].everRequested ? "GPIO line back" : "GPIO line requested", metadata: metadata)
            } else {
                driver.logger.info("GPIO line requested", metadata: metadata)
            }
            slots[i].down = false
            slots[i].detail = nil
            slots[i].attempt = 0
            slots[i].everRequested = true
        }
    }
}
