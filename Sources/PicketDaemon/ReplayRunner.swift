import Logging
import PicketCore
import PicketHardware
import PicketStore

/// What a replay did, for its summary.
public struct ReplaySummary: Sendable {
    public var recording: String
    public var database: String
    public var linesRead: Int
    public var counters: ProcessorCounters
    public var ringDrops: Int
    public var elapsedNs: Int64
    public var recordedSpanNs: Int64
    /// Transactions the replay committed (bounded: `ReplayRunner.eventsPerTransaction`).
    public var transactions = 0

    public var inputsPerSecond: Double {
        elapsedNs > 0 ? Double(counters.inputs) / (Double(elapsedNs) / 1e9) : 0
    }
}

/// Replays a recording through the whole pipeline into a database.
///
/// On the virtual clock the recording's own times drive everything: the
/// reader feeds one shared ring in file order and the pipeline drains it
/// whenever it fills, so the result does not depend on the machine's speed.
///
/// The replay commits in bounded transactions of about
/// `eventsPerTransaction` events, so its cost per input and its memory (the
/// page cache, the WAL) stay the same however long the recording is. A
/// recording with a bad line still leaves the database as it was: the whole
/// file is checked (beside the replay, on a thread of its own) before
/// anything is committed. Off real time the store is written on a thread of
/// its own (`ReplayStoreWriter`) while this one processes, in the same order
/// and transactions as in place. A replay stopped midway (a
/// crash, a power cut, a full disk) leaves the transactions it committed;
/// replaying the same recording again from the start completes it and stores
/// nothing twice (events and alerts have deterministic ids and are inserted
/// once, counters are replaced, not added).
public enum ReplayRunner {
    /// Events written between two commits of a replay.
    public static let eventsPerTransaction = 10_000

    public static func run(
        recording: String, configuration: PicketConfiguration, databasePath: String, realtime: Bool = false,
        logger: Logger, clock: any PicketClock = SystemClock(),
        progress: ((_ linesRead: Int, _ bytesRead: Int) -> Void)? = nil,
        eventsPerTransaction: Int = eventsPerTransaction
    ) async throws -> ReplaySummary {
        try await run(
            recording: recording, configuration: configuration, databasePath: databasePath, realtime: realtime,
            logger: logger, clock: clock, progress: progress, eventsPerTransaction: eventsPerTransaction,
            beforeCheck: nil)
    }

