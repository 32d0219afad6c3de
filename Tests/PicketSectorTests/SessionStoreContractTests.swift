import Foundation
import PicketSector
import PicketTestSupport
import Testing

/// The store's part of the fleet page's logins, on every `StoreFactory`:
/// what one process writes, another on the same database sees.
@Suite struct SessionStoreContractTests {
    static func session(_ id: String, expires: Int64 = t0 + 3600 * second) -> OperatorSession {
        OperatorSession(id: id, operatorName: "alice", csrfToken: "csrf-\(id)", createdTs: t0, expiresTs: expires)
    }

    @Test(arguments: StoreFactory.allCases)
    func aSessionIsSharedAndEndsEverywhere(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-sessions")
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try await factory.make(in: dir)
        let other = try await factory.reopen(in: dir)
        try await one.createSession(Self.session("s1"))
        try await one.createSession(Self.session("old", expires: t0 + second))
        #expect(try await other.session(id: "s1", at: t0 + 10 * second) == Self.session("s1"))
        #expect(try await other.session(id: "nope", at: t0) == nil)
        // Expired: not answered, and removed by the next logout.
        #expect(try await other.session(id: "old", at: t0 + second) == nil)
        #expect(try await other.session(id: "s1", at: t0 + 3600 * second) == nil)
        try await other.deleteSession(id: "s1", at: t0 + 2 * second)
        #expect(try await one.session(id: "s1", at: t0 + 3 * second) == nil)
        #expect(try await one.session(id: "old", at: t0) == nil)
        try await one.deleteSession(id: "s1", at: t0)
    }

    @Test(arguments: StoreFactory.allCases)
    func loginFailuresAreCountedPerKeyAndForgotten(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-failures")
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try await factory.make(in: dir)
        let other = try await factory.reopen(in: dir)
        try await one.noteLoginFailure(keys: ["name:alice"], at: t0, forgetBefore: t0 - 900 * second)
        try await other.noteLoginFailure(keys: ["name:alice", "name:bob"], at: t0 + second, forgetBefore: t0)
        #expect(try await one.loginFailures(key: "name:alice", since: t0) == [t0, t0 + second])
        #expect(try await one.loginFailures(key: "name:alice", since: t0 + second) == [t0 + second])
        #expect(try await one.loginFailures(key: "name:bob", since: 0) == [t0 + second])
        // Failures before forgetBefore are gone for good.
        try await one.noteLoginFailure(keys: ["name:carol"], at: t0 + 5 * second, forgetBefore: t0 + second)
        #expect(try await other.loginFailures(key: "name:alice", since: 0) == [t0 + second])
    }
}
