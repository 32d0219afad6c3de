import Dispatch
import Foundation
import PicketCore
import PicketHardware
import PicketStore
import Synchronization

/// A replay's store on a thread of its own: the processing thread hands it
/// each finished batch (`put`) and goes on processing while the writer
/// inserts and commits, so the two use both cores.
///
/// The queue is bounded (`capacity` batches): a producer faster than the
/// disk waits, and memory stays what a few batches take. Batches are written
/// in the order they were put, so the rows and their order are exactly those
/// of writing them in place. The writer commits the open transaction after
/// about `eventsPerTransaction` events, as the replay did in place, but only
/// once `check` has passed: until then the first transaction grows, so a
/// recording with a bad line still stores nothing.
///
/// A failed write stops the writing: the writer drops the batches behind it
/// (the open transaction is rolled back by the owner after `finish`), and
/// the next `put` throws the store's error, which stops the replay. Nothing
/// past the transactions committed before the failure is stored.
final class ReplayStoreWriter: @unchecked Sendable {
    // @unchecked: `store` and the counts below are used by the writer thread
    // alone between `start` and the return of `finish`, and by the caller
    // only before and after; the queue and the failure are behind `state`.
    private enum Item {
        case batch(StoreBatch, now: Int64)
        case end
    }

    private struct State {
        var queue: [Item] = []
        var failure: StoreError?
    }

    static let capacity = 4

    private let store: Store
    private let runID: String
    private let eventsPerTransaction: Int
    private let check: RecordingCheck?
    private let state = Mutex(State())
    private let items = DispatchSemaphore(value: 0)
    private let slots = DispatchSemaphore(value: ReplayStoreWriter.capacity)
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    /// Transactions the writer committed (not the final one: its owner's).
    private(set) var transactions = 0
    private var eventsWritten = 0
    private var committedAt = 0

    /// `store` must have its transaction open; the writer commits it only
    /// after `check` passed (nil: at once).
    init(store: Store, runID: String, eventsPerTransaction: Int, check: RecordingCheck?) {
        self.store = store
        self.runID = runID
        self.eventsPerTransaction = eventsPerTransaction
        self.check = check
    }

    /// Starts the writer thread; from here until `finish` returns, only it uses the store.
    func start() {
        started = true
        let thread = Thread { [self] in
            writeAll()
            done.signal()
        }
        thread.name = "picket-replay-store"
        thread.start()
    }

    /// Hands `batch` to the writer; waits while `capacity` batches wait.
    /// Throws the store's error once a write failed.
    func put(_ batch: StoreBatch, now: Int64) throws(StoreError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
        slots.wait()
        state.withLock { $0.queue.append(.batch(batch, now: now)) }
        items.signal()
    }

    /// Waits until every batch put is written (or dropped after a failure)
    /// and the thread is done; the store is the caller's again. Returns the
    /// writer's failure, if any.
    func finish() -> StoreError? {
        guard started else { return state.withLock { $0.failure } }
        started = false
        slots.wait()
        state.withLock { $0.queue.append(.end) }
        items.signal()
        done.wait()
        return state.withLock { $0.failure }
    }

    private func writeAll() {
        var failed = false
        while true {
            items.wait()
            let item = state.withLock { $0.queue.removeFirst() }
            slots.signal()
            guard case .batch(let batch, let now) = item else { return }
            guard !failed else { continue }
            do throws(StoreError) {
                try store.write(batch, run: runID, now: now)
                eventsWritten += batch.events.count
                try commitIfDue()
            } catch {
                failed = true
                state.withLock { $0.failure = error }
            }
        }
    }

    /// Ends the open transaction after `eventsPerTransaction` events, once the recording passed its check.
    private func commitIfDue() throws(StoreError) {
        guard eventsWritten - committedAt >= eventsPerTransaction, check?.passed ?? true else { return }
        do throws(SQLiteError) {
            try store.database.execute("COMMIT")
            transactions += 1
            committedAt = eventsWritten
            try store.database.execute("BEGIN IMMEDIATE")
        } catch {
            throw .sqlite(error)
        }
    }
}

/// `RecordingReader.check()` of a recording on a thread of its own, beside
/// the replay that reads the same file: nothing may be committed before it
/// passed.
final class RecordingCheck: Sendable {
    private let outcome = Mutex<Result<Void, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts checking the recording at `path` at once (after `before`).
    init(path: String, configuration: PicketConfiguration, before: (@Sendable () -> Void)? = nil) {
        let thread = Thread { [self] in
            before?()
            let result = Result { () throws -> Void in
                try RecordingReader(path: path, configuration: configuration).check()
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        thread.name = "picket-replay-check"
        thread.start()
    }

    /// Whether the check is done and found nothing wrong (does not wait).
    var passed: Bool {
        outcome.withLock { outcome in
            if case .success? = outcome { return true }
            return false
        }
    }

    /// The check's error once it failed (does not wait).
    var failure: (any Error)? {
        outcome.withLock { outcome in
            if case .failure(let error)? = outcome { return error }
            return nil
        }
    }

    /// Waits for the check; returns its error, nil when the recording is good.
    func wait() -> (any Error)? {
        finished.wait()
        finished.signal()
        return failure
    }
}
