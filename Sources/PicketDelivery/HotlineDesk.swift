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

    init(hotline: HotlineConfig, timeZoneName: String) {
        self.hotline = hotline
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
