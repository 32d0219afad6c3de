import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PicketCore
import PicketSector
import PicketTestSupport
import ServiceLifecycle
import Testing

/// The fleet page's login, sessions, CSRF and rate limit over real HTTP,
/// without a browser (the browser test is FleetPageBrowserTests).
@Suite struct FleetPageHTTPTests {
    /// A client that shows redirects instead of following them.
    static func withClient<R>(_ body: (HTTPClient) async throws -> R) async throws -> R {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func send(
        _ client: HTTPClient, _ port: Int, _ method: HTTPMethod, _ path: String, cookie: String? = nil,
        form: [String: String]? = nil, headers: [(String, String)] = []
    ) async throws -> SectorHarness.Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: "picket_session=\(cookie)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let body = form.sorted { $0.key < $1.key }.map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }.joined(separator: "&")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return SectorHarness.Answer(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: body))
    }

    /// The session token of a `Set-Cookie: picket_session=...`.
    static func token(_ answer: SectorHarness.Answer) -> String? {
        guard let cookie = answer.header("Set-Cookie"), cookie.hasPrefix("picket_session=") else { return nil }
        return cookie.dropFirst("picket_session=".count).split(separator: ";").first.map(String.init)
    }

    static func csrf(_ page: String) -> String? {
        guard let start = page.range(of: "<meta name=\"picket-csrf\" content=\"") else { return nil }
        return page[start.upperBound...].split(separator: "\"").first.map(String.init)
    }

