import Foundation
import Logging
import PicketCore
import PicketStore
import ServiceLifecycle
import Synchronization

/// The consumer side of the hot path, live: drains the hub on a thread of
/// its own (so a busy hot path never occupies the cooperative pool), moves
/// the clock to the sources' watermarks (at most `latencyNs` behind the
/// wall clock) so events are released as soon as nothing older can come,
/// and commits what was released in the same turn (group commit: in
/// batches, at least every `commitIntervalNs`, while a storm fills the rings). On graceful shutdown (after the drivers
/// stopped) it drains what is left, completes open debounce windows and
/// commits, so nothing a driver delivered is lost.
public final class ProcessingService: Service, @unchecked Sendable {
    // @unchecked: `pipeline` is touched only by the processing thread once
    // `run` starts; `stopping` is atomic.
    private let pipeline: Pipeline
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// CLOCK_MONOTONIC ns of the loop's last turn and of the last time the
    /// store answered (a commit returned, or there was nothing to commit):
    /// what the systemd watchdog and `/livez` check, so a hung hot path or a
    /// commit that never returns stops the pings. A store that answers with
    /// an error (a full disk) is `storeProblem`, for `/healthz`: a restart
    /// would not mend it and would drop the backlog.
    public let lastTurnNs = Atomic<Int64>(0)
    public let lastCommitNs = Atomic<Int64>(0)
    /// Set once the processing thread runs.
    public let started = Atomic<Bool>(false)
    /// Events and alerts of this run so far, for systemd's STATUS line.
    public let events = Atomic<Int>(0)
    public let alerts = Atomic<Int>(0)
    /// How far behind the wall clock the processing clock runs, so an input a
    /// driver is still handing over is not overtaken by a closed window. A
    /// driver thread descheduled on a busy box (or a kernel event read late)
    /// hands over inputs tens of milliseconds old; one older than this could
    /// close a debounce window the replay of the run's recording keeps open.
    /// Alerts wait this much longer; a quarter second is nothing to a patrol.
    /// It is only the bound: sources whose drivers keep a watermark (serial
    /// ports, libgpiod lines) release their events as soon as every source
    /// has delivered everything up to their time (`InputHub+Watermark`).
    public var latencyNs: Int64 = 250_000_000
    public var commitIntervalNs: Int64 = 250_000_000
    /// UTC now, on the same clock the drivers stamp inputs with.
    private let now: @Sendable () -> Int64
    /// What turns, commits and the health checks (`SystemdService`,
    /// `/livez`) are timed on: its monotonic time.
    public let clock: any PicketClock
    /// Called every `tickIntervalNs` (refreshes the drivers' UTC mapping).
    private let tick: @Sendable () -> Void
    public var tickIntervalNs: Int64 = 5_000_000_000

    /// Where each commit's counts and latency go (`/metrics`).
    private let metrics: PicketMetrics?

    /// - Parameter now: the processing time (`UTCMapping.now()`); nil: the
    ///   clock's wall time.
    public init(
        pipeline: Pipeline, logger: Logger, clock: any PicketClock = SystemClock(),
        now: (@Sendable () -> Int64)? = nil, tick: @escaping @Sendable () -> Void = {}, metrics: PicketMetrics? = nil
    ) {
        self.metrics = metrics
        self.clock = clock
        self.pipeline = pipeline
        self.logger = logger
        self.now = now ?? { clock.wallNs() }
        self.tick = tick
    }

    public func run() async throws {
        // Cancelled (another service failed) or shut down gracefully: either
        // way the thread drains, commits and stops, so the process can exit.
        try await withTaskCancellationHandler {
            try await runThread()
        } onCancel: {
            self.stopping.store(true, ordering: .releasing)
        }
    }

    private func runThread() async throws {
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    do {
                        try loop()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "picket-hot-path"
                thread.start()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
        }
    }

    /// Hotline reports join at commit time: at most a commit interval late,
    /// so they still wait in the reorder stage for events older than they
    /// are (the processing clock runs `latencyNs` behind). A failed read
    /// leaves them in the inbox for the next commit and holds nothing else up.
    private func takeReports(failing: inout Bool) {
        do {
            try pipeline.takeReports()
            if failing { logger.notice("hotline reports readable again", metadata: ["db": "\(pipeline.store.path)"]) }
            failing = false
        } catch {
            if !failing { logger.error("cannot read hotline reports, retrying", metadata: ["error": "\(error)"]) }
            failing = true
        }
    }

