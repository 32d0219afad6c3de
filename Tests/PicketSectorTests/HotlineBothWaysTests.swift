import AsyncHTTPClient
import Foundation
import NIOCore
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 13's acceptance for the two halves together, with a real `picket
/// sector` process: texts go out through a local SMS gateway (a real HTTP
/// server) and come back through the signed webhook. STOP, then a matching
/// alert: no text; START, then an alert: a text; HELP: the contact; ACK:
/// the latest alert texted to that phone is acknowledged, in `GET
/// /v1/alerts` and on the fleet page.
@Suite struct HotlineBothWaysTests {
    static let bo = Subscriber(name: "Bo", phone: "+18025550102", zones: ["south"])

    /// The texts the gateway received for `phone`, as form fields.
    static func texts(_ gateway: TestReceiver, to phone: String) -> [[String: String]] {
        gateway.requests.map { HotlineWebhook.formPairs($0.text) }.map { pairs in
            Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        }.filter { $0["To"] == phone }
    }

    @Test func stopStartHelpAndAckThroughTheGatewayAndTheWebhook() async throws {
        let dir = try temporaryDirectory("sector-hotline-both")
        defer { try? FileManager.default.removeItem(at: dir) }
        let gateway = try TestReceiver { _, _ in TestReceiver.Reply(status: 201, body: "{}") }
        func secretFile(_ name: String, _ content: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try (content + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
            return path
        }
        let key = try secretFile("ridge-01.key", SectorPostgresProcessTests.secret)
        let credentials = try secretFile("hotline.cred", "AC1:s3cret")
        let token = try secretFile("hotline.token", HotlineProcessTests.token)
        let database = dir.appendingPathComponent("sector.db").path
        let config = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: both
        listen: 127.0.0.1:0
        database: {path: \(database)}
        operators_file: \(dir.appendingPathComponent("operators").path)
        public_url: \(HotlineProcessTests.publicURL)
        boxes:
          - {box: ridge-01, secret_file: \(key)}
        hotline:
          url: http://127.0.0.1:\(gateway.port)/Messages
          from: "+18025550199"
          credentials_file: \(credentials)
          auth_token_file: \(token)
          contact: "+18025550111"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try await SectorProcessTests.addOperator("alice", password: "pw", config: config).status == 0)
        let store = try SQLiteSectorStore(path: database)
        try await store.migrate()
        let ann = HotlineProcessTests.ann
        _ = try await store.addSubscriber(Subscriber(name: ann.name, phone: ann.phone, zones: ["north"]), at: 0)
        _ = try await store.addSubscriber(Self.bo, at: 0)
        let (process, base) = try await SectorProcessTests.startSector(
            config: config, log: dir.appendingPathComponent("sector.log"))
        let sector = HotlineProcessTests.Sector(base: base)
        func post(_ id: String, zone: String) async throws {
            let answer = try await SectorPostgresProcessTests.post(
                base, "/v1/alerts", body: alertJSON(id, zone: zone), key: id)
            #expect(answer.status == 200, "\(answer.body)")
        }

        // A first alert: Ann's first text, introducing the sector, in the gateway's form.
        try await post("a1", zone: "north")
        try await eventually("Ann's first text") { Self.texts(gateway, to: ann.phone).count == 1 }
        let first = try #require(Self.texts(gateway, to: ann.phone).first)
        #expect(first["From"] == "+18025550199")
        let body = try #require(first["Body"])
        #expect(body.contains("Picket alerts from sector both; reply STOP to stop."), "\(body)")
        #expect(body.hasSuffix("Call +18025550111"), "\(body)")
        #expect(body.utf8.count <= 160 && body.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(body)")
        let authorization = gateway.requests.first?.header("Authorization")
        #expect(authorization == "Basic " + Data("AC1:s3cret".utf8).base64EncodedString())

        // STOP, then an alert for Ann's zone: no text. Bo's alert after it is the marker that the
        // sector has handled Ann's: alerts are held in the order they were stored.
        let stop = try await sector.text("Stop", sid: "SMb1")
        #expect(stop.status == 200 && stop.body.contains("<Response><Message>"), "\(stop.body)")
        try await post("a2", zone: "north")
        try await post("b1", zone: "south")
        try await eventually("Bo's text") { Self.texts(gateway, to: Self.bo.phone).count == 1 }
        try await eventuallyAsync("nothing left to send") {
            try await store.texts(phone: nil).allSatisfy { $0.state != .pending }
        }
        #expect(Self.texts(gateway, to: ann.phone).count == 1)
        #expect(try await store.texts(phone: ann.phone).count == 1)

        // START, then an alert: a text, for that alert only (not the one during the opt-out).
        let start = try await sector.text("START", sid: "SMb2")
        #expect(start.status == 200, "\(start.body)")
        try await post("a3", zone: "north")
        try await eventually("Ann's text after START") { Self.texts(gateway, to: ann.phone).count == 2 }
        let again = try #require(Self.texts(gateway, to: ann.phone).last?["Body"])
        #expect(!again.contains("reply STOP"), "not a first text: \(again)")
        #expect(try await store.texts(phone: ann.phone).allSatisfy { !$0.alertIDs.contains("a2") })

        // HELP: the sector and its contact.
        let help = try await sector.text("help", sid: "SMb3")
        #expect(help.body.contains("+18025550111"), "\(help.body)")

        // ACK: the latest alert texted to Ann (a3), noted by the sender when the gateway took it.
        let ack = try await sector.text("ACK", sid: "SMb4")
        #expect(ack.body.contains("Acknowledged"), "\(ack.body)")
        let alerts = try await sector.get("/v1/alerts", "alerts")
        let a3 = try #require(alerts.first { $0["id"] as? String == "a3" })
        #expect(a3["acknowledged_by"] as? String == "sms:+18025550101 (Ann Ferris)")
        #expect(alerts.first { $0["id"] as? String == "a1" }?["acknowledged_by"] is NSNull)
        // On the fleet page: its view lists a3 among the acknowledged, by the phone.
        let view = try await Self.fleetView(base: base)
        let acknowledged = try #require(view["acknowledged"] as? [[String: Any]])
        #expect(acknowledged.contains { "\($0)".contains("a3") && "\($0)".contains("sms:+18025550101") }, "\(view)")

        #expect(try await process.stop() == 0, "\(process.stderr)")
    }

    /// The fleet page's view as its first Server-Sent Event, with a session.
    static func fleetView(base: String) async throws -> [String: Any] {
        var login = HTTPClientRequest(url: base + "/login")
        login.method = .POST
        login.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        login.body = .bytes(ByteBuffer(string: "name=alice&password=pw"))
        let answer = try await FleetPageHTTPTests.withClient { client in
            try await client.execute(login, timeout: .seconds(30))
        }
        let cookie = try #require(answer.headers["Set-Cookie"].first?.split(separator: ";").first)
        var stream = HTTPClientRequest(url: base + "/v1/stream")
        stream.headers.add(name: "Cookie", value: String(cookie))
        let response = try await HTTPClient.shared.execute(stream, timeout: .seconds(30))
        var text = ""
        for try await chunk in response.body {
            text += String(buffer: chunk)
            while let end = text.range(of: "\n\n") {
                let event = text[..<end.lowerBound]
                text = String(text[end.upperBound...])
                // `retry:` and keep-alive comments carry no data.
                let data = event.split(separator: "\n").filter { $0.hasPrefix("data:") }
                    .map { $0.dropFirst(5).drop { $0 == " " } }.joined()
                if event.hasPrefix("event: state") { return try jsonObject(String(data)) }
            }
        }
        Issue.record("the stream ended before its first event")
        return [:]
    }
}
