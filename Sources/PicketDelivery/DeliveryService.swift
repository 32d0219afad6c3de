import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import PicketCore
import PicketStore
import ServiceLifecycle

/// The outbox's sender: delivers every pending message (alerts to the sector
/// endpoint, texts to landowners) at least once, across outages, crashes
/// and restarts.
///
/// Each attempt is claimed (`in_flight`, committed) before the request goes
/// out and its outcome committed after, so a crash in between leaves the
/// message to be sent again with the same idempotency key, never lost. It
/// opens a database connection of its own, so a backlog of thousands drains
/// beside ingest (WAL) without blocking it, at a bounded rate, most severe
/// first, then oldest.
public final class DeliveryService: Service, Sendable {
    public struct Settings: Sendable {
        public var policy: DeliveryPolicy = .standard
        /// The least time between two requests: the drain rate's bound.
        public var spacingNs: Int64 = 100_000_000
        /// Connect timeout, and the whole request's.
        public var connectTimeout: TimeAmount = .seconds(10)
        public var requestTimeout: TimeAmount = .seconds(30)
        /// How long an idle sender sleeps before it looks for new messages.
        public var idleNs: Int64 = 500_000_000

        public init() {}
    }

    let configuration: PicketConfiguration
    let databasePath: String
    let logger: Logger
    let settings: Settings
    let now: @Sendable () -> Int64
    let secrets: LoadedSecrets
    let hotline: HotlineDesk?
    /// Told of every attempt: destination, result (delivered, retry, dead,
    /// failed) and whether it delivered (for the metrics).
    let onAttempt: @Sendable (_ destination: String, _ result: String) -> Void

    /// Reads the secrets now, so a missing or world-readable file stops the
    /// daemon before it starts (exit 78), not at the first alert.
    public init(
        configuration: PicketConfiguration, databasePath: String, logger: Logger, settings: Settings = Settings(),
        now: @escaping @Sendable () -> Int64,
        onAttempt: @escaping @Sendable (_ destination: String, _ result: String) -> Void = { _, _ in }
    ) throws(SecretFileError) {
        self.onAttempt = onAttempt
        self.configuration = configuration
        self.databasePath = databasePath
        self.logger = logger
        self.settings = settings
        self.now = now
        secrets = try LoadedSecrets(configuration)
        hotline = configuration.hotline.map { HotlineDesk(hotline: $0, timeZoneName: configuration.timeZone) }
    }

    /// Reads the configuration's secrets, to check them before a reload.
    public static func validateSecrets(_ configuration: PicketConfiguration) throws(SecretFileError) {
        _ = try LoadedSecrets(configuration)
    }

