import AsyncHTTPClient
import Foundation
import NIOCore
import PicketCore
import PicketSector
import PicketStore
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 13's acceptance, inbound half, with real processes: a `picket
/// sector` with a hotline and a `picket run --simulate` box posting statuses
/// to it every second; texts signed as the SMS gateway signs them.
@Suite struct HotlineProcessTests {
    static let token = "gateway-token-\(UUID().uuidString)"
    static let publicURL = "https://sector.example"
    static let ann = Subscriber(name: "Ann Ferris", phone: "+18025550101", zones: ["north-fork"])

    /// A box with one zone, a seismic sensor and a rule that fires when a
    /// report is followed by a seis-7 episode.
    static func boxYAML(base: String, key: String) -> String {
        """
        box: hot-01
        sector: hot
        site: {lat: 44.99, lon: -73.11}
        gpio:
          - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: north-fork, debounce_ms: 30, holdoff_ms: 5000}
        serial:
          - {port: /dev/ttyUSB0, baud: 9600}
        sensors:
          - {id: seis-7, kind: seismic, zone: north-fork, holdoff_ms: 10000}
        rules:
          - {name: reported-then-seismic, sequence: [report, seis-7], within_s: 600, severity: high}
        forward:
          url: \(base)/v1/alerts
          secret_file: \(key)
          status_interval_s: 1

        """
    }

    struct Sector {
        var base: String

        func text(_ body: String, sid: String, from: String = HotlineProcessTests.ann.phone, sign: String? = nil)
            async throws -> (status: Int, body: String)
        {
            let fields = [("MessageSid", sid), ("From", from), ("To", "+18025550199"), ("Body", body)]
            var request = HTTPClientRequest(url: base + "/v1/sms/inbound")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let signature = HotlineWebhook.signature(
                token: Array((sign ?? HotlineProcessTests.token).utf8),
                url: HotlineProcessTests.publicURL + "/v1/sms/inbound", fields: fields)
            request.headers.add(name: "X-Twilio-Signature", value: signature)
            request.body = .bytes(ByteBuffer(string: formBody(fields)))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }

        func get(_ path: String, _ key: String) async throws -> [[String: Any]] {
            var request = HTTPClientRequest(url: base + path)
            request.headers.add(name: "Authorization", value: "Basic " + Data("alice:pw".utf8).base64EncodedString())
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
            #expect(response.status.code == 200, "\(body)")
            return try #require(try jsonObject(body)[key] as? [[String: Any]])
        }
    }

