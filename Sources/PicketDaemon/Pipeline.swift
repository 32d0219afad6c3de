import Logging
import PicketCore
import PicketDelivery
import PicketHardware
import PicketStore

/// Drains the input hub through the processor into the store, in batches.
///
/// One pipeline, whatever feeds the hub: the replay runner drives it in lock
/// step on the recording's clock, the daemon from its processing thread on
/// the wall clock. What differs between the two is its `Mode`, given at
/// `init`. Not thread-safe: one owner.
public final class Pipeline {
    /// How the pipeline is driven, and what a live one is connected to.
    public enum Mode {
        /// A recording's inputs, in one ring in time order: each moves the
        /// clock; nothing is forwarded and no hotline report is taken, so a
        /// replay gives the same result every time.
        case replay
        /// The daemon's: inputs from every source's ring, the clock moved
        /// by the processing loop.
        case live(LiveSettings)
    }

    /// What a live pipeline is connected to; a replay has none of it.
    public struct LiveSettings {
        /// The processor's cap on how long a bouncing line holds other events back.
        public var burstHoldNs: Int64
        /// New alerts enter the outbox (sector, hotline) in the batch that
        /// stores them, through the sender's destinations; nil: not forwarded.
        public var delivery: DeliveryService?
        /// Where live drivers report their sources' health; taken to the store.
        public var healthBoard: DriverHealthBoard?
        /// Writes what the hot path consumes to a recording (`picket run
        /// --record`), so a replay of it reproduces this run.
        public var recorder: RecordingWriter?
        /// Counters kept outside the processor (drivers), merged into the run's.
        public var externalCounters: (() -> [String: Int])?
        /// What the wall clock's steps since start add to the processing
        /// time (`UTCMapping.stepNs`). The processor runs on the processing
        /// time, which never steps; what is stored carries the wall clock's time.
        public var wallClockStep: (() -> Int64)?
        /// Whether the kernel says the clock is synchronised (nil: it cannot
        /// tell). Events stored while it is not carry `clock_synced: false`.
        public var clockSynchronised: (() -> Bool?)?
        /// Called with each alert once it is committed.
        public var onAlert: ((Alert) -> Void)?
        /// Called after each commit with what it stored (metrics).
        public var onCommitted: ((_ events: [Event], _ statuses: [SensorStatus]) -> Void)?

        public init(
            burstHoldNs: Int64 = Processor.liveBurstHoldNs, delivery: DeliveryService? = nil,
            healthBoard: DriverHealthBoard? = nil, recorder: RecordingWriter? = nil,
            externalCounters: (() -> [String: Int])? = nil, wallClockStep: (() -> Int64)? = nil,
            clockSynchronised: (() -> Bool?)? = nil, onAlert: ((Alert) -> Void)? = nil,
            onCommitted: ((_ events: [Event], _ statuses: [SensorStatus]) -> Void)? = nil
        ) {
            self.burstHoldNs = burstHoldNs
            self.delivery = delivery
            self.healthBoard = healthBoard
            self.recorder = recorder
            self.externalCounters = externalCounters
            self.wallClockStep = wallClockStep
            self.clockSynchronised = clockSynchronised
            self.onAlert = onAlert
            self.onCommitted = onCommitted
        }
    }

    public let configuration: PicketConfiguration
    public let hub: InputHub
    public let store: Store
    public let runID: String
    public private(set) var processor: Processor
    private var pending = Processor.Output()
    private let logger: Logger
    /// Commit when this many events (or alerts, statuses) are waiting.
    public var batchSize = 2000
    public private(set) var commits = 0
    /// Events written by `commit` so far (a replay's bounded transactions count them).
    public private(set) var eventsCommitted = 0
    /// Called after each batch is written (a replay ends its bounded transaction here).
    public var afterCommit: (() throws(StoreError) -> Void)?
    /// Takes each batch instead of `store.write` (a replay hands its batches
    /// to a writer thread, which owns the store meanwhile); it throws when
    /// the store failed. Nil: `commit` writes the batch itself.
    public var writeBatch: ((_ batch: StoreBatch, _ now: Int64) throws(StoreError) -> Void)?
    public private(set) var lastCommitNs: Int64 = 0
    private var reportedDrops = 0
    private let onAlert: ((Alert) -> Void)?
    private let healthBoard: DriverHealthBoard?
    private let externalCounters: (() -> [String: Int])?
    private var pendingReports: [DriverStatus] = []

