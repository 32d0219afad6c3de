import Foundation
import PicketCore

/// Where the sector keeps what boxes send it: the seam between the HTTP
/// service and its database (SQLite now, PostgreSQL next).
///
/// Every fact two `picket sector` processes sharing one database could
/// disagree on lives in the store, never only in a process's memory: which
/// alerts were stored (by `Idempotency-Key`), each box's last status and
/// clock, whether a box is offline (and so whether `box.offline` was raised
/// for this outage), and acknowledgements. Each method is one transaction;
/// the ones that change a box's online state do it with a single
/// conditional `UPDATE ... RETURNING`, so of two processes racing for the
/// same change exactly one sees it and raises the sector alert.
///
/// Times are UTC nanoseconds since 1970 (`PicketClock.wallNs`), always
/// passed in by the caller so that tests run on a `ManualClock`.
public protocol SectorStore: SubscriberStore, SectorInboxStore, SectorTextStore {
    /// Creates or upgrades the schema; refuses a database written by a
    /// newer Picket. Safe to call from several processes at once.
    func migrate() async throws

    /// Answers when the database does (`/healthz`).
    func ping() async throws

    /// Makes sure every configured box has a row (never seen yet: no
    /// status, online), so `boxes()` lists boxes that never reported.
    func registerBoxes(_ boxes: [String]) async throws

    /// Stores an alert from a box once per id (its `Idempotency-Key`):
    /// `.stored` the first time, `.duplicate` (nothing changed) after; in
    /// the same transaction, keeps the box's clock (`alert.clockOffsetS`)
    /// as right, like `noteClock(wrong: false)`. Returns once the alert is
    /// durable: a store may commit several concurrent alerts in one
    /// transaction (group commit), never answering before the commit.
    func storeAlert(_ alert: IncomingAlert) async throws -> StoreOutcome

    /// Keeps `status` as the box's last status (with its time and clock
    /// offset) and marks its clock right. When the box was offline it is
    /// back online and a `box.online` sector alert is stored in the same
    /// transaction; that alert is returned (nil otherwise).
    func storeStatus(_ status: IncomingStatus) async throws -> SectorAlertRecord?

    /// Remembers the clock of a box whose request was refused for its
    /// timestamp (PRODUCT.md 7a: "the sector shows that box's clock as
    /// wrong"), or the clock of one accepted (`wrong` false), without
    /// touching its last status.
    func noteClock(box: String, offsetS: Int64, wrong: Bool, at ts: Int64) async throws

    /// Alerts matching `query`, in `query.order`.
    func alerts(_ query: AlertQuery) async throws -> [SectorAlertRecord]

    /// One alert by id.
    func alert(id: String) async throws -> SectorAlertRecord?

    /// Every box the sector knows, by name.
    func boxes() async throws -> [BoxRecord]

    /// Acknowledges an alert. The first acknowledgement is kept (who and
    /// when); a later one returns `.alreadyAcknowledged` with the first.
    func acknowledge(id: String, by operatorName: String, at ts: Int64) async throws -> AcknowledgeOutcome

    /// Marks offline every box whose last status is older than `cutoff`
    /// and that is not offline yet, with one `UPDATE ... WHERE
    /// last_status_ts < cutoff AND offline = 0 RETURNING box`, and stores
    /// one `box.offline` sector alert for each, in the same transaction.
    /// Returns those alerts: empty when another process got there first.
    /// A box that never sent a status never goes offline (it was never on).
    func markOffline(lastStatusBefore cutoff: Int64, at ts: Int64) async throws -> [SectorAlertRecord]

    /// A sector alert (`box.offline`, `box.online`, later the hotline's),
    /// stored once by id like a box's.
    func storeSectorAlert(_ alert: SectorAlertRecord) async throws -> StoreOutcome

    // MARK: Operators' sessions (the fleet page), shared by every process

    /// Keeps a new session of the fleet page. `session.id` is the hex
    /// SHA-256 of the cookie's random token (the token itself is never
    /// stored), unique; a PostgreSQL store keeps the same columns as the
    /// SQLite table `operator_sessions`.
    func createSession(_ session: OperatorSession) async throws

    /// The session with this id if it has not expired at `ts` (its
    /// `expiresTs` is after `ts`); nil otherwise.
    func session(id: String, at ts: Int64) async throws -> OperatorSession?

    /// Ends the session with this id (logout), and removes every session
    /// expired at `ts` while at it. No error when there is none.
    func deleteSession(id: String, at ts: Int64) async throws

