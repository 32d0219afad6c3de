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
