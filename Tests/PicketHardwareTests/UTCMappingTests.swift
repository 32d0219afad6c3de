import Glibc
import PicketCore
import Testing

@testable import PicketHardware

@Suite struct UTCMappingTests {
    /// The mapping follows the wall clock within a millisecond.
    @Test func mapsMonotonicToWallClock() {
        let mapping = UTCMapping()
        let wall = SystemClock().wallNs()
        let mapped = mapping.now()
        #expect(abs(mapped - wall) < 1_000_000)
    }

    /// A time earlier than one already handed out is lifted to it: a wall
    /// clock stepped backwards never makes event times go back in one run.
    @Test func neverGoesBackwards() {
        let mapping = UTCMapping()
        let now = SystemClock().monotonicNs()
        let later = mapping.utc(monotonic: now + 5_000_000_000)
        #expect(mapping.utc(monotonic: now) == later)
        #expect(mapping.utc(monotonic: now + 6_000_000_000) == later + 1_000_000_000)
    }
}

@Suite struct UTCMappingStepTests {
    @Test func aStepBackIsKeptOutOfTheProcessingTimeAndAddedToTheWallTime() {
        let clock = ManualClock()
        let mapping = UTCMapping(source: clock)
        let start = mapping.now()
        #expect(start == clock.wallNs())
        clock.advance(by: 5_000_000_000)
        #expect(mapping.refresh() == nil)
        // `date -s` an hour back.
        clock.stepWall(by: -3_600_000_000_000)
        #expect(mapping.refresh() == -3_600_000_000_000)
        #expect(mapping.stepNs == -3_600_000_000_000)
        clock.advance(by: 1_000_000_000)
        // Processing time goes on as if nothing happened; the wall time is the new one.
        #expect(mapping.now() == start + 6_000_000_000)
        #expect(mapping.wall(mapping.now()) == clock.wallNs())
    }

    @Test func slewingIsFollowedNotCountedAsAStep() {
        let clock = ManualClock()
        let mapping = UTCMapping(source: clock)
        clock.advance(by: 5_000_000_000)
        clock.stepWall(by: 400_000_000)  // chrony's fastest slew over 5 s
        #expect(mapping.refresh() == nil)
        #expect(mapping.stepNs == 0)
        #expect(mapping.now() == clock.wallNs())
    }
}
