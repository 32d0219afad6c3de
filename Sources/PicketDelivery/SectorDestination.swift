import PicketCore
import PicketStore

/// The sector endpoint (`forward.url`): every alert, as JSON or CAP 1.2,
/// signed, keyed by the alert's id (PRODUCT.md section 6).
struct SectorDestination: Destination {
    static let key = "sector"

    let forward: ForwardConfig
    let secret: [UInt8]
    /// The alerts come from a simulated field kit: CAP says `Exercise`.
    let exercise: Bool

    var kind: String { Self.key }
    var caFile: String? { forward.caFile }
    var caFileKey: String { "forward.ca_file" }
    var urlKey: String { "forward.url" }
    var answersCarryReports: Bool { true }
    func owns(_ key: String) -> Bool { key == Self.key }

    /// Every new alert, under its own id.
    func queue(_ alerts: [Alert], into batch: inout StoreBatch) {
        batch.outbox += alerts.map(Self.entry)
    }

    static func entry(_ alert: Alert) -> OutboxEntry {
        OutboxEntry(
            id: alert.id, destination: key, alerts: [alert.id], severityRank: alert.severity.rank,
            createdTs: alert.firstTs)
    }

    func request(for delivery: Delivery, store: Store, timestamp: Int64) throws -> OutgoingRequest? {
        guard let alert = try store.alert(id: delivery.id) else { return nil }
        // CAP's `sent` is the alert's last_ts, so every retry carries the same body.
        let body = Array(
            DeliveryService.body(
                alert, forward: forward, sentNs: alert.lastTs, exercise: exercise
            ).utf8)
        return .sector(alert, forward: forward, secret: secret, timestamp: timestamp, body: body)
    }
}