    @Test func aSignedTextBecomesAReportThatReachesTheBoxOnceAndFiresItsRule() async throws {
        let dir = try temporaryDirectory("sector-hotline-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("hot-01.key").path
        try "secret-of-hot-01-\(UUID().uuidString)\n".write(toFile: key, atomically: true, encoding: .utf8)
        chmod(key, 0o600)
        let tokenFile = dir.appendingPathComponent("hotline.token").path
        try (Self.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        let database = dir.appendingPathComponent("sector.db").path
        let sectorConfig = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: hot
        listen: 127.0.0.1:0
        database: {path: \(database)}
        operators_file: \(dir.appendingPathComponent("operators").path)
        public_url: \(Self.publicURL)/
        boxes:
          - {box: hot-01, secret_file: \(key)}
        hotline:
          url: https://sms.example/Messages
          from: "+18025550199"
          auth_token_file: \(tokenFile)
          contact: "+18025550111"
        """.write(toFile: sectorConfig, atomically: true, encoding: .utf8)
        #expect(try await SectorProcessTests.addOperator("alice", password: "pw", config: sectorConfig).status == 0)
        let (process, base) = try await SectorProcessTests.startSector(
            config: sectorConfig, log: dir.appendingPathComponent("sector.log"))
        let sector = Sector(base: base)
        // The subscriber, as `picket sector subscribers add` would store it.
        let store = try SQLiteSectorStore(path: database)
        try await store.migrate()
        #expect(try await store.addSubscriber(Self.ann, at: SystemClock().wallNs()) == .stored)

        let boxDB = dir.appendingPathComponent("hot-01.db").path
        let boxConfig = dir.appendingPathComponent("hot-01.yaml").path
        try Self.boxYAML(base: sector.base, key: key).write(toFile: boxConfig, atomically: true, encoding: .utf8)
        let box = try ChildProcess(
            SectorProcessTests.binary, ["run", "--simulate", "--config", boxConfig, "--db", boxDB],
            log: dir.appendingPathComponent("hot-01.log"))
        try await eventuallyAsync("a status from hot-01") {
            try await store.boxes().first { $0.box == "hot-01" }?.lastStatus != nil
        }

        // Signed with another token: 403, nothing stored.
        let forged = try await sector.text("2 people walking at north-fork", sid: "SMforged", sign: "not-the-token")
        #expect(forged.status == 403, "\(forged.body)")
        #expect(try await store.inboundTexts(limit: 10).isEmpty)
        #expect(try await sector.get("/v1/reports", "reports").isEmpty)

        let sent = try await sector.text("2 people walking at north-fork", sid: "SM0001")
        #expect(sent.status == 200, "\(sent.body)")
        #expect(sent.body.contains("<Response><Message>Thank you"), "\(sent.body)")
        let reportID = "sms-SM0001"
        func boxReports() throws -> [Event] {
            try Store(path: boxDB, create: false, readOnly: true).events(sensor: "report")
        }
        try await eventually("the report stored on the box", timeout: .seconds(60)) { try !boxReports().isEmpty }
        try await eventuallyAsync("the box listed the report as taken", timeout: .seconds(60)) {
            try await store.reports(since: nil, limit: 10).first?.takenBy == ["hot-01"]
        }
        // Two more statuses: the report is not stored again.
        let statusTs = try await store.boxes().first { $0.box == "hot-01" }?.lastStatusTs ?? 0
        try await eventuallyAsync("two more statuses", timeout: .seconds(60)) {
            try await (store.boxes().first { $0.box == "hot-01" }?.lastStatusTs ?? 0) > statusTs + 1_500_000_000
        }
        let events = try boxReports()
        #expect(events.count == 1)
        #expect(events.first?.detectionClass == "FOOT")
        #expect(events.first?.zone == "north-fork")
        #expect(events.first?.note == "2 people walking at north-fork")
        #expect(try await store.reports(since: nil, limit: 10).map(\.id) == [reportID])

        // The rule [report, seis-7] fires on the box and its alert reaches the sector.
        var alertID = ""
        try await eventuallyAsync("the alert of reported-then-seismic at the sector", timeout: .seconds(120)) {
            alertID =
                try await sector.get("/v1/alerts", "alerts").first {
                    $0["rule"] as? String == "reported-then-seismic"
                }?[
                    "id"] as? String ?? ""
            return !alertID.isEmpty
        }

        // STOP, START, HELP, ACK.
        let stop = try await sector.text("STOP", sid: "SM0002")
        #expect(stop.body.contains("no more Picket texts"), "\(stop.body)")
        #expect(try await store.isOptedOut(phone: Self.ann.phone))
        _ = try await sector.text("start", sid: "SM0003")
        #expect(try await !store.isOptedOut(phone: Self.ann.phone))
        let help = try await sector.text("HELP", sid: "SM0004")
        #expect(help.body.contains("+18025550111"), "\(help.body)")
        try await store.noteTexted(phone: Self.ann.phone, alertIDs: [alertID], at: SystemClock().wallNs())
        let ack = try await sector.text("ACK", sid: "SM0005")
        #expect(ack.body.contains("Acknowledged"), "\(ack.body)")
        let acknowledged = try await sector.get("/v1/alerts", "alerts").first { $0["id"] as? String == alertID }
        #expect(acknowledged?["acknowledged_by"] as? String == "sms:+18025550101 (Ann Ferris)")

        #expect(try await box.stop() == 0, "\(box.stderr)")
        #expect(try await process.stop() == 0, "\(process.stderr)")
    }
}
