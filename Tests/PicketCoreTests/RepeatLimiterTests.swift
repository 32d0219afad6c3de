import PicketCore
import Testing

@Suite struct RepeatLimiterTests {
    static let s: Int64 = 1_000_000_000

    @Test func saysTheFirstThenOncePerIntervalWithTheCount() {
        var limiter = RepeatLimiter(intervalNs: 30 * Self.s)
        #expect(!limiter.isActive)
        #expect(limiter.occurred(now: 0) == 0)
        #expect(limiter.isActive)
        // Ten a second for 29.9 s: all unsaid.
        var said = 0
        for tenth in 1..<300 where limiter.occurred(now: Int64(tenth) * Self.s / 10) != nil { said += 1 }
        #expect(said == 0)
        #expect(limiter.occurred(now: 30 * Self.s) == 299)
        #expect(limiter.occurred(now: 31 * Self.s) == nil)
        #expect(limiter.cleared() == 1)
        #expect(!limiter.isActive)
        // After it cleared, the next one is said at once.
        #expect(limiter.occurred(now: 32 * Self.s) == 0)
    }
}
