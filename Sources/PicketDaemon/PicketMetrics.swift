import Foundation
import PicketCore
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, in swift-prometheus's registry.
///
/// The hot path keeps its counts in `ProcessorCounters` (cumulative, no
/// locks on the hot path); at most once a second, and only when something
/// moved, the processing thread hands a snapshot here and the registry's
/// counters move by the difference. Each series is made once and kept, so
/// an update costs what changed, not the number of sensors; an idle box
/// does no metrics work at all. The updates come from the hot path's turn,
/// not from its commits, so the figures stay current through a storm and
/// while the store cannot write. A reload starts a new processor whose
/// counts start again at zero; the registry's counters keep counting up.
public final class PicketMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The hot path's last snapshot and the series made so far.
    private let state = Mutex<State>(State())
    let commitLatency: DurationHistogram
    private let ringDepth: Gauge
    private let buffered: Gauge
    private let lastDelivery: Gauge
    private let dbBytes: Gauge

    struct State {
        var previous = ProcessorCounters()
        var previousDrops: [String: Int] = [:]
        var counters: [String: Counter] = [:]
        var gauges: [String: Gauge] = [:]
        /// Sensors the configuration names; any other id a radio relays is unknown.
        var knownSensors: Set<String> = [Report.sensor]
        /// The unknown sensors that got series of their own (at most `unknownSensorLimit`).
        var unknownSensors: Set<String> = []
    }

    /// At most this many sensors the configuration does not name (ids a
    /// radio relays) get series of their own; the counts of any further
    /// ones go to the one label `otherSensors`, and their gauges are not
    /// kept, so a noisy or hostile radio cannot grow /metrics without bound.
    static let unknownSensorLimit = 64
    /// The `sensor` label of the unknown sensors past the limit (no sensor id has `~`).
    static let otherSensors = "~other"

    /// The `sensor` label for `sensor`'s series: its id, or `otherSensors`.
    private func sensorLabel(_ sensor: String) -> String {
        state.withLock { state in
            if state.knownSensors.contains(sensor) || state.unknownSensors.contains(sensor) { return sensor }
            guard state.unknownSensors.count < Self.unknownSensorLimit else { return Self.otherSensors }
            state.unknownSensors.insert(sensor)
            return sensor
        }
    }

    /// A sensor gauge's series, nil for an unknown sensor past the limit.
    private func sensorGauge(_ metric: String, _ sensor: String) -> Gauge? {
        let label = sensorLabel(sensor)
        return label == Self.otherSensors ? nil : gauge(metric, [("sensor", label)])
    }

    public init() {
        commitLatency = registry.makeDurationHistogram(
            descriptor: Self.name("commit_duration", "seconds", "Time to commit one batch to SQLite"),
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ])
        ringDepth = registry.makeGauge(
            descriptor: Self.name("ring_depth", "", "Inputs waiting in the hot path's rings"))
        buffered = registry.makeGauge(
            descriptor: Self.name(
                "store_backlog_events", "", "Events processed and waiting in memory for the store to take them"))
        lastDelivery = registry.makeGauge(
            descriptor: Self.name("last_delivery_timestamp", "seconds", "When a message was last delivered (Unix time)")
        )
        dbBytes = registry.makeGauge(
            descriptor: Self.name("db", "bytes", "Size of the database file and its write-ahead log"))
        registry.makeGauge(
            descriptor: Self.name("build_info", "", "Always 1; the labels say which picket runs"),
            labels: [("version", PicketVersion.current)]
        ).set(1.0)
        // Present from the start, so a scrape shows them before anything happened.
        for reason in Self.frameReasons { counter("frames_rejected", [("reason", reason)]).increment(by: Int64(0)) }
        for name in ["inputs", "ring_drops", "glitches"] { counter(name, []).increment(by: Int64(0)) }
    }

    /// `picket_<metric>_<unit>`, with its help text.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "picket", metricName: metric, unitName: unit, helpText: help)
    }

    static let help: [String: String] = [
        "inputs": "Raw inputs (GPIO edges, serial reads) the hot path consumed",
        "events": "Stored events by sensor and state",
        "glitches": "Debounce bursts that ended where they began",
        "sensor_glitches": "Glitches by sensor",
        "duplicates": "Radio relay duplicates dropped, by sensor",
        "radio_lost": "Radio messages lost (sequence gaps), by sensor",
        "alerts": "Alerts raised, by rule",
        "frames_rejected": "Serial frames discarded, by reason",
        "ring_drops": "Inputs dropped because a ring was full",
        "source_ring_drops": "Inputs dropped because a ring was full, by source (GPIO line or serial port)",
        "delivery_attempts": "Delivery attempts by destination and result",
    ]

    static let gaugeHelp: [String: (unit: String, help: String)] = [
        "sensor_up": (
            "", "1 while the daemon is alive and the sensor's input (its GPIO line, or the one serial port) works"
        ),
        "sensor_last_event_timestamp": ("seconds", "When the sensor's last event happened (Unix time)"),
        "sensor_last_heartbeat_timestamp": ("seconds", "When the sensor's last status heartbeat came (Unix time)"),
        "sensor_battery": ("millivolts", "The battery voltage of the sensor's last heartbeat"),
        "clock_gps_offset": ("seconds", "The system clock minus the GPS time of the last RMC sentence"),
        "outbox_messages": ("", "Messages in the outbox by state"),
    ]

    /// Creates the per-sensor and per-destination series at zero, so every
    /// metric is in the first scrape, not only once something happened.
    public func prepare(for configuration: PicketConfiguration) {
        state.withLock { $0.knownSensors.formUnion(configuration.allSensors.map(\.id)) }
        for sensor in configuration.sensors.map(\.id) {
            counter("duplicates", [("sensor", sensor)]).increment(by: Int64(0))
            counter("radio_lost", [("sensor", sensor)]).increment(by: Int64(0))
        }
        for line in configuration.gpio {
            counter("sensor_glitches", [("sensor", line.sensor.id)]).increment(by: Int64(0))
        }
        for sensor in configuration.allSensors.map(\.id) {
            for state in ["active", "inactive"] {
                counter("events", [("sensor", sensor), ("state", state)]).increment(by: Int64(0))
            }
        }
        var rules = configuration.rules.map(\.name)
        if configuration.allSensors.contains(where: { $0.severity != nil }) { rules.append(detectionRuleName) }
        for rule in rules { counter("alerts", [("rule", rule)]).increment(by: Int64(0)) }
        var destinations: [String] = []
        if let forward = configuration.forward {
            destinations.append("sector")
            if forward.statusIntervalS > 0 { destinations.append("status") }
        }
        if configuration.hotline != nil { destinations.append("sms") }
        for destination in destinations {
            for result in ["delivered", "retry", "dead", "failed"] {
                counter("delivery_attempts", [("destination", destination), ("result", result)]).increment(by: Int64(0))
            }
        }
        for source in Self.sourceNames(configuration) {
            counter("source_ring_drops", [("source", source)]).increment(by: Int64(0))
        }
    }

    /// The hub's sources by name, in the hub's order: GPIO lines then serial ports.
    static func sourceNames(_ configuration: PicketConfiguration) -> [String] {
        configuration.gpio.map { "\($0.chip):\($0.line)" } + configuration.serial.map(\.port)
    }

    static let frameReasons = ["too_long", "bad_checksum", "non_printable", "truncated", "malformed"]

    /// The series of a counter, made on first use and kept.
    private func counter(_ metric: String, _ labels: [(String, String)]) -> Counter {
        let key = metric + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return state.withLock { state in
            if let existing = state.counters[key] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.name(metric, "total", Self.help[metric] ?? metric), labels: labels)
            state.counters[key] = made
            return made
        }
    }

    /// The series of a gauge, made on first use and kept.
    private func gauge(_ metric: String, _ labels: [(String, String)]) -> Gauge {
        let key = metric + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return state.withLock { state in
            if let existing = state.gauges[key] { return existing }
            let help = Self.gaugeHelp[metric] ?? ("", metric)
            let made = registry.makeGauge(descriptor: Self.name(metric, help.unit, help.help), labels: labels)
            state.gauges[key] = made
            return made
        }
    }

    private static func delta(_ now: Int, _ before: Int) -> Int64 { Int64(now >= before ? now - before : now) }

    /// The processor's counts, the rings' depth and drops by source (in the
    /// hub's order, named by `sourceNames`). Only what changed since the last
    /// call moves.
    func update(_ c: ProcessorCounters, ringDepth depth: Int, drops: [String: Int], backlog: Int) {
        let (p, previousDrops) = state.withLock { state in
            defer {
                state.previous = c
                state.previousDrops = drops
            }
            return (state.previous, state.previousDrops)
        }
        if c.inputs != p.inputs { counter("inputs", []).increment(by: Self.delta(c.inputs, p.inputs)) }
        for (key, n) in c.eventsBySensor where n != p.eventsBySensor[key] ?? 0 {
            counter("events", [("sensor", sensorLabel(key.sensor)), ("state", key.state.rawValue)])
                .increment(by: Self.delta(n, p.eventsBySensor[key] ?? 0))
        }
        for (sensor, n) in c.glitches where n != p.glitches[sensor] ?? 0 {
            counter("glitches", []).increment(by: Self.delta(n, p.glitches[sensor] ?? 0))
            counter("sensor_glitches", [("sensor", sensorLabel(sensor))])
                .increment(by: Self.delta(n, p.glitches[sensor] ?? 0))
        }
        for (sensor, n) in c.duplicates where n != p.duplicates[sensor] ?? 0 {
            counter("duplicates", [("sensor", sensorLabel(sensor))])
                .increment(by: Self.delta(n, p.duplicates[sensor] ?? 0))
        }
        for (sensor, n) in c.lost where n != p.lost[sensor] ?? 0 {
            counter("radio_lost", [("sensor", sensorLabel(sensor))]).increment(by: Self.delta(n, p.lost[sensor] ?? 0))
        }
        for (rule, n) in c.alertsByRule where n != p.alertsByRule[rule] ?? 0 {
            counter("alerts", [("rule", rule)]).increment(by: Self.delta(n, p.alertsByRule[rule] ?? 0))
        }
        let f = c.framing
        let g = p.framing
        for (reason, now, before) in [
            ("too_long", f.tooLong, g.tooLong), ("bad_checksum", f.badChecksum, g.badChecksum),
            ("non_printable", f.nonPrintable, g.nonPrintable), ("truncated", f.truncated, g.truncated),
            ("malformed", f.malformed, g.malformed),
        ] where now != before {
            counter("frames_rejected", [("reason", reason)]).increment(by: Self.delta(now, before))
        }
        ringDepth.set(Double(depth))
        buffered.set(Double(backlog))
        for (source, n) in drops where n != previousDrops[source] ?? 0 {
            let step = Self.delta(n, previousDrops[source] ?? 0)
            counter("ring_drops", []).increment(by: step)
            counter("source_ring_drops", [("source", source)]).increment(by: step)
        }
    }

    /// What the store took in one commit: each sensor's latest event and
    /// heartbeat (battery) go to its gauges.
    func committed(events: [Event], statuses: [SensorStatus]) {
        var lastEvent: [String: Int64] = [:]
        for event in events where event.ts > lastEvent[event.sensor] ?? .min { lastEvent[event.sensor] = event.ts }
        for (sensor, ts) in lastEvent {
            sensorGauge("sensor_last_event_timestamp", sensor)?.set(Double(ts) / 1e9)
        }
        for status in statuses {
            sensorGauge("sensor_last_heartbeat_timestamp", status.sensor)?.set(Double(status.ts) / 1e9)
            sensorGauge("sensor_battery", status.sensor)?.set(Double(status.batteryMv))
        }
    }

    /// Each sensor's last event and heartbeat as the database knows them, at start.
    func seed(sensor: String, lastEventTs: Int64?, lastHeartbeatTs: Int64?, batteryMv: Int?) {
        if let lastEventTs {
            sensorGauge("sensor_last_event_timestamp", sensor)?.set(Double(lastEventTs) / 1e9)
        }
        if let lastHeartbeatTs {
            sensorGauge("sensor_last_heartbeat_timestamp", sensor)?.set(Double(lastHeartbeatTs) / 1e9)
        }
        if let batteryMv { sensorGauge("sensor_battery", sensor)?.set(Double(batteryMv)) }
    }

    /// Whether each sensor is up, as `BoxHealth` judged it.
    func sensorsUp(_ up: [String: Bool]) {
        for (sensor, isUp) in up { sensorGauge("sensor_up", sensor)?.set(isUp ? 1.0 : 0.0) }
    }

    /// The system clock's offset from GPS time, when one is known.
    func clockOffset(seconds: Double) { gauge("clock_gps_offset", []).set(seconds) }

    /// One attempt of the sender: `destination` is the kind (`sector`,
    /// `status`, `sms`); `result` is delivered, retry, dead or failed.
    public func deliveryAttempt(destination: String, result: String, deliveredAtSeconds: Double?) {
        let kind = ["sector", "status"].contains(destination) ? destination : "sms"
        counter("delivery_attempts", [("destination", kind), ("result", result)]).increment()
        if let deliveredAtSeconds { lastDelivery.set(deliveredAtSeconds) }
    }

    /// The outbox's depth by state, read from the database at each scrape.
    func outbox(_ depth: [String: Int]) {
        for state in ["pending", "in_flight", "delivered", "dead"] {
            gauge("outbox_messages", [("state", state)]).set(Double(depth[state] ?? 0))
        }
    }

    /// The database's size on disk (file and WAL), at each scrape.
    func database(bytes: Int64) { dbBytes.set(Double(bytes)) }

    /// The text exposition format, for `/metrics`.
    func text() -> String { registry.emitToString() }
}
