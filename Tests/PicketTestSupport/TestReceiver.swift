import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A real HTTP(S) server on 127.0.0.1, standing in for the sector endpoint
/// or the SMS gateway: it keeps every request and answers as the test's
/// script says (status, headers, body, a delay past the client's timeout).
public final class TestReceiver: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Reply: Sendable {
        public var status: Int = 200
        public var headers: [(String, String)] = []
        public var body: String = "ok"
        /// Answer only after this long (past the client's timeout, say).
        public var delay: TimeAmount?

        public init(status: Int = 200, headers: [(String, String)] = [], body: String = "ok", delay: TimeAmount? = nil)
        {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    /// Decides the reply to the `n`-th request (0-based).
    public typealias Script = @Sendable (_ request: Request, _ n: Int) -> Reply

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: any Channel
    private let state: NIOLockedValueBox<(requests: [Request], script: Script)>
    private let accepted = NIOLockedValueBox(0)
    public let port: Int

    public init(tls: NIOSSLContext? = nil, script: @escaping Script = { _, _ in Reply() }) throws {
        let state = NIOLockedValueBox<(requests: [Request], script: Script)>(([], script))
        self.state = state
        let accepted = accepted
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                accepted.withLockedValue { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    deinit {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    public var requests: [Request] { state.withLockedValue { $0.requests } }

    /// Connections accepted (for TLS: handshakes begun), answered or not.
    public var connections: Int { accepted.withLockedValue { $0 } }

    public func setScript(_ script: @escaping Script) { state.withLockedValue { $0.script = script } }

    /// Distinct idempotency keys received.
    public var uniqueKeys: Set<String> { Set(requests.compactMap { $0.header("Idempotency-Key") }) }

    /// A port on 127.0.0.1 where nothing listens (for "connection refused").
    public static func closedPort() throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress?.port ?? 1
        try channel.close().wait()
        return port
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let state: NIOLockedValueBox<(requests: [Request], script: Script)>
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(state: NIOLockedValueBox<(requests: [Request], script: Script)>) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(
                    method: "\(head.method)", uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                    body: body)
                let reply = state.withLockedValue { s -> Reply in
                    s.requests.append(request)
                    return s.script(request, s.requests.count - 1)
                }
                let respond = { [self] in
                    var headers = HTTPHeaders(reply.headers)
                    headers.add(name: "Content-Length", value: "\(reply.body.utf8.count)")
                    let head = HTTPResponseHead(
                        version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
                if let delay = reply.delay {
                    let loopBound = NIOLoopBound(respond, eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: delay) { loopBound.value() }
                } else {
                    respond()
                }
            }
        }
    }
}
