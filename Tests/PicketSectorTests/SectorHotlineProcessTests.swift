import Foundation
import NIOCore
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two `picket sector` processes (the real binary) on one database
/// (PostgreSQL, or one SQLite file), texting through one SMS gateway: each
/// alert's text arrives once, whichever process stored the alert and
/// whichever sends.
@Suite struct SectorHotlineProcessTests {
    @Test(arguments: StoreFactory.allCases)
    func twoProcessesSendEachTextOnce(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-hotline-pair")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Each answer takes a second, so both processes' rounds (every second) overlap every send: without a
        // claim per text the other process would send it too.
        let gateway = try TestReceiver { _, _ in TestReceiver.Reply(status: 201, body: "{}", delay: .seconds(1)) }
        let key = dir.appendingPathComponent("ridge-01.key").path
        try "\(SectorPostgresProcessTests.secret)\n".write(toFile: key, atomically: true, encoding: .utf8)
        chmod(key, 0o600)
        let credentials = dir.appendingPathComponent("hotline.cred").path
        try "AC1:s3cret\n".write(toFile: credentials, atomically: true, encoding: .utf8)
        chmod(credentials, 0o600)
        let token = dir.appendingPathComponent("hotline.token").path
        try "token\n".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        let config = dir.appendingPathComponent("sector.yaml").path
        // The store of the factory, kept for the subscribers; the processes open the same database.
        let store = try await factory.make(in: dir)
        let database =
            factory == .postgres
            ? "{url: \"\(try String(contentsOf: dir.appendingPathComponent("postgres-url"), encoding: .utf8))\"}"
            : "{path: \(dir.appendingPathComponent("sector.db").path)}"
        try """
        sector: shared
        listen: 127.0.0.1:0
        database: \(database)
        timezone: America/New_York
        boxes:
          - {box: ridge-01, secret_file: \(key)}
        hotline:
          url: http://127.0.0.1:\(gateway.port)/Messages
          from: "+18025550199"
          credentials_file: \(credentials)
          auth_token_file: \(token)
          contact: "+18025550111"
        public_url: https://sector.example.org
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let phones = ["+18025550101", "+18025550102"]
        for (index, phone) in phones.enumerated() {
            _ = try await store.addSubscriber(Subscriber(name: "S\(index)", phone: phone, zones: ["north"]), at: 0)
        }
        if let postgres = store as? PostgresSectorStore { await postgres.shutdown() }
        let pair = try await SectorPostgresProcessTests.startPair(config: config, dir: dir)
        let bases = pair.bases
        let alerts = 8
        for index in 0..<alerts {
            let id = "alert-\(index)"
            let answer = try await SectorPostgresProcessTests.post(
                bases[index % 2], "/v1/alerts", body: alertJSON(id), key: id)
            #expect(answer.status == 200, "\(answer.body)")
        }
        let expected = alerts * phones.count
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while gateway.requests.count < expected, clock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        // A few more rounds of both: nothing more.
        try await Task.sleep(for: .seconds(3))
        let requests = gateway.requests
        #expect(requests.count == expected, "\(pair.processes.map(\.stderr))")
        #expect(gateway.uniqueKeys.count == expected)
        for phone in phones {
            let bodies = requests.filter { $0.text.contains("To=%2B" + phone.dropFirst()) }.map(\.text)
            #expect(bodies.count == alerts)
            // One introduction per phone, however the two processes raced.
            #expect(bodies.filter { $0.contains("reply+STOP") }.count == 1, "\(bodies)")
        }
        try await pair.stop()
    }
}
