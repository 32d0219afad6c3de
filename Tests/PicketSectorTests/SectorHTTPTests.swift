import AsyncHTTPClient
import Foundation
import NIOCore
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

/// The box endpoints and the operators' JSON over real HTTP (PRODUCT.md 7a).
@Suite struct SectorHTTPTests {
    @Test func aSignedAlertPostedTwiceIsStoredOnce() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let body = alertJSON("alert-1")
        let first = try await sector.post("/v1/alerts", box: "ridge-01", body: body, key: "alert-1")
        #expect(first.status == 200, "\(first.body)")
        #expect(try jsonObject(first.body)["stored"] as? Bool == true)
        #expect(try jsonObject(first.body)["reports"] as? [Any] != nil)
        let second = try await sector.post("/v1/alerts", box: "ridge-01", body: body, key: "alert-1")
        #expect(second.status == 200, "\(second.body)")
        #expect(try jsonObject(second.body)["stored"] as? Bool == false)
        let stored = try await sector.store.alerts(AlertQuery())
        #expect(stored.map(\.id) == ["alert-1"])
        #expect(stored.first?.body == body)
        #expect(stored.first?.zone == "north")
        #expect(stored.first?.severity == "medium")
        let metrics = try await sector.get("/metrics").body
        #expect(metrics.contains("picket_sector_alerts_stored_total 1"), "\(metrics)")
        #expect(metrics.contains("picket_sector_alerts_duplicate_total 1"), "\(metrics)")
    }

    @Test func aCAPAlertIsReadAndKeptRaw() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let alert = Alert(
            id: "cap-1", rule: "pir-and-seismic", severity: .high, box: "ford-02", sector: "test", zone: "ford",
            firstTs: t0, lastTs: t0 + second, direction: nil, events: ["e1", "e2"],
            position: Position(lat: 44.25, lon: -72.5), summary: "someone at the ford")
        let body = CAPDocument.xml(for: alert, sentNs: alert.lastTs, settings: .init(exercise: true))
        let answer = try await sector.post(
            "/v1/alerts", box: "ford-02", body: body, key: "cap-1", contentType: "application/cap+xml; charset=utf-8")
        #expect(answer.status == 200, "\(answer.body)")
        let stored = try #require(try await sector.store.alert(id: "cap-1"))
        #expect(stored.format == "cap")
        #expect(stored.rule == "pir-and-seismic")
        #expect(stored.severity == "high")
        #expect(stored.zone == "ford")
        #expect(stored.firstTs == t0)
        #expect(stored.lat == 44.25)
        #expect(stored.summary == "someone at the ford")
        #expect(stored.body == body)
    }

    /// PRODUCT.md 5's alert fields at the top of each `GET /v1/alerts`
    /// entry, from a JSON and from a CAP alert alike; the sector's own
    /// alerts name this sector.
    @Test func alertsCarrySectorDirectionAndEvents() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw")])
        defer { Task { await sector.stop() } }
        let json = Alert(
            id: "j-1", rule: "beam-pair", severity: .high, box: "ridge-01", sector: "swanton", zone: "north",
            firstTs: t0, lastTs: t0 + second, direction: "north->south", events: ["e1", "e2"],
            position: Position(lat: 44.1, lon: -72.5), summary: "someone crossing")
        #expect(
            try await sector.post("/v1/alerts", box: "ridge-01", body: AlertJSON.object(json), key: "j-1").status == 200
        )
        var cap = json
        cap.id = "c-1"
        cap.box = "ford-02"
        cap.direction = "south->north"
        cap.events = ["e3", "e4", "e5"]
        let xml = CAPDocument.xml(for: cap, sentNs: cap.lastTs, settings: .init(exercise: true))
        #expect(
            try await sector.post(
                "/v1/alerts", box: "ford-02", body: xml, key: "c-1", contentType: "application/cap+xml"
            )
            .status == 200)
        _ = try await sector.store.storeSectorAlert(SectorAlerts.online(box: "ford-02", at: t0 + 9 * second))
        let answer = try await sector.get("/v1/alerts", user: "alice", password: "pw")
        let list = try #require(try jsonObject(answer.body)["alerts"] as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
        #expect(byID["j-1"]?["sector"] as? String == "swanton")
        #expect(byID["j-1"]?["direction"] as? String == "north->south")
        #expect(byID["j-1"]?["events"] as? [String] == ["e1", "e2"])
        #expect(byID["c-1"]?["sector"] as? String == "swanton")
        #expect(byID["c-1"]?["direction"] as? String == "south->north")
        #expect(byID["c-1"]?["events"] as? [String] == ["e3", "e4", "e5"])
        let online = try #require(byID["box.online.ford-02.\(t0 + 9 * second)"])
        #expect(online["sector"] as? String == "test")
        #expect(online["direction"] is NSNull)
        #expect(online["events"] as? [String] == [])
    }

    /// A NUL, which PostgreSQL's text cannot hold, is a malformed body on
    /// both stores (400: a retry cannot fix it), never a store failure that
    /// a box would retry for ever.
    @Test func aNULIsRefusedAsMalformed() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let escaped = alertJSON("nul-1").replacingOccurrences(of: "\"motion in north\"", with: "\"motion\\u0000\"")
        #expect(escaped.contains("\\u0000"))
        let answer = try await sector.post("/v1/alerts", box: "ridge-01", body: escaped, key: "nul-1")
        #expect(answer.status == 400, "\(answer.body)")
        #expect(answer.body.contains("summary contains a NUL character"), "\(answer.body)")
        let raw = "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>nul-2\u{0}</identifier></alert>"
        let xml = try await sector.post(
            "/v1/alerts", box: "ridge-01", body: raw, key: "nul-2", contentType: "application/cap+xml")
        #expect(xml.status == 400, "\(xml.body)")
        #expect(try await sector.store.alerts(AlertQuery()).isEmpty)
    }

    @Test func refusedRequestsStoreNothing() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let body = alertJSON("alert-x")
        let forged = try await sector.post(
            "/v1/alerts", box: "ridge-01", body: body, key: "alert-x", secret: Array("not-the-secret".utf8))
        #expect(forged.status == 401, "\(forged.body)")
        // Signed by ford-02's secret but claiming to be ridge-01.
        let otherKey = try await sector.post(
            "/v1/alerts", box: "ridge-01", body: body, key: "alert-x", secret: SectorHarness.secrets["ford-02"])
        #expect(otherKey.status == 401)
        let unknown = try await sector.post("/v1/alerts", box: "stranger", body: body, key: "alert-x")
        #expect(unknown.status == 401)
        #expect(unknown.body.contains("stranger"))
        let noSignature = try await sector.post(
            "/v1/alerts", box: "ridge-01", body: body, key: "alert-x", signature: "v1=zz")
        #expect(noSignature.status == 401)
        let stale = try await sector.post(
            "/v1/alerts", box: "ridge-01", body: body, key: "alert-x", timestamp: t0 / second - 301)
        #expect(stale.status == 503, "\(stale.body)")
        #expect(stale.header("Retry-After") == "60")
        #expect(stale.body.contains("clock"), "\(stale.body)")
        let malformed = try await sector.post("/v1/alerts", box: "ridge-01", body: "{not json", key: "alert-x")
        #expect(malformed.status == 400, "\(malformed.body)")
        let wrongBox = try await sector.post(
            "/v1/alerts", box: "ford-02", body: alertJSON("alert-x", box: "ridge-01"), key: "alert-x")
        #expect(wrongBox.status == 400, "\(wrongBox.body)")
        #expect(try await sector.store.alerts(AlertQuery()).isEmpty)
        // The wrong clock is remembered for the box.
        let ridge = try #require(try await sector.store.boxes().first { $0.box == "ridge-01" })
        #expect(ridge.clockWrong)
        #expect(ridge.clockOffsetS == -301)
        let metrics = try await sector.get("/metrics").body
        #expect(metrics.contains("picket_sector_requests_refused_total{reason=\"bad_signature\"} 3"), "\(metrics)")
        #expect(metrics.contains("picket_sector_requests_refused_total{reason=\"clock\"} 1"), "\(metrics)")
    }

    @Test func aTimestampWithinFiveMinutesIsAccepted() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let answer = try await sector.post(
            "/v1/alerts", box: "ridge-01", body: alertJSON("a-300"), key: "a-300", timestamp: t0 / second + 300)
        #expect(answer.status == 200, "\(answer.body)")
    }

    @Test func anOversizeBodyIsRefused() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let padding = String(repeating: " ", count: SectorRoutes.maximumBodyBytes)
        let big = alertJSON("big-1") + padding
        let answer = try await sector.post("/v1/alerts", box: "ridge-01", body: big, key: "big-1")
        #expect(answer.status == 413, "\(answer.body)")
        // Without a Content-Length: refused while reading, at the limit.
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(sector.port)/v1/alerts")
        request.method = .POST
        request.headers.add(name: "X-Picket-Box", value: "ridge-01")
        request.headers.add(name: "X-Picket-Timestamp", value: String(t0 / second))
        request.headers.add(name: "X-Picket-Signature", value: "v1=00")
        let chunks = (0..<20).map { _ in ByteBuffer(string: String(repeating: "x", count: 100_000)) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        request.body = .stream(stream, length: .unknown)
        let streamed = try await sector.send(request)
        #expect(streamed.status == 413, "\(streamed.body)")
        #expect(try await sector.store.alerts(AlertQuery()).isEmpty)
    }

    @Test func operatorsNeedTheirPassword() async throws {
        let sector = try await SectorHarness(operators: [("alice", "correct horse")])
        defer { Task { await sector.stop() } }
        _ = try await sector.post("/v1/alerts", box: "ridge-01", body: alertJSON("a1"), key: "a1")
        #expect(try await sector.get("/v1/alerts").status == 401)
        let wrong = try await sector.get("/v1/alerts", user: "alice", password: "wrong")
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
        #expect(try await sector.get("/v1/boxes", user: "mallory", password: "correct horse").status == 401)
        let alerts = try await sector.get(
            "/v1/alerts?box=ridge-01&zone=north", user: "alice", password: "correct horse")
        #expect(alerts.status == 200, "\(alerts.body)")
        let list = try #require(try jsonObject(alerts.body)["alerts"] as? [[String: Any]])
        #expect(list.map { $0["id"] as? String } == ["a1"])
        let none = try await sector.get("/v1/alerts?zone=south", user: "alice", password: "correct horse")
        #expect(try jsonObject(none.body)["alerts"] as? [Any] != nil)
        #expect((try jsonObject(none.body)["alerts"] as? [Any])?.isEmpty == true)
        let boxes = try await sector.get("/v1/boxes", user: "alice", password: "correct horse")
        #expect(boxes.status == 200)
        let names = try #require(try jsonObject(boxes.body)["boxes"] as? [[String: Any]]).map { $0["box"] as? String }
        #expect(names == ["ford-02", "ridge-01"])
        #expect(try await sector.get("/healthz").status == 200)
    }

    @Test func anAcknowledgementKeepsWhoAndWhen() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw-a"), ("bob", "pw-b")])
        defer { Task { await sector.stop() } }
        _ = try await sector.post("/v1/alerts", box: "ridge-01", body: alertJSON("a1"), key: "a1")
        #expect(try await sector.get("/v1/alerts/a1/ack", method: .POST).status == 401)
        sector.clock.advance(by: 7 * second)
        let ack = try await sector.get("/v1/alerts/a1/ack", user: "alice", password: "pw-a", method: .POST)
        #expect(ack.status == 200, "\(ack.body)")
        #expect(try jsonObject(ack.body)["acknowledged_by"] as? String == "alice")
        sector.clock.advance(by: 60 * second)
        let again = try await sector.get("/v1/alerts/a1/ack", user: "bob", password: "pw-b", method: .POST)
        #expect(try jsonObject(again.body)["acknowledged_by"] as? String == "alice")
        let stored = try #require(try await sector.store.alert(id: "a1"))
        #expect(stored.acknowledgedBy == "alice")
        #expect(stored.acknowledgedTs == t0 + 7 * second)
        #expect(try await sector.get("/v1/alerts/nope/ack", user: "bob", password: "pw-b", method: .POST).status == 404)
    }

    @Test func aStatusAnswersReportsAndKeepsTheClock() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let document = "{\"type\":\"status\",\"id\":\"s1\",\"box\":\"ford-02\",\"ts\":\"2026-05-28T20:26:40Z\"}"
        let answer = try await sector.post(
            "/v1/status", box: "ford-02", body: document, key: "s1", timestamp: t0 / second + 12)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(try jsonObject(answer.body)["reports"] as? [Any] != nil)
        let ford = try #require(try await sector.store.boxes().first { $0.box == "ford-02" })
        #expect(ford.lastStatus == document)
        #expect(ford.clockOffsetS == 12)
        #expect(ford.lastStatusTs == t0)
        let forged = try await sector.post(
            "/v1/status", box: "ford-02", body: document, secret: Array("nope".utf8))
        #expect(forged.status == 401)
    }

    /// On a `ManualClock`: silent longer than `offline_after_s` is one
    /// `box.offline` per outage, and the next status one `box.online`.
    @Test func offlineAndOnlineOncePerOutage() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let document = "{\"type\":\"status\",\"box\":\"ridge-01\"}"
        #expect(try await sector.post("/v1/status", box: "ridge-01", body: document).status == 200)
        let watcher = sector.server.watcher(intervalNs: 30 * second)
        let running = Task { try await watcher.run() }
        defer { running.cancel() }
        func offlineAlerts() async throws -> [SectorAlertRecord] {
            try await sector.store.alerts(AlertQuery(order: .oldestFirst)).filter { $0.source == .sector }
        }
        // 900 s pass in 30 s steps: not yet offline (exactly 900 s is not older).
        for _ in 0..<30 {
            try await eventually("the watcher sleeps") { sector.clock.sleeperCount > 0 }
            sector.clock.advance(by: 30 * second)
        }
        try await eventually("the watcher sleeps") { sector.clock.sleeperCount > 0 }
        #expect(try await offlineAlerts().isEmpty)
        // Through the next hour: one box.offline, however often it checks.
        for _ in 0..<120 {
            try await eventually("the watcher sleeps") { sector.clock.sleeperCount > 0 }
            sector.clock.advance(by: 30 * second)
        }
        try await eventually("the watcher sleeps") { sector.clock.sleeperCount > 0 }
        #expect(try await offlineAlerts().map(\.rule) == ["box.offline"])
        #expect(try await offlineAlerts().first?.box == "ridge-01")
        #expect(try await sector.store.boxes().first { $0.box == "ridge-01" }?.offline == true)
        // ford-02 never reported: never offline.
        #expect(try await sector.store.boxes().first { $0.box == "ford-02" }?.offline == false)
        let metrics = try await sector.get("/metrics").body
        #expect(metrics.contains("picket_sector_boxes{state=\"offline\"} 1"), "\(metrics)")
        // Back: one box.online; a second status changes nothing.
        #expect(try await sector.post("/v1/status", box: "ridge-01", body: document).status == 200)
        #expect(try await sector.post("/v1/status", box: "ridge-01", body: document).status == 200)
        #expect(try await offlineAlerts().map(\.rule) == ["box.offline", "box.online"])
        // Silent again: a second outage, a second box.offline.
        for _ in 0..<40 {
            try await eventually("the watcher sleeps") { sector.clock.sleeperCount > 0 }
            sector.clock.advance(by: 30 * second)
        }
        try await eventuallyAsync("the second outage") { try await offlineAlerts().count == 3 }
        #expect(try await offlineAlerts().map(\.rule) == ["box.offline", "box.online", "box.offline"])
    }
}
