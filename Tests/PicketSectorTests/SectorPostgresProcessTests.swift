import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PicketDelivery
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two `picket sector` processes (the real binary) on one PostgreSQL
/// database, as behind a load balancer: what one stores or decides, the
/// other sees, and a rule they could race on is decided once.
@Suite(.enabled(if: !PostgresTestServer.skipped, "PICKET_SKIP_POSTGRES_TESTS is set"))
struct SectorPostgresProcessTests {
    static let secret = "ridge-secret-\(UUID().uuidString)"

    /// A running pair, with their base URLs.
    struct Pair {
        var dir: URL
        var processes: [ChildProcess]
        var bases: [String]

        func stop() async throws {
            for process in processes { #expect(try await process.stop() == 0, "\(process.stderr)") }
        }
    }

    static func startPair(offlineAfterS: Int = 900) async throws -> Pair {
        let url = try await PostgresTestServer.makeDatabase()
        let dir = try temporaryDirectory("sector-pg")
        let key = dir.appendingPathComponent("ridge-01.key").path
        try "\(secret)\n".write(toFile: key, atomically: true, encoding: .utf8)
        chmod(key, 0o600)
        let operators = dir.appendingPathComponent("operators").path
        let config = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: shared
        listen: 127.0.0.1:0
        database: {url: "\(url)"}
        operators_file: \(operators)
        offline_after_s: \(offlineAfterS)
        boxes:
          - {box: ridge-01, secret_file: \(key)}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let added = try await SectorProcessTests.addOperator("alice", password: "pw", config: config)
        #expect(added.status == 0, "\(added.err)")
        // Both start at once: both migrate the empty database under the advisory lock.
        return try await startPair(config: config, dir: dir)
    }

    /// Two `picket sector --config config` at once, once both listen.
    static func startPair(config: String, dir: URL) async throws -> Pair {
        let processes = try (0..<2).map { index in
            try ChildProcess(
                SectorProcessTests.binary, ["sector", "--config", config],
                log: dir.appendingPathComponent("sector-\(index).log"))
        }
        var bases: [String] = []
        for process in processes {
            try await process.waitForLog("sector listening")
            bases.append(try SectorProcessTests.base(of: process))
        }
        return Pair(dir: dir, processes: processes, bases: bases)
    }

    struct Answer {
        var status: Int
        var body: String
        var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
        }
    }

    /// A box's signed POST, signed by the box's own code.
    static func post(_ base: String, _ path: String, body: String, key: String? = nil) async throws -> Answer {
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Picket-Box", value: "ridge-01")
        request.headers.add(name: "X-Picket-Timestamp", value: String(timestamp))
        request.headers.add(
            name: "X-Picket-Signature",
            value: Signature.header(secret: Array(secret.utf8), timestamp: timestamp, body: Array(body.utf8)))
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    /// An operator's request (basic auth as alice).
    static func operatorRequest(_ base: String, _ path: String, method: HTTPMethod = .GET) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Basic " + Data("alice:pw".utf8).base64EncodedString())
        return try await send(request)
    }

