import Foundation
import PicketCore
import Testing

@testable import PicketDaemon

/// Radio sensor ids the configuration does not name add metric series only
/// up to `PicketMetrics.unknownSensorLimit`; the counts of the rest go to
/// one series labelled `~other` (issue 10).
@Suite struct MetricsCardinalityTests {
    /// The `sensor` labels of `metric`'s series with their values.
    static func series(_ text: String, _ metric: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(metric + "{") {
            guard let start = line.range(of: "sensor=\""), let value = line.split(separator: " ").last else { continue }
            let label = line[start.upperBound...].prefix { $0 != "\"" }
            out[String(label), default: 0] += Double(value) ?? .nan
        }
        return out
    }

    @Test func unknownSensorsPastTheLimitShareOneSeries() {
        let metrics = PicketMetrics()
        metrics.prepare(
            for: PicketConfiguration(box: "b", sector: "s", sensors: [SensorConfig(id: "seis-7", kind: .seismic)]))
        var counters = ProcessorCounters()
        counters.duplicates["seis-7"] = 2
        for n in 0..<100 { counters.duplicates["stray-\(n)"] = 1 }
        metrics.update(counters, ringDepth: 0, drops: [:], backlog: 0)
        // Later counts of a sensor that got its own series stay in it; new ones go to ~other.
        counters.duplicates["stray-\(100)"] = 3
        metrics.update(counters, ringDepth: 0, drops: [:], backlog: 0)
        let events = (0..<100).map { n in
            Event(
                id: "e\(n)", box: "b", sector: "s", sensor: "stray-\(n)", kind: .unknown, zone: nil, source: .serial,
                state: .active, ts: 1_780_000_000_000_000_000, episode: "e\(n)")
        }
        metrics.committed(events: events, statuses: [])
        let text = metrics.text()

        let duplicates = Self.series(text, "picket_duplicates_total")
        #expect(duplicates.count == PicketMetrics.unknownSensorLimit + 2, "\(duplicates.keys.sorted())")
        #expect(duplicates["seis-7"] == 2)
        #expect(duplicates[PicketMetrics.otherSensors] == Double(100 - PicketMetrics.unknownSensorLimit + 3))
        let total: Double = duplicates.values.reduce(0, +)
        #expect(total == 105)
        // Gauges are kept for the sensors with series of their own only.
        let lastEvent = Self.series(text, "picket_sensor_last_event_timestamp_seconds")
        #expect(lastEvent.count == PicketMetrics.unknownSensorLimit, "\(lastEvent.keys.sorted())")
        #expect(lastEvent[PicketMetrics.otherSensors] == nil)
    }
}
