import Foundation
import PicketConfig
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketSector

/// `POST /v1/sms/inbound` (PRODUCT.md 7a): the gateway's signature, the
/// keywords, reports from subscribers, and their hand-off in a box's status answer.
@Suite struct HotlineInboundTests {
    static let ann = Subscriber(name: "Ann Ferris", phone: "+18025550101", zones: ["river-ford", "north-fork"])
    static let bo = Subscriber(name: "Bo", phone: "+18025550102", zones: ["ridge-01:gate"])

    /// The worked example of Twilio's request validation, "Validating Requests are coming from Twilio",
    /// https://www.twilio.com/docs/usage/security#validating-requests (auth token 12345, this URL and
    /// these parameters, signature 0/KCTR6DLpKmkAf8muzZqo1nDgQ=).
    @Test func thePublishedExampleSignatureMatches() {
        let fields = [
            ("To", "+18005551212"), ("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+12349013030"),
            ("Caller", "+12349013030"),
        ]
        #expect(
            HotlineWebhook.signature(
                token: Array("12345".utf8), url: "https://mycompany.com/myapp.php?foo=1&bar=2", fields: fields)
                == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        // Its URL is ours with the query: the same check that guards the webhook accepts it.
        let webhook = HotlineWebhook(authToken: Array("12345".utf8), publicURL: "https://mycompany.com", sector: "s")
        let signature = HotlineWebhook.signature(
            token: Array("12345".utf8), url: "https://mycompany.com/v1/sms/inbound?foo=1&bar=2", fields: fields)
        #expect(webhook.verify(query: "foo=1&bar=2", fields: fields, header: signature))
        #expect(!webhook.verify(query: nil, fields: fields, header: signature))
        #expect(!webhook.verify(query: "foo=1&bar=2", fields: fields + [("Body", "x")], header: signature))
        #expect(!webhook.verify(query: "foo=1&bar=2", fields: fields, header: "0/KCTR6DLpKmkAf8muzZqo1nDgQ="))
        #expect(!webhook.verify(query: "foo=1&bar=2", fields: fields, header: nil))
        #expect(!webhook.verify(query: "foo=1&bar=2", fields: fields, header: "not base64!"))
    }

