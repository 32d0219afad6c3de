import Foundation
import PicketCore

/// The hotline's subscribers and opt-outs in the sector's database
/// (PRODUCT.md 7a), shared by every `picket sector` process on it.
///
/// A subscriber is keyed by phone (E.164, checked by the caller). Opt-outs
/// are kept apart from the list, by phone: a STOP holds whatever the list
/// says, for a phone on it or not, across a `remove` and a later `add`,
/// until that phone sends START.
public protocol SubscriberStore: Sendable {
    /// Adds `subscriber`: `.stored`, or `.duplicate` (nothing changed) when
    /// its phone is already a subscriber's.
    func addSubscriber(_ subscriber: Subscriber, at ts: Int64) async throws -> StoreOutcome

    /// Every subscriber, by name then phone, each with its phone's opt-out.
    func subscribers() async throws -> [SectorSubscriber]

    /// The subscriber with this phone, with its opt-out; nil when none.
    func subscriber(phone: String) async throws -> SectorSubscriber?

    /// Removes the subscriber with this phone; false when there was none.
    /// Its phone's opt-out stays.
    func removeSubscriber(phone: String) async throws -> Bool

    /// Opts `phone` out (`optedOut` true: STOP and its family) or back in
    /// (START, UNSTOP, YES), with the keyword and time. Returns whether its
    /// state changed (a second STOP changes nothing).
    func setOptedOut(phone: String, _ optedOut: Bool, keyword: String, at ts: Int64) async throws -> Bool

    /// Whether `phone` is opted out now.
    func isOptedOut(phone: String) async throws -> Bool
}

/// The inbound half of the hotline: texts from the SMS gateway, sighting
/// reports, and their hand-off to boxes (migration 5; types and details in
/// SectorInbox.swift).
public protocol SectorInboxStore: Sendable {
    /// The text with this `MessageSid`; nil when none was recorded.
    func inboundText(messageSid: String) async throws -> InboundText?

    /// Records `text` once by its `MessageSid`, with `report` (made of it)
    /// in the same transaction: `.duplicate` and nothing changed when the
    /// `MessageSid` was recorded before.
    func recordInbound(_ text: InboundText, report: SectorReport?) async throws -> StoreOutcome

    /// The latest texts, newest first.
    func inboundTexts(limit: Int) async throws -> [InboundText]

    /// Reports received at or after `since`, newest first, each with the boxes that took it.
    func reports(since: Int64?, limit: Int) async throws -> [SectorReport]

    /// A box's status: records the reports it lists in `taken` as taken by
    /// `box` (ids the sector does not know are ignored), then returns, oldest
    /// first, up to `limit` reports received at or after `since` for one of
    /// `zones` (a report naming a box only to that box) that `box` has not
    /// taken; in one transaction.
    func takeReports(box: String, taken: [String], zones: [String], since: Int64, limit: Int, at ts: Int64)
        async throws -> [SectorReport]

    /// The phones opted out now, latest change first.
    func optedOutPhones() async throws -> [PhoneOptOut]
}

/// The outbound half of the hotline: texts to subscribers through the
/// sector's outbox (migration 6).
public protocol SectorTextStore: Sendable {
    /// Records that the text sent to `phone` at `ts` carried `alertIDs`
    /// (one alert, or a digest's), for `ACK`. Again for the same pair: the
    /// later time is kept.
    func noteTexted(phone: String, alertIDs: [String], at ts: Int64) async throws

    /// The alert most recently texted to `phone` at or after `since` (the
    /// last of a digest's when several went at once); nil when none.
    func latestTextedAlert(phone: String, since: Int64) async throws -> String?

    // MARK: Holding alerts for subscribers (`SectorTexts.swift`)

    /// Takes up to `limit` of the box alerts stored since the last call
    /// (queued by the database in the transaction that stored each) and, in
    /// one transaction, holds each for every subscriber, not opted out, that
    /// `matches` it, and removes it from the queue. Of several processes,
    /// each alert is taken by one. Returns how many it took.
    func holdNewAlerts(
        limit: Int, at ts: Int64, matches: @escaping @Sendable (SectorAlertRecord, Subscriber) -> Bool
    ) async throws -> Int

    /// The phones with alerts held for them.
    func phonesWithHeldAlerts() async throws -> [String]

    /// The alerts held for `phone`, oldest (`last_ts`) first.
    func heldAlerts(phone: String) async throws -> [SectorAlertRecord]

    /// Forgets the alerts held for `phone` (opted out since); returns how many.
    func dropHeldAlerts(phone: String) async throws -> Int

    /// When texts to `phone` were queued, after `since`, oldest first: the
    /// hourly cap's window, and (since `Int64.min`) whether it was ever texted.
    func textTimes(phone: String, since: Int64) async throws -> [Int64]

    /// Queues `texts` for `phone` and releases the alerts they cover, in
    /// one transaction, if the phone's texts are still the `textsBefore`
    /// (`textTimes(since: Int64.min).count`) the plan was made from. False
    /// (nothing changed) when they are not, or when one of those alerts is
    /// no longer held: another process planned first, and the next round
    /// plans again from what it did (so a first text is introduced once, and
    /// the cap counts every process's texts).
    func queueTexts(phone: String, _ texts: [PlannedText], at ts: Int64, textsBefore: Int) async throws -> Bool

    // MARK: The outbox's sender

    /// Claims up to `limit` pending texts due at `now` that no live claim
    /// holds, for `claimant` until `until`, most urgent (severity is in the
    /// planner's order: by queue time) first. Of several processes on one
    /// database, each text is claimed by one.
    func claimTexts(by claimant: String, now: Int64, until: Int64, limit: Int) async throws -> [SectorText]

    /// Writes the outcome of an attempt at text `id` and ends `claimant`'s
    /// claim; false when the claim was lost (expired and taken over).
    func settleText(id: String, claimant: String, _ outcome: TextOutcome, at ts: Int64) async throws -> Bool

    /// Texts, oldest first; `phone` narrows them to one phone.
    func texts(phone: String?) async throws -> [SectorText]
}

/// A subscriber as the sector keeps it.
public struct SectorSubscriber: Sendable, Equatable {
    public var subscriber: Subscriber
    /// The phone sent STOP (or its family) and not START since.
    public var optedOut: Bool
    public var createdTs: Int64

    public init(subscriber: Subscriber, optedOut: Bool, createdTs: Int64) {
        self.subscriber = subscriber
        self.optedOut = optedOut
        self.createdTs = createdTs
    }
}

extension Subscriber {
    /// `zones` as the JSON array text both stores keep.
    var zonesColumn: String { JSONWriter.array(zones) }

    static func zones(column: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(column.utf8))) ?? []
    }
}