    /// `beforeCheck` runs on the check's thread before it reads (tests hold the check back with it).
    static func run(
        recording: String, configuration: PicketConfiguration, databasePath: String, realtime: Bool,
        logger: Logger, clock: any PicketClock, progress: ((_ linesRead: Int, _ bytesRead: Int) -> Void)?,
        eventsPerTransaction: Int, beforeCheck: (@Sendable () -> Void)?
    ) async throws -> ReplaySummary {
        let start = clock.monotonicNs()
        let driver = try ReplayDriver(
            path: recording, configuration: configuration, realtime: realtime, clock: clock)
        if let box = driver.header.box, box != configuration.box {
            logger.warning(
                "recording box differs from the configuration's; events carry the configuration's",
                metadata: ["recording": "\(box)", "config": "\(configuration.box)"])
        }
        // Off the virtual clock's path (real time reads the recording whole
        // before it offers an input anyway), the recording is checked on a
        // thread of its own while this one replays it: nothing is committed
        // before the check passed, so a bad line still stores nothing.
        let check = realtime ? nil : RecordingCheck(path: recording, configuration: configuration, before: beforeCheck)
        let store = try Store(path: databasePath)
        // 64 MiB of page cache (SQLite's default is 2 MiB): the events' random
        // ids make every insert touch a random page of the id index, which
        // otherwise is read back from the file for each event. Bounded, whatever
        // the recording's length.
        try store.database.execute("PRAGMA cache_size = -65536")
        let runID = "replay:\(UTCTime.format(driver.header.startedUTC)):\(driver.header.box ?? configuration.box)"
        let hub = InputHub(
            lines: configuration.gpio.count, ports: configuration.serial.count, capacity: 8192, sharedRing: true)
        let pipeline = Pipeline(
            configuration: configuration, hub: hub, store: store, runID: runID, logger: logger, mode: .replay)
        var transactions = 0
        var committedAt = 0
        pipeline.maxCommitEvents = max(1, min(pipeline.maxCommitEvents, eventsPerTransaction))
        // Off real time the store has a thread of its own (`ReplayStoreWriter`):
        // this one processes while it inserts and commits.
        let writer =
            realtime
            ? nil
            : ReplayStoreWriter(
                store: store, runID: runID, eventsPerTransaction: eventsPerTransaction, check: check)
        if let writer {
            pipeline.writeBatch = { (batch: StoreBatch, now: Int64) throws(StoreError) in
                try writer.put(batch, now: now)
            }
        } else {
            pipeline.afterCommit = { [unowned pipeline] () throws(StoreError) in
                guard pipeline.eventsCommitted - committedAt >= eventsPerTransaction else { return }
                do throws(SQLiteError) {
                    try pipeline.store.database.execute("COMMIT")
                    transactions += 1
                    committedAt = pipeline.eventsCommitted
                    try pipeline.store.database.execute("BEGIN IMMEDIATE")
                } catch {
                    throw .sqlite(error)
                }
            }
        }
        let sink = LockstepSink(hub: hub, immediate: realtime) { [pipeline] () throws in
            pipeline.drain()
            try pipeline.collect(now: pipeline.processor.watermark)
            // A bad line found by the check: no need to process the rest.
            if let failure = check?.failure { throw failure }
        }
        if let progress {
            let reader = driver.reader
            sink.onInput = { progress(reader.linesRead, reader.bytesRead) }
        }
        var lastT = driver.header.startedUTC
        try store.database.execute("BEGIN IMMEDIATE")
        do {
            try store.beginRun(
                id: runID, mode: "replay", startedTs: driver.header.startedUTC, input: recording,
                sensors: configuration.allSensors)
            writer?.start()
            if realtime {
                try await driver.run(into: sink)
            } else {
                try driver.runSynchronously(into: sink)
            }
            if let failure = sink.failure { throw failure }
            // Every input is processed; the check, which started first and
            // only reads, is done by now (or nearly).
            if let failure = check?.wait() { throw failure }
            try pipeline.finish(now: max(lastT, pipeline.processor.watermark))
            lastT = max(lastT, pipeline.processor.watermark)
            if let failure = writer?.finish() { throw failure }
            try store.database.execute("COMMIT")
            transactions += 1 + (writer?.transactions ?? 0)
        } catch {
            // The store is this thread's again once the writer finished. A bad
            // recording is reported as such, whatever else failed meanwhile.
            _ = writer?.finish()
            let checkFailure = check?.wait()
            if !store.database.isAutocommit { try? store.database.execute("ROLLBACK") }
            throw checkFailure ?? error
        }
        return ReplaySummary(
            recording: recording, database: databasePath, linesRead: driver.reader.linesRead,
            counters: pipeline.processor.counters, ringDrops: hub.totalDrops,
            elapsedNs: clock.monotonicNs() - start,
            recordedSpanNs: lastT - driver.header.startedUTC, transactions: transactions)
    }
}

/// The replay's sink: pushes into the shared ring and, when it is full,
/// lets the pipeline drain it first, so nothing is dropped and processing
/// follows the file exactly. A store failure (or a bad line found by the
/// concurrent check) stops the replay.
final class LockstepSink: InputSink, @unchecked Sendable {
    // @unchecked: used by the single task that runs the replay.
    let hub: InputHub
    let immediate: Bool
    let drain: () throws -> Void
    private(set) var failure: (any Error)?
    /// Called before each input (a progress display).
    var onInput: (() -> Void)?

    init(hub: InputHub, immediate: Bool, drain: @escaping () throws -> Void) {
        self.hub = hub
        self.immediate = immediate
        self.drain = drain
    }

    private func makeRoom(_ slots: Int, in source: InputHub.Source) {
        while failure == nil, hub.freeSlots(for: source) < slots {
            do { try drain() } catch { failure = error }
        }
    }

    func offerEdge(line: Int, rising: Bool, t: Int64) -> Bool {
        onInput?()
        makeRoom(1, in: .line(line))
        guard failure == nil else { return false }
        hub.offerEdge(line: line, rising: rising, t: t)
        if immediate { makeRoom(hub.ringCapacity, in: .line(line)) }
        return true
    }

    /// Nothing is ever held back in lock step.
    func flush() -> Bool { true }

    func offerGap(port: Int, t: Int64) {
        onInput?()
        makeRoom(1, in: .port(port))
        if failure == nil { hub.offerGap(port: port, t: t) }
    }

    func offerSerial(port: Int, t: Int64, bytes: UnsafeRawBufferPointer) -> Bool {
        onInput?()
        // A read larger than half the ring goes in pieces; the framer cannot tell.
        let piece = hub.ringCapacity / 2 * RawInput.chunkCapacity
        var offset = 0
        repeat {
            let n = min(piece, bytes.count - offset)
            let part = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
            makeRoom((n + RawInput.chunkCapacity - 1) / RawInput.chunkCapacity + 1, in: .port(port))
            guard failure == nil else { return false }
            hub.offerSerial(port: port, t: t, bytes: part)
            offset += n
        } while offset < bytes.count
        if immediate { makeRoom(hub.ringCapacity, in: .port(port)) }
        return true
    }
}