    public init(
        configuration: PicketConfiguration, hub: InputHub, store: Store, runID: String, logger: Logger, mode: Mode
    ) {
        self.configuration = configuration
        self.hub = hub
        self.store = store
        self.runID = runID
        self.logger = logger
        let live: LiveSettings?
        if case .live(let settings) = mode { live = settings } else { live = nil }
        // A replay: the processor holds nothing back for bursts, inputs move
        // the clock, nothing is forwarded, recorded or taken from the inbox.
        processor = Processor(configuration: configuration, burstHoldNs: live?.burstHoldNs)
        inputsMoveTime = live == nil
        takesReports = live != nil
        delivery = live?.delivery
        recorder = live?.recorder
        healthBoard = live?.healthBoard
        externalCounters = live?.externalCounters
        wallClockStep = live?.wallClockStep
        clockSynchronised = live?.clockSynchronised
        onAlert = live?.onAlert
        onCommitted = live?.onCommitted
    }

    /// Handles one input on the pipeline's clock.
    @inline(__always)
    public func process(_ input: RawInput) {
        if inputsMoveTime { processor.advance(to: input.t) }
        processor.handle(input)
    }

    /// A replay's inputs come in one ring in time order, so each moves the
    /// clock. Live, every source has its own ring and they are drained in
    /// turn: an input of one source may be newer than a waiting input of
    /// another, and letting it move the clock would close that one's debounce
    /// window early. There the clock is the wall clock less the processing
    /// latency (`advance(to:)` from the processing loop) and nothing else.
    private let inputsMoveTime: Bool

    /// Live runs: new alerts enter the outbox (sector, hotline) in the
    /// batch that stores them, through the sender's destinations. A replay
    /// forwards nothing (nil).
    private let delivery: DeliveryService?
    /// The system clock's last offset from GPS time, readable from any
    /// thread (the metrics' `picket_clock_gps_offset_seconds`).
    public let clockOffsets = ClockOffsetBoard()

    /// Live runs take hotline reports (`picket report`) from the database's
    /// inbox into the processor. A replay does not: reports are not inputs
    /// of a recording, and a replay must give the same result every time.
    private let takesReports: Bool
    /// Reports handed to the processor whose taking is not committed yet.
    private var handedReports: Set<String> = []

    /// Hands the reports waiting in the inbox to the processor, which
    /// releases them to episodes and rules in time order; the commit whose
    /// batch holds a report's event (stored again as INSERT OR IGNORE: the
    /// row exists) marks it taken. Returns how many were handed over.
    @discardableResult
    public func takeReports() throws(StoreError) -> Int {
        guard takesReports else { return 0 }
        var handed = 0
        for var event in try store.untakenReports() where !handedReports.contains(event.id) {
            handedReports.insert(event.id)
            // A report is stamped with the wall clock; the processor runs on
            // the processing time (they differ once the wall clock stepped).
            event.ts &-= wallClockStep?() ?? 0
            processor.report(event)
            handed += 1
            logger.info(
                "hotline report taken",
                metadata: [
                    "id": "\(event.id)", "zone": "\(event.zone ?? "-")", "ts": "\(UTCTime.format(event.ts))",
                ])
        }
        return handed
    }

    /// Live, with `picket run --record`; nil once it failed.
    private var recorder: RecordingWriter?
    private var recordBatch: [RawInput] = []

    /// Drains the hub once, fairly. Returns how many inputs were handled.
    @discardableResult
    public func drain() -> Int {
        guard let recorder else { return hub.drainRound { process($0) } }
        recordBatch.removeAll(keepingCapacity: true)
        let n = hub.drainRound { input in
            process(input)
            recordBatch.append(input)
        }
        do {
            try recorder.write(batch: recordBatch)
            if n == 0 { try recorder.flushPending() }
        } catch {
            // The recording is a debugging aid: losing it must not stop the daemon.
            logger.error("recording stopped", metadata: ["error": "\(error)"])
            self.recorder = nil
        }
        return n
    }

