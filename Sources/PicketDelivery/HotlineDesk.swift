import Foundation
import Logging
import PicketCore
import PicketStore

/// Turns the alerts held for each landowner into texts in the outbox, as
/// `HotlinePlanner` decides (zones, minimum severity, quiet hours in the
/// box's time zone, the hourly cap and its digest). Everything it decides
/// from is in the database, so a restart picks up where it left off.
struct HotlineDesk: Sendable {
    let hotline: HotlineConfig
    /// The landowner's clock: the configured `timezone`, with the
    /// abbreviations of its tz database file.
    let clock: LocalClock
    /// Named in a subscriber's first text.
    let sector: String

    init(hotline: HotlineConfig, timeZoneName: String, sector: String) {
        self.hotline = hotline
        self.sector = sector
        // The configuration checked the name; UTC only if the system lost it since.
        let known = TimeZone(identifier: timeZoneName)
        let timeZone = known ?? TimeZone(identifier: "UTC")!
        clock = LocalClock(timeZone: timeZone, names: Self.zoneNames(known == nil ? "UTC" : timeZoneName))
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
            guard let oldest = held.map(\.lastTs).min() else { continue }
            let destination = HotlineDestination.key(name)
            let sent = try store.queuedTimes(
                destination: destination, since: min(now, oldest) - HotlinePlanner.windowNs)
            // Never texted before: the first of these says who sends them and how to stop.
            let first = try store.queuedTimes(destination: destination, since: Int64.min).isEmpty
            var wording = HotlinePlanner.Wording(
                clock: clock, introduce: first ? sector : nil, contact: hotline.contact)
            var plan = HotlinePlanner.plan(
                now: now, subscriber: subscriber, wording: wording, sentTimes: sent, held: held)
            guard !plan.messages.isEmpty else { continue }
            // Only for texts that go now: what each alert saw, from its events.
            for alert in held {
                let events = try store.events(ids: alert.events)
                wording.sightings[alert.id] = Sighting.of(alert, events: events)
            }
            plan = HotlinePlanner.plan(now: now, subscriber: subscriber, wording: wording, sentTimes: sent, held: held)
            let texts = plan.messages.map { message in
                (
                    id: Identifier.text(subscriber: name, alerts: message.alertIDs),
                    alerts: held.filter { message.alertIDs.contains($0.id) }, body: message.body
                )
            }
            try store.queueTexts(subscriber: name, destination: destination, texts, now: now)
            for message in plan.messages {
                logger.info(
                    message.isDigest ? "digest text queued" : "text queued",
                    metadata: ["subscriber": "\(name)", "alerts": "\(message.alertIDs.count)"])
            }
        }
    }
}
