import Glibc
import Testing

@testable import PicketHardware

@Suite struct UTCMappingTests {
    /// The mapping follows the wall clock within a millisecond.
    @Test func mapsMonotonicToWallClock() {
        let mapping = UTCMapping()
        let wall = UTCMapping.read(CLOCK_REALTIME)
        let mapped = mapping.now()
        #expect(abs(mapped - wall) < 1_000_000)
    }

    /// A time earlier than one already handed out is lifted to it: a wall
    /// clock stepped backwards never makes event times go back in one run.
    @Test func neverGoesBackwards() {
        let mapping = UTCMapping()
        let now = UTCMapping.monotonicNow()
        let later = mapping.utc(monotonic: now + 5_000_000_000)
        #expect(mapping.utc(monotonic: now) == later)
        #expect(mapping.utc(monotonic: now + 6_000_000_000) == later + 1_000_000_000)
    }
}

/// A clock source a test steps by hand.
final class SteppableClock: ClockSource, @unchecked Sendable {
    // @unchecked: tests set the values from one task before reading.
    var monotonicNs: Int64 = 1_000_000_000_000
    var realtimeNs: Int64 = 1_780_000_000_000_000_000
    func monotonic() -> Int64 { monotonicNs }
    func realtime() -> Int64 { realtimeNs }
    func advance(_ ns: Int64) {
        monotonicNs += ns
        realtimeNs += ns
    }
}

@Suite struct UTCMappingStepTests {
    @Test func aStepBackIsKeptOutOfTheProcessingTimeAndAddedToTheWallTime() {
        let clock = SteppableClock()
        let mapping = UTCMapping(source: clock)
        let start = mapping.now()
        #expect(start == clock.realtimeNs)
        clock.advance(5_000_000_000)
        #expect(mapping.refresh() == nil)
        // `date -s` an hour back.
        clock.realtimeNs -= 3_600_000_000_000
        #expect(mapping.refresh() == -3_600_000_000_000)
        #expect(mapping.stepNs == -3_600_000_000_000)
        clock.advance(1_000_000_000)
        // Processing time goes on as if nothing happened; the wall time is the new one.
        #expect(mapping.now() == start + 6_000_000_000)
        #expect(mapping.wall(mapping.now()) == clock.realtimeNs)
    }

    @Test func slewingIsFollowedNotCountedAsAStep() {
        let clock = SteppableClock()
        let mapping = UTCMapping(source: clock)
        clock.advance(5_000_000_000)
        clock.realtimeNs += 400_000_000  // chrony's fastest slew over 5 s
        #expect(mapping.refresh() == nil)
        #expect(mapping.stepNs == 0)
        #expect(mapping.now() == clock.realtimeNs)
    }
}
