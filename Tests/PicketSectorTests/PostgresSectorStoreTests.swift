import Foundation
import PicketConfig
import PicketTestSupport
import Testing

@testable import PicketSector

/// `database: {url: ...}` as picket reads it: no server needed.
@Suite struct PostgresURLTests {
    @Test func theSupportedForms() throws {
        let plain = try PostgresURL.parse("postgres://picket@db.example/sector")
        #expect(plain.endpoint == .tcp(host: "db.example", port: 5432))
        #expect(plain.user == "picket")
        #expect(plain.password == nil)
        #expect(plain.database == "sector")
        #expect(plain.sslMode == .prefer)
        let full = try PostgresURL.parse("postgresql://pick%40et:p%3Ass@[::1]:5433/sec%20tor?sslmode=require")
        #expect(full.endpoint == .tcp(host: "::1", port: 5433))
        #expect(full.user == "pick@et")
        #expect(full.password == "p:ss")
        #expect(full.database == "sec tor")
        #expect(full.sslMode == .require)
        let socket = try PostgresURL.parse("postgres://picket@/sector?host=/run/postgresql&port=5434")
        #expect(socket.endpoint == .unixSocket(path: "/run/postgresql/.s.PGSQL.5434"))
        #expect(try PostgresURL.parse("postgres://picket@db").database == "picket")
        // libpq's sslmode and sslrootcert: what each checks of the server's certificate.
        #expect(try PostgresURL.parse("postgres://picket@db").certificateCheck == .none)
        #expect(try PostgresURL.parse("postgres://picket@db?sslmode=require").certificateCheck == .none)
        #expect(try PostgresURL.parse("postgres://picket@db?sslmode=verify-ca").certificateCheck == .chain)
        #expect(try PostgresURL.parse("postgres://picket@db?sslmode=verify-full").certificateCheck == .chainAndHost)
        let rooted = try PostgresURL.parse("postgres://picket@db?sslmode=require&sslrootcert=/etc/picket/db-ca.pem")
        #expect(rooted.sslRootCert == "/etc/picket/db-ca.pem")
        #expect(rooted.certificateCheck == .chain)
        #expect(
            PostgresURL.redacted("postgres://picket:secret@db/sector") == "postgres://picket:***@db/sector")
        #expect(PostgresURL.redacted("postgres://picket@db/sector") == "postgres://picket@db/sector")
    }

    @Test(arguments: [
        ("mysql://picket@db/sector", "postgres://"),
        ("postgres://db/sector", "names no user"),
        ("postgres://picket@/sector", "names no host"),
        ("postgres://picket@db:99999/sector", "port 99999"),
        ("postgres://picket@db/sector?sslmode=allow", "sslmode allow is not supported"),
        ("postgres://picket@db/sector?sslrootcert=ca.pem", "sslrootcert must be the absolute path"),
        ("postgres://picket@db/sector?application_name=x", "parameter application_name is not supported"),
        ("postgres://picket@a,b/sector", "several hosts"),
        ("postgres://picket@db/sector?host=relative", "absolute folder"),
    ])
    func refusedWithTheReason(_ url: String, _ reason: String) {
        #expect(throws: PostgresURL.Problem.self) { try PostgresURL.parse(url) }
        do {
            _ = try PostgresURL.parse(url)
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func theLoaderNamesTheLineOfABadURL() throws {
        let error = try #require(throws: ConfigError.self) {
            try SectorConfigurationLoader.parse(
                yaml: "sector: s\ndatabase:\n  url: postgres://picket@db/sector?sslmode=allow\n", file: "s.yaml")
        }
        #expect(error.description.contains("s.yaml:3: database.url: sslmode allow is not supported"), "\(error)")
        let good = try SectorConfigurationLoader.parse(
            yaml: "sector: s\ndatabase:\n  url: postgres://picket@db/sector\n", file: "s.yaml")
        #expect(good.database == .postgres(url: "postgres://picket@db/sector"))
    }
}

