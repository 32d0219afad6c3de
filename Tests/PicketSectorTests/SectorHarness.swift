import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PicketConfig
import PicketCore
import PicketDelivery
import PicketSector
import PicketTestSupport
import ServiceLifecycle
import Synchronization
import Testing

/// An in-process sector on 127.0.0.1, port 0, on a `ManualClock`, with a
/// SQLite store in a temporary folder, spoken to over real HTTP.
final class SectorHarness: Sendable {
    static let secrets: [String: [UInt8]] = [
        "ridge-01": Array("ridge-secret-0123456789".utf8), "ford-02": Array("ford-secret-9876543210".utf8),
    ]

    let dir: URL
    let clock: ManualClock
    let store: SQLiteSectorStore
    let server: SectorServer
    let port: Int
    let operatorsFile: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// The SMS gateway's auth token and the sector's public URL, when the harness has a hotline.
    static let hotlineToken = Array("gateway-token-0123456789".utf8)
    static let publicURL = "https://sector.example/"
    static let contact = "+18025550199"

    init(operators: [(String, String)] = [], hotline: Bool = false) async throws {
        dir = try temporaryDirectory("sector-http")
        clock = ManualClock(wallNs: t0)
        operatorsFile = dir.appendingPathComponent("operators").path
        for (name, password) in operators { try Operators(path: operatorsFile).add(name: name, password: password) }
        let configuration = SectorConfiguration(
            file: "test.yaml", sector: "test", host: "127.0.0.1", port: 0,
            database: .sqlite(path: dir.appendingPathComponent("sector.db").path),
            boxes: Self.secrets.keys.sorted().map { .init(box: $0, secretFile: "unused") },
            operatorsFile: operatorsFile)
        store = try SQLiteSectorStore(path: dir.appendingPathComponent("sector.db").path)
        try await store.migrate()
        try await store.registerBoxes(configuration.boxes.map(\.box))
        var logger = Logger(label: "sector-test")
        logger.logLevel = .error
        server = SectorServer(
            configuration: configuration, store: store, keys: BoxKeys(secrets: Self.secrets),
            hotline: hotline
                ? HotlineWebhook(
                    authToken: Self.hotlineToken, publicURL: Self.publicURL, sector: "test", contact: Self.contact)
                : nil,
            clock: clock, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(
            configuration: .init(
                services: [server.application { _ = continuation.yield($0) }], gracefulShutdownSignals: [],
                logger: logger))
        self.group = group
        task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        port = try #require(await iterator.next())
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(at: dir)
    }

    /// A box's signed POST; the signature is made by the box's own code.
    func post(
        _ path: String, box: String, body: String, key: String? = nil, timestamp: Int64? = nil,
        secret: [UInt8]? = nil, contentType: String = "application/json", signature: String? = nil
    ) async throws -> Answer {
        let timestamp = timestamp ?? clock.wallNs() / 1_000_000_000
        let secret = secret ?? Self.secrets[box] ?? Array("x".utf8)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "X-Picket-Box", value: box)
        request.headers.add(name: "X-Picket-Timestamp", value: String(timestamp))
        request.headers.add(
            name: "X-Picket-Signature",
            value: signature ?? Signature.header(secret: secret, timestamp: timestamp, body: Array(body.utf8)))
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    /// The SMS gateway's webhook POST of `fields`, signed as the gateway signs
    /// (`publicURL` + path + query, then the sorted fields) unless `signature` is given.
    func text(_ fields: [(String, String)], query: String? = nil, signature: String?? = nil) async throws -> Answer {
        let path = "/v1/sms/inbound" + (query.map { "?" + $0 } ?? "")
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let signed = "https://sector.example" + path
        if let value = signature ?? HotlineWebhook.signature(token: Self.hotlineToken, url: signed, fields: fields) {
            request.headers.add(name: "X-Twilio-Signature", value: value)
        }
        request.body = .bytes(ByteBuffer(string: formBody(fields)))
        return try await send(request)
    }

    /// A text from `from` as the gateway posts it.
    func text(_ body: String, from: String = "+18025550101", sid: String) async throws -> Answer {
        try await text([
            ("MessageSid", sid), ("AccountSid", "AC0123"), ("From", from), ("To", "+18025550199"), ("Body", body),
            ("NumMedia", "0"),
        ])
    }

    func get(_ path: String, user: String? = nil, password: String? = nil, method: HTTPMethod = .GET) async throws
        -> Answer
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let user, let password {
            request.headers.add(
                name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Answer(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: body))
    }
}

/// `application/x-www-form-urlencoded`, as a gateway writes it.
func formBody(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map {
        ($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") + "="
            + ($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }.joined(separator: "&")
}

/// A box's alert as JSON, as `AlertJSON` writes it.
func alertJSON(_ id: String, box: String = "ridge-01", zone: String = "north") -> String {
    let alert = Alert(
        id: id, rule: "pir-only", severity: .medium, box: box, sector: "test", zone: zone, firstTs: t0, lastTs: t0,
        direction: nil, events: ["e1"], position: Position(lat: 44.1, lon: -72.5), summary: "motion in \(zone)")
    return AlertJSON.object(alert)
}

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// `eventually` for a condition that must await (the store is an actor).
func eventuallyAsync(
    _ what: String, timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try await !condition() {
        guard clock.now < deadline else {
            Issue.record("timed out waiting: \(what)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