    /// Free bytes for an unprivileged writer on the file system holding `path`.
    static func freeBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// The system's monotonic time, for the test hook below (the loop reads `clock`).
    static func monotonic() -> Int64 { SystemClock().monotonicNs() }

    /// `PICKET_TEST_STALL_HOT_PATH_MS=N`: the loop stops making progress N ms
    /// after start, so a test can see the watchdog pings stop. Never set in
    /// the field.
    /// Only in debug builds (the tests'): a release binary has no such hook.
    static func testStall() -> Int64? {
        #if DEBUG
            guard let text = ProcessInfo.processInfo.environment["PICKET_TEST_STALL_HOT_PATH_MS"], let ms = Int64(text)
            else { return nil }
            return monotonic() + ms * 1_000_000
        #else
            return nil
        #endif
    }

    /// How long an idle hot path sleeps when nothing waits for time to
    /// pass (no open debounce window, nothing held back, nothing to
    /// commit): an input rings the doorbell and wakes it at once; the
    /// health checks' timeouts are seconds long.
    public var idleWaitNs: Int64 = 1_000_000_000
    /// How long it sleeps while something waits for time to pass.
    public var busyWaitNs: Int64 = 50_000_000
    /// Inputs after which a hot path that goes quiet gives back the memory
    /// the work grew (`Pipeline.releaseMemory`); any drop counts as a storm too.
    public var releaseAfterInputs = 50_000
    private var releasedAt = (inputs: 0, drops: 0)

    /// Once a storm (or a long busy spell) is over: the buffers it grew, the
    /// store's cache and the allocator's free memory go back to the system.
    private func releaseMemoryAfterStorm() {
        let inputs = pipeline.processor.counters.inputs
        let drops = pipeline.hub.totalDrops
        guard inputs - releasedAt.inputs >= releaseAfterInputs || drops != releasedAt.drops else { return }
        releasedAt = (inputs, drops)
        pipeline.releaseMemory()
        logger.debug("memory released after a busy spell", metadata: ["inputs": "\(inputs)", "drops": "\(drops)"])
    }

    /// How long it sleeps while an event waits for the sources' watermarks.
    public var watermarkWaitNs: Int64 = 2_000_000
    /// How often the metrics get the hot path's counts (when they moved).
    public var metricsIntervalNs: Int64 = 1_000_000_000

    /// Why the store does not take batches now, and how many events wait
    /// in memory meanwhile; nil while it does.
    public var storeProblem: String? { problem.withLock { $0 } }
    private let problem = Mutex<String?>(nil)
    /// Events processed and not committed yet.
    public let backlog = Atomic<Int>(0)
    /// Free bytes beside the database at the last disk check; -1 when unknown.
    public let freeBytes = Atomic<Int64>(-1)

