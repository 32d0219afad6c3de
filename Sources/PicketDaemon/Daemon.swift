import Logging
import PicketCore
import PicketDelivery
import PicketHardware
import PicketStore
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// `picket run`: drivers feeding the hot path, the pipeline committing to
/// SQLite, until SIGTERM or SIGINT; SIGHUP reloads the configuration.
public enum Daemon {
    /// How `picket run` reloads on SIGHUP: reads the configuration again and
    /// makes the drivers it names.
    public struct Reload: Sendable {
        public var load: @Sendable () throws -> PicketConfiguration
        public var makeDrivers: @Sendable (PicketConfiguration) throws -> LiveDrivers.Selection

        public init(
            load: @escaping @Sendable () throws -> PicketConfiguration,
            makeDrivers: @escaping @Sendable (PicketConfiguration) throws -> LiveDrivers.Selection
        ) {
            self.load = load
            self.makeDrivers = makeDrivers
        }
    }

    /// Runs until SIGTERM or SIGINT. On SIGHUP (with `reload`) the new
    /// configuration is validated first, and kept out on any error (logged);
    /// a valid one replaces the running one by a graceful restart inside the
    /// process: drivers stop, the hot path drains and commits, the sender
    /// requeues what it has in flight, and everything starts again on the
    /// new sensors, rules and destinations, in the same database. Nothing a
    /// driver delivered is lost; inputs that reach a port during the restart
    /// (a few milliseconds) may be.
    public static func run(
        configuration: PicketConfiguration, databasePath: String, drivers: [any InputDriver], logger: Logger,
        clock: UTCMapping = UTCMapping(), health: DriverHealthBoard? = nil,
        driverCounters: (@Sendable () -> [String: Int])? = nil, recordTo: String? = nil, reload: Reload? = nil,
        exercise: Bool = false, signals: ShutdownSignals
    ) async throws {
        // SIGHUP's default is to end the process: ignored from here on, and
        // handled by the reload service while a cycle runs.
        signal(SIGHUP, SIG_IGN)
        _ = Self.oneEventLoop
        // One registry for the whole process, across reloads.
        let metrics = PicketMetrics()
        let recorder = try recordTo.map {
            try RecordingWriter(path: $0, configuration: configuration, startedUTC: clock.now())
        }
        var current = (configuration: configuration, drivers: drivers, counters: driverCounters)
        while !signals.requested,
            let next = try await cycle(
                configuration: current.configuration, databasePath: databasePath, drivers: current.drivers,
                logger: logger, clock: clock, health: health, driverCounters: current.counters, recorder: recorder,
                reload: reload, exercise: exercise, metrics: metrics, signals: signals),
            !signals.requested
        {
            current = (next.configuration, next.selection.drivers, next.selection.counters)
            logger.notice(
                "configuration reloaded",
                metadata: ["box": "\(next.configuration.box)", "rules": "\(next.configuration.rules.count)"])
        }
        logger.info("picket stopped", metadata: ["db": "\(databasePath)"])
    }

