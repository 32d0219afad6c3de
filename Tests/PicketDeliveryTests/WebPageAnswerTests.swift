import Foundation
import Logging
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

@testable import PicketDelivery

/// A 2xx answer that is an HTML page (a captive portal, a proxy, the wrong
/// URL) is still delivered by its status, but the operator hears of it:
/// one warning naming the URL and the content type, not one per alert.
@Suite struct WebPageAnswerTests {
    static let warning = "sector answered with a web page, not JSON"

    /// Delivers `count` alerts to a receiver answering `reply`; returns the log.
    static func deliver(_ count: Int, answering reply: TestReceiver.Reply) async throws -> (CapturedLog, Int) {
        let f = try Fixture()
        let receiver = try TestReceiver { _, _ in reply }
        try f.seed((1...count).map { f.alert($0) })
        var settings = Fixture.fastSettings
        settings.repeatedErrorLogNs = 3_600_000_000_000
        let log = CapturedLog()
        let service = try DeliveryService(
            configuration: f.configuration(url: "http://127.0.0.1:\(receiver.port)/alerts?box=test-box"),
            databasePath: f.db, logger: log.logger, settings: settings, exercise: false,
            clock: SystemClock())
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await eventually("deliveries done") { try f.store().deliveries(states: [.delivered]).count == count }
        task.cancel()
        try await task.value
        return (log, receiver.port)
    }

    @Test func anHTMLAnswerIsWarnedAboutOnceWithItsURLAndType() async throws {
        let page = TestReceiver.Reply(
            headers: [("Content-Type", "text/html; charset=utf-8")],
            body: "<!DOCTYPE html><html><body>Sign in to the hotel Wi-Fi</body></html>")
        let (log, port) = try await Self.deliver(3, answering: page)
        let warnings = log.all.filter { $0.message.hasPrefix(Self.warning) }
        #expect(warnings.count == 1, "\(log.all.map(\.message))")
        let warning = try #require(warnings.first)
        #expect(warning.level == .warning)
        // The query (it may hold a token) is not logged.
        #expect(warning.metadata["url"]?.description == "http://127.0.0.1:\(port)/alerts")
        #expect(warning.metadata["content_type"]?.description == "text/html; charset=utf-8")
        #expect(warning.metadata["answer"]?.description.contains("Sign in to the hotel Wi-Fi") == true)
    }

    /// Without a Content-Type, the body's start gives the page away.
    @Test func anUntypedHTMLBodyIsAWebPageToo() {
        #expect(SectorAnswer.isWebPage("\n  <html><head>", contentType: nil))
        #expect(SectorAnswer.isWebPage("<!doctype HTML>", contentType: "application/octet-stream"))
        #expect(SectorAnswer.isWebPage("x", contentType: "Text/HTML"))
    }

    /// A plain `ok`, the sector's JSON, or a CAP sector's XML: no warning.
    @Test(arguments: [
        TestReceiver.Reply(body: "ok"),
        TestReceiver.Reply(headers: [("Content-Type", "application/json")], body: "{\"reports\": []}"),
        TestReceiver.Reply(headers: [("Content-Type", "application/xml")], body: "<?xml version=\"1.0\"?><ack/>"),
    ])
    func otherAnswersAreNotWarnedAbout(reply: TestReceiver.Reply) async throws {
        let (log, _) = try await Self.deliver(2, answering: reply)
        #expect(!log.all.contains { $0.message.hasPrefix(Self.warning) }, "\(log.all.map(\.message))")
    }
}

/// A status refused with a 4xx is not on the dead-letter list (the next
/// status supersedes it): its log line must not send the operator to
/// `picket alerts --dead` or `--retry`; an alert's still does.
@Suite struct RefusedStatusLogTests {
    @Test func aRefusedStatusDoesNotPointAtTheDeadLetterList() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { request, _ in
            TestReceiver.Reply(status: 400, body: request.uri == "/v1/status" ? "bad status" : "bad alert")
        }
        try f.seed([f.alert(1)])
        let log = CapturedLog()
        let service = try DeliveryService(
            configuration: StatusDeliveryTests.configuration(f, port: receiver.port, interval: 3600),
            databasePath: f.db, logger: log.logger, settings: Fixture.fastSettings, exercise: false,
            clock: SystemClock())
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await eventually("the alert and the status refused") {
            log.all.count { $0.level == .error && $0.metadata["status"]?.description == "400" } >= 2
        }
        task.cancel()
        try await task.value
        let refused = log.all.filter { $0.level == .error && $0.metadata["status"]?.description == "400" }
        let status = try #require(refused.first { $0.metadata["destination"]?.description == "status" })
        #expect(status.message.hasPrefix("status refused for good: dropped, the next status replaces it"))
        #expect(status.message.contains("forward.url (or forward.status_url)"), "\(status.message)")
        for word in ["dead", "--retry"] { #expect(!status.message.contains(word), "\(status.message)") }
        let alert = try #require(refused.first { $0.metadata["destination"]?.description == "sector" })
        #expect(alert.message.contains("picket alerts --dead"), "\(alert.message)")
    }
}
