import PicketCore
import Testing

/// The test clock the daemon's parts run on in tests: sleepers wake when
/// time is moved past their deadline, in deadline order, and on cancellation.
@Suite struct ManualClockTests {
    @Test func advanceWakesTheSleepersWhoseDeadlinePassed() async throws {
        let clock = ManualClock(wallNs: 5_000, monotonicNs: 100)
        let early = Task { try await clock.sleep(untilMonotonic: 150) }
        let late = Task { try await clock.sleep(forNs: 1_000) }
        while clock.sleeperCount < 2 { await Task.yield() }
        #expect(clock.nextDeadline == 150)
        clock.advance(by: 60)
        try await early.value
        #expect(clock.sleeperCount == 1)
        #expect(clock.monotonicNs() == 160 && clock.wallNs() == 5_060)
        #expect(clock.advanceToNextDeadline())
        try await late.value
        #expect(clock.monotonicNs() == 1_100)
        #expect(!clock.advanceToNextDeadline())
        // A deadline already passed returns at once.
        try await clock.sleep(untilMonotonic: 1_000)
    }

    @Test func aCancelledSleeperThrowsAndLeaves() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(forNs: 1_000_000_000) }
        while clock.sleeperCount < 1 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func aWallStepLeavesTheMonotonicClockAndTheSleepers() async throws {
        let clock = ManualClock(wallNs: 10_000, monotonicNs: 0)
        let sleeper = Task { try await clock.sleep(untilMonotonic: 10) }
        while clock.sleeperCount < 1 { await Task.yield() }
        clock.stepWall(by: -3_000)
        #expect(clock.wallNs() == 7_000 && clock.monotonicNs() == 0 && clock.sleeperCount == 1)
        clock.advance(by: 10)
        try await sleeper.value
    }
}