    @Test func publicURLJoinsThePathWithOneSlash() {
        #expect(HotlineWebhook.webhookURL(publicURL: "https://s.example") == "https://s.example/v1/sms/inbound")
        #expect(HotlineWebhook.webhookURL(publicURL: "https://s.example/") == "https://s.example/v1/sms/inbound")
        #expect(
            HotlineWebhook.webhookURL(publicURL: "https://s.example/picket/")
                == "https://s.example/picket/v1/sms/inbound")
    }

    @Test func theFirstWordDecidesInAnyCase() {
        #expect(HotlineInbox.firstWord("  stop.") == "STOP")
        #expect(HotlineInbox.firstWord("Ok thanks") == "OK")
        #expect(HotlineInbox.firstWord("2 people walking") == "")
        #expect(Sighting.detectionClass(ofText: "2 people walking at north-fork") == .foot)
        #expect(Sighting.detectionClass(ofText: "a TRUCK by the gate") == .vehicle)
        #expect(Sighting.detectionClass(ofText: "deer again") == .animal)
        #expect(Sighting.detectionClass(ofText: "lights in the woods") == .unknown)
    }

    static func harness() async throws -> SectorHarness {
        let sector = try await SectorHarness(operators: [("op", "pw")], hotline: true)
        _ = try await sector.store.addSubscriber(Self.ann, at: t0)
        _ = try await sector.store.addSubscriber(Self.bo, at: t0)
        return sector
    }

    /// A wrong, missing or other-URL signature: 403, nothing recorded, no opt-out.
    @Test func aBadSignatureIs403AndChangesNothing() async throws {
        let sector = try await Self.harness()
        defer { Task { await sector.stop() } }
        let fields = [("MessageSid", "SM1"), ("From", Self.ann.phone), ("To", "+18025550199"), ("Body", "STOP")]
        let wrong = HotlineWebhook.signature(
            token: Array("other-token".utf8), url: "https://sector.example/v1/sms/inbound", fields: fields)
        let otherURL = HotlineWebhook.signature(
            token: SectorHarness.hotlineToken, url: "https://elsewhere.example/v1/sms/inbound", fields: fields)
        for signature: String? in [wrong, otherURL, nil, ""] {
            let answer = try await sector.text(fields, signature: .some(signature))
            #expect(answer.status == 403, "\(answer.body)")
            #expect(answer.body.contains("X-Twilio-Signature"))
        }
        // Signed for another body than the one sent.
        var tampered = fields
        tampered[3].1 = "START"
        let forged = HotlineWebhook.signature(
            token: SectorHarness.hotlineToken, url: "https://sector.example/v1/sms/inbound", fields: tampered)
        #expect(try await sector.text(fields, signature: .some(forged)).status == 403)
        #expect(try await sector.store.inboundTexts(limit: 10).isEmpty)
        #expect(try await !sector.store.isOptedOut(phone: Self.ann.phone))
        // Signed right, with a query in the URL the gateway posts to: taken.
        let good = try await sector.text(fields, query: "source=gw")
        #expect(good.status == 200, "\(good.body)")
        #expect(try await sector.store.isOptedOut(phone: Self.ann.phone))
    }

    @Test func withoutAHotlineTheWebhookIs404() async throws {
        let sector = try await SectorHarness()
        defer { Task { await sector.stop() } }
        let answer = try await sector.text("STOP", sid: "SM1")
        #expect(answer.status == 404)
        #expect(answer.body.contains("no hotline"), "\(answer.body)")
    }

    /// STOP opts out with one confirmation, START back in, HELP names the
    /// contact; replies are TwiML; a MessageSid seen before gets the same reply and changes nothing.
    @Test func keywordsOptOutInAndHelp() async throws {
        let sector = try await Self.harness()
        defer { Task { await sector.stop() } }
        let stop = try await sector.text("Stop please", sid: "SM1")
        #expect(stop.status == 200)
        #expect(stop.header("Content-Type")?.hasPrefix("text/xml") == true)
        #expect(stop.body.contains("<Response><Message>You will get no more Picket texts"), "\(stop.body)")
        #expect(try await sector.store.isOptedOut(phone: Self.ann.phone))
        _ = try await sector.text("START", sid: "SM2")
        #expect(try await !sector.store.isOptedOut(phone: Self.ann.phone))
        // SM1 again (the gateway retried): the same reply, and no new opt-out.
        let again = try await sector.text("Stop please", sid: "SM1")
        #expect(again.body == stop.body)
        #expect(try await !sector.store.isOptedOut(phone: Self.ann.phone))
        let help = try await sector.text("help", sid: "SM3")
        #expect(help.body.contains("sector test"), "\(help.body)")
        #expect(help.body.contains(SectorHarness.contact), "\(help.body)")
        // An unknown phone can opt out too, and its texts are kept.
        _ = try await sector.text("QUIT", from: "+447700900123", sid: "SM4")
        #expect(try await sector.store.isOptedOut(phone: "+447700900123"))
        #expect(try await sector.server.page.view().contains("\"opted_out\":[{\"phone\":\"+447700900123\""))
        let kinds = try await sector.store.inboundTexts(limit: 10).map(\.kind)
        #expect(kinds == [.stop, .help, .start, .stop])
        for answer in [stop, help] {
            let message = try #require(
                answer.body.components(separatedBy: "<Message>").last?.components(separatedBy: "</Message>").first)
            #expect(message.count <= 160)
            #expect(message.unicodeScalars.allSatisfy { $0.isASCII })
        }
    }

    /// An opted-out phone gets nothing, replies included: a second STOP is
    /// not confirmed again, a sighting is kept (and is a report) without an
    /// answer; HELP and START are still answered.
    @Test func anOptedOutPhoneGetsNoRepliesButToHelpAndStart() async throws {
        let sector = try await Self.harness()
        defer { Task { await sector.stop() } }
        let stop = try await sector.text("STOP", sid: "SM1")
        #expect(stop.body.contains("<Message>"), "\(stop.body)")
        let again = try await sector.text("stop", sid: "SM2")
        #expect(again.status == 200)
        #expect(again.body.hasSuffix("<Response/>"), "\(again.body)")
        let sighting = try await sector.text("a truck at north-fork", sid: "SM3")
        #expect(sighting.body.hasSuffix("<Response/>"), "\(sighting.body)")
        #expect(try await sector.store.reports(since: nil, limit: 10).map(\.id) == ["sms-SM3"])
        let help = try await sector.text("HELP", sid: "SM4")
        #expect(help.body.contains(SectorHarness.contact), "\(help.body)")
        let start = try await sector.text("START", sid: "SM5")
        #expect(start.body.contains("resume"), "\(start.body)")
        let after = try await sector.text("a truck at north-fork", sid: "SM6")
        #expect(after.body.contains("Thank you"), "\(after.body)")
    }

    /// The gateway retrying one text at once: one report, the same reply to every try.
    @Test func oneMessageSidPostedAtOnceIsOneReport() async throws {
        let sector = try await Self.harness()
        defer { Task { await sector.stop() } }
        let answers = try await withThrowingTaskGroup(of: SectorHarness.Answer.self) { group in
            for _ in 0..<6 { group.addTask { try await sector.text("deer at north-fork", sid: "SMsame") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 200 && $0.body == answers[0].body }, "\(answers.map(\.body))")
        #expect(try await sector.store.reports(since: nil, limit: 10).map(\.detectionClass) == ["ANIM"])
        #expect(try await sector.store.inboundTexts(limit: 10).count == 1)
    }

    /// ACK acknowledges the latest alert texted to the phone in the last 24
    /// hours, by the phone and its subscriber; none texted: says so.
    @Test func ackAcknowledgesTheLatestTextedAlert() async throws {
        let sector = try await Self.harness()
        defer { Task { await sector.stop() } }
        let none = try await sector.text("ACK", sid: "SM0")
        #expect(none.body.contains("nothing to acknowledge"), "\(none.body)")
        _ = try await sector.post("/v1/alerts", box: "ridge-01", body: alertJSON("a-old"), key: "a-old")
        _ = try await sector.post("/v1/alerts", box: "ridge-01", body: alertJSON("a1", zone: "north-fork"), key: "a1")
        try await sector.store.noteTexted(phone: Self.ann.phone, alertIDs: ["a-old"], at: t0 - 25 * 3600 * second)
        try await sector.store.noteTexted(phone: Self.ann.phone, alertIDs: ["a1"], at: t0 - second)
        let ack = try await sector.text("ok", sid: "SM1")
        #expect(ack.body.contains("Acknowledged"), "\(ack.body)")
        let alerts = try jsonObject(try await sector.get("/v1/alerts", user: "op", password: "pw").body)
        let list = try #require(alerts["alerts"] as? [[String: Any]])
        #expect(
            list.first { $0["id"] as? String == "a1" }?["acknowledged_by"] as? String == "sms:+18025550101 (Ann Ferris)"
        )
        #expect(list.first { $0["id"] as? String == "a-old" }?["acknowledged_by"] is NSNull)
        let twice = try await sector.text("ACK", sid: "SM2")
        #expect(twice.body.contains("Already acknowledged"), "\(twice.body)")
    }

    /// A subscriber's other text is a report for the zone it names (else its
    /// first), with the class from its words and the text as note; it goes to
    /// the boxes watching that zone in their status answers until they list
    /// it as taken. An unknown phone's text is kept and never handed out.
    @Test func reportsReachTheBoxesWatchingTheirZone() async throws {
        let sector = try await Self.harness()
        defer { Task { await sector.stop() } }
        let thanks = try await sector.text("2 people walking at North-Fork & gate", sid: "SM1")
        #expect(thanks.body.contains("north-fork"), "\(thanks.body)")
        #expect(thanks.body.contains("&amp;") || !thanks.body.contains("&"))
        _ = try await sector.text("truck at the gate", from: Self.bo.phone, sid: "SM2")
        _ = try await sector.text("a car by the road", from: "+447700900123", sid: "SM3")
        let reports = try await sector.store.reports(since: nil, limit: 10)
        #expect(reports.count == 2)
        let ann = try #require(reports.first { $0.from == Self.ann.phone })
        #expect(ann.zone == "north-fork" && ann.box == nil && ann.detectionClass == "FOOT")
        #expect(ann.note == "2 people walking at North-Fork & gate")
        let bo = try #require(reports.first { $0.from == Self.bo.phone })
        #expect(bo.zone == "gate" && bo.box == "ridge-01" && bo.detectionClass == "VEH")
        #expect(try await sector.store.inboundTexts(limit: 10).first?.kind == .unknown)

        func status(_ box: String, zones: [String], taken: [String]) async throws -> [[String: Any]] {
            let sensors = zones.enumerated().map { "{\"sensor\":\"s\($0.offset)\",\"zone\":\"\($0.element)\"}" }
            let takenList = taken.map { "\"\($0)\"" }.joined(separator: ",")
            let body =
                "{\"type\":\"status\",\"box\":\"\(box)\",\"reports_taken\":[\(takenList)],\"sensors\":["
                + sensors.joined(separator: ",") + "]}"
            let answer = try await sector.post("/v1/status", box: box, body: body)
            #expect(answer.status == 200, "\(answer.body)")
            return try #require(try jsonObject(answer.body)["reports"] as? [[String: Any]])
        }
        let ridge = try await status("ridge-01", zones: ["north-fork", "gate"], taken: [])
        #expect(ridge.compactMap { $0["zone"] as? String }.sorted() == ["gate", "north-fork"])
        let offered = try #require(ridge.first { $0["zone"] as? String == "north-fork" })
        #expect(offered["class"] as? String == "FOOT")
        #expect(offered["note"] as? String == ann.note)
        #expect(offered["id"] as? String == ann.id)
        #expect((offered["ts"] as? String).flatMap { UTCTime.parse($0) } == ann.ts)
        // ford-02 watches gate too, but Bo's report names ridge-01.
        #expect(try await status("ford-02", zones: ["gate"], taken: []).isEmpty)
        #expect(try await status("ford-02", zones: ["north-fork"], taken: []).count == 1)
        // Offered again until listed as taken; then no more.
        #expect(try await status("ridge-01", zones: ["north-fork", "gate"], taken: []).count == 2)
        #expect(try await status("ridge-01", zones: ["north-fork", "gate"], taken: [ann.id, bo.id]).isEmpty)
        // A day later, an untaken report is no longer offered.
        sector.clock.advance(by: 25 * 3600 * second)
        #expect(try await status("ford-02", zones: ["north-fork"], taken: []).isEmpty)
        // The fleet page's "Reports and texts" shows the reports, with their takers, and the unknown phone's text.
        let view = try await sector.server.page.view()
        #expect(view.contains("\"taken_by\":[\"ridge-01\"]"), "\(view)")
        #expect(view.contains("\"from\":\"+447700900123\",\"subscriber\":null,\"kind\":\"unknown\""), "\(view)")
        let listed = try jsonObject(try await sector.get("/v1/reports", user: "op", password: "pw").body)
        #expect((listed["reports"] as? [[String: Any]])?.count == 2)
        #expect(try await sector.get("/v1/reports").status == 401)
    }
}
