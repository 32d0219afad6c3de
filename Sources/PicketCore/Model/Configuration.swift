/// The validated configuration, as plain values. `PicketConfig` builds it from
/// YAML and checks every key; everything here may assume it is consistent
/// (unique sensor ids, unique chip lines and ports, rules naming known sensors).
public struct PicketConfiguration: Sendable, Equatable {
    public var box: String
    public var sector: String
    public var site: Position?
    /// `storage.path`; nil means the default location (see `DefaultPaths`).
    public var storagePath: String?
    /// `storage.retain_days` and `storage.max_mb`.
    public var retention = RetentionSettings()
    public var gpio: [GPIOLineConfig]
    public var serial: [SerialPortConfig]
    /// Sensors that report over the serial radio receiver.
    public var sensors: [SensorConfig]
    public var rules: [RuleConfig]
    public var forward: ForwardConfig?
    public var hotline: HotlineConfig?
    /// `timezone`: the IANA name of the box's local time (quiet hours, the
    /// times in texts); default UTC.
    public var timeZone: String
    /// `metrics.listen`: where `/metrics` and `/healthz` are served
    /// (`host:port`); nil when switched off with `listen: off`.
    public var metricsListen: String? = "127.0.0.1:9464"
    /// `health:`: which sensor and box health checks raise alerts (none by default).
    public var health = HealthMonitor.Settings()

    public init(
        box: String, sector: String, site: Position? = nil, storagePath: String? = nil,
        gpio: [GPIOLineConfig] = [], serial: [SerialPortConfig] = [], sensors: [SensorConfig] = [],
        rules: [RuleConfig] = [], forward: ForwardConfig? = nil, hotline: HotlineConfig? = nil,
        timeZone: String = "UTC"
    ) {
        self.timeZone = timeZone
        self.box = box
        self.sector = sector
        self.site = site
        self.storagePath = storagePath
        self.gpio = gpio
        self.serial = serial
        self.sensors = sensors
        self.rules = rules
        self.forward = forward
        self.hotline = hotline
    }
}

/// What every configured sensor has, whether it is wired to a GPIO line or
/// relayed over the serial radio.
public struct SensorConfig: Sendable, Equatable {
    public var id: String
    public var kind: SensorKind
    public var zone: String?
    /// Episode hold-off `h` in milliseconds (PRODUCT.md section 4); default 0.
    public var holdoffMs: Int
    /// When set, every new episode of this sensor raises a `detection` alert.
    public var severity: Severity?
    /// The sensor's own position; else the box's GPS fix, else `site`.
    public var position: Position?
    /// Static tags copied onto every event.
    public var tags: [String: String]

    public init(
        id: String, kind: SensorKind, zone: String? = nil, holdoffMs: Int = 0, severity: Severity? = nil,
        position: Position? = nil, tags: [String: String] = [:]
    ) {
        self.id = id
        self.kind = kind
        self.zone = zone
        self.holdoffMs = holdoffMs
        self.severity = severity
        self.position = position
        self.tags = tags
    }
}

/// Which raw level means "active".
public enum ActiveLevel: String, Sendable, CaseIterable {
    case high, low
}

/// Line bias requested from the kernel (libgpiod v1 request flags).
public enum LineBias: String, Sendable, CaseIterable {
    case asIs = "as-is"
    case disabled
    case pullUp = "pull-up"
    case pullDown = "pull-down"
}

/// One GPIO line and the sensor wired to it.
public struct GPIOLineConfig: Sendable, Equatable {
    public var chip: String
    public var line: Int
    public var sensor: SensorConfig
    public var active: ActiveLevel
    /// Debounce window `w` in milliseconds; default 0.
    public var debounceMs: Int
    public var bias: LineBias
    /// `poll_ms`: sample the line's value this often instead of waiting for
    /// its interrupts (a line that cannot raise any); nil for edge events.
    public var pollMs: Int?

    public init(
        chip: String, line: Int, sensor: SensorConfig, active: ActiveLevel = .high, debounceMs: Int = 0,
        bias: LineBias = .asIs, pollMs: Int? = nil
    ) {
        self.chip = chip
        self.line = line
        self.sensor = sensor
        self.active = active
        self.debounceMs = debounceMs
        self.bias = bias
        self.pollMs = pollMs
    }
}

/// Serial framing protocols. Only NMEA 0183 today.
public enum SerialProtocol: String, Sendable, CaseIterable {
    case nmea
}

/// One serial port (the radio receiver, a GPS).
public struct SerialPortConfig: Sendable, Equatable {
    public var port: String
    public var baud: Int
    public var `protocol`: SerialProtocol

    public init(port: String, baud: Int = 9600, protocol: SerialProtocol = .nmea) {
        self.port = port
        self.baud = baud
        self.protocol = `protocol`
    }
}

