import Foundation
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

/// The subscribers and opt-outs every `SectorStore` keeps (PRODUCT.md 7a).
@Suite struct SubscriberStoreContractTests {
    static let ann = Subscriber(
        name: "Ann Ferris", phone: "+18025550101", zones: ["north-fork", "ridge-01:gate"], minSeverity: .medium,
        quietHours: Subscriber.QuietHours(startMinute: 22 * 60, endMinute: 6 * 60 + 30), maxPerHour: 4)
    static let bo = Subscriber(name: "Bo", phone: "+18025550102", zones: ["ford"])

    @Test(arguments: StoreFactory.allCases)
    func subscribersAreKeptByPhone(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-subscribers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        #expect(try await store.addSubscriber(Self.bo, at: t0) == .stored)
        #expect(try await store.addSubscriber(Self.ann, at: t0 + second) == .stored)
        var again = Self.ann
        again.name = "Someone else"
        #expect(try await store.addSubscriber(again, at: t0 + 2 * second) == .duplicate)
        let all = try await store.subscribers()
        #expect(all.map(\.subscriber) == [Self.ann, Self.bo])
        #expect(all.map(\.createdTs) == [t0 + second, t0])
        #expect(all.allSatisfy { !$0.optedOut })
        #expect(try await store.subscriber(phone: Self.bo.phone)?.subscriber == Self.bo)
        #expect(try await store.subscriber(phone: "+10000000000") == nil)
        #expect(try await store.removeSubscriber(phone: Self.bo.phone))
        #expect(try await !store.removeSubscriber(phone: Self.bo.phone))
        #expect(try await store.subscribers().map(\.subscriber.phone) == [Self.ann.phone])
    }

    /// STOP holds by phone, across a removal and a new `add`, until START;
    /// a phone that is no subscriber can opt out too.
    @Test(arguments: StoreFactory.allCases)
    func optOutsHoldByPhoneUntilStart(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-subscribers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        _ = try await store.addSubscriber(Self.ann, at: t0)
        #expect(try await !store.setOptedOut(phone: Self.ann.phone, false, keyword: "START", at: t0))
        #expect(try await store.setOptedOut(phone: Self.ann.phone, true, keyword: "STOP", at: t0 + second))
        #expect(try await !store.setOptedOut(phone: Self.ann.phone, true, keyword: "QUIT", at: t0 + 2 * second))
        #expect(try await store.isOptedOut(phone: Self.ann.phone))
        #expect(try await store.subscriber(phone: Self.ann.phone)?.optedOut == true)
        _ = try await store.removeSubscriber(phone: Self.ann.phone)
        _ = try await store.addSubscriber(Self.ann, at: t0 + 3 * second)
        #expect(try await store.subscribers().first?.optedOut == true)
        #expect(try await store.setOptedOut(phone: Self.ann.phone, false, keyword: "START", at: t0 + 4 * second))
        #expect(try await !store.isOptedOut(phone: Self.ann.phone))
        #expect(try await store.setOptedOut(phone: "+447700900123", true, keyword: "STOP", at: t0))
        #expect(try await store.isOptedOut(phone: "+447700900123"))
        // A second handle (another process) sees the same.
        let other = try await factory.reopen(in: dir)
        #expect(try await other.isOptedOut(phone: "+447700900123"))
        #expect(try await !other.isOptedOut(phone: Self.ann.phone))
    }
}

/// What was texted to whom, for `ACK` (PRODUCT.md 7a).
@Suite struct TextedAlertsContractTests {
    @Test(arguments: StoreFactory.allCases)
    func theLatestTextedAlertIsFoundWithinItsWindow(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-texted")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        let phone = "+18025550101"
        #expect(try await store.latestTextedAlert(phone: phone, since: 0) == nil)
        try await store.noteTexted(phone: phone, alertIDs: ["a1"], at: t0)
        // A digest: its last alert is the latest.
        try await store.noteTexted(phone: phone, alertIDs: ["d1", "d2", "d3"], at: t0 + 60 * second)
        try await store.noteTexted(phone: "+18025550102", alertIDs: ["other"], at: t0 + 90 * second)
        #expect(try await store.latestTextedAlert(phone: phone, since: t0) == "d3")
        #expect(try await store.latestTextedAlert(phone: phone, since: t0 + 61 * second) == nil)
        // Texted again later: the later time counts.
        try await store.noteTexted(phone: phone, alertIDs: ["a1"], at: t0 + 120 * second)
        #expect(try await store.latestTextedAlert(phone: phone, since: t0) == "a1")
        #expect(try await store.latestTextedAlert(phone: "+18025550102", since: t0) == "other")
    }
}
