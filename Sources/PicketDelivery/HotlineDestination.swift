import Logging
import PicketCore
import PicketStore

/// Landowners' phones through the SMS gateway (PRODUCT.md section 7): a
/// commit holds each alert for the subscribers it matches; before each
/// round the desk turns what is held into texts (`sms:<subscriber>`).
struct HotlineDestination: Destination {
    static func key(_ subscriber: String) -> String { "sms:\(subscriber)" }

    let hotline: HotlineConfig
    let desk: HotlineDesk
    let user: String
    let password: String

    init(hotline: HotlineConfig, timeZoneName: String, sector: String, user: String, password: String) {
        self.hotline = hotline
        desk = HotlineDesk(hotline: hotline, timeZoneName: timeZoneName, sector: sector)
        self.user = user
        self.password = password
    }

    var kind: String { "sms" }
    var caFile: String? { hotline.caFile }
    var caFileKey: String { "hotline.ca_file" }
    var urlKey: String { "hotline.url" }
    func owns(_ key: String) -> Bool { key.hasPrefix("sms:") }

    func queue(_ alerts: [Alert], into batch: inout StoreBatch) {
        for alert in alerts {
            for subscriber in hotline.subscribers where HotlinePlanner.matches(alert, subscriber) {
                batch.hotlineMatches.append((subscriber.name, alert.id))
            }
        }
    }

    func prepare(store: Store, now: Int64, logger: Logger) throws {
        try desk.plan(store: store, now: now, logger: logger)
    }

    func request(for delivery: Delivery, store: Store, timestamp: Int64) throws -> OutgoingRequest? {
        let name = String(delivery.destination.dropFirst("sms:".count))
        guard let subscriber = hotline.subscribers.first(where: { $0.name == name }), let text = delivery.body
        else { return nil }
        return .text(
            id: delivery.id, to: subscriber.phone, body: text, hotline: hotline, user: user, password: password)
    }
}
