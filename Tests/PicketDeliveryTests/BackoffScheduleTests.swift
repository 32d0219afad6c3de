import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

@testable import PicketDelivery

/// The sender's own retry schedule, driven through the real `DeliveryService`
/// on a `ManualClock` against a real HTTP server on 127.0.0.1 that answers
/// 503 (no Retry-After) to everything: what it stores as each attempt's next
/// attempt is the backoff of `DeliveryPolicy.standard` (full jitter under a
/// ceiling doubling from 2 s to 10 min, at least 100 ms), and a message
/// failing for 7 days goes to the dead-letter list and is not tried again.
@Suite struct BackoffScheduleTests {
    /// A "random" source that always draws `value`.
    struct FixedRandom: RandomNumberGenerator {
        let value: UInt64
        mutating func next() -> UInt64 { value }
    }

    /// SplitMix64: a seeded spread of draws.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let second: Int64 = 1_000_000_000
    static let day: Int64 = 86_400 * second
    /// The standard ceilings for attempts 1...12: 2 s doubling, capped at 600 s.
    static let ceilings: [Int64] = [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600].map { $0 * second }

    /// A sender on `clock` with the standard policy and `random`, on a fresh outbox holding one alert.
    struct Rig {
        let f: Fixture
        let receiver: TestReceiver
        let clock: ManualClock
        let service: DeliveryService

        init(random: @escaping @Sendable () -> any RandomNumberGenerator) throws {
            f = try Fixture()
            receiver = try TestReceiver { _, _ in .init(status: 503, body: "busy") }
            clock = ManualClock(wallNs: SystemClock().wallNs())
            var settings = DeliveryService.Settings()
            #expect(settings.policy == .standard)
            settings.random = random
            // Only the retries wake it: fewer turns for the test to pump.
            settings.idleNs = 3_600 * BackoffScheduleTests.second
            settings.connectTimeout = .seconds(5)
            settings.requestTimeout = .seconds(10)
            let alert = f.alert(1)
            var batch = StoreBatch(alerts: [alert])
            batch.outbox = [SectorDestination.entry(alert)]
            try f.store().write(batch, run: "test", now: clock.wallNs())
            service = try DeliveryService(
                configuration: f.configuration(url: "http://127.0.0.1:\(receiver.port)/alerts"), databasePath: f.db,
                logger: f.logger, settings: settings, exercise: false, clock: clock)
        }

        func delivery() throws -> Delivery? { try f.store().deliveries().first }

        /// Lets the sender run until `done` holds: whenever it sleeps (and
        /// so has written all it did), `done` looks at the outbox; when it
        /// does not hold yet, time moves to the sender's next wake-up.
        func pump(_ what: String, until done: (Delivery) throws -> Bool) async throws {
            try await eventually(what, timeout: .seconds(60)) {
                guard clock.sleeperCount > 0, let delivery = try delivery() else { return false }
                if try done(delivery) { return true }
                clock.advanceToNextDeadline()
                return false
            }
        }
    }

    /// Runs the sender for `count` attempts; returns the delay each one
    /// scheduled (next attempt minus the attempt's time).
    static func schedule(count: Int, random: @escaping @Sendable () -> any RandomNumberGenerator) async throws
        -> [Int64]
    {
        let rig = try Rig(random: random)
        let task = Task { try await rig.service.run() }
        defer { task.cancel() }
        var delays: [Int64] = []
        try await rig.pump("\(count) attempts") { delivery in
            #expect(delivery.state == .pending)
            if delivery.attempts > delays.count, let last = delivery.lastAttemptTs {
                #expect(delivery.attempts == delays.count + 1, "every attempt is seen")
                delays.append(delivery.nextAttemptTs - last)
            }
            return delays.count >= count
        }
        task.cancel()
        try await task.value
        #expect(rig.receiver.requests.count == count)
        return delays
    }

    /// With one fixed draw the delays are exactly the formula's:
    /// `max(100 ms, ⌊r × (ceiling + 1) / 2⁶⁴⌋)`, the ceiling doubling per
    /// attempt to the cap. A constant delay, a ceiling that does not
    /// double, or the half-to-full jitter of the drivers fails it.
    @Test(arguments: [
        (UInt64(1) << 63, "half the ceiling"), (UInt64.max, "the ceiling"), (UInt64(0), "the 100 ms floor"),
    ])
    func aFixedDrawGivesExactlyTheFormulasDelays(draw: UInt64, what: String) async throws {
        let delays = try await Self.schedule(count: Self.ceilings.count) { FixedRandom(value: draw) }
        let expected = Self.ceilings.map { ceiling in
            max(100_000_000, Int64(draw.multipliedFullWidth(by: UInt64(ceiling) + 1).high))
        }
        #expect(delays == expected, "\(what)")
        switch draw {
        case UInt64(1) << 63: #expect(delays == Self.ceilings.map { $0 / 2 })
        case UInt64.max: #expect(delays == Self.ceilings)
        default: #expect(delays.allSatisfy { $0 == 100_000_000 })
        }
    }

    /// With a real spread of draws every delay lies in [100 ms, ceiling];
    /// the late ones reach past what an early ceiling allows.
    @Test func seededDrawsStayUnderTheDoublingCeiling() async throws {
        let delays = try await Self.schedule(count: Self.ceilings.count) { SeededRandom(state: 10) }
        for (n, (delay, ceiling)) in zip(delays, Self.ceilings).enumerated() {
            #expect(delay >= 100_000_000 && delay <= ceiling, "attempt \(n + 1): \(delay) ns over \(ceiling)")
        }
        #expect(Set(delays).count > 1, "not a constant delay: \(delays)")
        #expect(delays.suffix(4).contains { $0 > Self.ceilings[2] }, "\(delays)")
    }

    /// A message failing for 7 days (the clock advanced a day at a time)
    /// becomes dead with its reason, is listed with the dead, and is not
    /// attempted again.
    @Test func sevenDaysOfFailuresPutAMessageOnTheDeadLetterList() async throws {
        let rig = try Rig(random: { FixedRandom(value: UInt64(1) << 63) })
        let task = Task { try await rig.service.run() }
        defer { task.cancel() }
        try await rig.pump("the first attempt") { $0.attempts == 1 }
        let queued = try #require(try rig.delivery()).queuedTs
        // A day at a time: each wakes the sender, which tries once more.
        for day in 1...6 {
            rig.clock.advance(by: Self.day)
            try await rig.pump("the attempt on day \(day)") { $0.attempts == day + 1 }
        }
        #expect(rig.receiver.requests.count == 7)
        #expect(try rig.f.store().deliveries(states: [.dead]).isEmpty, "still young enough after 6 days")

        // Past 7 days since it was queued: dead, without another request.
        rig.clock.advance(by: Self.day + Self.second)
        #expect(rig.clock.wallNs() - queued > DeliveryPolicy.retentionNs)
        try await rig.pump("the message dead") { $0.state == .dead }
        let dead = try rig.f.store().deliveries(states: [.dead])
        #expect(dead.map(\.id) == ["alert-1"])
        #expect(dead.first?.lastResponse == "expired: not delivered within 7 days")
        #expect(dead.first?.attempts == 7)
        // Nothing is due any more: another day passes without a request.
        rig.clock.advance(by: Self.day)
        try await rig.pump("the sender asleep again") { _ in true }
        #expect(rig.receiver.requests.count == 7)
        #expect(try rig.f.store().dueDeliveries(now: rig.clock.wallNs(), limit: 16).isEmpty)
        task.cancel()
        try await task.value
    }
}