    private func loop() throws {
        var failures = RepeatLimiter()
        var reportsFailing = false
        // The first turn ticks at once: the disk is measured from the start.
        var lastTick: Int64 = 0
        var lastCommitTry: Int64 = 0
        var lastMetricsNs: Int64 = 0
        var publishedInputs = -1
        var publishedDrops = -1
        var publishedMade = -1
        started.store(true, ordering: .releasing)
        let stallAfter = Self.testStall()
        while !stopping.load(ordering: .acquiring) {
            let turn = clock.monotonicNs()
            lastTurnNs.store(turn, ordering: .relaxed)
            if let stallAfter, turn >= stallAfter {
                // Test hook (PICKET_TEST_STALL_HOT_PATH_MS): a hung hot path.
                lastTurnNs.store(stallAfter, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            // A full backlog (the store has not taken batches for a while):
            // stop draining, so the rings drop and count what comes, and stop
            // the clock, so what waits in the rings is not overtaken.
            let backedUp = pipeline.isBackedUp
            // The sources' watermarks, read before the drain: what they
            // cover is in the rings by then.
            let marks = pipeline.hub.watermark(now: self.now())
            let handled = backedUp ? 0 : pipeline.drain()
            var now = self.now()
            if now - lastTick >= tickIntervalNs {
                tick()
                if let free = Self.freeBytes(pipeline.store.path) {
                    freeBytes.store(free, ordering: .relaxed)
                    if pipeline.configuration.health.diskMinFreeBytes != nil { pipeline.disk(freeBytes: free, at: now) }
                }
                lastTick = now
                now = self.now()
            }
            // Released as soon as every source has delivered everything up
            // to the events' time (the drain emptied the rings); at the latest
            // `latencyNs` behind the clock, for a source that says nothing.
            let floor = now - latencyNs
            let watermarked = marks != nil && pipeline.hub.depth == 0
            if !backedUp { pipeline.advance(to: watermarked ? max(floor, marks ?? floor) : floor) }
            let due = now &- lastCommitTry >= commitIntervalNs
            do {
                if due {
                    lastCommitTry = now
                    takeReports(failing: &reportsFailing)
                }
                let commitStart = clock.monotonicNs()
                // Group commit: what was released is committed in this turn
                // when the drain emptied the rings; while more waits (a storm)
                // it gathers into batches (`batchSize`, or the tick). Counters,
                // a fix and a clock offset alone stay lazy (`Pipeline.commit`).
                let released = pipeline.hub.depth == 0 && (pipeline.hasPendingOutput || pipeline.processor.hasOutput)
                if try pipeline.collect(now: now, force: due || released) {
                    metrics?.commitLatency.recordNanoseconds(clock.monotonicNs() - commitStart)
                }
                if failures.isActive {
                    let unsaid = failures.cleared()
                    problem.withLock { $0 = nil }
                    logger.notice(
                        "store writable again",
                        metadata: ["db": "\(pipeline.store.path)", "failures_not_logged": "\(unsaid)"])
                }
                // Committed, or nothing to commit: the store keeps up.
                if !pipeline.hasPendingOutput || due { lastCommitNs.store(clock.monotonicNs(), ordering: .relaxed) }
            } catch {
                // Keep the backlog in memory (bounded) and try again; log once
                // per 30 s with a count. The attempt returned: the store answers,
                // it is not hung, so the watchdog does not restart the box into
                // the same full disk (which would lose the backlog).
                lastCommitNs.store(clock.monotonicNs(), ordering: .relaxed)
                let waiting = pipeline.backlog
                problem.withLock { $0 = "store: cannot commit (\(waiting) events wait in memory): \(error)" }
                if let unsaid = failures.occurred(now: clock.monotonicNs()) {
                    logger.error(
                        "cannot commit to the store, retrying",
                        metadata: [
                            "error": "\(error)", "events_waiting": "\(waiting)",
                            "failures_not_logged": "\(unsaid)",
                        ])
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
            events.store(pipeline.processor.counters.events, ordering: .relaxed)
            alerts.store(pipeline.processor.counters.alerts, ordering: .relaxed)
            backlog.store(pipeline.backlog, ordering: .relaxed)
            // Metrics from the turn, not the commit: current through a storm
            // and while the store is stalled; no work while nothing moved.
            let metricsNow = clock.monotonicNs()
            if let metrics, metricsNow - lastMetricsNs >= metricsIntervalNs {
                lastMetricsNs = metricsNow
                let inputs = pipeline.processor.counters.inputs
                let drops = pipeline.hub.totalDrops
                // Events and alerts are released (and committed) after their
                // inputs, often in a later turn: their counts move on their own.
                let made = pipeline.processor.counters.events + pipeline.processor.counters.alerts
                if inputs != publishedInputs || drops != publishedDrops || made != publishedMade
                    || pipeline.hasPendingOutput
                {
                    publishedInputs = inputs
                    publishedDrops = drops
                    publishedMade = made
                    let counters = pipeline.currentCounters()
                    metrics.update(
                        counters, ringDepth: pipeline.hub.depth, drops: pipeline.dropsBySource(),
                        backlog: pipeline.backlog)
                }
            }
            if handled == 0 {
                let quiet = pipeline.processor.isQuiescent && !pipeline.hasPendingOutput && !failures.isActive
                if quiet { releaseMemoryAfterStorm() }
                // Something waits for the sources' watermarks (a GPIO line's
                // lag, a debounce window): look again soon, not at the hold.
                let soon = watermarked && !pipeline.processor.isQuiescent && !failures.isActive
                pipeline.hub.wait(timeoutNs: quiet ? idleWaitNs : soon ? watermarkWaitNs : busyWaitNs)
            }
        }
        try pipeline.finish(now: now())
        logger.info(
            "hot path drained and committed",
            metadata: [
                "events": "\(pipeline.processor.counters.events)", "alerts": "\(pipeline.processor.counters.alerts)",
            ])
    }
}