    /// True when the configuration has anywhere to deliver to.
    public static func isNeeded(_ configuration: PicketConfiguration) -> Bool {
        configuration.forward != nil || configuration.hotline != nil
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.loop() }
    }

    /// Sends until cancelled (graceful shutdown): an attempt under way is
    /// finished or put back to `pending` before it returns.
    private func loop() async throws {
        let store = try Store(path: databasePath)
        let recovered = try store.recoverInFlight()
        if recovered > 0 {
            logger.notice(
                "deliveries interrupted by the last stop are pending again", metadata: ["count": "\(recovered)"])
        }
        let sector = try configuration.forward.map { try client(caFile: $0.caFile) }
        let gateway = try configuration.hotline.map { try client(caFile: $0.caFile) }
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            do {
                try hotline?.plan(store: store, now: now(), logger: logger)
                let due = try store.dueDeliveries(now: now(), limit: 16)
                for delivery in due {
                    guard !Task.isCancelled else { break }
                    await attempt(delivery, store: store, sector: sector, gateway: gateway, random: &random)
                    try? await Task.sleep(nanoseconds: UInt64(settings.spacingNs))
                }
                if due.isEmpty {
                    let next = try store.nextAttemptTs() ?? Int64.max
                    let wait = min(max(0, next - now()), settings.idleNs)
                    try? await Task.sleep(nanoseconds: UInt64(max(wait, 10_000_000)))
                }
            } catch {
                // The database was busy or failed: nothing is lost, the
                // messages stay where they are; try again shortly.
                logger.error("outbox unavailable", metadata: ["error": "\(error)"])
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        for client in [sector, gateway].compactMap({ $0 }) { try? await client.shutdown() }
    }

    // MARK: One attempt

    private func attempt(
        _ delivery: Delivery, store: Store, sector: HTTPClient?, gateway: HTTPClient?,
        random: inout SystemRandomNumberGenerator
    ) async {
        let startedNs = now()
        let metadata: Logger.Metadata = [
            "delivery": "\(delivery.id)", "destination": "\(delivery.destination)",
            "attempt": "\(delivery.attempts + 1)",
        ]
        do {
            // Retention counts from when the message entered the outbox.
            if startedNs - delivery.queuedTs > DeliveryPolicy.retentionNs {
                try store.markDead(delivery.id, status: nil, response: "expired: not delivered within 7 days")
                logger.error("delivery expired", metadata: metadata)
                return
            }
            guard let (request, client) = try prepare(delivery, store: store, sector: sector, gateway: gateway)
            else {
                try store.markDead(delivery.id, status: nil, response: "no such destination in the configuration")
                logger.error("delivery has no destination in this configuration", metadata: metadata)
                return
            }
            try store.markInFlight(delivery.id, now: startedNs)
            let attempt = delivery.attempts + 1
            do {
                let response = try await client.execute(request, timeout: settings.requestTimeout)
                let body = try await response.body.collect(upTo: 65_536)
                let text = Self.excerpt(String(buffer: body))
                let status = Int(response.status.code)
                let retryAfter = response.headers.first(name: "Retry-After")
                switch settings.policy.outcome(
                    status: status, retryAfter: retryAfter, attempt: attempt, nowNs: now(), using: &random)
                {
                case .delivered:
                    try store.markDelivered(delivery.id, status: status, now: now())
                    onAttempt(delivery.destination, "delivered")
                    logger.info("delivered", metadata: metadata.merging(["status": "\(status)"]) { $1 })
                case .retry(let at):
                    try store.markRetry(
                        delivery.id, status: status, response: "HTTP \(status): \(text)", nextAttemptTs: at)
                    onAttempt(delivery.destination, "retry")
                    logger.warning(
                        "delivery refused for now, will retry",
                        metadata: metadata.merging([
                            "status": "\(status)", "retry_in_ms": "\((at - now()) / 1_000_000)",
                        ]) {
                            $1
                        })
                case .dead:
                    try store.markDead(delivery.id, status: status, response: text)
                    onAttempt(delivery.destination, "dead")
                    logger.error(
                        "delivery refused for good: on the dead-letter list (picket alerts --dead)",
                        metadata: metadata.merging(["status": "\(status)", "response": "\(text)"]) { $1 })
                }
            } catch {
                let shuttingDown = Task.isCancelled
                let at = shuttingDown ? 0 : settings.policy.afterFailure(attempt: attempt, nowNs: now(), using: &random)
                let why = shuttingDown ? "interrupted by shutdown" : "\(error)"
                try store.markRetry(delivery.id, status: nil, response: why, nextAttemptTs: at)
                if !shuttingDown { onAttempt(delivery.destination, "failed") }
                if !shuttingDown {
                    logger.warning(
                        "delivery failed, will retry", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                }
            }
        } catch {
            logger.error("outbox update failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// The request for a delivery and the client that sends it; nil when the
    /// configuration no longer has its destination.
    private func prepare(_ delivery: Delivery, store: Store, sector: HTTPClient?, gateway: HTTPClient?) throws
        -> (HTTPClientRequest, HTTPClient)?
    {
        let outgoing: OutgoingRequest
        let client: HTTPClient
        if delivery.destination == Delivery.sector {
            guard let forward = configuration.forward, let sector, let secret = secrets.sector,
                let alert = try store.alert(id: delivery.id)
            else { return nil }
            let timestamp = now() / 1_000_000_000
            // CAP's `sent` is the alert's last_ts, so every retry carries the same body.
            let body = Array(Self.body(alert, format: forward.format, sentNs: alert.lastTs).utf8)
            outgoing = .sector(alert, forward: forward, secret: secret, timestamp: timestamp, body: body)
            client = sector
        } else {
            guard let hotline = configuration.hotline, let gateway, let credentials = secrets.gateway,
                let name = delivery.destination.split(separator: ":", maxSplits: 1).last.map(String.init),
                let subscriber = hotline.subscribers.first(where: { $0.name == name }), let text = delivery.body
            else { return nil }
            outgoing = .text(
                id: delivery.id, to: subscriber.phone, body: text, hotline: hotline, user: credentials.user,
                password: credentials.password)
            client = gateway
        }
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = .POST
        for (name, value) in outgoing.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: outgoing.body))
        return (request, client)
    }

    /// The sector's body: the alert's JSON, or CAP 1.2 XML.
    static func body(_ alert: Alert, format: ForwardConfig.Format, sentNs: Int64) -> String {
        switch format {
        case .json: AlertJSON.object(alert)
        case .cap: CAPDocument.xml(for: alert, sentNs: sentNs)
        }
    }

    /// The start of a response body, on one line, for the outbox and logs.
    static func excerpt(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return flat.count > 500 ? String(flat.prefix(500)) + "..." : flat
    }

    private func client(caFile: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        let configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: settings.connectTimeout, read: settings.requestTimeout))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// The secrets the configuration names, read once at start.
struct LoadedSecrets: Sendable {
    var sector: [UInt8]?
    var gateway: (user: String, password: String)?

    init(_ configuration: PicketConfiguration) throws(SecretFileError) {
        if let forward = configuration.forward {
            sector = try Secrets.read(forward.secretFile, key: "forward.secret_file")
        }
        if let hotline = configuration.hotline {
            gateway = try Secrets.credentials(hotline.credentialsFile, key: "hotline.credentials_file")
        }
    }
}
