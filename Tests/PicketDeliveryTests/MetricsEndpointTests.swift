import AsyncHTTPClient
import Foundation
import NIOCore
import PicketTestSupport
import Testing

/// `/metrics` and `/healthz` of a running `picket run --simulate`, scraped
/// over real HTTP, with a real sector endpoint so delivery moves too.
@Suite struct MetricsEndpointTests {
    /// Every series Picket promises, by name.
    static let names = [
        "picket_inputs_total", "picket_events_total", "picket_glitches_total", "picket_sensor_glitches_total",
        "picket_frames_rejected_total", "picket_duplicates_total", "picket_radio_lost_total", "picket_alerts_total",
        "picket_ring_depth", "picket_ring_drops_total", "picket_commit_duration_seconds_bucket",
        "picket_commit_duration_seconds_count", "picket_outbox_messages", "picket_delivery_attempts_total",
        "picket_last_delivery_timestamp_seconds",
    ]

    /// `name{labels} value` lines, summed by name.
    static func parse(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            let name = String(parts[0].prefix { $0 != "{" })
            out[name, default: 0] += value
        }
        return out
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The address the daemon logged for its metrics endpoint.
    static func address(_ child: ChildProcess) throws -> String {
        let line = try #require(child.stderr.split(separator: "\n").first { $0.contains("metrics listening") })
        let field = try #require(line.split(separator: " ").first { $0.hasPrefix("address=") })
        return String(field.dropFirst("address=".count))
    }

    @Test func everyMetricIsThereAndMoves() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        let kit = try String(contentsOf: CrashSafetyTests.simulateConfig, encoding: .utf8)
        let config = f.dir.appendingPathComponent("metrics.yaml").path
        try
            (kit
            + "\nmetrics: {listen: \"127.0.0.1:0\"}\nforward: {url: \"http://127.0.0.1:\(receiver.port)/a\", "
            + "secret_file: \(f.secretPath)}\n").write(toFile: config, atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            CrashSafetyTests.binary, ["run", "--simulate", "--config", config, "--db", f.db],
            log: f.dir.appendingPathComponent("run.log"))
        try await child.waitForLog("metrics listening")
        let base = "http://" + (try Self.address(child))
        try await eventually("healthy", timeout: .seconds(20)) { child.stderr.contains("picket running") }
        try await Task.sleep(for: .seconds(1))

        let first = try await Self.get(base + "/metrics")
        #expect(first.status == 200)
        let before = Self.parse(first.body)
        for name in Self.names { #expect(before[name] != nil, "\(name) missing from /metrics:\n\(first.body)") }
        #expect(try await Self.get(base + "/healthz") == (200, "ok\n"))
        #expect(try await Self.get(base + "/nothing").status == 404)

        // The kit's first alerts come a few seconds in and are delivered.
        try await eventually("an alert delivered", timeout: .seconds(90)) {
            receiver.requests.contains { $0.uri == "/a" }
        }
        // The kit's activity comes at random moments (a scene every 20-60 s):
        // scrape until the counters moved, or the wait (longer than the
        // longest gap between scenes) ends and the expectations say which not.
        let moving = ["picket_inputs_total", "picket_events_total", "picket_commit_duration_seconds_count"]
        var after: [String: Double] = [:]
        let deadline = ContinuousClock.now + .seconds(75)
        repeat {
            try await Task.sleep(for: .milliseconds(500))
            after = Self.parse(try await Self.get(base + "/metrics").body)
        } while ContinuousClock.now < deadline
            && !moving.allSatisfy({ (after[$0] ?? 0) > (before[$0] ?? 0) })
        for name in moving { #expect((after[name] ?? 0) > (before[name] ?? 0), "\(name) did not move") }
        #expect(after["picket_delivery_attempts_total"]! >= 1)
        #expect(after["picket_last_delivery_timestamp_seconds"]! > 1_700_000_000)
        #expect(after["picket_alerts_total"]! >= 1)
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }

    /// A stalled hot path makes `/healthz` answer 503 with the reason.
    @Test func healthzSaysWhenTheHotPathIsStuck() async throws {
        let f = try Fixture()
        let config = f.dir.appendingPathComponent("metrics.yaml").path
        let kit = try String(contentsOf: CrashSafetyTests.simulateConfig, encoding: .utf8)
        try (kit + "\nmetrics: {listen: \"127.0.0.1:0\"}\n").write(toFile: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["PICKET_TEST_STALL_HOT_PATH_MS"] = "1000"
        let child = try ChildProcess(
            CrashSafetyTests.binary, ["run", "--simulate", "--config", config, "--db", f.db],
            log: f.dir.appendingPathComponent("run.log"), environment: environment)
        try await child.waitForLog("metrics listening")
        let base = "http://" + (try Self.address(child))
        try await eventually("503 from /healthz", timeout: .seconds(20)) {
            child.stderr.contains("picket running")
        }
        var last = (status: 0, body: "")
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(40)
        while clock.now < deadline {
            last = try await Self.get(base + "/healthz")
            if last.status == 503 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(last.status == 503)
        #expect(last.body.hasPrefix("hot path stuck"))
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
