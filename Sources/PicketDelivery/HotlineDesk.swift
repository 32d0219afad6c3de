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
    let timeZone: TimeZone
    /// Named in a subscriber's first text.
    let sector: String

    init(hotline: HotlineConfig, timeZoneName: String, sector: String) {
        self.hotline = hotline
        self.sector = sector
        // The configuration checked the name; UTC only if the system lost it since.
        timeZone = TimeZone(identifier: timeZoneName) ?? TimeZone(identifier: "UTC")!
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
            let plan = HotlinePlanner.plan(
                now: now, subscriber: subscriber, timeZone: timeZone, sentTimes: sent, held: held)
            guard !plan.messages.isEmpty else { continue }
            // Never texted before: the first of these says who sends them and how to stop.
            let first = try store.queuedTimes(destination: destination, since: Int64.min).isEmpty
            let texts = plan.messages.enumerated().map { index, message in
                (
                    id: Identifier.text(subscriber: name, alerts: message.alertIDs),
                    alerts: held.filter { message.alertIDs.contains($0.id) },
                    body: HotlinePlanner.framed(
                        message.body, sector: sector, first: first && index == 0, contact: hotline.contact)
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
