import Synchronization

/// A clock that moves only when told to, for tests: `advance(by:)` moves
/// both timelines and wakes the sleepers whose deadline it passed, in
/// deadline order; `stepWall(by:)` steps the wall clock alone (`date -s`,
/// an NTP step). `sleeperCount` and `nextDeadline` tell a test that the
/// code under test is waiting, so it can move time without racing it.
public final class ManualClock: PicketClock {
    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var wall: Int64
        var monotonic: Int64
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Starts at `wallNs` UTC (2026-05-28 by default) and `monotonicNs`.
    public init(wallNs: Int64 = 1_780_000_000_000_000_000, monotonicNs: Int64 = 1_000_000_000_000) {
        state = Mutex(State(wall: wallNs, monotonic: monotonicNs))
    }

    public func wallNs() -> Int64 { state.withLock { $0.wall } }

    public func monotonicNs() -> Int64 { state.withLock { $0.monotonic } }

    public func sleep(untilMonotonic deadline: Int64) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume = state.withLock { s -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= s.monotonic { return .success(()) }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// How many tasks sleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until (monotonic); nil when none sleeps.
    public var nextDeadline: Int64? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    /// Moves both clocks `ns` forward and wakes whoever's deadline passed.
    public func advance(by ns: Int64) {
        let woken = state.withLock { s -> [Sleeper] in
            s.monotonic &+= max(0, ns)
            s.wall &+= max(0, ns)
            let due = s.sleepers.filter { $0.value.deadline <= s.monotonic }
            for id in due.keys { s.sleepers[id] = nil }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Moves time to the earliest sleeper's deadline and wakes it; returns
    /// false (and moves nothing) when nobody sleeps.
    @discardableResult
    public func advanceToNextDeadline() -> Bool {
        guard let deadline = nextDeadline else { return false }
        advance(by: deadline &- monotonicNs())
        return true
    }

    /// Steps the wall clock alone (backwards with a negative `ns`); the
    /// monotonic clock and the sleepers are untouched.
    public func stepWall(by ns: Int64) {
        state.withLock { $0.wall &+= ns }
    }
}