    /// Moves the clock without input (live: closes debounce windows).
    public func advance(to t: Int64) { processor.advance(to: t) }

    /// Free bytes beside the database, for the disk health check.
    public func disk(freeBytes: Int64, at t: Int64) { processor.disk(freeBytes: freeBytes, at: t) }

    /// Whether enough output waits for a commit.
    public var wantsCommit: Bool {
        pending.events.count + pending.alerts.count + pending.statuses.count >= batchSize
    }

    /// The most events one transaction writes. A backlog (a storm, or the
    /// store back after a full disk) is written in transactions of this
    /// size, so each needs little room in the WAL and a megabyte freed on a
    /// full disk is enough to go on.
    public var maxCommitEvents = 1000
    /// The most events held in memory while the store does not take them
    /// (a full disk). Past it the hot path stops draining its rings, which
    /// then drop new inputs and count them by source: memory stays bounded,
    /// and what is lost is counted, not hidden.
    public var maxBacklogEvents = 20_000

    /// Events and alerts processed and not yet committed.
    public var backlog: Int { pending.events.count + pending.alerts.count }

    /// Makes the backlog's and the recorder's arrays again at the size they
    /// hold (`releaseMemory()`, after a storm).
    func releaseBuffers() {
        pending.events = Self.tight(pending.events)
        pending.alerts = Self.tight(pending.alerts)
        pending.statuses = Self.tight(pending.statuses)
        recordBatch = []
        processor.releaseMemory()
    }

    /// A copy of `array` with room for what it holds (an assignment would share its storage).
    static func tight<T>(_ array: [T]) -> [T] {
        var copy: [T] = []
        copy.reserveCapacity(array.count)
        copy.append(contentsOf: array)
        return copy
    }

    /// Whether the backlog is full: the hot path waits for the store.
    public var isBackedUp: Bool { pending.events.count >= maxBacklogEvents }

    /// Whether anything that must be stored soon waits for a commit:
    /// events, alerts, heartbeats, a driver's health.
    public var hasPendingOutput: Bool {
        !pending.events.isEmpty || !pending.alerts.isEmpty || !pending.statuses.isEmpty || !pendingReports.isEmpty
    }

    /// The run's counters, the box's GPS fix and the clock's offset change
    /// with every sentence of a GPS receiver, once a second or more, while
    /// nothing happens on the trail. Alone they are committed at most this
    /// often (with anything else, at once; at a stop, always), so a quiet
    /// box with a GPS writes a few kilobytes a minute, not four commits a
    /// second. A crash loses at most this much of them; events, alerts and
    /// heartbeats are never held back for it.
    public var lazyCommitIntervalNs: Int64 = 60_000_000_000

    /// Live: `LiveSettings.wallClockStep` and `clockSynchronised`.
    private let wallClockStep: (() -> Int64)?
    private let clockSynchronised: (() -> Bool?)?
    private var synchronised: (checkedAt: Int64?, value: Bool?) = (nil, nil)

    /// Moves what the processor made from processing time to wall-clock time
    /// and marks events stored while the clock is not synchronised.
    private func stampWallTime(_ output: inout Processor.Output, now: Int64) {
        if let clockSynchronised, !output.events.isEmpty,
            synchronised.checkedAt.map({ now &- $0 >= 1_000_000_000 }) ?? true
        {
            synchronised = (now, clockSynchronised())
        }
        if synchronised.value == false {
            for i in output.events.indices { output.events[i].clockSynced = false }
        }
        let step = wallClockStep?() ?? 0
        guard step != 0 else { return }
        for i in output.events.indices { output.events[i].ts &+= step }
        for i in output.alerts.indices {
            output.alerts[i].firstTs &+= step
            output.alerts[i].lastTs &+= step
        }
        for i in output.statuses.indices { output.statuses[i].ts &+= step }
        output.fix?.ts &+= step
        if var clock = output.clockOffset {
            clock.offsetNs &+= step
            clock.ts &+= step
            output.clockOffset = clock
        }
    }

