import Foundation
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

/// The hotline's held alerts and outbox every `SectorStore` keeps (PRODUCT.md
/// 7a), as two processes on one database see them.
@Suite struct SectorOutboxContractTests {
    static let ann = Subscriber(name: "Ann", phone: "+18025550101", zones: ["north"])

    static func anyMatch(_ alert: SectorAlertRecord, _ subscriber: Subscriber) -> Bool {
        alert.zone.map(subscriber.zones.contains) ?? false
    }

    /// A stored box alert is queued with it (a duplicate is not, nor a
    /// sector alert), held once for each match, and taken by one handle.
    @Test(arguments: StoreFactory.allCases)
    func storedAlertsAreHeldOnce(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-outbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        let other = try await factory.reopen(in: dir)
        _ = try await store.addSubscriber(Self.ann, at: t0)
        _ = try await store.addSubscriber(Subscriber(name: "Out", phone: "+18025550102", zones: ["north"]), at: t0)
        _ = try await store.setOptedOut(phone: "+18025550102", true, keyword: "STOP", at: t0)
        #expect(try await store.storeAlert(incoming("a1")) == .stored)
        #expect(try await store.storeAlert(incoming("a1")) == .duplicate)
        #expect(try await store.storeAlert(incoming("a2", zone: "south")) == .stored)
        _ = try await store.storeSectorAlert(
            SectorAlertRecord(
                id: "offline", source: .sector, box: "ridge-01", format: "sector", rule: "box.offline", zone: "north",
                receivedTs: t0, body: "{}"))
        #expect(try await other.holdNewAlerts(limit: 100, at: t0, matches: Self.anyMatch) == 2)
        #expect(try await store.holdNewAlerts(limit: 100, at: t0, matches: Self.anyMatch) == 0)
        #expect(try await store.phonesWithHeldAlerts() == [Self.ann.phone])
        #expect(try await store.heldAlerts(phone: Self.ann.phone).map(\.id) == ["a1"])
    }

    /// A sector with no subscriber at all queues nothing for the hotline
    /// (it pays nothing for it); from the first subscriber on, alerts are
    /// queued.
    @Test(arguments: StoreFactory.allCases)
    func nothingIsQueuedWithoutSubscribers(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-outbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        #expect(try await store.storeAlert(incoming("a1")) == .stored)
        #expect(try await store.holdNewAlerts(limit: 100, at: t0, matches: Self.anyMatch) == 0)
        _ = try await store.addSubscriber(Self.ann, at: t0)
        #expect(try await store.storeAlert(incoming("a2")) == .stored)
        #expect(try await store.holdNewAlerts(limit: 100, at: t0, matches: Self.anyMatch) == 1)
        #expect(try await store.heldAlerts(phone: Self.ann.phone).map(\.id) == ["a2"])
    }

    /// Texts are queued once: a plan over alerts another process already
    /// released changes nothing. Each due text is claimed by one handle
    /// until its claim lapses; settling needs the claim.
    @Test(arguments: StoreFactory.allCases)
    func textsAreQueuedAndClaimedOnce(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-outbox")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        let other = try await factory.reopen(in: dir)
        _ = try await store.addSubscriber(Self.ann, at: t0)
        _ = try await store.storeAlert(incoming("a1"))
        _ = try await store.storeAlert(incoming("a2"))
        _ = try await store.holdNewAlerts(limit: 100, at: t0, matches: Self.anyMatch)
        let phone = Self.ann.phone
        let one = PlannedText(id: "t1", alertIDs: ["a1"], body: "one")
        #expect(try await store.queueTexts(phone: phone, [one], at: t0, textsBefore: 0))
        // Another process planned a digest of both at the same time: refused, nothing changed.
        let digest = PlannedText(id: "t2", alertIDs: ["a1", "a2"], body: "two")
        #expect(try await !other.queueTexts(phone: phone, [digest], at: t0, textsBefore: 1))
        // Or a first text of a2 alone, planned before t1 was queued: refused, a2 stays held.
        let late = PlannedText(id: "t2b", alertIDs: ["a2"], body: "first")
        #expect(try await !other.queueTexts(phone: phone, [late], at: t0, textsBefore: 0))
        #expect(try await store.heldAlerts(phone: phone).map(\.id) == ["a2"])
        #expect(try await store.texts(phone: phone).map(\.id) == ["t1"])
        #expect(try await store.textTimes(phone: phone, since: Int64.min) == [t0])

        let claimed = try await store.claimTexts(by: "A", now: t0, until: t0 + 60 * second, limit: 10)
        #expect(claimed.map(\.id) == ["t1"])
        #expect(try await other.claimTexts(by: "B", now: t0 + second, until: t0 + 61 * second, limit: 10).isEmpty)
        #expect(
            try await store.settleText(
                id: "t1", claimant: "A", .retry(at: t0 + 10 * second, status: 503, error: "HTTP 503: busy"),
                at: t0 + second))
        #expect(try await other.claimTexts(by: "B", now: t0 + 9 * second, until: t0 + 70 * second, limit: 1).isEmpty)
        // Due again: B takes it; A's claim is gone, so A cannot settle it.
        let again = try await other.claimTexts(by: "B", now: t0 + 10 * second, until: t0 + 70 * second, limit: 1)
        #expect(again.map(\.attempts) == [1])
        #expect(try await !store.settleText(id: "t1", claimant: "A", .sent(status: 200), at: t0 + 11 * second))
        #expect(try await other.settleText(id: "t1", claimant: "B", .sent(status: 201), at: t0 + 11 * second))
        let text = try #require(try await store.texts(phone: nil).first)
        #expect(text.state == .sent)
        #expect(text.attempts == 2)
        #expect(text.lastStatus == 201)
        #expect(text.doneTs == t0 + 11 * second)
        // A claim that lapsed (its process died) is taken over.
        let t3 = PlannedText(id: "t3", alertIDs: ["a2"], body: "x")
        #expect(try await store.queueTexts(phone: phone, [t3], at: t0, textsBefore: 1))
        #expect(try await store.claimTexts(by: "A", now: t0, until: t0 + 60 * second, limit: 10).map(\.id) == ["t3"])
        #expect(
            try await other.claimTexts(by: "B", now: t0 + 60 * second, until: t0 + 120 * second, limit: 10)
                .map(\.id) == ["t3"])
    }
}
