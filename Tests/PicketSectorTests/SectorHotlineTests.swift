import AsyncHTTPClient
import Foundation
import Logging
import PicketConfig
import PicketCore
import PicketDelivery
import PicketTestSupport
import Testing

@testable import PicketSector

/// The hotline's outbound texts at the sector (PRODUCT.md 7 and 7a): box
/// alerts in the sector's database become texts to its subscribers, through
/// a real SMS gateway on 127.0.0.1 (`TestReceiver`), on a `ManualClock`.
@Suite struct SectorHotlineTests {
    static let ann = Subscriber(name: "Ann Ferris", phone: "+18025550101", zones: ["north"])
    /// 2026-06-05T12:00:00Z, a Friday.
    static let noon: Int64 = 1_780_660_800 * 1_000_000_000

    /// A SQLite sector store, a gateway and the hotline between them.
    struct Rig {
        let dir: URL
        let clock: ManualClock
        let store: SQLiteSectorStore
        let gateway: TestReceiver
        let metrics: SectorMetrics
        let hotline: SectorHotline

        init(
            at ts: Int64 = SectorHotlineTests.noon, timeZone: String = "UTC", texting: Bool = true,
            script: @escaping TestReceiver.Script = { _, _ in TestReceiver.Reply(status: 201, body: "{}") }
        ) async throws {
            dir = try temporaryDirectory("sector-hotline")
            clock = ManualClock(wallNs: ts)
            store = try SQLiteSectorStore(path: dir.appendingPathComponent("sector.db").path)
            try await store.migrate()
            gateway = try TestReceiver(script: script)
            metrics = SectorMetrics()
            hotline = Self.hotline(
                store: store, clock: clock, port: texting ? gateway.port : nil, timeZone: timeZone, metrics: metrics)
        }

        /// The hotline on `store`; `port` nil: no `credentials_file`, no texts.
        static func hotline(
            store: any SectorStore, clock: ManualClock, port: Int?, timeZone: String = "UTC",
            metrics: SectorMetrics = SectorMetrics()
        ) -> SectorHotline {
            var logger = Logger(label: "hotline-test")
            logger.logLevel = .error
            return SectorHotline(
                store: store, clock: clock,
                gateway: port.map { port in
                    SectorGateway(
                        hotline: HotlineConfig(
                            url: "http://127.0.0.1:\(port)/2010-04-01/Accounts/AC1/Messages.json",
                            from: "+18025550199", credentialsFile: "unused", subscribers: [],
                            contact: "+18025550111"),
                        user: "AC1", password: "s3cret")
                },
                sector: "swanton", timeZone: timeZone, metrics: metrics, logger: logger)
        }

        func round() async { await hotline.round(client: HTTPClient.shared) }

        /// A box alert as `POST /v1/alerts` stores it.
        func alert(
            _ id: String, box: String = "ridge-01", zone: String = "north", severity: String = "medium",
            rule: String = "footsteps", at ts: Int64? = nil
        ) async throws {
            let ts = ts ?? clock.wallNs()
            let stored = try await store.storeAlert(
                IncomingAlert(
                    id: id, box: box, format: .json, sector: "swanton", rule: rule, severity: severity, zone: zone,
                    firstTs: ts, lastTs: ts, receivedTs: ts, body: "{\"id\":\"\(id)\"}"))
            #expect(stored == .stored)
        }

        /// The form fields of each text the gateway received.
        var forms: [[String: String]] { gateway.requests.map { Self.form($0.text) } }

