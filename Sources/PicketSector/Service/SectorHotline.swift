import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PicketCore
import PicketDelivery
import ServiceLifecycle

/// The hotline's outbound half at the sector (PRODUCT.md 7 and 7a): texts
/// for alerts from every box to the subscribers in the database.
///
/// Each round, on the injected clock:
/// 1. *hold*: the box alerts the database queued as it stored them (a
///    trigger, in the same transaction) are held for each subscriber they
///    match (`HotlinePlanner.matches`: a zone name or `box:zone`, the
///    minimum severity), never for a phone opted out;
/// 2. *plan*: the box's desk round (`HotlineDesk.texts`: quiet hours in the
///    sector's `timezone`, the hourly cap and its digest, the wording with
///    the sector in a first text and the contact) turns what is held into
///    texts in the outbox, releasing the alerts in the same transaction;
/// 3. *send*: due texts are claimed (one process at a time per text, for a
///    lease) and POSTed to the gateway, retried like a box's alerts
///    (`DeliveryPolicy`), a dead letter on a 4xx other than 408 and 429.
///
/// Everything it decides from is in the database, shared by every process
/// on it, so a crash or a second `picket sector` changes nothing: an alert
/// is held once, texted once, and a text is sent at least once and, short of
/// a crash after the gateway answered, once.
public struct SectorHotline: Service {
    public struct Settings: Sendable {
        public var policy: DeliveryPolicy = .standard
        /// How long a round waits for the next one.
        public var intervalNs: Int64 = 1_000_000_000
        /// How long a claim on a text lasts: longer than an attempt can take
        /// (connect and request timeouts), so a claim only lapses when its
        /// process died, and the text goes again from another.
        public var leaseNs: Int64 = 120_000_000_000
        /// Texts claimed at a time.
        public var batch = 10
        public var connectTimeout: TimeAmount = .seconds(10)
        public var requestTimeout: TimeAmount = .seconds(30)

        public init() {}
    }

    let store: any SectorStore
    let clock: any PicketClock
    /// Nil: no `hotline.credentials_file`, so nothing is texted (queued
    /// alerts are still taken off the queue, so it does not grow).
    let gateway: SectorGateway?
    let sector: String
    let localClock: LocalClock
    let metrics: SectorMetrics
    let logger: Logger
    let settings: Settings
    /// This sender's name on its claims.
    let claimant: String

