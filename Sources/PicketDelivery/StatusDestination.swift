import Foundation
import Logging
import PicketCore
import PicketStore
import Synchronization

/// The box's status (PRODUCT.md section 6, "Box status"): at start and every
/// `forward.status_interval_s` the sender queues a status document for
/// `forward.status_url`, signed like alerts. Only the newest waits in the
/// outbox, and it waits while any alert or text is due.
final class StatusDestination: Destination {
    static let key = "status"
    /// Below every alert's severity rank: the queue's order puts it last.
    static let rank = -1

    /// Where the document's machine facts come from; tests replace them.
    struct Environment: Sendable {
        var databasePath: String
        var clockSynced: @Sendable () -> Bool? = { SystemFacts.clockSynced() }
        var uptimeS: @Sendable () -> Int64
        var diskFreeMB: @Sendable (String) -> Int64? = { SystemFacts.diskFreeMB(at: $0) }
        var databaseMB: @Sendable (String) -> Double? = { SystemFacts.databaseMB(at: $0) }

        static func system(databasePath: String, clock: any PicketClock) -> Environment {
            let start = clock.monotonicNs()
            return Environment(
                databasePath: databasePath,
                uptimeS: { SystemFacts.processUptimeS(fallbackStartNs: start, clock: clock) })
        }
    }

    let configuration: PicketConfiguration
    let forward: ForwardConfig
    let secret: [UInt8]
    let environment: Environment
    let intervalNs: Int64
    /// What the interval is measured on (its monotonic time).
    let clock: any PicketClock
    /// When the next status is due (monotonic ns); nil: at the first round.
    private let nextStatus: Mutex<Int64?>
    /// The status "at start" waits this long, so the drivers have said how
    /// their lines and ports are (a missing chip is not reported healthy).
    static let firstDelayNs: Int64 = 3_000_000_000

    init(
        configuration: PicketConfiguration, forward: ForwardConfig, secret: [UInt8], environment: Environment,
        clock: any PicketClock
    ) {
        self.configuration = configuration
        self.forward = forward
        self.secret = secret
        self.environment = environment
        self.clock = clock
        intervalNs = Int64(forward.statusIntervalS) * 1_000_000_000
        nextStatus = Mutex(clock.monotonicNs() + Self.firstDelayNs)
    }

    var kind: String { Self.key }
    var caFile: String? { forward.caFile }
    var caFileKey: String { "forward.ca_file" }
    var urlKey: String { forward.statusURL == nil ? "forward.url (or forward.status_url)" : "forward.status_url" }
    var yieldsToOthers: Bool { true }
    var keepsNewestOnly: Bool { true }
    func owns(_ key: String) -> Bool { key == Self.key }

    var answersCarryReports: Bool { true }

    /// How long until the next status is due (for the sender's sleep).
    var wakeInNs: Int64? {
        guard let next = nextStatus.withLock({ $0 }) else { return 0 }
        return max(0, next - clock.monotonicNs())
    }

    func prepare(store: Store, now: Int64, logger: Logger) throws {
        let monotonic = clock.monotonicNs()
        guard nextStatus.withLock({ $0.map { monotonic >= $0 } ?? true }) else { return }
        let document = try document(store: store, now: now)
        try store.queueReplacing(
            OutboxEntry(
                id: document.id, destination: Self.key, alerts: [], body: document.json, severityRank: Self.rank,
                createdTs: now), now: now)
        // Only once it is queued: a store that failed tries again next round.
        nextStatus.withLock { $0 = monotonic + intervalNs }
        logger.debug("status queued", metadata: ["id": "\(document.id)"])
    }

    func document(store: Store, now: Int64) throws -> StatusDocument {
        let position = try store.boxFix()?.position ?? configuration.site
        return StatusDocument(
            id: Identifier.status(box: configuration.box, ts: now), box: configuration.box,
            sector: configuration.sector, ts: now, version: PicketVersion.current, uptimeS: environment.uptimeS(),
            position: position, clockSynced: environment.clockSynced(),
            gpsOffsetS: try store.clockOffset()?.seconds, diskFreeMB: environment.diskFreeMB(environment.databasePath),
            dbMB: environment.databaseMB(environment.databasePath),
            outbox: try store.outboxSummary(excluding: Self.key), reportsTaken: try store.unlistedSectorReports(),
            sensors: try store.sensors(), health: configuration.health)
    }

    func request(for delivery: Delivery, store: Store, timestamp: Int64) throws -> OutgoingRequest? {
        guard let body = delivery.body else { return nil }
        return .signed(
            url: forward.effectiveStatusURL, id: delivery.id, contentType: "application/json", box: configuration.box,
            secret: secret, timestamp: timestamp, body: Array(body.utf8))
    }

    /// The sector has the status: the reports it lists are not listed again.
    func delivered(_ delivery: Delivery, store: Store) throws {
        guard let body = delivery.body, let data = body.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let taken = object["reports_taken"] as? [String], !taken.isEmpty
        else { return }
        try store.markSectorReportsListed(taken, status: delivery.id)
    }
}
