import PicketCore
import PicketHardware
import Testing

/// The one backoff formula, as the drivers (equal jitter) and the outbox's
/// sender (full jitter, `DeliveryPolicy.standard`) use it; the sender's
/// schedule through the real sender is in BackoffScheduleTests.
@Suite struct RetryPolicyTests {
    struct FixedRandom: RandomNumberGenerator {
        let value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test func doublesUpToTheCap() {
        let policy = RetryPolicy(initialNs: 100, maximumNs: 1000)
        #expect((0..<6).map { policy.ceiling(attempt: $0) } == [100, 200, 400, 800, 1000, 1000])
        #expect(policy.ceiling(attempt: 10_000) == 1000)
    }

    @Test func equalJitterStaysWithinHalfToFullCeiling() {
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

    @Test func fullJitterSpansZeroToTheCeilingAboveTheFloor() {
        let policy = RetryPolicy(initialNs: 1_000, maximumNs: 64_000, jitter: .full, minimumNs: 100)
        var random = SplitMix64(seed: 5)
        for attempt in 0..<12 {
            let ceiling = policy.ceiling(attempt: attempt)
            let delays = (0..<200).map { _ in policy.delay(attempt: attempt, using: &random) }
            #expect(delays.allSatisfy { $0 >= 100 && $0 <= ceiling })
            // Below half the ceiling too, which equal jitter never gives.
            #expect(delays.contains { $0 < ceiling / 2 })
        }
    }

    /// One draw maps to one delay: 0 to the low end (or the floor), the
    /// top to the ceiling, the middle to the middle.
    @Test func aDrawMapsExactlyOntoTheRange() {
        let full = RetryPolicy(initialNs: 2_000, maximumNs: 600_000, jitter: .full, minimumNs: 100)
        let equal = RetryPolicy(initialNs: 2_000, maximumNs: 600_000)
        func delay(_ policy: RetryPolicy, _ attempt: Int, _ draw: UInt64) -> Int64 {
            var random = FixedRandom(value: draw)
            return policy.delay(attempt: attempt, using: &random)
        }
        for attempt in 0..<12 {
            let ceiling = full.ceiling(attempt: attempt)
            #expect(delay(full, attempt, 0) == 100)
            #expect(delay(full, attempt, .max) == ceiling)
            #expect(delay(full, attempt, 1 << 63) == ceiling / 2)
            #expect(delay(equal, attempt, 0) == ceiling / 2)
            #expect(delay(equal, attempt, .max) == ceiling)
            #expect(delay(equal, attempt, 1 << 63) == ceiling / 2 + ceiling / 4)
        }
    }

    /// The sender's policy is this formula: full jitter from 2 s to 10
    /// minutes, at least 100 ms, the first retry under the first ceiling.
    @Test func theSendersPolicyIsTheFullJitterOne() {
        #expect(
            DeliveryPolicy.standard.backoff
                == RetryPolicy(
                    initialNs: 2_000_000_000, maximumNs: 600_000_000_000, jitter: .full, minimumNs: 100_000_000))
        var random = FixedRandom(value: .max)
        #expect(DeliveryPolicy.standard.delay(attempt: 1, using: &random) == 2_000_000_000)
        #expect(DeliveryPolicy.standard.delay(attempt: 11, using: &random) == 600_000_000_000)
    }
}