    public init(
        store: any SectorStore, clock: any PicketClock, gateway: SectorGateway?, sector: String, timeZone: String,
        metrics: SectorMetrics, logger: Logger, settings: Settings = Settings()
    ) {
        self.store = store
        self.clock = clock
        self.gateway = gateway
        self.sector = sector
        localClock = HotlineDesk.localClock(timeZoneName: timeZone)
        self.metrics = metrics
        self.logger = logger
        self.settings = settings
        claimant = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    /// Until cancelled or the group shuts down (which cancels the sleep).
    public func run() async throws {
        let client = OutgoingSend.client(
            caFile: nil, connectTimeout: settings.connectTimeout, requestTimeout: settings.requestTimeout)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.round(client: client)
                try await self.clock.sleep(forNs: self.settings.intervalNs)
            }
        }
        try? await client.shutdown()
    }

    /// One round: hold, plan, send. Errors are logged; the next round tries again.
    public func round(client: HTTPClient) async {
        do {
            try await hold()
            guard gateway != nil else { return }
            try await plan()
            try await send(client: client)
        } catch {
            logger.error("hotline: cannot read or write the sector database: \(error)")
        }
    }

    /// Holds the newly stored box alerts for the subscribers they match.
    func hold() async throws {
        let limit = 200
        let texting = gateway != nil
        while true {
            let taken = try await store.holdNewAlerts(limit: limit, at: clock.wallNs()) { record, subscriber in
                guard texting, let alert = record.plannerAlert else { return false }
                return HotlinePlanner.matches(alert, subscriber)
            }
            if taken < limit { return }
        }
    }

    /// Turns what is held into texts in the outbox.
    func plan() async throws {
        guard let gateway else { return }
        let now = clock.wallNs()
        for phone in try await store.phonesWithHeldAlerts() {
            // A subscriber removed keeps its held alerts, untouched, in case it comes back (as on a box).
            guard let entry = try await store.subscriber(phone: phone) else { continue }
            if entry.optedOut {
                let dropped = try await store.dropHeldAlerts(phone: phone)
                logger.notice(
                    "hotline: held alerts dropped, the phone opted out",
                    metadata: ["phone": "\(phone)", "alerts": "\(dropped)"])
                continue
            }
            let held = try await store.heldAlerts(phone: phone).compactMap(\.plannerAlert)
            guard !held.isEmpty else { continue }
            // One read gives both the count and the cap's window: a text another process queues after it
            // makes `queueTexts` refuse the plan.
            let all = try await store.textTimes(phone: phone, since: Int64.min)
            let before = all.count
            let since = HotlineDesk.sentSince(now: now, held: held)
            let sent = all.filter { $0 > since }
            let planned = try HotlineDesk.texts(
                now: now, subscriber: entry.subscriber, key: phone, held: held, sentTimes: sent, everTexted: before > 0,
                clock: localClock, sector: sector, contact: gateway.hotline.contact)
            guard !planned.isEmpty else { continue }
            let texts = planned.map { PlannedText(id: $0.id, alertIDs: $0.message.alertIDs, body: $0.message.body) }
            guard try await store.queueTexts(phone: phone, texts, at: now, textsBefore: before) else {
                logger.debug("hotline: another process planned these alerts first", metadata: ["phone": "\(phone)"])
                continue
            }
            for message in planned.map(\.message) {
                logger.info(
                    message.isDigest ? "hotline: digest text queued" : "hotline: text queued",
                    metadata: [
                        "phone": "\(phone)", "subscriber": "\(entry.subscriber.name)",
                        "alerts": "\(message.alertIDs.count)",
                    ])
            }
        }
    }

    /// Sends the texts due now, claimed for this process.
    func send(client: HTTPClient) async throws {
        let now = clock.wallNs()
        for text in try await store.claimTexts(
            by: claimant, now: now, until: now + settings.leaseNs, limit: settings.batch)
        {
            let outcome = await attempt(text, client: client)
            guard try await store.settleText(id: text.id, claimant: claimant, outcome, at: clock.wallNs()) else {
                logger.warning(
                    "hotline: a text's claim lapsed before its outcome was written; another process has it",
                    metadata: ["text": "\(text.id)"])
                continue
            }
        }
    }

    static let refusalHint = "hotline.url, hotline.from, the credentials and the phone"

    /// One attempt at `text`, logged and counted.
    func attempt(_ text: SectorText, client: HTTPClient) async -> TextOutcome {
        let metadata: Logger.Metadata = [
            "text": "\(text.id)", "phone": "\(text.phone)", "attempt": "\(text.attempts + 1)",
        ]
        guard let gateway else { return .retry(at: clock.wallNs() + settings.intervalNs, status: nil, error: "") }
        // At send time: a phone opted out (or removed) since the text was queued gets nothing.
        let entry: SectorSubscriber?
        do {
            entry = try await store.subscriber(phone: text.phone)
        } catch {
            logger.error("hotline: cannot read the subscriber: \(error)", metadata: metadata)
            return .retry(at: clock.wallNs() + settings.intervalNs, status: nil, error: "\(error)")
        }
        guard let entry, !entry.optedOut else {
            let reason = entry == nil ? "no longer a subscriber" : "the phone opted out"
            logger.notice("hotline: text dropped, \(reason)", metadata: metadata)
            metrics.text(.dropped)
            return .dropped(reason: reason)
        }
        let startedNs = clock.wallNs()
        if startedNs - text.queuedTs > DeliveryPolicy.retentionNs {
            logger.error("hotline: text expired: not delivered within 7 days", metadata: metadata)
            metrics.text(.dead)
            return .dead(status: nil, error: "expired: not delivered within 7 days")
        }
        let request = OutgoingRequest.text(
            id: text.id, to: text.phone, body: text.body, hotline: gateway.hotline, user: gateway.user,
            password: gateway.password)
        var random = SystemRandomNumberGenerator()
        let attempt = text.attempts + 1
        do {
            let response = try await OutgoingSend.post(
                request, with: client, timeout: settings.requestTimeout, urlKey: "hotline.url")
            let status = response.status
            let now = clock.wallNs()
            switch settings.policy.outcome(
                status: status, retryAfter: response.retryAfter, attempt: attempt, nowNs: now, using: &random)
            {
            case .delivered:
                // For ACK: the alerts this phone was texted, before the outbox forgets the claim.
                try? await store.noteTexted(phone: text.phone, alertIDs: text.alertIDs, at: now)
                metrics.text(.sent)
                logger.info("hotline: text sent", metadata: metadata.merging(["status": "\(status)"]) { $1 })
                return .sent(status: status)
            case .retry(let at):
                metrics.text(.failed)
                logger.warning(
                    "hotline: text refused for now, will retry",
                    metadata: metadata.merging(["status": "\(status)", "retry_in_ms": "\((at - now) / 1_000_000)"]) {
                        $1
                    })
                return .retry(at: at, status: status, error: "HTTP \(status): \(response.excerpt)")
            case .dead:
                metrics.text(.dead)
                logger.error(
                    "hotline: the SMS gateway refused the text for good, a dead letter now (check \(Self.refusalHint))",
                    metadata: metadata.merging(["status": "\(status)", "response": "\(response.excerpt)"]) { $1 })
                return .dead(status: status, error: response.excerpt)
            }
        } catch {
            if Task.isCancelled {
                // Not the gateway's fault: sent again by the next process to run, at once.
                return .retry(at: clock.wallNs(), status: nil, error: "interrupted by shutdown")
            }
            let reason = OutgoingSend.describe(
                error, caFileKey: "the system's trusted CA certificates (/etc/ssl/certs)", caFile: nil)
            let at = settings.policy.afterFailure(attempt: attempt, nowNs: clock.wallNs(), using: &random)
            metrics.text(.failed)
            logger.warning(
                "hotline: text failed, will retry", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            return .retry(at: at, status: nil, error: reason)
        }
    }
}