/// A correlation rule (PRODUCT.md section 5). `detection` alerts are not rules
/// here: they come from a sensor's own `severity`.
public struct RuleConfig: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        /// Episodes of every listed kind in `zone` (each zone separately when nil).
        case allOf(kinds: [SensorKind], zone: String?)
        /// An episode of `first`, then one of `second`.
        case sequence(first: String, second: String)
    }

    public var name: String
    public var severity: Severity
    public var condition: Condition
    /// The correlation window in nanoseconds (`within_s`).
    public var withinNs: Int64
    /// Quiet time after firing in nanoseconds (`cooldown_s`, default `within_s`).
    public var cooldownNs: Int64
    public var direction: String?

    public init(
        name: String, severity: Severity, condition: Condition, withinNs: Int64, cooldownNs: Int64? = nil,
        direction: String? = nil
    ) {
        self.name = name
        self.severity = severity
        self.condition = condition
        self.withinNs = withinNs
        self.cooldownNs = cooldownNs ?? withinNs
        self.direction = direction
    }
}

/// Where alerts are POSTed (delivery itself is a later issue).
public struct ForwardConfig: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case json, cap
    }

    public var url: String
    public var secretFile: String
    public var format: Format
    /// `ca_file`: PEM certificates to trust for the endpoint instead of the
    /// system's roots (a sector's own CA).
    public var caFile: String?
    /// `status_interval_s`: how often the box POSTs its status (and once at
    /// start); 0 turns statuses off.
    public var statusIntervalS: Int
    /// `status_url`; nil: `url` with its last path segment replaced by `status`.
    public var statusURL: String?
    /// `cap_radius_m`: the radius in metres of the circle a CAP alert's
    /// area draws around the box (how far its sensors see).
    public var capRadiusM: Int

    /// `cap_radius_m` when the configuration sets none.
    public static let defaultCAPRadiusM = 100
    /// The largest `cap_radius_m`: 50 km is already far past any sensor.
    public static let maximumCAPRadiusM = 50_000

    public init(
        url: String, secretFile: String, format: Format = .json, caFile: String? = nil, statusIntervalS: Int = 300,
        statusURL: String? = nil, capRadiusM: Int = defaultCAPRadiusM
    ) {
        self.url = url
        self.secretFile = secretFile
        self.format = format
        self.caFile = caFile
        self.statusIntervalS = statusIntervalS
        self.statusURL = statusURL
        self.capRadiusM = capRadiusM
    }

    /// Where statuses go: `status_url`, else `url` with its last path
    /// segment replaced by `status` (`https://s.example/v1/alerts` ->
    /// `https://s.example/v1/status`; a URL with no path gets `/status`).
    /// The query is kept (`/alerts?key=K` -> `/status?key=K`: a sector
    /// that takes a token there needs it on statuses too); a fragment,
    /// which is never sent, is not.
    public var effectiveStatusURL: String {
        if let statusURL { return statusURL }
        var base = url
        if let fragment = base.firstIndex(of: "#") { base = String(base[..<fragment]) }
        var query = ""
        if let cut = base.firstIndex(of: "?") {
            query = String(base[cut...])
            base = String(base[..<cut])
        }
        let schemeEnd = base.range(of: "://").map(\.upperBound) ?? base.startIndex
        let rest = base[schemeEnd...]
        guard let slash = rest.firstIndex(of: "/") else { return base + "/status" + query }
        let path = base[slash...]
        let trimmed = path.hasSuffix("/") ? path.dropLast() : path[...]
        let lastSlash = trimmed.lastIndex(of: "/") ?? slash
        return String(base[..<lastSlash]) + "/status" + query
    }
}

/// The landowner SMS hotline (delivery itself is a later issue).
public struct HotlineConfig: Sendable, Equatable {
    public var url: String
    public var from: String
    public var credentialsFile: String
    public var subscribers: [Subscriber]
    /// `ca_file`: PEM certificates to trust for the gateway.
    public var caFile: String?
    /// `contact`: the sector's number a text ends with ("Call +1802...").
    public var contact: String?

    public init(
        url: String, from: String, credentialsFile: String, subscribers: [Subscriber], caFile: String? = nil,
        contact: String? = nil
    ) {
        self.url = url
        self.from = from
        self.credentialsFile = credentialsFile
        self.subscribers = subscribers
        self.caFile = caFile
        self.contact = contact
    }
}

/// A landowner who gets texts.
public struct Subscriber: Sendable, Equatable {
    /// Quiet hours as minutes after local midnight; `start > end` wraps midnight.
    public struct QuietHours: Sendable, Equatable {
        public var startMinute: Int
        public var endMinute: Int

        public init(startMinute: Int, endMinute: Int) {
            self.startMinute = startMinute
            self.endMinute = endMinute
        }
    }

    public var name: String
    public var phone: String
    public var zones: [String]
    public var minSeverity: Severity
    public var quietHours: QuietHours?
    public var maxPerHour: Int?

    public init(
        name: String, phone: String, zones: [String], minSeverity: Severity = .low, quietHours: QuietHours? = nil,
        maxPerHour: Int? = nil
    ) {
        self.name = name
        self.phone = phone
        self.zones = zones
        self.minSeverity = minSeverity
        self.quietHours = quietHours
        self.maxPerHour = maxPerHour
    }
}

extension PicketConfiguration {
    /// Every configured sensor, GPIO first then serial, in configuration order.
    public var allSensors: [SensorConfig] { gpio.map(\.sensor) + sensors }
}
