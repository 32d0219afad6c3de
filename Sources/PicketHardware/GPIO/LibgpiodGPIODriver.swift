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
/// A line with `poll_ms` (one that cannot raise interrupts) is requested as
/// a plain input and its value sampled every `poll_ms`: a change is an edge
/// stamped with the sample's time, through the same hub and debouncer.
///
/// A line that cannot be had (no such chip or line, busy, no permission, no
/// interrupt) or that fails later is reported unhealthy, logged (a repeated
/// failure at most once per 30 s), released and requested again with capped
/// backoff; the other lines go on meanwhile. The backoff starts over only
/// once a line has worked for `stableNs`, so a line that requests fine and
/// breaks at once settles at the ceiling instead of cycling four times a
/// second; such a flapping line stays unhealthy until it has worked for
/// `confirmNs`, so its status does not flip at every cycle either. A line delivering more edges a second than `storm` allows (a
/// floating input) is released for `storm.releaseNs`, then requested again.
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
    /// How long after an edge the driver is assumed to read it (the kernel
    /// stamps the edge; the driver thread wakes and reads it a little later):
    /// what a waiting GPIO source's watermark trails the clock by.
    public static let edgeLagNs: Int64 = 10_000_000

    public let lines: [GPIOLineConfig]
    private let backend: any GPIOBackend
    private let mapping: UTCMapping
    private let health: DriverHealthBoard
    private let logger: Logger
    private let retry: RetryPolicy
    private let consumer: String
    private let storm: GPIOStormLimit
    private let stableNs: Int64
    private let confirmNs: Int64
    private let logIntervalNs: Int64
    private let synthetic = Atomic<Int>(0)
    private let fullBatches = Atomic<Int>(0)
    private let stormReleases = Atomic<Int>(0)

    /// - Parameters:
    ///   - lines: the configuration's `gpio`, in order: a line's index is its
    ///     index in the hub.
    ///   - storm: the edges a line may deliver per second.
    ///   - stableNs: how long a line must work before its backoff starts over.
    ///   - confirmNs: how long a line that flapped must work before it is
    ///     reported healthy again.
    ///   - logIntervalNs: a line's repeated failure is logged at most this often.
    public init(
        lines: [GPIOLineConfig], backend: any GPIOBackend = LibgpiodBackend(), mapping: UTCMapping,
        health: DriverHealthBoard, logger: Logger, retry: RetryPolicy = .default, consumer: String = "picket",
        storm: GPIOStormLimit = .default, stableNs: Int64 = 60_000_000_000, confirmNs: Int64 = 10_000_000_000,
        logIntervalNs: Int64 = 30_000_000_000
    ) {
        self.confirmNs = confirmNs
        self.storm = storm
        self.stableNs = stableNs
        self.logIntervalNs = logIntervalNs
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
    /// Lines released for delivering more edges a second than `storm` allows.
    public var stormReleaseCount: Int { stormReleases.load(ordering: .relaxed) }

    /// Reads the lines until the task is cancelled. Throws only when no wake
    /// pipe can be made (no descriptors left).
    public func run(into sink: any InputSink) async throws {
        logger.info("GPIO library", metadata: ["library": "\(backend.libraryDescription)"])
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
        var storm: GPIOStormMeter
        var limiter: RepeatLimiter
        var handle: (any GPIORequestedLine)?
        /// CLOCK_MONOTONIC time of the next request while the line is down.
        var retryAt: Int64 = 0
        var attempt = 0
        /// The unhealthy detail last reported; nil while the line works.
        var detail: String?
        var down = false
        /// The outage's warning was logged, so its end is worth a line too.
        var saidDown = false
        var everRequested = false
        /// The line was reported working at least once.
        var wasUp = false
        /// CLOCK_MONOTONIC time of the last successful request, while the line works.
        var upSince: Int64?
        /// The line broke less than `stableNs` after its last request.
        var flapping = false
        /// While a flapping line works again: when to call it healthy.
        var confirmAt: Int64?
        /// CLOCK_MONOTONIC time of the next sample of a polled line.
        var nextSample: Int64 = 0

        var source: String { "\(config.chip):\(config.line)" }
        var subject: String { "\(config.chip) line \(config.line)" }
        var pollNs: Int64? { config.pollMs.map { Int64($0) * 1_000_000 } }
    }

    private struct Loop {
        let driver: LibgpiodGPIODriver
        let sink: any InputSink
        let wake: WakePipe
        var slots: [Slot]
        /// Chips already logged (and checked against the header), by configured name.
        var chipsSeen: Set<String> = []
        var buffer = [GPIOKernelEvent](
            repeating: GPIOKernelEvent(timestampNs: 0, rising: false), count: LibgpiodGPIODriver.batchSize)

        init(driver: LibgpiodGPIODriver, sink: any InputSink, wake: WakePipe) {
            self.driver = driver
            self.sink = sink
            self.wake = wake
            slots = driver.lines.enumerated().map { index, config in
                Slot(
                    index: index, config: config, tracker: GPIOLineTracker(activeLow: config.active == .low),
                    storm: GPIOStormMeter(limit: driver.storm.edgesPerSecond),
                    limiter: RepeatLimiter(intervalNs: driver.logIntervalNs))
            }
        }

        mutating func run() {
            defer {
                for i in slots.indices { slots[i].handle?.release() }
            }
            var fds: [pollfd] = []
            var polled: [Int] = []
            while true {
                let now = driver.mapping.monotonicNs()
                var nextWake = Int64.max
                for i in slots.indices where slots[i].handle == nil {
                    if slots[i].retryAt <= now { request(i) }
                    if slots[i].handle == nil { nextWake = min(nextWake, slots[i].retryAt) }
                }
                for i in slots.indices where slots[i].confirmAt != nil && slots[i].handle != nil {
                    if let at = slots[i].confirmAt, at <= now, let handle = slots[i].handle {
                        slots[i].confirmAt = nil
                        confirm(i, handle.info)
                    }
                    if let at = slots[i].confirmAt { nextWake = min(nextWake, at) }
                }
                for i in slots.indices where slots[i].pollNs != nil && slots[i].handle != nil {
                    if slots[i].nextSample <= now { sample(i) }
                    if slots[i].handle != nil { nextWake = min(nextWake, slots[i].nextSample) }
                }
                let heldBack = !sink.flush()
                fds.removeAll(keepingCapacity: true)
                polled.removeAll(keepingCapacity: true)
                fds.append(pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0))
                for i in slots.indices {
                    if let handle = slots[i].handle, handle.eventFD >= 0 {
                        fds.append(pollfd(fd: handle.eventFD, events: Int16(POLLIN), revents: 0))
                        polled.append(i)
                    }
                }
                var timeout = heldBack ? LibgpiodGPIODriver.heldBackMs : LibgpiodGPIODriver.idleMs
                if nextWake != .max {
                    let untilWake = (max(0, nextWake - driver.mapping.monotonicNs()) + 999_999) / 1_000_000
                    timeout = min(timeout, Int32(clamping: untilWake))
                }
                // Watermark: the kernel stamps an edge itself, so a waiting
                // line promises only `edgeLagNs` less than its wake-up; an
                // edge held back (ring full) leaves the lines' marks unknown.
                let enteredPoll = driver.mapping.now()
                for i in slots.indices {
                    if heldBack {
                        sink.markUnknown(.line(slots[i].index))
                    } else {
                        sink.waiting(.line(slots[i].index), lagNs: LibgpiodGPIODriver.edgeLagNs)
                    }
                }
                let ready = (try? SystemCall.retrying("poll", "GPIO lines") { poll(&fds, nfds_t(fds.count), timeout) })
                if !heldBack {
                    for i in slots.indices {
                        sink.delivered(
                            .line(slots[i].index), through: enteredPoll &- LibgpiodGPIODriver.edgeLagNs)
                    }
                }
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
                    let monotonicNow = driver.mapping.monotonicNs()
                    let realtimeNow = driver.mapping.realtimeNs()
                    for event in buffer[0..<count] {
                        let utc = driver.mapping.utc(
                            kernelTimestamp: event.timestampNs, monotonicNow: monotonicNow, realtimeNow: realtimeNow)
                        let edge = slots[i].tracker.edge(event, utc: utc)
                        sink.offerEdge(line: slots[i].index, rising: edge.rising, t: edge.t)
                    }
                    if let edges = slots[i].storm.count(count, now: monotonicNow) {
                        stormy(i, edges: edges)
                        return
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

        /// Samples a polled line: a change of value is an edge at the sample's time.
        mutating func sample(_ i: Int) {
            guard let handle = slots[i].handle, let period = slots[i].pollNs else { return }
            let value: Bool
            do throws(SystemError) {
                value = try handle.logicalValue()
            } catch {
                fail(i, error.description)
                return
            }
            let now = driver.mapping.monotonicNs()
            let utc = driver.mapping.now()
            // Keeps the cadence; after a stall (a busy board) it starts over from now.
            slots[i].nextSample += period
            if slots[i].nextSample <= now { slots[i].nextSample = now + period }
            guard let edge = slots[i].tracker.sync(logicalValue: value, utc: utc) else { return }
            sink.offerEdge(line: slots[i].index, rising: edge.rising, t: edge.t)
            if let edges = slots[i].storm.count(1, now: now) { stormy(i, edges: edges) }
        }

        mutating func request(_ i: Int) {
            let mode: GPIORequestMode = slots[i].config.pollMs == nil ? .edges : .values
            let handle: any GPIORequestedLine
            do throws(GPIORequestError) {
                handle = try driver.backend.request(slots[i].config, mode: mode, consumer: driver.consumer)
            } catch {
                down(i, error.description)
                return
            }
            slots[i].handle = handle
            up(i, handle.info)
            if slots[i].pollNs != nil {
                // The first sample is the level now, like a resync.
                slots[i].nextSample = driver.mapping.monotonicNs()
                sample(i)
            } else {
                // The level now is the line's truth; the first edge may be long away.
                resync(i)
            }
        }

        /// A requested line broke: give it back and request it again later.
        /// The backoff starts over only when the line had worked a while.
        mutating func fail(_ i: Int, _ detail: String) {
            slots[i].handle?.release()
            slots[i].handle = nil
            let now = driver.mapping.monotonicNs()
            if let since = slots[i].upSince {
                slots[i].flapping = now - since < driver.stableNs
                if !slots[i].flapping {
                    slots[i].attempt = 0
                    slots[i].limiter.cleared()
                }
            }
            slots[i].upSince = nil
            slots[i].confirmAt = nil
            down(i, detail)
        }

        /// A line delivered more edges in a second than the storm limit: it
        /// is released, reported, and requested again after the limit's pause.
        mutating func stormy(_ i: Int, edges: Int) {
            driver.stormReleases.add(1, ordering: .relaxed)
            slots[i].handle?.release()
            slots[i].handle = nil
            slots[i].upSince = nil
            slots[i].confirmAt = nil
            let detail = driver.storm.detail(subject: slots[i].subject, edges: edges)
            report(i, detail)
            slots[i].retryAt = driver.mapping.monotonicNs() + driver.storm.releaseNs
        }

        mutating func down(_ i: Int, _ detail: String) {
            report(i, detail)
            slots[i].retryAt = driver.mapping.monotonicNs() + driver.retry.delay(attempt: slots[i].attempt)
            slots[i].attempt += 1
        }

        /// Marks the line down with `detail`: reported when it changed,
        /// logged when it is news (at most once per `logIntervalNs`).
        mutating func report(_ i: Int, _ detail: String) {
            let config = slots[i].config
            let news = !slots[i].down || slots[i].detail != detail || slots[i].flapping
            slots[i].down = true
            if news, let unsaid = slots[i].limiter.occurred(now: driver.mapping.monotonicNs()) {
                var metadata: Logger.Metadata = [
                    "chip": "\(config.chip)", "line": "\(config.line)", "sensor": "\(config.sensor.id)",
                    "reason": "\(detail)",
                ]
                if unsaid > 0 { metadata["unlogged_failures"] = "\(unsaid)" }
                driver.logger.warning(
                    slots[i].everRequested ? "GPIO line lost, requesting it again" : "GPIO line unavailable, retrying",
                    metadata: metadata)
                slots[i].saidDown = true
            }
            if slots[i].detail != detail {
                slots[i].detail = detail
                driver.health.report(
                    DriverStatus(
                        source: slots[i].source, sensors: [config.sensor.id], healthy: false, detail: detail,
                        ts: driver.mapping.now()))
            }
        }

        mutating func up(_ i: Int, _ info: GPIOLineInfo) {
            logChip(slots[i].config.chip, info)
            let now = driver.mapping.monotonicNs()
            slots[i].upSince = now
            slots[i].storm.reset()
            slots[i].everRequested = true
            // A line that broke soon after its last request stays down until it has worked a while.
            if slots[i].flapping {
                slots[i].confirmAt = now + driver.confirmNs
                return
            }
            confirm(i, info)
        }

        /// Reports and logs a working line.
        mutating func confirm(_ i: Int, _ info: GPIOLineInfo) {
            let config = slots[i].config
            var detail = slots[i].subject
            if let name = info.lineName, !name.isEmpty { detail += " \"\(name)\"" }
            if let pollMs = config.pollMs {
                detail += ": sampled every \(pollMs) ms, active \(config.active.rawValue)"
            } else {
                detail += ": requested for both edges, active \(config.active.rawValue)"
            }
            // The kernel takes a bias a chip cannot apply without a word: requested, not known to be applied.
            if config.bias != .asIs { detail += ", bias \(config.bias.rawValue) requested (not confirmed)" }
            driver.health.report(
                DriverStatus(
                    source: slots[i].source, sensors: [config.sensor.id], healthy: true, detail: detail,
                    ts: driver.mapping.now()))
            var metadata: Logger.Metadata = [
                "chip": "\(config.chip)", "path": "\(info.chipPath)", "label": "\(info.chipLabel)",
                "line": "\(config.line)", "name": "\(info.lineName ?? "")", "sensor": "\(config.sensor.id)",
                "active": "\(config.active.rawValue)",
                "mode": "\(config.pollMs.map { "sampled every \($0) ms" } ?? "both edges")",
            ]
            if config.bias != .asIs {
                metadata["bias"] = "\(config.bias.rawValue) (requested, not confirmed by the chip)"
            }
            if slots[i].down {
                if slots[i].saidDown {
                    driver.logger.notice(slots[i].wasUp ? "GPIO line back" : "GPIO line requested", metadata: metadata)
                }
            } else if !slots[i].wasUp {
                driver.logger.info("GPIO line requested", metadata: metadata)
            }
            slots[i].down = false
            slots[i].saidDown = false
            slots[i].detail = nil
            slots[i].flapping = false
            slots[i].wasUp = true
        }

        /// Logs a chip the first time one of its lines is requested, and
        /// warns when `gpiochip0` is not a Raspberry Pi's header but another chip is.
        mutating func logChip(_ chip: String, _ info: GPIOLineInfo) {
            guard chipsSeen.insert(chip).inserted else { return }
            driver.logger.info(
                "GPIO chip",
                metadata: [
                    "chip": "\(chip)", "path": "\(info.chipPath)", "label": "\(info.chipLabel)",
                    "lines": "\(info.chipLines)",
                ])
            if let warning = GPIOHeaderCheck.warning(
                configuredChip: chip, label: info.chipLabel, chips: driver.backend.chips())
            {
                driver.logger.warning("\(warning)", metadata: ["chip": "\(chip)", "label": "\(info.chipLabel)"])
            }
        }
    }
}
