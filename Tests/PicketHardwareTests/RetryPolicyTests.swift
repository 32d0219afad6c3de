import PicketCore
import PicketHardware
import Testing

@Suite struct RetryPolicyTests {
    @Test func doublesUpToTheCap() {
        let policy = RetryPolicy(initialNs: 100, maximumNs: 1000)
        #expect((0..<6).map { policy.ceiling(attempt: $0) } == [100, 200, 400, 800, 1000, 1000])
        #expect(policy.ceiling(attempt: 10_000) == 1000)
    }

    @Test func delaysStayWithinHalfToFullCeiling() {
        let policy = RetryPolicy(initialNs: 1_000, maximumNs: 64_000)
        var random = SplitMix64(seed: 3)
        for attempt in 0..<12 {
            let ceiling = policy.ceiling(attempt: attempt)
            for _ in 0..<50 {
                let d = policy.delay(attempt: attempt, using: &random)
                #expect(d >= ceiling / 2 && d <= ceiling)
            }
        }
    }
}
