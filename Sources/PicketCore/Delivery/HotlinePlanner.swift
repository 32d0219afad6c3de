import Foundation

/// Decides which texts a landowner gets, and when (PRODUCT.md section 7).
///
/// A pure function of durable state (the alerts held for a subscriber and the
/// times of the texts already sent to them) and of `now`, so the caller can
/// keep both in SQLite beside the outbox and a restart, a reboot or a power
/// cut changes nothing: the same state and time give the same plan. The
/// caller records each planned message's alerts as texted and the time it
/// queued the message, and calls again at `nextCheck` or when an alert
/// arrives.
///
/// The rules, in order:
/// 1. `critical` alerts are never held, neither by quiet hours nor by the
///    cap, and each is its own text. They still count as texts in the hourly
///    window: the landowner's phone rang for them.
/// 2. During quiet hours (on the local clock of `timeZone`) every other
///    alert is held.
/// 3. Outside quiet hours at most `maxPerHour` texts go out in any sliding
///    60-minute window: the texts at times in `(t - 1 h, t]` count at `t`.
///    With no room left, every other alert is held.
/// 4. With room for at least one more text, every held alert goes out now,
///    as individual texts or as one digest:
///    - individually, oldest first, when exactly one alert is held, or when
///      all of them fit in the room and none of them was held back;
///    - otherwise as one digest of all of them.
///
///    An alert was *held back* when, at the time it was raised (its
///    `lastTs`), quiet hours were on or the window was already full. So a
///    burst that arrives while there is room for all of it arrives as
///    separate texts with every detail, while a night's or an hour's backlog
///    arrives as one text: the landowner hears about everything as soon as the
///    cap allows, never an hour late for want of a text the cap would have
///    allowed, and never a string of stale texts at 06:00.
///    A burst bigger than the room goes out as one digest at once rather than
///    partly now and partly an hour later.
///
/// Messages come criticals first, then the others, each group oldest first.
public enum HotlinePlanner {
    /// The sliding window of the hourly cap.
    public static let windowNs: Int64 = 3_600 * UTCTime.nanosPerSecond

    /// One text to send.
    public struct Message: Sendable, Equatable {
        /// The alerts the text covers: one, or several for a digest.
        public var alertIDs: [String]
        public var body: String
        public var isDigest: Bool

        public init(alertIDs: [String], body: String, isDigest: Bool) {
            self.alertIDs = alertIDs
            self.body = body
            self.isDigest = isDigest
        }
    }

    /// What to send now, and when to ask again.
    public struct Plan: Sendable, Equatable {
        public var messages: [Message]
        /// The earliest time at which, with no new alert, the held alerts
        /// would go out: the end of quiet hours, or the time the window next
        /// has room, whichever comes last (a window that frees up during quiet
        /// hours waits for their end, a quiet period that ends on a full window
        /// waits for room). Nil when nothing stays held.
        public var nextCheck: Int64?

        public init(messages: [Message], nextCheck: Int64?) {
            self.messages = messages
            self.nextCheck = nextCheck
        }
    }

    /// Whether `subscriber` wants `alert`: its zone is one of theirs (by
    /// name, or as `box:zone` for the zone of one box: a sector's subscriber
    /// of `ridge-01:north-fork` is not texted for another box's zone of that
    /// name) and it is at least as severe as their minimum. An alert with no
    /// zone reaches no landowner; they subscribe to places. A box's own
    /// subscribers name zones without a box (a zone name has no `:`), so
    /// for them this is the zone name alone.
    public static func matches(_ alert: Alert, _ subscriber: Subscriber) -> Bool {
        guard let zone = alert.zone, alert.severity >= subscriber.minSeverity else { return false }
        return subscriber.zones.contains { $0 == zone || $0 == alert.box + ":" + zone }
    }

    /// The texts to send to `subscriber` at `now`.
    ///
    /// - Parameters:
    ///   - now: UTC nanoseconds.
    ///   - timeZone: the zone of the landowner's clock, for quiet hours and
    ///     the times in texts.
    ///   - sentTimes: when each text to this subscriber was sent (or queued),
    ///     in any order and of any age; only the last hour's count against the
    ///     cap, and older ones tell whether an alert was held back.
    ///   - held: the alerts that match the subscriber and have not been
    ///     texted yet, oldest first, including any that just arrived.
    public static func plan(
        now: Int64, subscriber: Subscriber, timeZone: TimeZone, sentTimes: [Int64], held: [Alert]
    ) -> Plan {
        plan(
            now: now, subscriber: subscriber, wording: Wording(clock: LocalClock(timeZone: timeZone)),
            sentTimes: sentTimes, held: held)
    }

