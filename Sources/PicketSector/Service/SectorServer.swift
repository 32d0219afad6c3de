import Hummingbird
import Logging
import PicketConfig
import PicketCore
import ServiceLifecycle
import UnixSignals

/// Why `picket sector` cannot start with this configuration (sysexits 78).
public struct SectorStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `picket sector`: the HTTP service and the offline watcher, as the
/// services of one `ServiceGroup`.
public struct SectorServer: Sendable {
    public let configuration: SectorConfiguration
    public let store: any SectorStore
    public let keys: BoxKeys
    /// The SMS gateway's webhook (`HotlineWebhook(configuration:)`); nil without a hotline.
    public let hotline: HotlineWebhook?
    public let clock: any PicketClock
    public let metrics: SectorMetrics
    public let logger: Logger
    /// The SMS gateway the hotline texts through; nil: no texts.
    public let gateway: SectorGateway?

    public init(
        configuration: SectorConfiguration, store: any SectorStore, keys: BoxKeys, hotline: HotlineWebhook? = nil,
        clock: any PicketClock, metrics: SectorMetrics = SectorMetrics(), logger: Logger, gateway: SectorGateway? = nil
    ) {
        self.gateway = gateway
        self.configuration = configuration
        self.hotline = hotline
        self.store = store
        self.keys = keys
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// The store `configuration.database` names, migrated, with the
    /// configured boxes registered. A PostgreSQL URL that cannot be used is
    /// a `SectorStartError` naming the line of `database.url`; a server that
    /// cannot be reached or refuses is a `PostgresSectorStore.Failure`.
    /// Call `PostgresSectorStore.shutdown()` when done with one.
    public static func openStore(
        _ configuration: SectorConfiguration, logger: Logger = Logger(label: "picket.sector")
    ) async throws -> any SectorStore {
        switch configuration.database {
        case .sqlite(let path):
            let store = try SQLiteSectorStore(path: path)
            try await store.migrate()
            try await store.registerBoxes(configuration.boxes.map(\.box))
            return store
        case .postgres(let url):
            let line = configuration.databaseLine.map { ":\($0)" } ?? ""
            let parsed: PostgresURL
            do {
                parsed = try PostgresURL.parse(url)
            } catch {
                throw SectorStartError("\(configuration.file)\(line): database.url: \(error.message)")
            }
            let store = PostgresSectorStore(url: parsed, displayURL: PostgresURL.redacted(url), logger: logger)
            do {
                try await store.migrate()
                try await store.registerBoxes(configuration.boxes.map(\.box))
            } catch {
                await store.shutdown()
                throw error
            }
            return store
        }
    }

    public var routes: SectorRoutes {
        SectorRoutes(
            store: store, keys: keys, operators: Operators(path: configuration.operatorsFile), clock: clock,
            metrics: metrics, sector: configuration.sector, hotline: hotline)
    }

    /// The fleet page and its login; its cookie is `Secure` when `public_url` is https.
    public var page: SectorPage {
        SectorPage(
            store: store, operators: Operators(path: configuration.operatorsFile), clock: clock,
            sector: configuration.sector, offlineAfterS: configuration.offlineAfterS,
            secureCookies: configuration.publicURL?.lowercased().hasPrefix("https://") ?? false)
    }

    /// The box endpoints, the operators' JSON and the fleet page on one router.
    public func router() -> Router<BasicRequestContext> {
        let router = routes.router()
        page.register(on: router)
        return router
    }

    /// The HTTP application; `onRunning` gets the bound port (the chosen
    /// one when `listen` says port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let logger = logger
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return Application(
            router: router(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "picket-sector"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("sector listening", metadata: ["address": "\(host):\(port)"])
                await onRunning(port)
            },
            logger: logger)
    }

    public func watcher(intervalNs: Int64? = nil) -> OfflineWatcher {
        OfflineWatcher(
            store: store, clock: clock, offlineAfterS: configuration.offlineAfterS, metrics: metrics, logger: logger,
            intervalNs: intervalNs)
    }

    /// The hotline's outbound texts (`SectorHotline`).
    public func hotline(settings: SectorHotline.Settings = SectorHotline.Settings()) -> SectorHotline {
        SectorHotline(
            store: store, clock: clock, gateway: gateway, sector: configuration.sector,
            timeZone: configuration.timeZone, metrics: metrics, logger: logger, settings: settings)
    }

    /// Runs them all until SIGTERM or SIGINT (or cancellation).
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [application(onRunning: onRunning), watcher(), hotline()],
                gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        try await group.run()
    }
}
