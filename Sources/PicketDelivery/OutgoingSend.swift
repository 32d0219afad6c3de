import AsyncHTTPClient
import NIOCore
import NIOSSL

/// The HTTP side of one attempt, shared by the box's outbox and the
/// sector's texts: the client every sender uses (TLS verified, no
/// redirects, no retried connects) and one POST of an `OutgoingRequest`,
/// read as the outbox reads answers (the status decides; 64 KiB of the
/// body at most).
public enum OutgoingSend {
    /// What came back.
    public struct Response: Sendable {
        public var status: Int
        public var retryAfter: String?
        public var contentType: String?
        /// The body's first 64 KiB.
        public var body: String
        /// The body (or, for a 3xx, where it redirects) on one line, for the
        /// outbox's dead letters and the log.
        public var excerpt: String
    }

    /// The HTTP client of a sender: `caFile`'s certificates trusted (else
    /// the system's), redirects refused (a URL to correct in the
    /// configuration, never followed), and a failed connection failing the
    /// attempt at once so the outbox's backoff is the one retry schedule,
    /// instead of the client retrying the same handshake for the whole
    /// connect timeout while the sender waits.
    public static func client(caFile: String?, connectTimeout: TimeAmount, requestTimeout: TimeAmount) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: connectTimeout, read: requestTimeout))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs `outgoing` with `client`; `urlKey` names the setting a redirect
    /// asks to correct.
    public static func post(
        _ outgoing: OutgoingRequest, with client: HTTPClient, timeout: TimeAmount, urlKey: String
    ) async throws -> Response {
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = .POST
        for (name, value) in outgoing.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: outgoing.body))
        let response = try await client.execute(request, timeout: timeout)
        let full = try await DeliveryService.head(of: response.body)
        let status = Int(response.status.code)
        var text = DeliveryService.excerpt(full)
        if (300..<400).contains(status) {
            let location =
                response.headers.first(name: "Location").map { DeliveryService.excerpt($0) } ?? "(no Location)"
            text =
                "redirected to \(location): set \(urlKey) to the final address" + (text.isEmpty ? "" : "; \(text)")
        }
        return Response(
            status: status, retryAfter: response.headers.first(name: "Retry-After"),
            contentType: response.headers.first(name: "Content-Type"), body: full, excerpt: text)
    }

    /// A failed attempt (no answer) in a technician's words, naming the
    /// setting that fixes it (`caFileKey`).
    public static func describe(_ error: any Error, caFileKey: String, caFile: String?) -> String {
        DeliveryFailure.describe(error, caFileKey: caFileKey, caFile: caFile)
    }
}
