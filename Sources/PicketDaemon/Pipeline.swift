import Logging
import PicketCore
import PicketDelivery
import PicketHardware
import PicketStore

/// Drains the input hub through the processor into the store, in batches.
///
/// One pipeline, whatever feeds the hub: the replay runner drives it in lock
/// step on the recording's clock, the daemon from its processing thread on
/// the wall clock. Not thread-safe: one owner.
public final class Pipeline {
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
    public private(set) var lastCommitNs: Int64 = 0
    private var reportedDrops = 0
    /// Called with each alert once it is committed.
    public var onAlert: ((Alert) -> Void)?
    /// Where live drivers report their sources' health; taken to the store.
    public var healthBoard: DriverHealthBoard?
    /// Counters kept outside the processor (drivers), merged into the run's.
    public var externalCounters: (() -> [String: Int])?
    private var pendingReports: [DriverStatus] = []

    /// - Parameter burstHoldNs: the processor's cap on how long a bouncing
    ///   line holds other events back (live); nil in a replay.
    public init(
        configuration: PicketConfiguration, hub: InputHub, store: Store, runID: String, logger: Logger,
        burstHoldNs: Int64?
    ) {
        self.configuration = configuration
        self.hub = hub
        self.store = store
        self.runID = runID
        self.logger = logger
        processor = Processor(configuration: configuration, burstHoldNs: burstHoldNs)
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
    public var inputsMoveTime = true

    /// Live runs: new alerts enter the outbox (sector, hotline) in the
    /// batch that stores them, through the sender's destinations. A replay
    /// forwards nothing (nil).
    public var delivery: DeliveryService?
    /// The system clock's last offset from GPS time, readable from any
    /// thread (the metrics' `picket_clock_gps_offset_seconds`).
    public let clockOffsets = ClockOffsetBoard()

    /// Live runs take hotline reports (`picket report`) from the database's
    /// inbox into the processor. A replay does not: reports are not inputs
    /// of a recording, and a replay must give the same result every time.
    public var takesReports = false
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
        for event in try store.untakenReports() where !handedReports.contains(event.id) {
            handedReports.insert(event.id)
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

    /// Writes what the hot path consumes to a recording (`picket run
    /// --record`), so a replay of it reproduces this run.
    public var recorder: RecordingWriter?
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

    /// Collects the processor's output; commits when the batch is full or `force`.
    public func collect(now: Int64, force: Bool = false) throws(StoreError) {
        let output = processor.takeOutput()
        pending.events += output.events
        pending.alerts += output.alerts
        pending.statuses += output.statuses
        if let fix = output.fix { pending.fix = fix }
        if let clock = output.clockOffset { pending.clockOffset = clock }
        if let reports = healthBoard?.take(), !reports.isEmpty {
            pendingReports += reports
            for report in reports {
                logger.log(
                    level: report.healthy ? .notice : .warning,
                    report.healthy ? "source healthy" : "source unhealthy",
                    metadata: ["source": "\(report.source)", "detail": "\(report.detail)"])
            }
        }
        if force || wantsCommit || !pendingReports.isEmpty { try commit(now: now) }
    }

    /// Writes what is pending and the run's counters in one transaction.
    public func commit(now: Int64) throws(StoreError) {
        processor.syncCounters()
        let counters = processor.counters
        var counterRows = Self.counterRows(counters, hub: hub)
        for (name, value) in externalCounters?() ?? [:] { counterRows[name] = value }
        var batch = StoreBatch(
            events: pending.events, alerts: pending.alerts, statuses: pending.statuses, fix: pending.fix,
            counters: counterRows, sensorCounters: Self.sensorRows(counters))
        batch.sourceReports = pendingReports.map { ($0.source, $0.sensors, $0.healthy, $0.detail, $0.ts) }
        batch.takenReports = pending.events.filter { $0.source == .report }.map(\.id)
        batch.clockOffset = pending.clockOffset
        delivery?.queue(pending.alerts, into: &batch)
        try store.write(batch, run: runID, now: now)
        if let clock = pending.clockOffset { clockOffsets.update(clock) }
        if !batch.outbox.isEmpty || !batch.hotlineMatches.isEmpty { delivery?.nudge() }
        handedReports.subtract(batch.takenReports)
        commits += 1
        lastCommitNs = now
        let alerts = pending.alerts
        pending = Processor.Output()
        pendingReports = []
        for alert in alerts { onAlert?(alert) }
        let drops = hub.totalDrops
        if drops > reportedDrops {
            logger.warning(
                "hot path overflow: inputs dropped",
                metadata: ["dropped": "\(drops - reportedDrops)", "total": "\(drops)"])
            reportedDrops = drops
        }
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