    /// Counts one failed login at `ts` under each of `keys` (e.g.
    /// `name:alice`), and forgets every failure older than `forgetBefore`,
    /// so that all processes on one database count the same failures.
    func noteLoginFailure(keys: [String], at ts: Int64, forgetBefore: Int64) async throws

    /// The times of the failed logins under `key` at or after `since`,
    /// oldest first.
    func loginFailures(key: String, since: Int64) async throws -> [Int64]
}

/// An operator's session of the fleet page, as the store keeps it.
public struct OperatorSession: Sendable, Equatable {
    /// Hex SHA-256 of the cookie's token.
    public var id: String
    public var operatorName: String
    /// The token every state-changing request of this session carries
    /// (`X-Picket-CSRF` header or `csrf` form field).
    public var csrfToken: String
    public var createdTs: Int64
    public var expiresTs: Int64

    public init(id: String, operatorName: String, csrfToken: String, createdTs: Int64, expiresTs: Int64) {
        self.id = id
        self.operatorName = operatorName
        self.csrfToken = csrfToken
        self.createdTs = createdTs
        self.expiresTs = expiresTs
    }
}

/// Whether a write was new.
public enum StoreOutcome: Sendable, Equatable {
    case stored
    /// Already there (same id): nothing changed.
    case duplicate
}

/// The answer to an acknowledgement.
public enum AcknowledgeOutcome: Sendable, Equatable {
    case acknowledged(SectorAlertRecord)
    /// Someone acknowledged it before; the record carries the first who/when.
    case alreadyAcknowledged(SectorAlertRecord)
    case notFound
}

/// An alert as a box posted it, checked and read (JSON or CAP).
public struct IncomingAlert: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable {
        case json
        case cap
    }

    /// The `Idempotency-Key` (the box's alert id).
    public var id: String
    public var box: String
    public var format: Format
    /// The sector the box names in the alert (PRODUCT.md 5).
    public var sector: String?
    public var rule: String?
    public var severity: String?
    public var zone: String?
    public var firstTs: Int64?
    public var lastTs: Int64?
    public var direction: String?
    /// The ids of the box's events behind the alert.
    public var events: [String]
    public var lat: Double?
    public var lon: Double?
    public var summary: String?
    /// When the sector received it.
    public var receivedTs: Int64
    /// `X-Picket-Timestamp` minus the sector's clock, in seconds: kept as
    /// the box's clock with the alert.
    public var clockOffsetS: Int64
    /// The body exactly as posted (UTF-8 JSON or XML).
    public var body: String

    public init(
        id: String, box: String, format: Format, sector: String? = nil, rule: String? = nil, severity: String? = nil,
        zone: String? = nil, firstTs: Int64? = nil, lastTs: Int64? = nil, direction: String? = nil,
        events: [String] = [], lat: Double? = nil, lon: Double? = nil, summary: String? = nil, receivedTs: Int64,
        clockOffsetS: Int64 = 0, body: String
    ) {
        self.id = id
        self.box = box
        self.format = format
        self.sector = sector
        self.rule = rule
        self.severity = severity
        self.zone = zone
        self.firstTs = firstTs
        self.lastTs = lastTs
        self.direction = direction
        self.events = events
        self.lat = lat
        self.lon = lon
        self.summary = summary
        self.receivedTs = receivedTs
        self.clockOffsetS = clockOffsetS
        self.body = body
    }
}

/// A box's status document as posted.
public struct IncomingStatus: Sendable, Equatable {
    public var box: String
    /// The status document's own `ts` (the box's clock), when it had one.
    public var boxTs: Int64?
    /// When the sector received it: what `offline_after_s` is measured from.
    public var receivedTs: Int64
    /// `X-Picket-Timestamp` minus the sector's clock, in seconds.
    public var clockOffsetS: Int64
    /// The body exactly as posted.
    public var document: String

    public init(box: String, boxTs: Int64?, receivedTs: Int64, clockOffsetS: Int64, document: String) {
        self.box = box
        self.boxTs = boxTs
        self.receivedTs = receivedTs
        self.clockOffsetS = clockOffsetS
        self.document = document
    }
}

/// An alert as the sector keeps it: from a box (`source` `box`) or raised
/// by the sector itself (`source` `sector`: `box.offline`, `box.online`).
public struct SectorAlertRecord: Sendable, Equatable {
    public enum Source: String, Sendable, Equatable {
        case box
        case sector
    }

