import Prometheus
import Synchronization

/// The sector's Prometheus metrics (`GET /metrics`). Counts are this
/// process's; the boxes gauges are read from the store, which every
/// process sharing the database agrees on.
public final class SectorMetrics: Sendable {
    /// Why a request from a box was refused: the `reason` label.
    public enum Refusal: String, Sendable, CaseIterable {
        case unknownBox = "unknown_box"
        case badSignature = "bad_signature"
        case clock
        case malformed
        case tooLarge = "too_large"
    }

    public let registry = PrometheusCollectorRegistry()
    private let received: Counter
    private let stored: Counter
    private let duplicate: Counter
    private let statuses: Counter
    private let refused: [Refusal: Counter]
    private let online: Gauge
    private let offline: Gauge
    /// The hotline's texts by what an attempt came to (`result`).
    private let texts: [TextResult: Counter]

    /// What an attempt at a text came to: the `result` label of `texts_total`.
    public enum TextResult: String, Sendable, CaseIterable {
        case sent
        /// No 2xx yet (an error, a 5xx, 408, 429): retried later.
        case failed
        /// Refused for good (a 4xx other than 408 and 429), or expired.
        case dead
        /// Not sent: the phone opted out, or is no subscriber any more.
        case dropped
    }

    public init() {
        received = registry.makeCounter(
            descriptor: Self.name("alerts_received", "total", "Alerts posted by boxes and accepted as authentic"))
        stored = registry.makeCounter(descriptor: Self.name("alerts_stored", "total", "Alerts stored (new ids)"))
        duplicate = registry.makeCounter(
            descriptor: Self.name("alerts_duplicate", "total", "Alerts whose Idempotency-Key was already stored"))
        statuses = registry.makeCounter(descriptor: Self.name("statuses", "total", "Box statuses stored"))
        var refused: [Refusal: Counter] = [:]
        for reason in Refusal.allCases {
            refused[reason] = registry.makeCounter(
                descriptor: Self.name("requests_refused", "total", "Requests from boxes refused, by reason"),
                labels: [("reason", reason.rawValue)])
        }
        self.refused = refused
        online = registry.makeGauge(
            descriptor: Self.name("boxes", "", "Boxes by state"), labels: [("state", "online")])
        offline = registry.makeGauge(
            descriptor: Self.name("boxes", "", "Boxes by state"), labels: [("state", "offline")])
        var texts: [TextResult: Counter] = [:]
        for result in TextResult.allCases {
            texts[result] = registry.makeCounter(
                descriptor: Self.name("texts", "total", "Hotline texts to subscribers, by what an attempt came to"),
                labels: [("result", result.rawValue)])
        }
        self.texts = texts
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "picket", subsystem: "sector", metricName: metric, unitName: unit, helpText: help)
    }

    func alertReceived() { received.increment() }
    func alertStored(new: Bool) { (new ? stored : duplicate).increment() }
    func statusStored() { statuses.increment() }
    func refused(_ reason: Refusal) { refused[reason]?.increment() }
    func text(_ result: TextResult) { texts[result]?.increment() }

    /// Sets the boxes gauges from the store's list.
    public func boxes(_ boxes: [BoxRecord]) {
        let down = boxes.filter(\.offline).count
        offline.set(Int64(down))
        online.set(Int64(boxes.count - down))
    }

    public func text() -> String { registry.emitToString() }
}
