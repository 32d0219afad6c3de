import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import PicketCore
import PicketStore
import ServiceLifecycle

/// The outbox's sender: delivers every pending message (alerts to the sector
/// endpoint, texts to landowners, the box's status) at least once, across
/// outages, crashes and restarts. What differs between destinations is in
/// their `Destination`; claiming, retrying and the dead-letter list are here.
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
        /// The longest an idle sender sleeps before it looks at the outbox
        /// again; it sleeps less when a retry or a status falls due sooner,
        /// and `nudge()` wakes it at once.
        public var idleNs: Int64 = 5_000_000_000
        /// How often one repeated error is logged (with its count of repeats).
        public var repeatedErrorLogNs: Int64 = 30_000_000_000
        /// Where the backoff's jitter comes from (a test injects a fixed one).
        public var random: @Sendable () -> any RandomNumberGenerator = { SystemRandomNumberGenerator() }

        public init() {}
    }

    let configuration: PicketConfiguration
    let databasePath: String
    let logger: Logger
    let settings: Settings
    /// What requests are signed with, retries and the 7-day expiry are
    /// measured on (its wall time: what a receiver checks), and what the
    /// sender sleeps on between attempts.
    let clock: any PicketClock
    /// Everywhere this configuration delivers to.
    public let destinations: [any Destination]
    private let wakeup: Wakeup
    /// Told of every attempt: destination kind (`sector`, `sms`, `status`),
    /// result (delivered, retry, dead, failed), for the metrics.
    let onAttempt: @Sendable (_ destination: String, _ result: String) -> Void

    /// Reads the secrets now, so a missing or world-readable file stops the
    /// daemon before it starts (exit 78), not at the first alert.
    /// `exercise`: the alerts come from a simulated field kit (`picket run
    /// --simulate`), so CAP bodies say `Exercise`, never `Actual`.
    public convenience init(
        configuration: PicketConfiguration, databasePath: String, logger: Logger, settings: Settings = Settings(),
        exercise: Bool, clock: any PicketClock,
        onAttempt: @escaping @Sendable (_ destination: String, _ result: String) -> Void = { _, _ in }
    ) throws(SecretFileError) {
        try self.init(
            configuration: configuration, databasePath: databasePath, logger: logger, settings: settings,
            exercise: exercise, clock: clock, status: .system(databasePath: databasePath, clock: clock),
            onAttempt: onAttempt)
    }

    init(
        configuration: PicketConfiguration, databasePath: String, logger: Logger, settings: Settings,
        exercise: Bool, clock: any PicketClock, status: StatusDestination.Environment,
        onAttempt: @escaping @Sendable (_ destination: String, _ result: String) -> Void = { _, _ in }
    ) throws(SecretFileError) {
        self.onAttempt = onAttempt
        self.configuration = configuration
        self.databasePath = databasePath
        self.logger = logger
        self.settings = settings
        self.clock = clock
        wakeup = Wakeup(clock: clock)
        let secrets = try LoadedSecrets(configuration)
        destinations = Destinations.configured(
            configuration, secrets: secrets, status: status, clock: clock, exercise: exercise)
    }

    /// The wall-clock UTC time now.
    func now() -> Int64 { clock.wallNs() }

    /// Reads the configuration's secrets and checks its `ca_file`s: the one
    /// check that `run` (before it opens hardware), a SIGHUP reload and
    /// `check-config` share, so check-config refuses what run refuses.
    public static func validateSecrets(
        _ configuration: PicketConfiguration, credentialSources: String = Secrets.credentialSources
    ) throws(SecretFileError) {
        if let forward = configuration.forward {
            try Secrets.check(
                forward.secretFile, key: "forward.secret_file", credentials: false,
                credentialSources: credentialSources)
            if let caFile = forward.caFile { try Secrets.checkCertificates(caFile, key: "forward.ca_file") }
        }
        if let hotline = configuration.hotline {
            try Secrets.check(
                hotline.credentialsFile, key: "hotline.credentials_file", credentials: true,
                credentialSources: credentialSources)
            if let caFile = hotline.caFile { try Secrets.checkCertificates(caFile, key: "hotline.ca_file") }
        }
    }

    /// True when the configuration has anywhere to deliver to.
    public static func isNeeded(_ configuration: PicketConfiguration) -> Bool {
        configuration.forward != nil || configuration.hotline != nil
    }

    /// Wakes the sender at once (a commit queued messages), instead of at
    /// its next look at the outbox.
    public func nudge() { wakeup.ring() }

    /// Adds what newly committed alerts owe every destination to the batch
    /// that stores them.
    public func queue(_ alerts: [Alert], into batch: inout StoreBatch) {
        guard !alerts.isEmpty else { return }
        for destination in destinations { destination.queue(alerts, into: &batch) }
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.loop() }
    }

    /// An outcome whose write failed, to be written on the next turn.
    struct Unsettled {
        var delivery: Delivery
        var outcome: Outcome
    }

    enum Outcome {
        case delivered(status: Int)
        case retry(status: Int?, response: String, at: Int64)
        case dead(status: Int?, response: String)
    }

    /// The sender's mutable state, owned by its loop.
    struct Turn {
        var random: AnyRandomNumberGenerator
        var throttle: LogThrottle
        var unsettled: [Unsettled] = []
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
        var clients: [String: HTTPClient] = [:]
        for destination in destinations where clients[destination.caFile ?? ""] == nil {
            clients[destination.caFile ?? ""] = try client(caFile: destination.caFile)
        }
        var turn = Turn(
            random: AnyRandomNumberGenerator(settings.random()),
            throttle: LogThrottle(intervalNs: settings.repeatedErrorLogNs))
        while !Task.isCancelled {
            do {
                settle(&turn, store: store)
                for destination in destinations { try destination.prepare(store: store, now: now(), logger: logger) }
                let due = try store.dueDeliveries(now: now(), limit: 16)
                for delivery in Self.round(due, yields: { self.destination(for: $0)?.yieldsToOthers ?? false }) {
                    guard !Task.isCancelled else { break }
                    await attempt(delivery, store: store, clients: clients, turn: &turn)
                    try? await clock.sleep(forNs: settings.spacingNs)
                }
                if due.isEmpty {
                    let next = try store.nextAttemptTs() ?? Int64.max
                    var wait = min(max(0, next - now()), settings.idleNs)
                    for destination in destinations { wait = min(wait, destination.wakeInNs ?? wait) }
                    await wakeup.sleep(ns: max(wait, 10_000_000))
                }
            } catch {
                // The database was busy or failed: nothing is lost, the
                // messages stay where they are; try again shortly.
                logRepeated("outbox unavailable", error: error, metadata: [:], turn: &turn)
                await wakeup.sleep(ns: 1_000_000_000)
            }
        }
        for client in clients.values { try? await client.shutdown() }
    }

    /// What one round sends of the due messages: all but those that yield
    /// (statuses); only when nothing else is due, one of them, and the
    /// outbox is looked at again after it. So a status never delays an
    /// alert, even one that falls due while the status is being sent.
    static func round<Message>(_ due: [Message], yields: (Message) -> Bool) -> [Message] {
        let urgent = due.filter { !yields($0) }
        return urgent.isEmpty ? Array(due.prefix(1)) : urgent
    }

    func destination(for delivery: Delivery) -> (any Destination)? {
        destinations.first { $0.owns(delivery.destination) }
    }

    /// Logs an error at most once per `repeatedErrorLogNs`, with how often
    /// it repeated since.
    private func logRepeated(_ message: String, error: any Error, metadata: Logger.Metadata, turn: inout Turn) {
        guard let repeats = turn.throttle.admit(message, now: now()) else { return }
        var metadata = metadata
        metadata["error"] = "\(error)"
        if repeats > 0 { metadata["repeats"] = "\(repeats)" }
        logger.error("\(message)", metadata: metadata)
    }

    // MARK: One attempt

    private func attempt(
        _ delivery: Delivery, store: Store, clients: [String: HTTPClient], turn: inout Turn
    ) async {
        let startedNs = now()
        let key = delivery.destination
        let metadata: Logger.Metadata = [
            "delivery": "\(delivery.id)", "destination": "\(key)", "attempt": "\(delivery.attempts + 1)",
        ]
        let destination = destination(for: delivery)
        let outgoing: OutgoingRequest
        let client: HTTPClient
        do {
            // Retention counts from when the message entered the outbox.
            if startedNs - delivery.queuedTs > DeliveryPolicy.retentionNs {
                try store.markDead(
                    delivery.id, destination: key, status: nil, response: "expired: not delivered within 7 days")
                logger.error("delivery expired", metadata: metadata)
                return
            }
            guard let destination, let found = clients[destination.caFile ?? ""],
                let request = try destination.request(
                    for: delivery, store: store, timestamp: now() / 1_000_000_000)
            else {
                try store.markDead(
                    delivery.id, destination: key, status: nil, response: "no such destination in the configuration")
                logger.error("delivery has no destination in this configuration", metadata: metadata)
                return
            }
            outgoing = request
            client = found
            try store.markInFlight(delivery.id, destination: key, now: startedNs)
        } catch {
            logRepeated("outbox update failed", error: error, metadata: metadata, turn: &turn)
            return
        }
        let kind = destination?.kind ?? key
        let attempt = delivery.attempts + 1
        let outcome: Outcome
        var answer: String?
        var answerType: String?
        do {
            let urlKey = destination?.urlKey ?? "the URL"
            let timeout = settings.requestTimeout
            // The status decides; of the body only its start is kept (the
            // sector's reports, a dead letter's reason), the rest discarded.
            let response =
                destination?.yieldsToOthers == true
                ? try await yieldingToAlerts {
                    try await OutgoingSend.post(outgoing, with: client, timeout: timeout, urlKey: urlKey)
                }
                : try await OutgoingSend.post(outgoing, with: client, timeout: timeout, urlKey: urlKey)
            let full = response.body
            let status = response.status
            let text = response.excerpt
            let retryAfter = response.retryAfter
            switch settings.policy.outcome(
                status: status, retryAfter: retryAfter, attempt: attempt, nowNs: now(), using: &turn.random)
            {
            case .delivered:
                outcome = .delivered(status: status)
                answer = full
                answerType = response.contentType
                onAttempt(kind, "delivered")
                logger.info("delivered", metadata: metadata.merging(["status": "\(status)"]) { $1 })
            case .retry(let at):
                outcome = .retry(status: status, response: "HTTP \(status): \(text)", at: at)
                onAttempt(kind, "retry")
                logger.warning(
                    "delivery refused for now, will retry",
                    metadata: metadata.merging([
                        "status": "\(status)", "retry_in_ms": "\((at - now()) / 1_000_000)",
                    ]) {
                        $1
                    })
            case .dead:
                outcome = .dead(status: status, response: text)
                onAttempt(kind, "dead")
                logger.error(
                    "\(Self.refusedForGood(destination))",
                    metadata: metadata.merging(["status": "\(status)", "response": "\(text)"]) { $1 })
            }
        } catch is YieldedToAlerts {
            // Not a failure of the endpoint: tried again once the alerts are out.
            outcome = .retry(status: nil, response: YieldedToAlerts().description, at: now())
            logger.info("status set aside: an alert goes first", metadata: metadata)
        } catch {
            let shuttingDown = Task.isCancelled
            let at =
                shuttingDown ? 0 : settings.policy.afterFailure(attempt: attempt, nowNs: now(), using: &turn.random)
            let reason = OutgoingSend.describe(
                error, caFileKey: destination?.caFileKey ?? "forward.ca_file", caFile: destination?.caFile)
            outcome = .retry(status: nil, response: shuttingDown ? "interrupted by shutdown" : reason, at: at)
            if !shuttingDown {
                onAttempt(kind, "failed")
                logger.warning("delivery failed, will retry", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            }
        }
        if !(await write(outcome, of: delivery, store: store)) {
            // Kept, and written on the next turn: a message never stays in flight.
            turn.unsettled.append(Unsettled(delivery: delivery, outcome: outcome))
            logRepeated(
                "outbox update failed", error: StoreWriteFailed(), metadata: metadata, turn: &turn)
        }
        if let destination, case .delivered = outcome {
            do {
                try destination.delivered(delivery, store: store)
            } catch {
                logRepeated("outbox update failed", error: error, metadata: metadata, turn: &turn)
            }
            if destination.answersCarryReports, let answer {
                takeReports(from: answer, store: store, metadata)
                warnIfWebPage(answer, contentType: answerType, url: outgoing.url, metadata, turn: &turn)
            }
        }
        if let destination, destination.keepsNewestOnly { try? store.supersede(destination: key) }
    }

    /// A message that yields to others (a status) was under way when a new
    /// one was queued (`nudge`): its request is abandoned so the alert goes
    /// first, however long the status endpoint takes to answer or fail.
    struct YieldedToAlerts: Error, CustomStringConvertible {
        var description: String { "interrupted: an alert was queued and went first" }
    }

    private func yieldingToAlerts(
        _ request: @escaping @Sendable () async throws -> OutgoingSend.Response
    ) async throws -> OutgoingSend.Response {
        try await withThrowingTaskGroup(of: OutgoingSend.Response?.self) { group in
            group.addTask { try await request() }
            group.addTask {
                await self.wakeup.waitForRing()
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw YieldedToAlerts() }
            return response
        }
    }

    /// An outcome's write failed three times (the error was logged).
    struct StoreWriteFailed: Error, CustomStringConvertible {
        var description: String { "the outcome could not be written; it is tried again on the next turn" }
    }

    /// Writes an attempt's outcome; tries three times, a little apart, so a
    /// database busy for a moment does not leave the message in flight.
    private func write(_ outcome: Outcome, of delivery: Delivery, store: Store) async -> Bool {
        for attempt in 0..<3 {
            if attempt > 0 { try? await clock.sleep(forNs: 200_000_000) }
            if (try? apply(outcome, to: delivery, store: store)) != nil { return true }
        }
        return false
    }

    private func apply(_ outcome: Outcome, to delivery: Delivery, store: Store) throws(StoreError) {
        switch outcome {
        case .delivered(let status):
            try store.markDelivered(delivery.id, destination: delivery.destination, status: status, now: now())
        case .retry(let status, let response, let at):
            try store.markRetry(
                delivery.id, destination: delivery.destination, status: status, response: response, nextAttemptTs: at)
        case .dead(let status, let response):
            try store.markDead(delivery.id, destination: delivery.destination, status: status, response: response)
        }
    }

    /// Writes the outcomes earlier turns could not.
    private func settle(_ turn: inout Turn, store: Store) {
        guard !turn.unsettled.isEmpty else { return }
        var left: [Unsettled] = []
        for item in turn.unsettled {
            do {
                try apply(item.outcome, to: item.delivery, store: store)
            } catch {
                left.append(item)
            }
        }
        if left.count < turn.unsettled.count {
            logger.notice(
                "delivery outcomes written late", metadata: ["count": "\(turn.unsettled.count - left.count)"])
        }
        turn.unsettled = left
    }

    /// Stores the reports a sector's 2xx answer hands over (each once, by
    /// its id), for the daemon's rules and the next status.
    private func takeReports(from answer: String, store: Store, _ metadata: Logger.Metadata) {
        switch SectorAnswer.parse(answer) {
        case .none:
            return
        case .malformed(let why):
            logger.warning(
                "sector answer ignored: malformed reports",
                metadata: metadata.merging(["problem": "\(why)", "answer": "\(Self.excerpt(answer))"]) { $1 })
        case .reports(let reports):
            let arrived = now()
            let position = (try? store.boxFix())??.position ?? configuration.site
            for report in reports {
                let id = Identifier.sectorReport(box: configuration.box, sectorID: report.id)
                let event = Event(
                    id: id, box: configuration.box, sector: configuration.sector, sensor: Report.sensor,
                    kind: .unknown, zone: report.zone, source: .report, state: .active, ts: arrived, episode: id,
                    detectionClass: report.detectionClass, position: position, note: report.note,
                    reportedTs: report.ts)
                do {
                    if try store.storeSectorReport(event, sectorID: report.id) {
                        logger.notice(
                            "sector report stored",
                            metadata: [
                                "report": "\(report.id)", "zone": "\(report.zone)",
                                "reported_ts": "\(UTCTime.format(report.ts))",
                            ])
                    }
                } catch {
                    logger.error(
                        "sector report not stored",
                        metadata: ["report": "\(report.id)", "error": "\(error)"])
                }
            }
        }
    }

    /// The sector's body: the alert's JSON, or CAP 1.2 XML.
    static func body(_ alert: Alert, forward: ForwardConfig, sentNs: Int64, exercise: Bool) -> String {
        switch forward.format {
        case .json: AlertJSON.object(alert)
        case .cap:
            CAPDocument.xml(
                for: alert, sentNs: sentNs,
                settings: CAPDocument.Settings(exercise: exercise, radiusM: forward.capRadiusM))
        }
    }

    /// The start of a response body, on one line, for the outbox and logs.
    static func excerpt(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return flat.count > 500 ? String(flat.prefix(500)) + "..." : flat
    }

    private func client(caFile: String?) throws -> HTTPClient {
        OutgoingSend.client(
            caFile: caFile, connectTimeout: settings.connectTimeout, requestTimeout: settings.requestTimeout)
    }
}

/// The secrets the configuration names, read once at start.
struct LoadedSecrets: Sendable {
    var sector: [UInt8]?
    var gateway: (user: String, password: String)?

    /// Checked first by `validateSecrets`, the one check `check-config` shares.
    init(_ configuration: PicketConfiguration) throws(SecretFileError) {
        try DeliveryService.validateSecrets(configuration)
        if let forward = configuration.forward {
            sector = try Secrets.read(forward.secretFile, key: "forward.secret_file")
        }
        if let hotline = configuration.hotline {
            gateway = try Secrets.credentials(hotline.credentialsFile, key: "hotline.credentials_file")
        }
    }
}

/// A random number generator of any type, for the generic `using:` of the
/// backoff (`Settings.random` is an existential).
struct AnyRandomNumberGenerator: RandomNumberGenerator {
    var base: any RandomNumberGenerator

    init(_ base: any RandomNumberGenerator) { self.base = base }

    mutating func next() -> UInt64 { base.next() }
}
