import PicketCore

/// One row of `picket sensors`.
public struct SensorHealth: Sendable, Equatable {
    public var sensor: String
    public var kind: SensorKind
    public var zone: String?
    public var lastEventTs: Int64?
    public var lastHeartbeatTs: Int64?
    public var batteryMv: Int?
    public var tempC: Double?
    public var tamper: Bool?
    public var duplicates: Int
    public var lost: Int
    public var glitches: Int
    public var unknownSentences: Int
    /// What the live driver last said about the sensor's source (a GPIO
    /// line): nil when no driver reported on it (radio sensors, replays).
    public var driverHealthy: Bool?
    public var driverDetail: String?
    /// The source the sensor is read through: its GPIO line (`chip:line`),
    /// or the serial port when the box has exactly one (a radio sensor);
    /// nil when not known (a replay, several ports).
    public var source: String?
    /// Inputs of that source dropped because its ring was full, all runs together.
    public var ringDrops: Int?
    /// False when the sensor's last event was stored while the box's clock
    /// was not synchronised (its time may be far off).
    public var lastEventClockSynced: Bool?

    public init(
        sensor: String, kind: SensorKind, zone: String? = nil, lastEventTs: Int64? = nil,
        lastHeartbeatTs: Int64? = nil, batteryMv: Int? = nil, tempC: Double? = nil, tamper: Bool? = nil,
        duplicates: Int = 0, lost: Int = 0, glitches: Int = 0, unknownSentences: Int = 0,
        driverHealthy: Bool? = nil, driverDetail: String? = nil
    ) {
        self.driverHealthy = driverHealthy
        self.driverDetail = driverDetail
        self.sensor = sensor
        self.kind = kind
        self.zone = zone
        self.lastEventTs = lastEventTs
        self.lastHeartbeatTs = lastHeartbeatTs
        self.batteryMv = batteryMv
        self.tempC = tempC
        self.tamper = tamper
        self.duplicates = duplicates
        self.lost = lost
        self.glitches = glitches
        self.unknownSentences = unknownSentences
    }
}

/// An alert as stored, with its delivery state.
public struct StoredAlert: Sendable, Equatable {
    public var alert: Alert
    /// The sector delivery's state: `pending`, `in_flight`, `delivered`,
    /// `dead`, or `not_forwarded` for an alert that is never sent (a
    /// replay, which forwards nothing; a box with no `forward`).
    public var delivery: String

    /// An alert waiting for its sector delivery.
    public static let pending = "pending"
    /// An alert with no sector delivery, now or later.
    public static let notForwarded = "not_forwarded"

    public init(alert: Alert, delivery: String) {
        self.alert = alert
        self.delivery = delivery
    }
}

/// The last report about one source of a live driver.
public struct SourceHealth: Sendable, Equatable {
    public var source: String
    public var sensors: [String]
    public var healthy: Bool
    public var detail: String
    /// When it entered its current state.
    public var sinceTs: Int64
    /// When it was last reported.
    public var ts: Int64

    public init(source: String, sensors: [String], healthy: Bool, detail: String, sinceTs: Int64, ts: Int64) {
        self.source = source
        self.sensors = sensors
        self.healthy = healthy
        self.detail = detail
        self.sinceTs = sinceTs
        self.ts = ts
    }
}

/// Everything one commit writes: a batch of the processor's output and the
/// run's cumulative counters.
public struct StoreBatch: Sendable {
    public var events: [Event]
    public var alerts: [Alert]
    public var statuses: [SensorStatus]
    public var fix: (position: Position, ts: Int64)?
    /// The system clock's latest offset from GPS time.
    public var clockOffset: ClockOffset?
    /// Cumulative counters of this run, by name; replaced, not added.
    public var counters: [String: Int]
    /// Cumulative per-sensor counters of this run; replaced, not added.
    public var sensorCounters: [String: SensorCounters]
    /// Driver reports: (source, sensors, healthy, detail, ts), oldest first.
    public var sourceReports: [(source: String, sensors: [String], healthy: Bool, detail: String, ts: Int64)] = []
    /// Live runs: the messages the batch's alerts owe their destinations
    /// (each destination's `queue`), put in the outbox in the same transaction.
    public var outbox: [OutboxEntry] = []
    /// Live runs with a hotline: the subscribers each new alert matches.
    public var hotlineMatches: [(subscriber: String, alert: String)] = []
    /// Hotline reports (by id) whose events are in this batch: taken into
    /// the daemon's rules, marked so in the inbox in the same transaction.
    public var takenReports: [String] = []

    public init(
        events: [Event] = [], alerts: [Alert] = [], statuses: [SensorStatus] = [],
        fix: (position: Position, ts: Int64)? = nil, counters: [String: Int] = [:],
        sensorCounters: [String: SensorCounters] = [:]
    ) {
        self.events = events
        self.alerts = alerts
        self.statuses = statuses
        self.fix = fix
        self.counters = counters
        self.sensorCounters = sensorCounters
    }
}

/// Per-sensor counters of one run.
public struct SensorCounters: Sendable, Equatable {
    public var duplicates = 0
    public var lost = 0
    public var glitches = 0
    public var unknownSentences = 0

    public init(duplicates: Int = 0, lost: Int = 0, glitches: Int = 0, unknownSentences: Int = 0) {
        self.duplicates = duplicates
        self.lost = lost
        self.glitches = glitches
        self.unknownSentences = unknownSentences
    }
}