    /// One run of the services; returns the next configuration when SIGHUP asked for one.
    static func cycle(
        configuration: PicketConfiguration, databasePath: String, drivers: [any InputDriver], logger: Logger,
        clock: UTCMapping, health: DriverHealthBoard?, driverCounters: (@Sendable () -> [String: Int])?,
        recorder: RecordingWriter?, reload: Reload?, exercise: Bool, metrics: PicketMetrics, signals: ShutdownSignals
    ) async throws -> (configuration: PicketConfiguration, selection: LiveDrivers.Selection)? {
        // Secrets first: a missing or world-readable one stops the start.
        let delivery =
            DeliveryService.isNeeded(configuration)
            ? try DeliveryService(
                // The wall clock: what a request is signed with and a status says
                // must be the box's real time, which a receiver checks.
                configuration: configuration, databasePath: databasePath, logger: logger, exercise: exercise,
                clock: clock,
                onAttempt: { destination, result in
                    metrics.deliveryAttempt(
                        destination: destination, result: result,
                        deliveredAtSeconds: result == "delivered" ? Double(clock.now()) / 1e9 : nil)
                })
            : nil
        let store = try Store(path: databasePath)
        let started = clock.now()
        let runID = "live:\(UTCTime.format(started))"
        try store.beginRun(
            id: runID, mode: "live", startedTs: started, input: drivers.map(\.name).joined(separator: ","),
            sensors: configuration.allSensors)
        // What `picket report` stamps on a report when it has no configuration.
        try store.recordIdentity(box: configuration.box, sector: configuration.sector, site: configuration.site)
        // How `picket report` knows a daemon takes its reports now.
        try store.markDaemonRunning()
        defer { try? store.clearDaemonMark() }
        // The per-sensor gauges start from what the database knows.
        for sensor in (try? store.sensors()) ?? [] {
            metrics.seed(
                sensor: sensor.sensor, lastEventTs: sensor.lastEventTs, lastHeartbeatTs: sensor.lastHeartbeatTs,
                batteryMv: sensor.batteryMv)
        }
        let hub = InputHub(lines: configuration.gpio.count, ports: configuration.serial.count)
        let live = Pipeline.LiveSettings(
            burstHoldNs: Processor.liveBurstHoldNs, delivery: delivery, healthBoard: health, recorder: recorder,
            externalCounters: driverCounters, wallClockStep: { clock.stepNs },
            clockSynchronised: { SystemFacts.clockSynced() },
            onAlert: { alert in
                logger.notice(
                    "alert",
                    metadata: [
                        "id": "\(alert.id)", "rule": "\(alert.rule)", "severity": "\(alert.severity.rawValue)",
                        "zone": "\(alert.zone ?? "-")", "summary": "\(alert.summary)",
                    ])
            },
            onCommitted: { events, statuses in metrics.committed(events: events, statuses: statuses) })
        let pipeline = Pipeline(
            configuration: configuration, hub: hub, store: store, runID: runID, logger: logger, mode: .live(live))
        let processing = ProcessingService(
            pipeline: pipeline, logger: logger, clock: clock, now: { clock.now() },
            tick: {
                guard let step = clock.refresh() else { return }
                logger.warning(
                    """
                    wall clock stepped: events are stamped with the new time; debounce, hold-offs, rule windows \
                    and timeouts run on unchanged
                    """,
                    metadata: [
                        "step_s": "\(Double(step) / 1e9)", "steps_since_start_s": "\(Double(clock.stepNs) / 1e9)",
                    ])
            }, metrics: metrics)
        metrics.prepare(for: configuration)
        let boxHealth = BoxHealth(
            configuration: configuration, processing: processing, board: health, clock: pipeline.clockOffsets)
        let metricsServer = configuration.metricsListen.map { listen in
            MetricsServer(
                listen: listen, metrics: metrics, databasePath: databasePath, health: boxHealth, logger: logger)
        }
        let startedDrivers = StartedCount()
        let reloader = reload.map { ReloadService(reload: $0, databasePath: databasePath, logger: logger) }
        let retention = RetentionService(
            retention: configuration.retention, databasePath: databasePath, keepRun: runID, logger: logger,
            // Stored times are the wall clock's, so their age is too.
            clock: clock)
        // Under systemd (Type=notify): READY, watchdog pings, STATUS, STOPPING.
        let systemd = SystemdNotifier().map { notifier in
            SystemdService(
                notifier: notifier, processing: processing,
                driversStarted: { startedDrivers.value >= drivers.count },
                status: {
                    "\(processing.events.load(ordering: .relaxed)) events, "
                        + "\(processing.alerts.load(ordering: .relaxed)) alerts this run; "
                        + "\(drivers.count) driver(s); db \(databasePath)"
                }, reloading: { reloader?.next != nil }, logger: logger)
        }
        // Services shut down in reverse order: drivers first, then the hot path
        // drains, then the sender finishes or requeues what it has in flight,
        // and systemd hears STOPPING first.
        let services: [any Service] =
            (delivery.map { [$0] } ?? []) + [processing]
            + drivers.map { DriverService(driver: $0, sink: hub, logger: logger, onStart: { startedDrivers.add() }) }
            + (systemd.map { [$0] } ?? []) + (reloader.map { [$0] } ?? []) + (metricsServer.map { [$0] } ?? [])
            + [
                retention,
                StartupPagesService(clock: clock, afterNs: StartupPagesService.defaultAfterNs, logger: logger),
            ]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                // SIGTERM and SIGINT come through `signals`, trapped since the start.
                gracefulShutdownSignals: [],
                logger: logger))
        await signals.attach(group)
        logger.info(
            "picket running",
            metadata: [
                "box": "\(configuration.box)", "db": "\(databasePath)", "gpio_lines": "\(configuration.gpio.count)",
                "serial_ports": "\(configuration.serial.count)", "rules": "\(configuration.rules.count)",
            ])
        reloader?.group.withLock { $0 = group }
        try await group.run()
        return reloader?.next
    }
}

/// Waits for SIGHUP; validates the configuration it names (the YAML, the
/// drivers, the delivery secrets) and, only when all is well, ends the
/// current cycle gracefully so the daemon restarts on it.
final class ReloadService: Service, Sendable {
    let reload: Daemon.Reload
    let databasePath: String
    let logger: Logger
    let group = Mutex<ServiceGroup?>(nil)
    private let pending = Mutex<(configuration: PicketConfiguration, selection: LiveDrivers.Selection)?>(nil)

    init(reload: Daemon.Reload, databasePath: String, logger: Logger) {
        self.reload = reload
        self.databasePath = databasePath
        self.logger = logger
    }

    /// The configuration to restart on, once SIGHUP brought a valid one.
    var next: (configuration: PicketConfiguration, selection: LiveDrivers.Selection)? { pending.withLock { $0 } }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            await self.waitForValidReload(signals)
        }
        // Return only at this service's turn in the shutdown: a service that
        // ends early makes the group cancel the rest instead of draining them.
        try? await gracefulShutdown()
    }

    private func waitForValidReload(_ signals: UnixSignalsSequence) async {
        for await _ in signals {
            logger.notice("SIGHUP: reloading the configuration")
            do {
                let configuration = try reload.load()
                try DeliveryService.validateSecrets(configuration)
                let selection = try reload.makeDrivers(configuration)
                pending.withLock { $0 = (configuration, selection) }
                if let group = group.withLock({ $0 }) { await group.triggerGracefulShutdown() }
                return
            } catch {
                logger.error("new configuration refused; the running one stays", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// How many drivers have started.
final class StartedCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .releasing) }
    var value: Int { count.load(ordering: .acquiring) }
}
