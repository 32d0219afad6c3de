import Foundation
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

/// Inbound texts, reports and their hand-off to boxes, as every `SectorStore` keeps them (PRODUCT.md 7a, 6).
@Suite struct InboxStoreContractTests {
    static func text(_ sid: String, kind: InboundText.Kind = .report, at ts: Int64 = t0) -> InboundText {
        InboundText(
            messageSid: sid, from: "+18025550101", to: "+18025550199", body: "2 people at north-fork", receivedTs: ts,
            kind: kind, subscriber: kind == .unknown ? nil : "Ann Ferris", reply: "Thank you.")
    }

    static func report(_ id: String, zone: String = "north-fork", box: String? = nil, at ts: Int64 = t0)
        -> SectorReport
    {
        SectorReport(
            id: id, zone: zone, box: box, detectionClass: "FOOT", note: "2 people at \(zone)", ts: ts,
            from: "+18025550101", subscriber: "Ann Ferris", messageSid: "SM-\(id)")
    }

    /// A `MessageSid` is recorded once, and its report with it; a second
    /// record of the same sid changes nothing, report included.
    @Test(arguments: StoreFactory.allCases)
    func aTextIsRecordedOnceWithItsReport(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-inbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        #expect(try await store.inboundText(messageSid: "SM1") == nil)
        #expect(try await store.recordInbound(Self.text("SM1"), report: Self.report("r1")) == .stored)
        var again = Self.text("SM1")
        again.reply = "other"
        #expect(try await store.recordInbound(again, report: Self.report("r1b")) == .duplicate)
        #expect(try await store.inboundText(messageSid: "SM1") == Self.text("SM1"))
        #expect(try await store.reports(since: nil, limit: 10).map(\.id) == ["r1"])
        #expect(
            try await store.recordInbound(Self.text("SM2", kind: .unknown, at: t0 + second), report: nil) == .stored)
        #expect(try await store.inboundTexts(limit: 10).map(\.messageSid) == ["SM2", "SM1"])
        #expect(try await store.inboundTexts(limit: 10).first?.subscriber == nil)
        let other = try await factory.reopen(in: dir)
        #expect(try await other.inboundText(messageSid: "SM2")?.kind == .unknown)
    }

    /// A box is offered the reports of its zones (one naming a box only to
    /// that box) within the window, until it lists them as taken.
    @Test(arguments: StoreFactory.allCases)
    func reportsGoToTheBoxesOfTheirZoneUntilTaken(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-inbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        let reports = [
            Self.report("old", at: t0 - 10 * second), Self.report("r1", at: t0), Self.report("ford", zone: "ford"),
            Self.report("mine", box: "ridge-01", at: t0 + second), Self.report("theirs", box: "ford-02"),
        ]
        for (index, report) in reports.enumerated() {
            _ = try await store.recordInbound(Self.text("SM\(index)"), report: report)
        }
        let zones = ["north-fork", "gate"]
        let first = try await store.takeReports(
            box: "ridge-01", taken: [], zones: zones, since: t0 - second, limit: 10, at: t0)
        #expect(first.map(\.id) == ["r1", "mine"])
        #expect(first.first == Self.report("r1"))
        // Another box sees its own, and the shared one.
        #expect(
            try await store.takeReports(box: "ford-02", taken: [], zones: zones, since: t0 - second, limit: 10, at: t0)
                .map(\.id) == ["r1", "theirs"])
        let next = try await store.takeReports(
            box: "ridge-01", taken: ["r1", "unknown-id"], zones: zones, since: t0 - second, limit: 10, at: t0)
        #expect(next.map(\.id) == ["mine"])
        #expect(
            try await store.takeReports(box: "ridge-01", taken: ["mine"], zones: [], since: 0, limit: 10, at: t0)
                .isEmpty)
        #expect(
            try await store.takeReports(box: "ridge-01", taken: [], zones: zones, since: t0 - second, limit: 10, at: t0)
                .isEmpty)
        let listed = try await store.reports(since: t0, limit: 10)
        #expect(listed.first { $0.id == "r1" }?.takenBy == ["ridge-01"])
        #expect(listed.first { $0.id == "mine" }?.takenBy == ["ridge-01"])
        #expect(listed.first { $0.id == "ford" }?.takenBy == [])
        #expect(!listed.contains { $0.id == "old" })
    }

    @Test(arguments: StoreFactory.allCases)
    func optedOutPhonesAreListed(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-inbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        _ = try await store.setOptedOut(phone: "+18025550101", true, keyword: "STOP", at: t0)
        _ = try await store.setOptedOut(phone: "+18025550102", true, keyword: "QUIT", at: t0 + second)
        _ = try await store.setOptedOut(phone: "+18025550101", false, keyword: "START", at: t0 + 2 * second)
        #expect(
            try await store.optedOutPhones()
                == [PhoneOptOut(phone: "+18025550102", keyword: "QUIT", changedTs: t0 + second)])
    }
}