/// What only the PostgreSQL store has to show (the contract both stores
/// keep is `SectorStoreContractTests`).
@Suite(.enabled(if: !PostgresTestServer.skipped, "PICKET_SKIP_POSTGRES_TESTS is set"))
struct PostgresSectorStoreTests {
    /// Four processes starting at once on an empty database: without the
    /// advisory lock, two would both create the tables and one would fail.
    @Test func storesMigratingAtOnceApplyEachMigrationOnce() async throws {
        let url = try await PostgresTestServer.makeDatabase()
        let stores = try (0..<4).map { _ in try PostgresSectorStore(url: url) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.migrate() } }
            try await group.waitForAll()
        }
        #expect(try await stores[0].storeAlert(incoming("a1")) == .stored)
        #expect(try await stores[3].storeAlert(incoming("a1")) == .duplicate)
        let versions = try await PostgresTestServer.psql(
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM picket_sector_migrations", url: url)
        let all = (1...PostgresSectorSchema.migrations.count).map(String.init).joined(separator: ",")
        #expect(versions == all)
        for store in stores { await store.shutdown() }
    }

    @Test func aDatabaseOfANewerPicketIsRefused() async throws {
        let url = try await PostgresTestServer.makeDatabase()
        let store = try PostgresSectorStore(url: url)
        try await store.migrate()
        _ = try await PostgresTestServer.psql("INSERT INTO picket_sector_migrations (version) VALUES (99)", url: url)
        let error = try await #require(throws: PostgresSectorStore.SchemaTooNew.self) { try await store.migrate() }
        #expect(
            error.description.contains(
                "schema version 99, this picket knows only up to \(PostgresSectorSchema.migrations.count)"),
            "\(error)")
        await store.shutdown()
    }

    /// What `picket sector` opens for `database: {url: ...}`: migrated,
    /// the configured boxes registered.
    @Test func openStoreMigratesAndRegistersTheBoxes() async throws {
        let url = try await PostgresTestServer.makeDatabase()
        let configuration = SectorConfiguration(
            file: "s.yaml", sector: "s", database: .postgres(url: url), databaseLine: 3,
            boxes: [.init(box: "ridge-01", secretFile: "unused"), .init(box: "ford-02", secretFile: "unused")])
        let store = try #require(try await SectorServer.openStore(configuration) as? PostgresSectorStore)
        #expect(try await store.boxes().map(\.box) == ["ford-02", "ridge-01"])
        await store.shutdown()
    }

    @Test func overTheUnixSocket() async throws {
        let url = try await PostgresTestServer.makeDatabase(socket: true)
        #expect(url.contains("?host=/"))
        let store = try PostgresSectorStore(url: url)
        try await store.migrate()
        #expect(try await store.storeAlert(incoming("a1")) == .stored)
        try await store.ping()
        await store.shutdown()
    }

    /// Nothing listens on the port: `migrate()` fails at once with the URL
    /// (password hidden) and the reason, instead of waiting for the pool.
    @Test func anUnreachableServerIsNamed() async throws {
        let server = try await PostgresTestServer.shared()
        let url = "postgres://picket:hunter2@127.0.0.1:1/sector?sslmode=disable"
        let store = try PostgresSectorStore(url: url)
        let error = try await #require(throws: PostgresSectorStore.Failure.self) { try await store.migrate() }
        #expect(error.description.contains("postgres://picket:***@127.0.0.1:1/sector"), "\(error)")
        #expect(error.description.contains("cannot connect"), "\(error)")
        #expect(!error.description.contains("hunter2"))
        await store.shutdown()
        // A database that does not exist says so.
        let missing = try PostgresSectorStore(url: "postgres://picket@127.0.0.1:\(server.port)/nope?sslmode=disable")
        let noDatabase = try await #require(throws: PostgresSectorStore.Failure.self) { try await missing.migrate() }
        #expect(noDatabase.description.contains("\"nope\" does not exist"), "\(noDatabase)")
        await missing.shutdown()
    }

    /// The server goes away after the start: a request fails with the URL
    /// and the reason once the deadline passed (a box is answered 503 and
    /// retries) instead of waiting for the pool for ever.
    @Test func aVanishedServerFailsARequestInsteadOfHanging() async throws {
        let store = try PostgresSectorStore(url: "postgres://picket@127.0.0.1:1/sector?sslmode=disable")
        let error = try await #require(throws: PostgresSectorStore.Failure.self) {
            _ = try await store.storeAlert(incoming("a1"))
        }
        #expect(error.description.contains("postgres://picket@127.0.0.1:1/sector"), "\(error)")
        #expect(error.description.contains("store alert a1"), "\(error)")
        await store.shutdown()
    }

    /// Two stores racing to acknowledge one alert: exactly one wins, both
    /// answer with the winner.
    @Test func twoAcknowledgementsAtOnceKeepOne() async throws {
        let url = try await PostgresTestServer.makeDatabase()
        let a = try PostgresSectorStore(url: url)
        let b = try PostgresSectorStore(url: url)
        try await a.migrate()
        try await b.migrate()
        for index in 0..<20 { _ = try await a.storeAlert(incoming("a\(index)")) }
        for index in 0..<20 {
            async let fromA = a.acknowledge(id: "a\(index)", by: "alice", at: t0)
            async let fromB = b.acknowledge(id: "a\(index)", by: "bob", at: t0)
            let answers = try await [fromA, fromB]
            let winners = answers.compactMap { answer -> String? in
                if case .acknowledged(let record) = answer { return record.acknowledgedBy }
                return nil
            }
            #expect(winners.count == 1)
            for case .alreadyAcknowledged(let record) in answers { #expect(record.acknowledgedBy == winners.first) }
        }
        await a.shutdown()
        await b.shutdown()
    }
}
