import PicketCore

/// A text the planner decided on, before it enters the outbox.
public struct PlannedText: Sendable, Equatable {
    /// `Identifier.text(subscriber: phone, alerts:)`: the same plan gives
    /// the same id, so a text is queued once.
    public var id: String
    public var alertIDs: [String]
    public var body: String

    public init(id: String, alertIDs: [String], body: String) {
        self.id = id
        self.alertIDs = alertIDs
        self.body = body
    }
}

/// One text in the sector's outbox (`sms_outbox`).
public struct SectorText: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case pending, sent, dead, dropped
    }

    public var id: String
    public var phone: String
    public var body: String
    public var alertIDs: [String]
    public var state: State
    public var attempts: Int
    public var nextAttemptTs: Int64
    public var queuedTs: Int64
    /// When it was sent, went dead or was dropped.
    public var doneTs: Int64?
    public var lastStatus: Int?
    public var lastError: String?

    public init(
        id: String, phone: String, body: String, alertIDs: [String], state: State, attempts: Int = 0,
        nextAttemptTs: Int64, queuedTs: Int64, doneTs: Int64? = nil, lastStatus: Int? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.phone = phone
        self.body = body
        self.alertIDs = alertIDs
        self.state = state
        self.attempts = attempts
        self.nextAttemptTs = nextAttemptTs
        self.queuedTs = queuedTs
        self.doneTs = doneTs
        self.lastStatus = lastStatus
        self.lastError = lastError
    }
}

/// What one attempt at a text came to.
public enum TextOutcome: Sendable, Equatable {
    /// A 2xx.
    case sent(status: Int)
    /// Again at `at` (backoff, `Retry-After`); `status` nil when there was no answer.
    case retry(at: Int64, status: Int?, error: String)
    /// Refused for good: a dead letter with the answer.
    case dead(status: Int?, error: String)
    /// Not sent: the phone opted out, or is no subscriber any more.
    case dropped(reason: String)

    var state: SectorText.State {
        switch self {
        case .sent: .sent
        case .retry: .pending
        case .dead: .dead
        case .dropped: .dropped
        }
    }

    var status: Int? {
        switch self {
        case .sent(let status): status
        case .retry(_, let status, _), .dead(let status, _): status
        case .dropped: nil
        }
    }

    var error: String? {
        switch self {
        case .sent: nil
        case .retry(_, _, let error), .dead(_, let error): error
        case .dropped(let reason): reason
        }
    }

    /// Whether it counts as an attempt (a dropped text was never tried).
    var isAttempt: Bool {
        if case .dropped = self { return false }
        return true
    }
}

extension SectorAlertRecord {
    /// The alert as the planner sees it; nil for one without a severity,
    /// zone and times the planner needs (a CAP alert missing them), which
    /// reaches no landowner.
    public var plannerAlert: Alert? {
        guard let severity = severity.flatMap(Severity.init(rawValue:)), let zone else { return nil }
        let first = firstTs ?? lastTs ?? receivedTs
        let last = lastTs ?? firstTs ?? receivedTs
        return Alert(
            id: id, rule: rule ?? "", severity: severity, box: box, sector: sector ?? "", zone: zone, firstTs: first,
            lastTs: last, direction: direction, events: events,
            position: lat.flatMap { lat in lon.map { Position(lat: lat, lon: $0) } }, summary: summary ?? "")
    }
}
