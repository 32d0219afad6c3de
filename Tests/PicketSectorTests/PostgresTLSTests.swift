import Foundation
import PicketConfig
import PicketTestSupport
import PostgresNIO
import Testing

@testable import PicketSector

/// `sslmode` and `sslrootcert` as libpq's, against the test server's TLS
/// (a certificate for `localhost` signed by a CA of the run).
@Suite(.disabled(if: PostgresTestServer.skipped, "PICKET_SKIP_POSTGRES_TESTS"))
struct PostgresTLSTests {
    /// A fresh database's URL with `host` and the query `params`.
    static func url(host: String = "127.0.0.1", _ params: String) async throws -> String {
        let plain = try await PostgresTestServer.makeDatabase()
        let server = try await PostgresTestServer.shared()
        let name = plain[plain.range(of: "/", options: .backwards)!.upperBound...].prefix { $0 != "?" }
        return "postgres://\(PostgresTestServer.superuser)@\(host):\(server.port)/\(name)" + params
    }

    /// Whether the store's own connection is encrypted (`pg_stat_ssl`).
    static func encrypted(_ url: String) async throws -> Bool {
        let store = try PostgresSectorStore(url: url)
        defer { Task { await store.shutdown() } }
        try await store.migrate()
        return try await store.withConnection("ask") { connection in
            try await store.rows("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", on: connection)
                .first?.decode(Bool.self) ?? false
        }
    }

    /// Debian's default cluster: TLS with a certificate no public CA
    /// signed. The default (`prefer`) and `require` connect encrypted, as
    /// libpq does; `disable` in the clear.
    @Test func preferAndRequireEncryptWithoutCheckingTheCertificate() async throws {
        #expect(try await Self.encrypted(try await Self.url("")))
        #expect(try await Self.encrypted(try await Self.url("?sslmode=require")))
        #expect(try await !Self.encrypted(try await Self.url("?sslmode=disable")))
    }

    /// `verify-full` checks the chain and the name: refused against the
    /// system's roots, accepted with the run's CA for `localhost`, refused
    /// for `127.0.0.1` (not in the certificate), which `verify-ca` takes.
    @Test func verifyModesCheckTheCertificate() async throws {
        let server = try await PostgresTestServer.shared()
        let untrusted = try PostgresSectorStore(url: try await Self.url(host: "localhost", "?sslmode=verify-full"))
        let failure = try await #require(throws: PostgresSectorStore.Failure.self) { try await untrusted.migrate() }
        #expect(failure.description.contains("cannot connect"), "\(failure)")
        await untrusted.shutdown()
        let root = "&sslrootcert=\(server.caFile)"
        #expect(try await Self.encrypted(try await Self.url(host: "localhost", "?sslmode=verify-full" + root)))
        let wrongName = try PostgresSectorStore(url: try await Self.url("?sslmode=verify-full" + root))
        _ = try await #require(throws: PostgresSectorStore.Failure.self) { try await wrongName.migrate() }
        await wrongName.shutdown()
        #expect(try await Self.encrypted(try await Self.url("?sslmode=verify-ca" + root)))
        // libpq's rule: require with a root certificate checks the chain.
        #expect(try await Self.encrypted(try await Self.url("?sslmode=require" + root)))
    }
}
