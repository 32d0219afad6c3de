import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PicketStore
import ServiceLifecycle

/// `/metrics` (Prometheus text), `/livez` (200 while the hot path turns and
/// the store answers, else 503) and `/healthz` (200 only when, in addition,
/// every input, the store, the clock and the disk are well; else 503 with
/// one problem a line) on `metrics.listen`, 127.0.0.1 unless the
/// configuration says otherwise. A plain SwiftNIO HTTP/1 server: three
/// read-only pages need no framework.
public struct MetricsServer: Service {
    let listen: String
    let metrics: PicketMetrics
    let databasePath: String
    let health: BoxHealth
    let logger: Logger

    public init(listen: String, metrics: PicketMetrics, databasePath: String, health: BoxHealth, logger: Logger) {
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

    /// What the pages say. Nothing here waits for the hot path or the
    /// store's write lock, so the pages answer during a storm and a stall.
    final class Pages: Sendable {
        let metrics: PicketMetrics
        let databasePath: String
        let health: BoxHealth

        /// A file's size, 0 when it does not exist.
        static func fileBytes(_ path: String) -> Int64 {
            var info = stat()
            return stat(path, &info) == 0 ? Int64(info.st_size) : 0
        }

        init(metrics: PicketMetrics, databasePath: String, health: BoxHealth) {
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
                metrics.database(bytes: Self.fileBytes(databasePath) + Self.fileBytes(databasePath + "-wal"))
                metrics.sensorsUp(health.sensorsUp())
                if let seconds = health.clock?.seconds { metrics.clockOffset(seconds: seconds) }
                return (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.text())
            case "/livez":
                if let problem = health.livenessProblem { return (.serviceUnavailable, "text/plain", problem + "\n") }
                return (.ok, "text/plain", "ok\n")
            case "/healthz":
                let problems = health.problems
                if !problems.isEmpty {
                    return (.serviceUnavailable, "text/plain", problems.joined(separator: "\n") + "\n")
                }
                return (.ok, "text/plain", "ok\n")
            default:
                return (.notFound, "text/plain", "only /metrics, /livez and /healthz here\n")
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