    /// The texts to send to `subscriber` at `now`, worded as `wording` says:
    /// its clock's zone is the landowner's, for quiet hours and the times in
    /// texts, and the first message introduces the sender when
    /// `wording.introduce` is set (the subscriber was never texted before).
    public static func plan(
        now: Int64, subscriber: Subscriber, wording: Wording, sentTimes: [Int64], held: [Alert]
    ) -> Plan {
        let chosen = choose(now: now, subscriber: subscriber, timeZone: wording.clock.timeZone, sentTimes, held)
        let messages = chosen.groups.enumerated().map { index, group in
            let first = wording.introduce != nil && index == 0
            return Message(
                alertIDs: group.alerts.map(\.id),
                body: group.isDigest
                    ? digest(group.alerts, wording: wording, first: first)
                    : text(for: group.alerts[0], wording: wording, first: first),
                isDigest: group.isDigest)
        }
        return Plan(messages: messages, nextCheck: chosen.nextCheck)
    }

    /// Which alerts go out now, alone or together, and when to ask again.
    private static func choose(
        now: Int64, subscriber: Subscriber, timeZone: TimeZone, _ sentTimes: [Int64], _ held: [Alert]
    ) -> (groups: [(alerts: [Alert], isDigest: Bool)], nextCheck: Int64?) {
        let critical = held.filter { $0.severity == .critical }
        let others = held.filter { $0.severity != .critical }
        var messages = critical.map { (alerts: [$0], isDigest: false) }
        guard !others.isEmpty else { return (messages, nil) }

        let before = Budget(subscriber: subscriber, timeZone: timeZone, sent: sentTimes)
        // The criticals going out now count against the window from now on.
        let budget = Budget(
            subscriber: subscriber, timeZone: timeZone,
            sent: sentTimes + Array(repeating: now, count: critical.count))
        let room = budget.room(at: now)
        guard !budget.isQuiet(now), room > 0 else {
            return (messages, budget.release(from: now))
        }
        let heldBack = others.contains { !before.isOpen($0.lastTs) }
        if others.count == 1 || (!heldBack && others.count <= room) {
            messages += others.map { (alerts: [$0], isDigest: false) }
        } else {
            messages.append((others, true))
        }
        return (messages, nil)
    }

    /// Quiet hours and the cap for one subscriber over a fixed set of sent
    /// times, asked about any instant.
    struct Budget {
        var quietHours: Subscriber.QuietHours?
        /// Nil for no cap.
        var maxPerHour: Int?
        var timeZone: TimeZone
        var sent: [Int64]

        init(subscriber: Subscriber, timeZone: TimeZone, sent: [Int64]) {
            quietHours = subscriber.quietHours
            maxPerHour = subscriber.maxPerHour
            self.timeZone = timeZone
            self.sent = sent.sorted()
        }

        func isQuiet(_ t: Int64) -> Bool { quietHours?.contains(t, in: timeZone) ?? false }

        /// The sent times that count against the cap at `t`, oldest first.
        func window(at t: Int64) -> ArraySlice<Int64> {
            let lower = t - HotlinePlanner.windowNs
            return sent[...].drop { $0 <= lower }.prefix { $0 <= t }
        }

        /// How many more texts the cap allows at `t`; `Int.max` with no cap.
        func room(at t: Int64) -> Int {
            guard let maxPerHour else { return .max }
            return max(0, maxPerHour - window(at: t).count)
        }

        /// Whether a non-critical text could go out at `t`.
        func isOpen(_ t: Int64) -> Bool { !isQuiet(t) && room(at: t) > 0 }

        /// The first instant at or after `t` at which a non-critical text could
        /// go out; nil if never (a cap below one, which the configuration
        /// refuses). Each step moves strictly forward, past the end of a quiet
        /// period or past a sent text leaving the window, and there are only
        /// so many of either before both allow a text.
        func release(from t: Int64) -> Int64? {
            var t = t
            for _ in 0..<(sent.count * 2 + 8) {
                if let quietHours, quietHours.contains(t, in: timeZone) {
                    t = quietHours.end(after: t, in: timeZone)
                } else if let maxPerHour, room(at: t) == 0 {
                    guard maxPerHour > 0 else { return nil }
                    // Once this one leaves, one fewer than the cap remain.
                    let window = window(at: t)
                    t = window[window.startIndex + (window.count - maxPerHour)] + HotlinePlanner.windowNs
                } else {
                    return t
                }
            }
            return t
        }
    }
}