        static func form(_ body: String) -> [String: String] {
            var fields: [String: String] = [:]
            for pair in body.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            return fields
        }

        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    @Test func anAlertBecomesATextThroughTheGateway() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: Self.noon)
        try await rig.alert("a1")
        await rig.round()
        let requests = rig.gateway.requests
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request.method == "POST")
        #expect(request.uri == "/2010-04-01/Accounts/AC1/Messages.json")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.header("Authorization") == "Basic " + Data("AC1:s3cret".utf8).base64EncodedString())
        let form = rig.forms[0]
        #expect(form["To"] == "+18025550101")
        #expect(form["From"] == "+18025550199")
        let body = try #require(form["Body"])
        #expect(body.hasPrefix("Picket alerts from sector swanton; reply STOP to stop."), "\(body)")
        #expect(body.contains("someone on foot in north"), "\(body)")
        #expect(body.contains("+18025550111"), "\(body)")
        #expect(body.count <= 160 && body.allSatisfy { $0.isASCII }, "\(body)")
        let texts = try await rig.store.texts(phone: Self.ann.phone)
        #expect(texts.map(\.state) == [.sent])
        #expect(texts.first?.alertIDs == ["a1"])
        // For ACK: what went to this phone.
        #expect(try await rig.store.latestTextedAlert(phone: Self.ann.phone, since: 0) == "a1")
        #expect(rig.metrics.text().contains("picket_sector_texts_total{result=\"sent\"} 1"), "\(rig.metrics.text())")

        // The second text does not introduce the sector again; nothing is sent twice.
        rig.clock.advance(by: 60 * second)
        try await rig.alert("a2")
        await rig.round()
        await rig.round()
        try #require(rig.gateway.requests.count == 2)
        let second = try #require(rig.forms[1]["Body"])
        #expect(!second.contains("reply STOP"), "\(second)")
        #expect(second.allSatisfy { $0.isASCII } && second.count <= 160)
    }

    /// An alert stored while no hotline ran (a crash right after the
    /// commit, a restart) is still texted: the database queued it with the
    /// alert, and a new process on the file takes it.
    @Test func anAlertStoredBeforeARestartIsTextedAfter() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        try await rig.alert("before-crash")
        let reopened = try SQLiteSectorStore(path: rig.dir.appendingPathComponent("sector.db").path)
        try await reopened.migrate()
        let after = Rig.hotline(store: reopened, clock: rig.clock, port: rig.gateway.port)
        await after.round(client: HTTPClient.shared)
        try #require(rig.gateway.requests.count == 1)
        #expect(try await reopened.texts(phone: Self.ann.phone).map(\.alertIDs) == [["before-crash"]])
    }

    /// Without `credentials_file` nothing is texted, and queued alerts are
    /// taken off the queue all the same (it does not grow), never texted later.
    @Test func withoutCredentialsNothingIsTexted() async throws {
        let rig = try await Rig(texting: false)
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        for index in 0..<250 { try await rig.alert("quiet-\(index)") }
        await rig.round()
        #expect(try await rig.store.holdNewAlerts(limit: 1000, at: Self.noon) { _, _ in true } == 0)
        #expect(try await rig.store.phonesWithHeldAlerts().isEmpty)
        let texting = Rig.hotline(store: rig.store, clock: rig.clock, port: rig.gateway.port)
        await texting.round(client: HTTPClient.shared)
        #expect(rig.gateway.requests.isEmpty)
        #expect(try await rig.store.texts(phone: nil).isEmpty)
    }

    /// `box:zone` names one box's zone; a zone name any box's; the sector's
    /// own `box.offline` reaches nobody; below `min_severity` nothing.
    @Test func subscribersMatchByZoneNameOrBoxAndZone() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(
            Subscriber(name: "Ford", phone: "+18025550102", zones: ["ford-02:north"], minSeverity: .high), at: 0)
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        try await rig.alert("ridge-high", box: "ridge-01", severity: "high")
        try await rig.alert("ford-medium", box: "ford-02", severity: "medium")
        try await rig.alert("ford-high", box: "ford-02", severity: "high")
        _ = try await rig.store.storeSectorAlert(
            SectorAlertRecord(
                id: "offline-1", source: .sector, box: "ridge-01", format: "sector", rule: "box.offline",
                severity: "high", zone: "north", firstTs: Self.noon, lastTs: Self.noon, receivedTs: Self.noon,
                body: "{}"))
        await rig.round()
        let ford = try await rig.store.texts(phone: "+18025550102")
        #expect(ford.map(\.alertIDs) == [["ford-high"]])
        let ann = try await rig.store.texts(phone: Self.ann.phone)
        #expect(Set(ann.flatMap(\.alertIDs)) == ["ridge-high", "ford-medium", "ford-high"])
        #expect(!ann.flatMap(\.alertIDs).contains("offline-1"))
        #expect(rig.gateway.requests.count == ford.count + ann.count)
    }

    /// Quiet hours (in the sector's `timezone`) hold all but `critical`;
    /// what was held goes out when they end.
    @Test func quietHoursHoldAllButCritical() async throws {
        // 23:00 in New York (EDT, UTC-4) is 03:00 UTC the next day.
        let night: Int64 = 1_780_714_800 * 1_000_000_000
        let rig = try await Rig(at: night, timeZone: "America/New_York")
        defer { rig.remove() }
        var ann = Self.ann
        ann.quietHours = Subscriber.QuietHours(startMinute: 22 * 60, endMinute: 6 * 60)
        _ = try await rig.store.addSubscriber(ann, at: 0)
        try await rig.alert("quiet-medium")
        await rig.round()
        #expect(rig.gateway.requests.isEmpty)
        #expect(try await rig.store.heldAlerts(phone: ann.phone).map(\.id) == ["quiet-medium"])
        try await rig.alert("quiet-critical", severity: "critical")
        await rig.round()
        try #require(rig.gateway.requests.count == 1)
        let urgent = try #require(rig.forms[0]["Body"])
        #expect(urgent.contains("URGENT"), "\(urgent)")
        #expect(urgent.contains("EDT"), "\(urgent)")
        // 06:00 EDT: the held one goes out.
        rig.clock.advance(by: 7 * 3600 * second)
        await rig.round()
        try #require(rig.gateway.requests.count == 2)
        #expect(rig.forms[1]["Body"]?.contains("north") == true)
        #expect(try await rig.store.heldAlerts(phone: ann.phone).isEmpty)
    }

    /// An opted-out phone gets nothing, also nothing of what came during
    /// the opt-out once it opts in again; then the next alert is texted.
    @Test func anOptedOutPhoneGetsNothingUntilItOptsIn() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        _ = try await rig.store.setOptedOut(phone: Self.ann.phone, true, keyword: "STOP", at: Self.noon)
        try await rig.alert("during-stop")
        await rig.round()
        #expect(rig.gateway.requests.isEmpty)
        #expect(try await rig.store.heldAlerts(phone: Self.ann.phone).isEmpty)
        _ = try await rig.store.setOptedOut(phone: Self.ann.phone, false, keyword: "START", at: Self.noon + second)
        await rig.round()
        #expect(rig.gateway.requests.isEmpty)
        try await rig.alert("after-start")
        await rig.round()
        try #require(rig.gateway.requests.count == 1)
        #expect(try await rig.store.texts(phone: Self.ann.phone).map(\.alertIDs) == [["after-start"]])
    }

    /// What came during an opt-out is not held at all, so a START before
    /// the next plan does not bring it back.
    @Test func anAlertDuringAnOptOutIsNotHeld() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        _ = try await rig.store.setOptedOut(phone: Self.ann.phone, true, keyword: "STOP", at: Self.noon)
        try await rig.alert("during-stop")
        try await rig.hotline.hold()
        #expect(try await rig.store.heldAlerts(phone: Self.ann.phone).isEmpty)
        _ = try await rig.store.setOptedOut(phone: Self.ann.phone, false, keyword: "START", at: Self.noon + second)
        await rig.round()
        #expect(rig.gateway.requests.isEmpty)
    }

    /// A text queued before the phone opted out is dropped at send time.
    @Test func aTextQueuedBeforeAnOptOutIsDropped() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        try await rig.alert("a1")
        try await rig.hotline.hold()
        try await rig.hotline.plan()
        #expect(try await rig.store.texts(phone: Self.ann.phone).map(\.state) == [.pending])
        _ = try await rig.store.setOptedOut(phone: Self.ann.phone, true, keyword: "STOP", at: Self.noon)
        await rig.round()
        #expect(rig.gateway.requests.isEmpty)
        let text = try #require(try await rig.store.texts(phone: Self.ann.phone).first)
        #expect(text.state == .dropped)
        #expect(text.lastError == "the phone opted out")
        #expect(rig.metrics.text().contains("picket_sector_texts_total{result=\"dropped\"} 1"))
    }

    /// 503 with `Retry-After`, then 200: sent once, after the retry.
    @Test func aGatewayOutageIsRetried() async throws {
        let rig = try await Rig { _, n in
            n == 0
                ? TestReceiver.Reply(status: 503, headers: [("Retry-After", "30")], body: "busy")
                : TestReceiver.Reply(status: 201, body: "{}")
        }
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        try await rig.alert("a1")
        await rig.round()
        #expect(rig.gateway.requests.count == 1)
        var text = try #require(try await rig.store.texts(phone: Self.ann.phone).first)
        #expect(text.state == .pending)
        #expect(text.attempts == 1)
        #expect(text.nextAttemptTs == Self.noon + 30 * second)
        #expect(text.lastStatus == 503)
        // Not before Retry-After.
        rig.clock.advance(by: 29 * second)
        await rig.round()
        #expect(rig.gateway.requests.count == 1)
        rig.clock.advance(by: second)
        await rig.round()
        await rig.round()
        #expect(rig.gateway.requests.count == 2)
        #expect(rig.gateway.uniqueKeys.count == 1)
        text = try #require(try await rig.store.texts(phone: Self.ann.phone).first)
        #expect(text.state == .sent)
        #expect(text.attempts == 2)
        #expect(rig.metrics.text().contains("picket_sector_texts_total{result=\"failed\"} 1"))
    }

    /// A 400 is for good: a dead letter with the gateway's answer, never retried.
    @Test func aRefusalIsADeadLetter() async throws {
        let rig = try await Rig { _, _ in TestReceiver.Reply(status: 400, body: "{\"message\":\"invalid To\"}") }
        defer { rig.remove() }
        _ = try await rig.store.addSubscriber(Self.ann, at: 0)
        try await rig.alert("a1")
        await rig.round()
        rig.clock.advance(by: 3600 * second)
        await rig.round()
        #expect(rig.gateway.requests.count == 1)
        let text = try #require(try await rig.store.texts(phone: Self.ann.phone).first)
        #expect(text.state == .dead)
        #expect(text.lastStatus == 400)
        #expect(text.lastError?.contains("invalid To") == true)
        #expect(try await rig.store.latestTextedAlert(phone: Self.ann.phone, since: 0) == nil)
        #expect(rig.metrics.text().contains("picket_sector_texts_total{result=\"dead\"} 1"))
    }

    /// Past the hourly cap the rest go out later as one digest.
    @Test func pastTheCapTheRestGoAsOneDigest() async throws {
        let rig = try await Rig()
        defer { rig.remove() }
        var ann = Self.ann
        ann.maxPerHour = 1
        _ = try await rig.store.addSubscriber(ann, at: 0)
        try await rig.alert("a1")
        await rig.round()
        for (index, id) in ["a2", "a3"].enumerated() {
            rig.clock.advance(by: Int64(index + 1) * 60 * second)
            try await rig.alert(id)
            await rig.round()
        }
        #expect(rig.gateway.requests.count == 1)
        rig.clock.advance(by: 3600 * second)
        await rig.round()
        try #require(rig.gateway.requests.count == 2)
        let texts = try await rig.store.texts(phone: ann.phone)
        #expect(texts.map(\.alertIDs) == [["a1"], ["a2", "a3"]])
        let digest = try #require(rig.forms[1]["Body"])
        #expect(digest.contains("2 alerts"), "\(digest)")
        #expect(digest.count <= 160)
    }
}
