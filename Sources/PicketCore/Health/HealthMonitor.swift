/// Sensor and box health as alerts (`health:` in the configuration): a
/// radio sensor silent past its heartbeat timeout, tamper set, battery
/// below a threshold, the GPS fix lost, the disk nearly full, the system
/// clock far from GPS time. Each raises
/// one alert when it starts and none again until it has cleared, so a
/// flat battery texts a landowner once, not at every heartbeat. The alerts
/// take the normal path: stored, forwarded, texted.
///
/// A state machine over the time it is given (a replay's input times, or
/// the live hot path's clock), with no I/O: the disk check's figure comes
/// from outside.
public struct HealthMonitor: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `heartbeat_timeout_s`: a sensor whose last `$PGSS` is older is offline.
        public var heartbeatTimeoutNs: Int64?
        /// `battery_min_mv`: a heartbeat below it is a low battery.
        public var batteryMinMv: Int?
        /// `gps_lost_s`: no valid fix for this long after one was seen.
        public var gpsLostNs: Int64?
        /// `disk_min_free_mb`: less free space than this beside the database.
        public var diskMinFreeBytes: Int64?
        /// `clock_max_offset_s`: the system clock further than this from GPS time.
        public var clockMaxOffsetNs: Int64?

        public init(
            heartbeatTimeoutNs: Int64? = nil, batteryMinMv: Int? = nil, gpsLostNs: Int64? = nil,
            diskMinFreeBytes: Int64? = nil, clockMaxOffsetNs: Int64? = nil
        ) {
            self.clockMaxOffsetNs = clockMaxOffsetNs
            self.heartbeatTimeoutNs = heartbeatTimeoutNs
            self.batteryMinMv = batteryMinMv
            self.gpsLostNs = gpsLostNs
            self.diskMinFreeBytes = diskMinFreeBytes
        }

        public var isEmpty: Bool {
            heartbeatTimeoutNs == nil && batteryMinMv == nil && gpsLostNs == nil && diskMinFreeBytes == nil
                && clockMaxOffsetNs == nil
        }
    }

    /// The rule names the alerts carry, and their severities.
    public enum Check: String, Sendable, CaseIterable {
        case offline = "health.offline"
        case tamper = "health.tamper"
        case battery = "health.battery"
        case gpsLost = "health.gps_lost"
        case disk = "health.disk"
        case clock = "health.clock"

        public var severity: Severity {
            switch self {
            case .tamper, .disk: .high
            case .offline, .clock: .medium
            case .battery, .gpsLost: .low
            }
        }
    }

    public let settings: Settings
    private let box: String
    private let sector: String
    private let site: Position?
    private let sensors: [String: SensorConfig]
    private var lastHeartbeat: [String: Int64] = [:]
    /// Conditions raised and not yet cleared, by check and subject.
    private var raised: Set<String> = []
    private var lastFixTs: Int64?
    /// Time checks run at most once a second of input time.
    private var nextCheck = Int64.min

    public init(configuration: PicketConfiguration, settings: Settings) {
        self.settings = settings
        box = configuration.box
        sector = configuration.sector
        site = configuration.site
        var sensors: [String: SensorConfig] = [:]
        for sensor in configuration.allSensors { sensors[sensor.id] = sensor }
        self.sensors = sensors
    }

    /// A heartbeat: tamper, battery, and the sensor is alive again.
    public mutating func heartbeat(_ status: SensorStatus, _ emit: (Alert) -> Void) {
        guard sensors[status.sensor] != nil else { return }
        lastHeartbeat[status.sensor] = status.ts
        clear(.offline, status.sensor)
        if status.tamper {
            raise(.tamper, status.sensor, at: status.ts, "\(status.sensor) tamper switch open", emit)
        } else {
            clear(.tamper, status.sensor)
        }
        if let minimum = settings.batteryMinMv {
            if status.batteryMv < minimum {
                raise(
                    .battery, status.sensor, at: status.ts,
                    "\(status.sensor) battery low: \(status.batteryMv) mV (minimum \(minimum) mV)", emit)
            } else if status.batteryMv >= minimum + 100 {
                // 100 mV of hysteresis: a battery hovering at the line alerts once.
                clear(.battery, status.sensor)
            }
        }
    }

    /// A valid GPS fix at `ts`.
    public mutating func fix(at ts: Int64) {
        lastFixTs = ts
        clear(.gpsLost, "box")
    }

    /// Time moved to `now`: sensors gone silent, the fix gone stale.
    public mutating func advance(to now: Int64, _ emit: (Alert) -> Void) {
        guard now >= nextCheck else { return }
        nextCheck = now &+ 1_000_000_000
        if let timeout = settings.heartbeatTimeoutNs {
            for (sensor, last) in lastHeartbeat.sorted(by: { $0.key < $1.key }) where now - last > timeout {
                raise(
                    .offline, sensor, at: now,
                    "\(sensor) offline: no heartbeat for \((now - last) / 1_000_000_000) s", emit)
            }
        }
        if let lost = settings.gpsLostNs, let last = lastFixTs, now - last > lost {
            raise(.gpsLost, "box", at: now, "GPS fix lost \((now - last) / 1_000_000_000) s ago", emit)
        }
    }

    /// Free bytes beside the database, measured at `now`.
    public mutating func disk(freeBytes: Int64, at now: Int64, _ emit: (Alert) -> Void) {
        guard let minimum = settings.diskMinFreeBytes else { return }
        if freeBytes < minimum {
            raise(.disk, "box", at: now, "disk nearly full: \(freeBytes / 1_048_576) MB free", emit)
        } else if freeBytes >= minimum + minimum / 10 {
            clear(.disk, "box")
        }
    }

    /// The system clock's offset from GPS time, measured at `offset.ts`.
    /// Raised once when it goes past the limit either way; cleared when it
    /// is back within half the limit, so an offset hovering at the line
    /// alerts once.
    public mutating func clock(_ offset: ClockOffset, _ emit: (Alert) -> Void) {
        guard let maximum = settings.clockMaxOffsetNs else { return }
        let magnitude = offset.offsetNs.magnitude
        if magnitude > UInt64(maximum) {
            raise(
                .clock, "box", at: offset.ts,
                "clock: \(offset.sentence) (limit \(String(format1: Double(maximum) / 1e9)) s)", emit)
        } else if magnitude <= UInt64(maximum / 2) {
            clear(.clock, "box")
        }
    }

    private mutating func raise(
        _ check: Check, _ subject: String, at ts: Int64, _ summary: String, _ emit: (Alert) -> Void
    ) {
        guard raised.insert(check.rawValue + "|" + subject).inserted else { return }
        let sensor = sensors[subject]
        emit(
            Alert(
                id: Identifier.alert(
                    box: box, rule: check.rawValue, zone: sensor?.zone, events: [subject, String(ts)], ts: ts),
                rule: check.rawValue, severity: check.severity, box: box, sector: sector, zone: sensor?.zone,
                firstTs: ts, lastTs: ts, direction: nil, events: [], position: sensor?.position ?? site,
                summary: summary))
    }

    private mutating func clear(_ check: Check, _ subject: String) {
        raised.remove(check.rawValue + "|" + subject)
    }
}
