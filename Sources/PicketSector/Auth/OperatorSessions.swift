import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PicketCore

/// The fleet page's logins: sessions kept as rows of the store (so every
/// `picket sector` process on one database accepts them, and a logout
/// on one ends the session on all), a CSRF token per session, and failed
/// logins counted in the store.
///
/// The cookie holds 32 random bytes; the store keeps only their SHA-256,
/// so a copy of the database does not log anyone in.
public struct OperatorSessions: Sendable {
    public static let cookieName = "picket_session"
    public static let csrfHeader = HTTPField.Name("X-Picket-CSRF")!
    public static let csrfField = "csrf"
    /// A session lasts 12 hours from its login.
    public static let lifetimeS: Int64 = 12 * 3600
    /// At most `maximumFailures` failed logins per name in `failureWindowS`.
    public static let maximumFailures = 5
    public static let failureWindowS: Int64 = 15 * 60

    let store: any SectorStore
    let clock: any PicketClock

    public init(store: any SectorStore, clock: any PicketClock) {
        self.store = store
        self.clock = clock
    }

    /// 32 random bytes from the system's generator, as 64 hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether two strings are equal, in time that depends only on their
    /// lengths (the length of a token is no secret).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// Starts a session for `name`; returns the cookie's token and the session.
    func start(for name: String) async throws -> (token: String, session: OperatorSession) {
        let token = Self.randomToken()
        let now = clock.wallNs()
        let session = OperatorSession(
            id: Self.hash(token), operatorName: name, csrfToken: Self.randomToken(), createdTs: now,
            expiresTs: now + Self.lifetimeS * 1_000_000_000)
        try await store.createSession(session)
        return (token, session)
    }

    /// The live session the request's cookie names, or nil (none, unknown,
    /// expired, or the database does not answer).
    func session(for request: Request) async -> OperatorSession? {
        guard let token = request.cookies[Self.cookieName]?.value, token.count == 64 else { return nil }
        return try? await store.session(id: Self.hash(token), at: clock.wallNs())
    }

    /// Ends the request's session, if any.
    func end(_ session: OperatorSession) async throws {
        try await store.deleteSession(id: session.id, at: clock.wallNs())
    }

    /// Whether `request` carries `session`'s CSRF token in its header.
    static func headerMatches(_ request: Request, _ session: OperatorSession) -> Bool {
        guard let given = request.headers[csrfHeader] else { return false }
        return constantTimeEqual(given, session.csrfToken)
    }

    /// The `Set-Cookie` value that starts (or, with an empty token, ends) a session.
    static func cookie(_ token: String, secure: Bool) -> String {
        let age = token.isEmpty ? 0 : lifetimeS
        return "\(cookieName)=\(token); Max-Age=\(age); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    static func failureKey(name: String) -> String { "name:\(name)" }

    /// Seconds to wait before `name` may try again, or nil when it may now.
    func retryAfterS(name: String) async throws -> Int64? {
        let now = clock.wallNs()
        let windowNs = Self.failureWindowS * 1_000_000_000
        // A failure exactly `failureWindowS` old has left the window.
        let failures = try await store.loginFailures(key: Self.failureKey(name: name), since: now - windowNs + 1)
        guard failures.count >= Self.maximumFailures else { return nil }
        // Free again when enough of the failures in the window have aged out.
        let freeing = failures[failures.count - Self.maximumFailures]
        return max(1, (freeing + windowNs - now + 999_999_999) / 1_000_000_000)
    }

    func noteFailure(name: String) async throws {
        let now = clock.wallNs()
        try await store.noteLoginFailure(
            keys: [Self.failureKey(name: name)], at: now, forgetBefore: now - Self.failureWindowS * 1_000_000_000)
    }
}