    public var id: String
    public var source: Source
    public var box: String
    /// `json`, `cap`, or `sector` for the sector's own.
    public var format: String
    /// The sector the box named; nil for the sector's own alerts (and for
    /// alerts stored before schema version 3).
    public var sector: String?
    /// The box's rule (CAP: `event`), or `box.offline` / `box.online`.
    public var rule: String?
    public var severity: String?
    public var zone: String?
    public var firstTs: Int64?
    public var lastTs: Int64?
    public var direction: String?
    /// The ids of the box's events behind the alert.
    public var events: [String]
    public var lat: Double?
    public var lon: Double?
    public var summary: String?
    public var receivedTs: Int64
    /// The body as posted; for a sector alert, a JSON object of its own.
    public var body: String
    public var acknowledgedBy: String?
    public var acknowledgedTs: Int64?

    public init(
        id: String, source: Source, box: String, format: String, sector: String? = nil, rule: String? = nil,
        severity: String? = nil, zone: String? = nil, firstTs: Int64? = nil, lastTs: Int64? = nil,
        direction: String? = nil, events: [String] = [], lat: Double? = nil, lon: Double? = nil,
        summary: String? = nil, receivedTs: Int64, body: String, acknowledgedBy: String? = nil,
        acknowledgedTs: Int64? = nil
    ) {
        self.id = id
        self.source = source
        self.box = box
        self.format = format
        self.sector = sector
        self.rule = rule
        self.severity = severity
        self.zone = zone
        self.firstTs = firstTs
        self.lastTs = lastTs
        self.direction = direction
        self.events = events
        self.lat = lat
        self.lon = lon
        self.summary = summary
        self.receivedTs = receivedTs
        self.body = body
        self.acknowledgedBy = acknowledgedBy
        self.acknowledgedTs = acknowledgedTs
    }

    /// The record of an incoming box alert.
    public init(_ alert: IncomingAlert) {
        self.init(
            id: alert.id, source: .box, box: alert.box, format: alert.format.rawValue, sector: alert.sector,
            rule: alert.rule, severity: alert.severity, zone: alert.zone, firstTs: alert.firstTs,
            lastTs: alert.lastTs, direction: alert.direction, events: alert.events, lat: alert.lat, lon: alert.lon,
            summary: alert.summary, receivedTs: alert.receivedTs, body: alert.body)
    }
}

/// Which alerts `alerts(_:)` returns.
public struct AlertQuery: Sendable, Equatable {
    public enum Order: Sendable, Equatable {
        /// By `receivedTs` descending (ties: last stored first): what
        /// `GET /v1/alerts` answers.
        case newestFirst
        /// By `receivedTs` ascending (ties: first stored first).
        case oldestFirst
    }

    /// Only alerts received at or after this time.
    public var since: Int64?
    public var box: String?
    public var zone: String?
    public var limit: Int
    public var order: Order

    public static let defaultLimit = 500

    public init(
        since: Int64? = nil, box: String? = nil, zone: String? = nil, limit: Int = Self.defaultLimit,
        order: Order = .newestFirst
    ) {
        self.since = since
        self.box = box
        self.zone = zone
        self.limit = limit
        self.order = order
    }
}

/// What the sector knows of one box.
public struct BoxRecord: Sendable, Equatable {
    public var box: String
    /// The last status document as posted; nil before the first.
    public var lastStatus: String?
    /// When the sector received it.
    public var lastStatusTs: Int64?
    /// The box's own clock offset (its timestamp minus the sector's), in
    /// seconds, from its last request; nil before the first.
    public var clockOffsetS: Int64?
    /// Its last request was refused for its timestamp.
    public var clockWrong: Bool
    public var clockCheckedTs: Int64?
    public var offline: Bool
    /// When it last went offline or came back.
    public var offlineChangedTs: Int64?

    public init(
        box: String, lastStatus: String? = nil, lastStatusTs: Int64? = nil, clockOffsetS: Int64? = nil,
        clockWrong: Bool = false, clockCheckedTs: Int64? = nil, offline: Bool = false, offlineChangedTs: Int64? = nil
    ) {
        self.box = box
        self.lastStatus = lastStatus
        self.lastStatusTs = lastStatusTs
        self.clockOffsetS = clockOffsetS
        self.clockWrong = clockWrong
        self.clockCheckedTs = clockCheckedTs
        self.offline = offline
        self.offlineChangedTs = offlineChangedTs
    }
}

extension SectorAlertRecord {
    /// `events` as the JSON array text both stores keep in their `events`
    /// column.
    var eventsColumn: String { JSONWriter.array(events) }

    /// The `events` column read back; an empty list for a NULL (alerts
    /// stored before schema version 3) or anything not an array of strings.
    static func events(column: String?) -> [String] {
        guard let column, let data = column.data(using: .utf8),
            let list = try? JSONDecoder().decode([String].self, from: data)
        else { return [] }
        return list
    }
}
