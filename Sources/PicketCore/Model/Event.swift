/// One stored event (PRODUCT.md section 4). Times are UTC nanoseconds since
/// the Unix epoch; `UTCTime` formats them as RFC 3339 with nine digits.
public struct Event: Sendable, Equatable {
    public var id: String
    public var box: String
    public var sector: String
    public var sensor: String
    public var kind: SensorKind
    public var zone: String?
    public var source: EventSource
    public var state: EventState
    /// UTC nanoseconds since 1970-01-01T00:00:00Z.
    public var ts: Int64
    /// The id of the event that opened this event's episode.
    public var episode: String
    /// Detection class (`FOOT`, `VEH`, `ANIM`, `UNK`, or a reported class).
    public var detectionClass: String?
    public var strength: Int?
    public var imageRef: String?
    public var position: Position?
    public var tags: [String: String]
    /// Free text from a hotline report.
    public var note: String?
    /// A report handed over in a sector's answer: when the sighting was
    /// reported to the sector (`ts` is when it reached the box).
    public var reportedTs: Int64?
    /// False when the live box stored it while the kernel said its clock was
    /// not synchronised (no NTP, no GPS time yet: `ts` may be far off);
    /// nil otherwise (synchronised, unknown, or a replay).
    public var clockSynced: Bool?

    public init(
        id: String, box: String, sector: String, sensor: String, kind: SensorKind, zone: String?,
        source: EventSource, state: EventState, ts: Int64, episode: String, detectionClass: String? = nil,
        strength: Int? = nil, imageRef: String? = nil, position: Position? = nil, tags: [String: String] = [:],
        note: String? = nil, reportedTs: Int64? = nil, clockSynced: Bool? = nil
    ) {
        self.reportedTs = reportedTs
        self.clockSynced = clockSynced
        self.id = id
        self.box = box
        self.sector = sector
        self.sensor = sensor
        self.kind = kind
        self.zone = zone
        self.source = source
        self.state = state
        self.ts = ts
        self.episode = episode
        self.detectionClass = detectionClass
        self.strength = strength
        self.imageRef = imageRef
        self.position = position
        self.tags = tags
        self.note = note
    }
}

/// One alert (PRODUCT.md section 5).
public struct Alert: Sendable, Equatable {
    public var id: String
    /// The rule's `name`, or `detection` for a sensor's own severity.
    public var rule: String
    public var severity: Severity
    public var box: String
    public var sector: String
    public var zone: String?
    public var firstTs: Int64
    public var lastTs: Int64
    public var direction: String?
    /// Ids of the events behind the alert.
    public var events: [String]
    public var position: Position?
    public var summary: String

    public init(
        id: String, rule: String, severity: Severity, box: String, sector: String, zone: String?, firstTs: Int64,
        lastTs: Int64, direction: String?, events: [String], position: Position?, summary: String
    ) {
        self.id = id
        self.rule = rule
        self.severity = severity
        self.box = box
        self.sector = sector
        self.zone = zone
        self.firstTs = firstTs
        self.lastTs = lastTs
        self.direction = direction
        self.events = events
        self.position = position
        self.summary = summary
    }
}

/// The rule name that `detection` alerts carry.
public let detectionRuleName = "detection"

/// What a status heartbeat (`$PGSS`) says about a sensor.
public struct SensorStatus: Sendable, Equatable {
    public var sensor: String
    public var ts: Int64
    public var batteryMv: Int
    public var tempC: Double
    public var tamper: Bool

    public init(sensor: String, ts: Int64, batteryMv: Int, tempC: Double, tamper: Bool) {
        self.sensor = sensor
        self.ts = ts
        self.batteryMv = batteryMv
        self.tempC = tempC
        self.tamper = tamper
    }
}
