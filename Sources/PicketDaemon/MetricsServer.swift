import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PicketStore
import ServiceLifecycle

/// `/metrics` (Prometheus text) and `/healthz` (200 or 503 with a reason)
/// on `metrics.listen`, 127.0.0.1 unless the configuration says otherwise.
/// A plain SwiftNIO HTTP/1 server: two read-only pages need no framework.
public struct MetricsServer: Service {
    let listen: String
    let metrics: PicketMetrics
    let databasePath: String
    let health: @Sendable () -> String?
    let logger: Logger

    /// - Parameter health: nil when healthy, else why not.
    public init(
        listen: String, metrics: PicketMetrics, databasePath: String, health: @escaping @Sendable () -> String?,
        logger: Logger
    ) {
        self.listen = listen
        self.metrics = metrics
        self.databasePath = databasePath
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let port = Int(listen[listen.index(after: colon)...]) ?? 9464
        let pages = Pages(metrics: metrics, databasePath: databasePath, health: health)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Handler(pages: pages))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            // Metrics are for watching the box; a busy port must not stop it.
            logger.error("metrics endpoint not available", metadata: ["listen": "\(listen)", "error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        let address = channel.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" } ?? listen
        logger.info("metrics listening", metadata: ["address": "\(address)"])
        try? await gracefulShutdown()
        try? await channel.close()
    }

    /// What the two pages say; one store connection, opened on first use.
    final class Pages: Sendable {
        let metrics: PicketMetrics
        let databasePath: String
        let health: @Sendable () -> String?

        init(metrics: PicketMetrics, databasePath: String, health: @escaping @Sendable () -> String?) {
            self.metrics = metrics
            self.databasePath = databasePath
            self.health = health
        }

        func respond(to uri: String) -> (HTTPResponseStatus, String, String) {
            switch uri.split(separator: "?").first.map(String.init) ?? uri {
            case "/metrics":
                if let store = try? Store(path: databasePath, create: false, readOnly: true),
                    let depth = try? store.outboxDepth()
                {
                    metrics.outbox(depth)
                }
                return (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.text())
            case "/healthz":
                if let problem = health() { return (.serviceUnavailable, "text/plain", problem + "\n") }
                return (.ok, "text/plain", "ok\n")
            default:
                return (.notFound, "text/plain", "only /metrics and /healthz here\n")
            }
        }
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let pages: Pages
        var uri = "/"

        init(pages: Pages) { self.pages = pages }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): uri = head.uri
            case .body: break
            case .end:
                let (status, type, body) = pages.respond(to: uri)
                var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.utf8.count)")])
                headers.add(name: "Connection", value: "close")
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                context.close(promise: nil)
            }
        }
    }
}