    private let onCommitted: ((_ events: [Event], _ statuses: [SensorStatus]) -> Void)?

    /// Collects the processor's output; commits when the batch is full or
    /// `force`. Returns whether it wrote to the store: a forced commit with
    /// nothing new (no output, no counter moved) writes nothing, so an idle
    /// box leaves its database and WAL untouched.
    @discardableResult
    public func collect(now: Int64, force: Bool = false) throws(StoreError) -> Bool {
        var output = processor.takeOutput()
        stampWallTime(&output, now: now)
        pending.events += output.events
        pending.alerts += output.alerts
        pending.statuses += output.statuses
        if let fix = output.fix { pending.fix = fix }
        if let clock = output.clockOffset {
            pending.clockOffset = clock
            // Readers (metrics, /healthz) see it now, not at the next commit.
            clockOffsets.update(clock)
        }
        if let reports = healthBoard?.take(), !reports.isEmpty {
            pendingReports += reports
            for report in reports {
                logger.log(
                    level: report.healthy ? .notice : .warning,
                    report.healthy ? "source healthy" : "source unhealthy",
                    metadata: ["source": "\(report.source)", "detail": "\(report.detail)"])
            }
        }
        guard force || wantsCommit || !pendingReports.isEmpty else { return false }
        // Bounded transactions, oldest first, until less than a batch waits.
        var wrote = try commit(now: now)
        while wantsCommit, try commit(now: now) { wrote = true }
        return wrote
    }

    /// The counters last committed, so an unchanged set is not written again.
    private var committedCounters: [String: Int] = [:]
    private var committedSensorCounters: [String: SensorCounters] = [:]

    /// Writes what is pending (at most `maxCommitEvents` events) and the
    /// run's counters in one transaction. Returns false when there was
    /// nothing to write yet: nothing new, or only counters, a fix or a clock
    /// offset younger than `lazyCommitIntervalNs` (`flushing` writes them).
    @discardableResult
    public func commit(now: Int64, flushing: Bool = false) throws(StoreError) -> Bool {
        processor.syncCounters()
        let counters = processor.counters
        var counterRows = Self.counterRows(counters, hub: hub)
        for (name, value) in externalCounters?() ?? [:] { counterRows[name] = value }
        for (source, drops) in dropsBySource() where drops > 0 { counterRows["ring_drops.\(source)"] = drops }
        let sensorRows = Self.sensorRows(counters)
        let lazy =
            pending.fix != nil || pending.clockOffset != nil || counterRows != committedCounters
            || sensorRows != committedSensorCounters
        guard hasPendingOutput || (lazy && (flushing || now &- lastCommitNs >= lazyCommitIntervalNs)) else {
            return false
        }
        // The oldest events, and the alerts none of whose events are still
        // waiting behind them (an alert is stored with or after its events).
        let events = Array(pending.events.prefix(maxCommitEvents))
        let rest = pending.events.dropFirst(events.count)
        let waiting = rest.isEmpty ? [] : Set(rest.map(\.id))
        let alerts =
            waiting.isEmpty ? pending.alerts : pending.alerts.filter { $0.events.allSatisfy { !waiting.contains($0) } }
        var batch = StoreBatch(
            events: events, alerts: alerts, statuses: pending.statuses, fix: pending.fix,
            counters: counterRows, sensorCounters: sensorRows)
        batch.sourceReports = pendingReports.map { ($0.source, $0.sensors, $0.healthy, $0.detail, $0.ts) }
        batch.takenReports = events.filter { $0.source == .report }.map(\.id)
        batch.clockOffset = pending.clockOffset
        delivery?.queue(alerts, into: &batch)
        if let writeBatch { try writeBatch(batch, now) } else { try store.write(batch, run: runID, now: now) }
        if !batch.outbox.isEmpty || !batch.hotlineMatches.isEmpty { delivery?.nudge() }
        handedReports.subtract(batch.takenReports)
        commits += 1
        eventsCommitted += events.count
        lastCommitNs = now
        committedCounters = counterRows
        committedSensorCounters = sensorRows
        pending.events.removeFirst(events.count)
        if alerts.count == pending.alerts.count {
            pending.alerts = []
        } else {
            let stored = Set(alerts.map(\.id))
            pending.alerts.removeAll { stored.contains($0.id) }
        }
        pending.statuses = []
        pending.fix = nil
        pending.clockOffset = nil
        pendingReports = []
        onCommitted?(events, batch.statuses)
        for alert in alerts { onAlert?(alert) }
        try afterCommit?()
        let drops = hub.totalDrops
        if drops > reportedDrops {
            logger.warning(
                "hot path overflow: inputs dropped",
                metadata: ["dropped": "\(drops - reportedDrops)", "total": "\(drops)"])
            reportedDrops = drops
        }
        return true
    }

