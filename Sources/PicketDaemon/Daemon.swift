import Logging
import PicketCore
import PicketDelivery
import PicketHardware
import PicketStore
import ServiceLifecycle
import Synchronization

/// `picket run`: drivers feeding the hot path, the pipeline committing to
/// SQLite, until SIGTERM or SIGINT.
public enum Daemon {
    /// - Parameters:
    ///   - clock: the UTC mapping the drivers stamp inputs with; the hot path's
    ///     clock follows it, and it is refreshed every few seconds.
    ///   - health: where the drivers report their sources.
    ///   - driverCounters: counters the drivers keep (synthetic edges...).
    public static func run(
        configuration: PicketConfiguration, databasePath: String, drivers: [any InputDriver], logger: Logger,
        clock: UTCMapping = UTCMapping(), health: DriverHealthBoard? = nil,
        driverCounters: (@Sendable () -> [String: Int])? = nil, recordTo: String? = nil
    ) async throws {
        // Secrets first: a missing or world-readable one stops the start.
        let delivery =
            DeliveryService.isNeeded(configuration)
            ? try DeliveryService(
                configuration: configuration, databasePath: databasePath, logger: logger, now: { clock.now() })
            : nil
        let store = try Store(path: databasePath)
        let started = clock.now()
        let runID = "live:\(UTCTime.format(started))"
        try store.beginRun(
            id: runID, mode: "live", startedTs: started, input: drivers.map(\.name).joined(separator: ","),
            sensors: configuration.allSensors)
        // What `picket report` stamps on a report when it has no configuration.
        try store.recordIdentity(box: configuration.box, sector: configuration.sector, site: configuration.site)
        let hub = InputHub(lines: configuration.gpio.count, ports: configuration.serial.count)
        let pipeline = Pipeline(
            configuration: configuration, hub: hub, store: store, runID: runID, logger: logger,
            burstHoldNs: Processor.liveBurstHoldNs)
        pipeline.onAlert = { alert in
            logger.notice(
                "alert",
                metadata: [
                    "id": "\(alert.id)", "rule": "\(alert.rule)", "severity": "\(alert.severity.rawValue)",
                    "zone": "\(alert.zone ?? "-")", "summary": "\(alert.summary)",
                ])
        }
        pipeline.healthBoard = health
        pipeline.takesReports = true
        pipeline.delivers = delivery != nil
        if let recordTo {
            pipeline.recorder = try RecordingWriter(path: recordTo, configuration: configuration, startedUTC: started)
        }
        pipeline.externalCounters = driverCounters
        let processing = ProcessingService(
            pipeline: pipeline, logger: logger, now: { clock.now() }, tick: { clock.refresh() })
        let startedDrivers = StartedCount()
        // Under systemd (Type=notify): READY, watchdog pings, STATUS, STOPPING.
        let systemd = SystemdNotifier().map { notifier in
            SystemdService(
                notifier: notifier, processing: processing,
                driversStarted: { startedDrivers.value >= drivers.count },
                status: {
                    "\(processing.events.load(ordering: .relaxed)) events, "
                        + "\(processing.alerts.load(ordering: .relaxed)) alerts this run; "
                        + "\(drivers.count) driver(s); db \(databasePath)"
                }, logger: logger)
        }
        // Services shut down in reverse order: drivers first, then the hot path
        // drains, then the sender finishes or requeues what it has in flight,
        // and systemd hears STOPPING first.
        let services: [any Service] =
            (delivery.map { [$0] } ?? []) + [processing]
            + drivers.map { DriverService(driver: $0, sink: hub, logger: logger, onStart: { startedDrivers.add() }) }
            + (systemd.map { [$0] } ?? [])
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info(
            "picket running",
            metadata: [
                "box": "\(configuration.box)", "db": "\(databasePath)", "gpio_lines": "\(configuration.gpio.count)",
                "serial_ports": "\(configuration.serial.count)", "rules": "\(configuration.rules.count)",
            ])
        try await group.run()
        logger.info("picket stopped", metadata: ["db": "\(databasePath)"])
    }
}

/// How many drivers have started.
final class StartedCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .releasing) }
    var value: Int { count.load(ordering: .acquiring) }
}
