import Foundation
import PicketStore
import PicketTestSupport
import Synchronization
import Testing

@testable import PicketDelivery

/// `Retry-After` through the sender, against a real HTTP server on
/// 127.0.0.1, with a backoff (20 to 100 ms) far shorter than any wait the
/// header asks for: an HTTP date ahead is waited for, one in the past does
/// not park the alert, and a day is clamped to the hour, as the outbox in
/// the SQLite file records it.
@Suite struct RetryAfterTests {
    /// When each request reached the receiver (wall clock, seconds).
    final class Arrivals: Sendable {
        private let times = Mutex<[Double]>([])
        func record() -> Double {
            let now = Date().timeIntervalSince1970
            times.withLock { $0.append(now) }
            return now
        }
        var all: [Double] { times.withLock { $0 } }
    }

    /// IMF-fixdate, the form RFC 9110 has senders use: `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// A 503 with `Retry-After` as a date at least 3 s ahead: the next
    /// attempt is not before that date (the backoff alone would come back
    /// within 100 ms).
    @Test func anHTTPDateAheadIsWaitedFor() async throws {
        let f = try Fixture()
        let arrivals = Arrivals()
        let target = Mutex<Double>(0)
        let receiver = try TestReceiver { _, n in
            let now = arrivals.record()
            guard n == 0 else { return .init() }
            // Whole seconds: 4 s ahead, rounded down, is at least 3 s ahead.
            let until = (now + 4).rounded(.down)
            target.withLock { $0 = until }
            return .init(status: 503, headers: [("Retry-After", Self.httpDate(until))], body: "maintenance")
        }
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 1 }
        let times = arrivals.all
        try #require(times.count == 2, "\(times.count) requests")
        let until = target.withLock { $0 }
        // The sender and this test read the same wall clock; 50 ms for rounding.
        #expect(times[1] >= until - 0.05, "retried \(until - times[1]) s before the Retry-After date")
        #expect(times[1] - times[0] >= 2.95, "retried \(times[1] - times[0]) s after a Retry-After 3 s or more ahead")
    }

    /// A date already past (a receiver's clock behind) means now: the alert
    /// is retried at once, not parked or dropped.
    @Test func anHTTPDateInThePastRetriesAtOnce() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { _, n in
            n == 0
                ? .init(
                    status: 429, headers: [("Retry-After", Self.httpDate(Date().timeIntervalSince1970 - 3_600))],
                    body: "slow down")
                : .init()
        }
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 1 }
        #expect(receiver.requests.count == 2)
        #expect(receiver.uniqueKeys == [f.alert(1).id])
        let delivery = try #require(try f.store().deliveries().first)
        #expect(delivery.attempts == 2)
        #expect(delivery.lastStatus == 200)
    }

    /// `Retry-After: 86400` parks the alert for an hour, not a day
    /// (PRODUCT.md section 6 caps what an endpoint can ask): the outbox's
    /// next attempt is an hour after the refusal, and no sooner retry is made.
    @Test func aDayIsClampedToAnHour() async throws {
        let f = try Fixture()
        let arrivals = Arrivals()
        let receiver = try TestReceiver { _, _ in
            _ = arrivals.record()
            return .init(status: 503, headers: [("Retry-After", "86400")], body: "come back tomorrow")
        }
        try f.seed([f.alert(1)])
        var refused: Delivery?
        try await f.deliver(to: receiver) {
            refused = try f.store().deliveries().first
            return refused?.state == .pending && refused?.lastStatus == 503
        }
        let delivery = try #require(refused)
        let asked = try #require(arrivals.all.first)
        let ahead = Double(delivery.nextAttemptTs) / 1e9 - asked
        #expect(ahead <= 3_600 + 5, "next attempt \(ahead) s after a Retry-After of a day; at most an hour")
        #expect(ahead >= 3_600 - 5, "next attempt \(ahead) s after the refusal; Retry-After clamped to an hour")
        #expect(delivery.attempts == 1)
        #expect(receiver.requests.count == 1)
        // Read again from the file, after the sender stopped.
        #expect(try f.store().deliveries().first?.nextAttemptTs == delivery.nextAttemptTs)
    }
}
