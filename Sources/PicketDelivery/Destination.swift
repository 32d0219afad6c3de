import Logging
import PicketCore
import PicketStore

/// Somewhere the outbox delivers to: the sector endpoint, a landowner's
/// phone through the SMS gateway, the sector's status endpoint.
///
/// A destination knows which outbox rows are its own (their `destination`
/// key), what newly committed alerts owe it, and how to turn one of its
/// messages into a signed HTTP request; the sender (`DeliveryService`) does
/// the rest - claiming, retrying, the dead-letter list - the same for all.
/// A new destination is a new type conforming to this protocol and a line
/// in `Destinations.configured`.
public protocol Destination: Sendable {
    /// The label in logs and metrics: `sector`, `sms`, `status`.
    var kind: String { get }
    /// Whether an outbox row's `destination` key is this destination's.
    func owns(_ key: String) -> Bool
    /// PEM certificates its HTTP client trusts instead of the system's
    /// roots; destinations with the same file share one client.
    var caFile: String? { get }
    /// The configuration key of that file (`forward.ca_file`), named when
    /// a certificate is not trusted.
    var caFileKey: String { get }
    /// The configuration key of its URL (`forward.url`), named when the
    /// endpoint redirects.
    var urlKey: String { get }
    /// Whether its messages wait while any other message is due (statuses
    /// never delay alerts).
    var yieldsToOthers: Bool { get }
    /// Whether only its newest message waits: an older one still in the
    /// outbox is dropped once a newer one is queued and after each attempt.
    var keepsNewestOnly: Bool { get }
    /// Whether a 2xx answer may carry `{"reports": [...]}` for the box
    /// (the sector's endpoints do).
    var answersCarryReports: Bool { get }
    /// How long until `prepare` has work to do (a status falls due); nil:
    /// only when messages are due.
    var wakeInNs: Int64? { get }

    /// Adds what newly committed alerts owe this destination (outbox rows,
    /// held matches) to the batch that stores them, so an alert is never
    /// stored without them.
    func queue(_ alerts: [Alert], into batch: inout StoreBatch)
    /// Work the sender does before each round: plan texts, queue a status.
    func prepare(store: Store, now: Int64, logger: Logger) throws
    /// The request for one of its messages, signed at `timestamp` (Unix
    /// seconds); nil when the configuration can no longer send it.
    func request(for delivery: Delivery, store: Store, timestamp: Int64) throws -> OutgoingRequest?
    /// A 2xx took the message.
    func delivered(_ delivery: Delivery, store: Store) throws
}

extension Destination {
    public var caFile: String? { nil }
    public var yieldsToOthers: Bool { false }
    public var keepsNewestOnly: Bool { false }
    public var answersCarryReports: Bool { false }
    public var wakeInNs: Int64? { nil }
    public func queue(_ alerts: [Alert], into batch: inout StoreBatch) {}
    public func prepare(store: Store, now: Int64, logger: Logger) throws {}
    public func delivered(_ delivery: Delivery, store: Store) throws {}
}

/// The registry: every destination a configuration names.
public enum Destinations {
    /// The destinations of `configuration`, with the secrets read at start.
    /// `exercise`: the alerts are a drill (`--simulate`).
    static func configured(
        _ configuration: PicketConfiguration, secrets: LoadedSecrets, status: StatusDestination.Environment,
        clock: any PicketClock, exercise: Bool
    ) -> [any Destination] {
        var out: [any Destination] = []
        if let forward = configuration.forward, let secret = secrets.sector {
            out.append(SectorDestination(forward: forward, secret: secret, exercise: exercise))
            if forward.statusIntervalS > 0 {
                out.append(
                    StatusDestination(
                        configuration: configuration, forward: forward, secret: secret, environment: status,
                        clock: clock))
            }
        }
        if let hotline = configuration.hotline, let credentials = secrets.gateway {
            out.append(
                HotlineDestination(
                    hotline: hotline, timeZoneName: configuration.timeZone, sector: configuration.sector,
                    user: credentials.user, password: credentials.password))
        }
        return out
    }
}
