import Foundation
import Logging
import PicketCore
import PicketStore

/// Turns the alerts held for each landowner into texts in the outbox, as
/// `HotlinePlanner` decides (zones, minimum severity, quiet hours in the
/// box's time zone, the hourly cap and its digest). Everything it decides
/// from is in the database, so a restart picks up where it left off.
public struct HotlineDesk: Sendable {
    let hotline: HotlineConfig
    /// The landowner's clock: the configured `timezone`, with the
    /// abbreviations of its tz database file.
    let clock: LocalClock
    /// Named in a subscriber's first text.
    let sector: String

    init(hotline: HotlineConfig, timeZoneName: String, sector: String) {
        self.hotline = hotline
        self.sector = sector
        clock = Self.localClock(timeZoneName: timeZoneName)
    }

    /// The landowner's clock for a configured `timezone` (the box's or the
    /// sector's), with the abbreviations of its tz database file. The
    /// configuration checked the name; UTC only if the system lost it since.
    public static func localClock(timeZoneName: String) -> LocalClock {
        let known = TimeZone(identifier: timeZoneName)
        let timeZone = known ?? TimeZone(identifier: "UTC")!
        return LocalClock(timeZone: timeZone, names: zoneNames(known == nil ? "UTC" : timeZoneName))
    }

    /// The earliest time whose texts the planner needs for `held` at
    /// `now`: the cap's window before the oldest held alert (whether it was
    /// held back) and before now.
    public static func sentSince(now: Int64, held: [Alert]) -> Int64 {
        min(now, held.map(\.lastTs).min() ?? now) - HotlinePlanner.windowNs
    }

    /// The texts `subscriber` gets now, each with its outbox id
    /// (`Identifier.text` under `key`), as `HotlinePlanner` plans them: the
    /// one round of the box's desk and the sector's. `everTexted`: a text
    /// went to them before (else the first introduces `sector`);
    /// `sightings`, asked only when a text goes now, says what each alert
    /// saw from its events (nil: from its rule's name).
    public static func texts(
        now: Int64, subscriber: Subscriber, key: String, held: [Alert], sentTimes: [Int64], everTexted: Bool,
        clock: LocalClock, sector: String, contact: String?,
        sightings: (() throws -> [String: Sighting])? = nil
    ) throws -> [(id: String, message: HotlinePlanner.Message)] {
        var wording = HotlinePlanner.Wording(clock: clock, introduce: everTexted ? nil : sector, contact: contact)
        var plan = HotlinePlanner.plan(
            now: now, subscriber: subscriber, wording: wording, sentTimes: sentTimes, held: held)
        guard !plan.messages.isEmpty else { return [] }
        if let sightings {
            wording.sightings = try sightings()
            plan = HotlinePlanner.plan(
                now: now, subscriber: subscriber, wording: wording, sentTimes: sentTimes, held: held)
        }
        return plan.messages.map { (Identifier.text(subscriber: key, alerts: $0.alertIDs), $0) }
    }

    /// The abbreviations of `identifier` from the system's tz database
    /// (`TZDIR`, else `/usr/share/zoneinfo`); nil without one, and texts then
    /// give the offset (`UTC+01:00`).
    static func zoneNames(_ identifier: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ZoneNames?
    {
        guard !identifier.contains(".."), !identifier.hasPrefix("/") else { return nil }
        let directory = environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"
        guard let handle = FileHandle(forReadingAtPath: directory + "/" + identifier) else { return nil }
        defer { try? handle.close() }
        // A zone's file is a few KiB; a larger one is not a zone's file.
        guard let data = try? handle.read(upToCount: 1 << 20) else { return nil }
        return ZoneNames(tzif: [UInt8](data))
    }

    func plan(store: Store, now: Int64, logger: Logger) throws {
        for name in try store.subscribersWithHeldAlerts() {
            // A subscriber removed from the configuration keeps its held
            // alerts in the database, untouched, in case they come back.
            guard let subscriber = hotline.subscribers.first(where: { $0.name == name }) else { continue }
            let held = try store.heldAlerts(subscriber: name)
            guard !held.isEmpty else { continue }
            let destination = HotlineDestination.key(name)
            let sent = try store.queuedTimes(destination: destination, since: Self.sentSince(now: now, held: held))
            // Never texted before: the first of these says who sends them and how to stop.
            let first = try store.queuedTimes(destination: destination, since: Int64.min).isEmpty
            let planned = try Self.texts(
                now: now, subscriber: subscriber, key: name, held: held, sentTimes: sent, everTexted: !first,
                clock: clock, sector: sector, contact: hotline.contact
            ) {
                // Only for texts that go now: what each alert saw, from its events.
                var sightings: [String: Sighting] = [:]
                for alert in held {
                    sightings[alert.id] = Sighting.of(alert, events: try store.events(ids: alert.events))
                }
                return sightings
            }
            guard !planned.isEmpty else { continue }
            let texts = planned.map { text in
                (
                    id: text.id, alerts: held.filter { text.message.alertIDs.contains($0.id) },
                    body: text.message.body
                )
            }
            try store.queueTexts(subscriber: name, destination: destination, texts, now: now)
            for message in planned.map(\.message) {
                logger.info(
                    message.isDigest ? "digest text queued" : "text queued",
                    metadata: ["subscriber": "\(name)", "alerts": "\(message.alertIDs.count)"])
            }
        }
    }
}