    @Test func loginSessionCSRFAndLogout() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        try await Self.withClient { client in
            let port = sector.port
            let anonymous = try await Self.send(client, port, .GET, "/")
            #expect(anonymous.status == 303)
            #expect(anonymous.header("Location") == "/login")
            let form = try await Self.send(client, port, .GET, "/login")
            #expect(form.status == 200)
            #expect(form.body.contains("<form method=\"post\" action=\"/login\">"))
            #expect(form.header("Content-Security-Policy")?.contains("default-src 'none'") == true)

            let wrong = try await Self.send(client, port, .POST, "/login", form: ["name": "alice", "password": "pw"])
            #expect(wrong.status == 401)
            #expect(Self.token(wrong) == nil)
            #expect(wrong.body.contains("Wrong name or password"))

            let login = try await Self.send(
                client, port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            #expect(login.status == 303, "\(login.body)")
            #expect(login.header("Location") == "/")
            let cookie = try #require(login.header("Set-Cookie"))
            #expect(cookie.contains("; Path=/; HttpOnly; SameSite=Strict"), "\(cookie)")
            #expect(!cookie.contains("Secure"), "no https public_url: \(cookie)")
            let token = try #require(Self.token(login))

            let page = try await Self.send(client, port, .GET, "/", cookie: token)
            #expect(page.status == 200)
            let csrf = try #require(Self.csrf(page.body))
            #expect(csrf.count == 64)
            // The JSON for operators takes the session too.
            #expect(try await Self.send(client, port, .GET, "/v1/boxes", cookie: token).status == 200)
            #expect(
                try await Self.send(client, port, .GET, "/v1/boxes", cookie: String(repeating: "0", count: 64)).status
                    == 401)

            // An alert to acknowledge.
            let posted = try await sector.post("/v1/alerts", box: "ridge-01", body: alertJSON("a1"), key: "a1")
            #expect(posted.status == 200)
            for headers in [[], [("X-Picket-CSRF", String(repeating: "f", count: 64))], [("X-Picket-CSRF", "")]] {
                let refused = try await Self.send(
                    client, port, .POST, "/v1/alerts/a1/ack", cookie: token, headers: headers)
                #expect(refused.status == 403, "\(headers): \(refused.body)")
            }
            #expect(try await sector.store.alert(id: "a1")?.acknowledgedBy == nil)
            let acknowledged = try await Self.send(
                client, port, .POST, "/v1/alerts/a1/ack", cookie: token, headers: [("X-Picket-CSRF", csrf)])
            #expect(acknowledged.status == 200, "\(acknowledged.body)")
            #expect(try await sector.store.alert(id: "a1")?.acknowledgedBy == "alice")

            // Logout needs the token too; then the session is gone.
            let noToken = try await Self.send(client, port, .POST, "/logout", cookie: token, form: [:])
            #expect(noToken.status == 403)
            #expect(try await Self.send(client, port, .GET, "/", cookie: token).status == 200)
            let logout = try await Self.send(client, port, .POST, "/logout", cookie: token, form: ["csrf": csrf])
            #expect(logout.status == 303)
            #expect(logout.header("Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await Self.send(client, port, .GET, "/", cookie: token).status == 303)
            #expect(try await Self.send(client, port, .GET, "/v1/stream", cookie: token).status == 401)
        }
    }

    @Test func aSessionIsHonouredByASecondProcessOnTheSameDatabase() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        // A second server with its own connection to the same file, as a second process.
        let store = try SQLiteSectorStore(path: sector.dir.appendingPathComponent("sector.db").path)
        try await store.migrate()
        var logger = Logger(label: "second")
        logger.logLevel = .error
        let server = SectorServer(
            configuration: sector.server.configuration, store: store, keys: BoxKeys(secrets: SectorHarness.secrets),
            clock: sector.clock, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(
            configuration: .init(
                services: [server.application { _ = continuation.yield($0) }], gracefulShutdownSignals: [],
                logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let otherPort = try #require(await iterator.next())
        try await Self.withClient { client in
            let login = try await Self.send(
                client, sector.port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            let token = try #require(Self.token(login))
            let page = try await Self.send(client, otherPort, .GET, "/", cookie: token)
            #expect(page.status == 200)
            let csrf = try #require(Self.csrf(page.body))
            _ = try await sector.post("/v1/alerts", box: "ridge-01", body: alertJSON("a2"), key: "a2")
            let ack = try await Self.send(
                client, otherPort, .POST, "/v1/alerts/a2/ack", cookie: token, headers: [("X-Picket-CSRF", csrf)])
            #expect(ack.status == 200, "\(ack.body)")
            // Logged out on the second, refused on the first.
            #expect(
                try await Self.send(client, otherPort, .POST, "/logout", cookie: token, form: ["csrf": csrf]).status
                    == 303)
            #expect(try await Self.send(client, sector.port, .GET, "/", cookie: token).status == 303)
            // Sessions expire on the shared clock.
            let again = try await Self.send(
                client, sector.port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            let fresh = try #require(Self.token(again))
            sector.clock.stepWall(by: OperatorSessions.lifetimeS * 1_000_000_000)
            #expect(try await Self.send(client, otherPort, .GET, "/", cookie: fresh).status == 303)
        }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    @Test func failedLoginsAreLimitedPerNameAcrossProcesses() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one"), ("bob", "pw two")])
        defer { Task { await sector.stop() } }
        try await Self.withClient { client in
            let port = sector.port
            for attempt in 1...OperatorSessions.maximumFailures {
                let wrong = try await Self.send(
                    client, port, .POST, "/login", form: ["name": "alice", "password": "guess \(attempt)"])
                #expect(wrong.status == 401, "attempt \(attempt)")
                sector.clock.stepWall(by: 60 * 1_000_000_000)
            }
            // Now even the right password waits; the failures are in the database.
            let limited = try await Self.send(
                client, port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            #expect(limited.status == 429)
            #expect(Self.token(limited) == nil)
            // The first failure leaves the 15 min window 10 min from now.
            #expect(limited.header("Retry-After") == "600", "\(limited.headers)")
            #expect(try await sector.store.loginFailures(key: "name:alice", since: 0).count == 5)
            // Another name is not limited.
            let bob = try await Self.send(client, port, .POST, "/login", form: ["name": "bob", "password": "pw two"])
            #expect(bob.status == 303)
            sector.clock.stepWall(by: 600 * 1_000_000_000)
            let later = try await Self.send(
                client, port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            #expect(later.status == 303, "\(later.body)")
        }
    }

    @Test func theStreamSendsTheViewAndBoxTextStaysText() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        try await Self.withClient { client in
            let login = try await Self.send(
                client, sector.port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            let token = try #require(Self.token(login))
            var body = alertJSON("a3")
            body = body.replacingOccurrences(of: "motion in north", with: "<img src=x onerror=alert(1)>")
            #expect(try await sector.post("/v1/alerts", box: "ridge-01", body: body, key: "a3").status == 200)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(sector.port)/v1/stream")
            request.headers.add(name: "Cookie", value: "picket_session=\(token)")
            let response = try await client.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            var text = ""
            var iterator = response.body.makeAsyncIterator()
            while !(text.contains("event: state\n") && text.contains("\n\n", after: "event: state")),
                let chunk = try await iterator.next()
            {
                text += String(buffer: chunk)
            }
            let data = try #require(text.split(separator: "\n").first { $0.hasPrefix("data: {") }).dropFirst(6)
            let view = try jsonObject(String(data))
            let open = try #require(view["open"] as? [[String: Any]])
            #expect(open.map { $0["id"] as? String } == ["a3"])
            // JSON carries the box's text as a string; the page puts it in with textContent.
            #expect(open.first?["summary"] as? String == "<img src=x onerror=alert(1)>")
            let boxes = try #require(view["boxes"] as? [[String: Any]])
            #expect(Set(boxes.compactMap { $0["box"] as? String }) == ["ridge-01", "ford-02"])
            // An alert stored through another connection to the database (another
            // process) arrives on the open stream by itself.
            let other = try SQLiteSectorStore(path: sector.dir.appendingPathComponent("sector.db").path)
            #expect(try await other.storeAlert(incoming("from-elsewhere", box: "ford-02")) == .stored)
            var more = ""
            while !more.contains("from-elsewhere"), let chunk = try await iterator.next() {
                more += String(buffer: chunk)
            }
            #expect(more.contains("event: state\n"), "\(more)")
            let script = try await Self.send(client, sector.port, .GET, "/assets/fleet.js")
            #expect(script.body.contains("textContent"))
            #expect(!script.body.contains("innerHTML"))
            #expect(!script.body.contains("http://") || script.body.contains("http://www.w3.org/2000/svg"))
        }
    }
}

extension String {
    fileprivate func contains(_ other: String, after marker: String) -> Bool {
        guard let start = range(of: marker) else { return false }
        return self[start.upperBound...].contains(other)
    }
}
