import PicketCore
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, in swift-prometheus's registry.
///
/// The hot path keeps its counts in `ProcessorCounters` (cumulative, no
/// locks on the hot path); after each commit the processing thread hands a
/// snapshot here, and the registry's counters move by the difference. A
/// reload starts a new processor whose counts start again at zero; the
/// registry's counters keep counting up.
public final class PicketMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let previous = Mutex<ProcessorCounters>(ProcessorCounters())
    let commitLatency: DurationHistogram
    private let ringDepth: Gauge
    private let lastDelivery: Gauge

    public init() {
        commitLatency = registry.makeDurationHistogram(
            descriptor: Self.name("commit_duration", "seconds", "Time to commit one batch to SQLite"),
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ])
        ringDepth = registry.makeGauge(
            descriptor: Self.name("ring_depth", "", "Inputs waiting in the hot path's rings"))
        lastDelivery = registry.makeGauge(
            descriptor: Self.name("last_delivery_timestamp", "seconds", "When a message was last delivered (Unix time)")
        )
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
        "delivery_attempts": "Delivery attempts by destination and result",
    ]

    /// Creates the per-sensor and per-destination series at zero, so every
    /// metric is in the first scrape, not only once something happened.
    public func prepare(for configuration: PicketConfiguration) {
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
        if configuration.forward != nil { destinations.append("sector") }
        if configuration.hotline != nil { destinations.append("sms") }
        for destination in destinations {
            for result in ["delivered", "retry", "dead", "failed"] {
                counter("delivery_attempts", [("destination", destination), ("result", result)]).increment(by: Int64(0))
            }
        }
    }

    static let frameReasons = ["too_long", "bad_checksum", "non_printable", "truncated", "malformed"]

    private func counter(_ metric: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(descriptor: Self.name(metric, "total", Self.help[metric] ?? metric), labels: labels)
    }

    private static func delta(_ now: Int, _ before: Int) -> Int64 { Int64(now >= before ? now - before : now) }

    /// After a commit: the processor's counts, the rings' depth and drops.
    func update(_ c: ProcessorCounters, ringDepth depth: Int, ringDrops: Int, previousDrops: Int) {
        let p = previous.withLock { p in
            defer { p = c }
            return p
        }
        counter("inputs", []).increment(by: Self.delta(c.inputs, p.inputs))
        for (key, n) in c.eventsBySensor {
            counter("events", [("sensor", key.sensor), ("state", key.state.rawValue)])
                .increment(by: Self.delta(n, p.eventsBySensor[key] ?? 0))
        }
        for (sensor, n) in c.glitches where n != (p.glitches[sensor] ?? 0) {
            counter("glitches", []).increment(by: Self.delta(n, p.glitches[sensor] ?? 0))
            counter("sensor_glitches", [("sensor", sensor)])
                .increment(by: Self.delta(n, p.glitches[sensor] ?? 0))
        }
        for (sensor, n) in c.duplicates {
            counter("duplicates", [("sensor", sensor)])
                .increment(by: Self.delta(n, p.duplicates[sensor] ?? 0))
        }
        for (sensor, n) in c.lost {
            counter("radio_lost", [("sensor", sensor)]).increment(by: Self.delta(n, p.lost[sensor] ?? 0))
        }
        for (rule, n) in c.alertsByRule {
            counter("alerts", [("rule", rule)]).increment(by: Self.delta(n, p.alertsByRule[rule] ?? 0))
        }
        let f = c.framing
        let g = p.framing
        for (reason, now, before) in [
            ("too_long", f.tooLong, g.tooLong), ("bad_checksum", f.badChecksum, g.badChecksum),
            ("non_printable", f.nonPrintable, g.nonPrintable), ("truncated", f.truncated, g.truncated),
            ("malformed", f.malformed, g.malformed),
        ] {
            counter("frames_rejected", [("reason", reason)]).increment(by: Self.delta(now, before))
        }
        ringDepth.set(Double(depth))
        counter("ring_drops", []).increment(by: Self.delta(ringDrops, previousDrops))
    }

    /// One attempt of the sender: `result` is delivered, retry, dead or failed.
    public func deliveryAttempt(destination: String, result: String, deliveredAtSeconds: Double?) {
        let kind = destination == "sector" ? "sector" : "sms"
        counter("delivery_attempts", [("destination", kind), ("result", result)]).increment()
        if let deliveredAtSeconds { lastDelivery.set(deliveredAtSeconds) }
    }

    /// The outbox's depth by state, read from the database at each scrape.
    func outbox(_ depth: [String: Int]) {
        for state in ["pending", "in_flight", "delivered", "dead"] {
            registry.makeGauge(
                descriptor: Self.name("outbox_messages", "", "Messages in the outbox by state"),
                labels: [("state", state)]
            ).set(Double(depth[state] ?? 0))
        }
    }

    /// The text exposition format, for `/metrics`.
    func text() -> String { registry.emitToString() }
}