    static func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: body))
    }

    static func alerts(_ base: String) async throws -> [[String: Any]] {
        let answer = try await operatorRequest(base, "/v1/alerts?limit=10000")
        #expect(answer.status == 200, "\(answer.body)")
        return answer.object["alerts"] as? [[String: Any]] ?? []
    }

    /// Alerts posted alternately to both are stored once each; the same
    /// `Idempotency-Key` posted to both is one row; both list the same.
    @Test func alertsPostedToEitherAreStoredOnce() async throws {
        let pair = try await Self.startPair()
        defer { try? FileManager.default.removeItem(at: pair.dir) }
        for index in 0..<10 {
            let id = "alert-\(index)"
            let answer = try await Self.post(
                pair.bases[index % 2], "/v1/alerts", body: alertJSON(id), key: id)
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.object["stored"] as? Bool == true, "\(answer.body)")
        }
        let first = try await Self.post(pair.bases[0], "/v1/alerts", body: alertJSON("twice"), key: "twice")
        let second = try await Self.post(pair.bases[1], "/v1/alerts", body: alertJSON("twice"), key: "twice")
        #expect(first.status == 200 && second.status == 200, "\(first.body) \(second.body)")
        #expect(first.object["stored"] as? Bool == true)
        #expect(second.object["stored"] as? Bool == false, "the second process stored it again: \(second.body)")
        let expected = Set((0..<10).map { "alert-\($0)" } + ["twice"])
        for base in pair.bases {
            let ids = try await Self.alerts(base).compactMap { $0["id"] as? String }
            #expect(ids.count == expected.count, "\(ids)")
            #expect(Set(ids) == expected)
        }
        try await pair.stop()
    }

    /// An acknowledgement made on one process shows on the other, and the
    /// other keeps the first operator's.
    @Test func anAcknowledgementOnOneShowsOnTheOther() async throws {
        let pair = try await Self.startPair()
        defer { try? FileManager.default.removeItem(at: pair.dir) }
        #expect(try await Self.post(pair.bases[0], "/v1/alerts", body: alertJSON("a1"), key: "a1").status == 200)
        let ack = try await Self.operatorRequest(pair.bases[0], "/v1/alerts/a1/ack", method: .POST)
        #expect(ack.status == 200, "\(ack.body)")
        #expect(ack.object["acknowledged_by"] as? String == "alice", "\(ack.body)")
        let onOther = try #require(try await Self.alerts(pair.bases[1]).first { $0["id"] as? String == "a1" })
        #expect(onOther["acknowledged_by"] as? String == "alice")
        #expect(onOther["acknowledged_ts"] as? String == ack.object["acknowledged_ts"] as? String)
        let again = try await Self.operatorRequest(pair.bases[1], "/v1/alerts/a1/ack", method: .POST)
        #expect(again.status == 200, "\(again.body)")
        #expect(again.object["acknowledged_ts"] as? String == ack.object["acknowledged_ts"] as? String)
        try await pair.stop()
    }

    /// A box that stops sending statuses: both processes' watchers look
    /// every second, and between them they raise exactly one `box.offline`.
    @Test func aSilentBoxIsOneOfflineBetweenBoth() async throws {
        let pair = try await Self.startPair(offlineAfterS: 2)
        defer { try? FileManager.default.removeItem(at: pair.dir) }
        let status = "{\"type\":\"status\",\"box\":\"ridge-01\"}"
        #expect(try await Self.post(pair.bases[0], "/v1/status", body: status).status == 200)
        #expect(try await Self.post(pair.bases[1], "/v1/status", body: status).status == 200)
        func offline() async throws -> [[String: Any]] {
            try await Self.alerts(pair.bases[1]).filter { $0["rule"] as? String == "box.offline" }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while try await offline().isEmpty, clock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(try await offline().count == 1)
        // Several more rounds of both watchers: still one.
        try await Task.sleep(for: .seconds(4))
        #expect(try await offline().count == 1)
        #expect(try await Self.alerts(pair.bases[0]).filter { $0["rule"] as? String == "box.offline" }.count == 1)
        let logged = pair.processes.filter { $0.stderr.contains("box ridge-01 is offline") }
        #expect(logged.count == 1, "\(pair.processes.map(\.stderr))")
        // Back: one box.online, from whichever process the status reaches.
        #expect(try await Self.post(pair.bases[0], "/v1/status", body: status).status == 200)
        let online = try await Self.alerts(pair.bases[1]).filter { $0["rule"] as? String == "box.online" }
        #expect(online.count == 1)
        try await pair.stop()
    }

    /// `picket sector` with a PostgreSQL server that does not answer: exit
    /// 74 naming the configuration line and the URL.
    @Test func anUnreachableDatabaseStopsTheStart() async throws {
        let dir = try temporaryDirectory("sector-pg-down")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("sector.yaml").path
        try "sector: test\nlisten: 127.0.0.1:0\ndatabase:\n  url: postgres://picket@127.0.0.1:1/sector\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let down = try await runProcess(SectorProcessTests.binary, ["sector", "--config", config])
        #expect(down.status == 74, "\(down.err)")
        #expect(
            down.err.contains("\(config):4: database.url: PostgreSQL postgres://picket@127.0.0.1:1/sector"),
            "\(down.err)")
        #expect(down.err.contains("cannot connect"), "\(down.err)")
    }
}