    /// The processor's counters, the debouncer's and framers' included.
    public func currentCounters() -> ProcessorCounters {
        processor.syncCounters()
        return processor.counters
    }

    /// The hub's sources by name (GPIO lines as `chip:line`, then serial ports).
    public var sourceNames: [String] { PicketMetrics.sourceNames(configuration) }

    /// Inputs each source's ring dropped this run, by source name.
    public func dropsBySource() -> [String: Int] {
        var out: [String: Int] = [:]
        for (index, source) in sourceNames.enumerated() {
            out[source] = hub.drops(of: index < hub.lineCount ? .line(index) : .port(index - hub.lineCount))
        }
        return out
    }

    /// Ends the input: open debounce windows complete, everything is committed.
    /// Live, the reports waiting in the inbox are taken first.
    public func finish(now: Int64) throws(StoreError) {
        while drain() > 0 {}
        do {
            try takeReports()
        } catch {
            // They stay in the inbox for the next start; the batch must still be committed.
            logger.error("cannot read hotline reports", metadata: ["error": "\(error)"])
        }
        processor.finish()
        try collect(now: now, force: true)
        while hasPendingOutput { try commit(now: now) }
        try commit(now: now, flushing: true)
        do { try recorder?.finish() } catch { logger.error("recording not synced", metadata: ["error": "\(error)"]) }
    }

    static func counterRows(_ c: ProcessorCounters, hub: InputHub) -> [String: Int] {
        var rows: [String: Int] = [
            "inputs": c.inputs, "edges": c.edges, "serial_chunks": c.serialChunks, "serial_bytes": c.serialBytes,
            "serial_gaps": c.serialGaps, "frames": c.framing.frames, "noise_bytes": c.framing.noiseBytes,
            "invalid_sentences": c.invalidSentences, "ignored_sentences": c.ignoredSentences, "fixes": c.fixes,
            "statuses": c.statuses, "events": c.events, "episodes": c.episodes, "reports": c.reports,
            "glitches": c.glitchTotal,
            "duplicates": c.duplicateTotal, "lost": c.lostTotal, "unknown_sensor_sentences": c.unknownSensorTotal,
            "alerts": c.alerts, "ring_drops": hub.totalDrops, "ring_dropped_serial_bytes": hub.droppedSerialBytes,
        ]
        for reason in FrameRejection.allCases { rows["frames_rejected.\(reason.rawValue)"] = c.framing[reason] }
        for (rule, n) in c.alertsByRule { rows["alerts.\(rule)"] = n }
        return rows
    }

    static func sensorRows(_ c: ProcessorCounters) -> [String: SensorCounters] {
        var rows: [String: SensorCounters] = [:]
        for (s, n) in c.duplicates { rows[s, default: SensorCounters()].duplicates = n }
        for (s, n) in c.lost { rows[s, default: SensorCounters()].lost = n }
        for (s, n) in c.glitches { rows[s, default: SensorCounters()].glitches = n }
        for (s, n) in c.unknownSensorSentences { rows[s, default: SensorCounters()].unknownSentences = n }
        return rows
    }
}
