import Foundation
import Logging
import PicketCore
import PicketHardware
import ServiceLifecycle
import Synchronization

/// `picket record`'s consumer: drains the hub on its own thread, in the
/// order the live hot path would, and writes every input to the recording.
/// On graceful shutdown (after the drivers stopped) it drains what is left
/// and syncs the file.
public final class RecordingService: Service, @unchecked Sendable {
    // @unchecked: the writer is touched only by the recording thread once
    // `run` starts; `stopping` is atomic.
    private let hub: InputHub
    private let writer: RecordingWriter
    private let health: DriverHealthBoard?
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    /// Called every few seconds (refreshes the drivers' UTC mapping).
    private let tick: @Sendable () -> Void
    /// What the ticks are timed on.
    private let clock: any PicketClock

    public init(
        hub: InputHub, writer: RecordingWriter, health: DriverHealthBoard?, logger: Logger,
        clock: any PicketClock = SystemClock(), tick: @escaping @Sendable () -> Void = {}
    ) {
        self.clock = clock
        self.hub = hub
        self.writer = writer
        self.health = health
        self.logger = logger
        self.tick = tick
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    do {
                        try loop()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "picket-recorder"
                thread.start()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
        }
    }

    private func loop() throws {
        var lastTick = clock.monotonicNs()
        while !stopping.load(ordering: .acquiring) {
            if clock.monotonicNs() - lastTick >= 5_000_000_000 {
                tick()
                lastTick = clock.monotonicNs()
            }
            var batch: [RawInput] = []
            let handled = hub.drainRound { batch.append($0) }
            try writer.write(batch: batch)
            for report in health?.take() ?? [] {
                logger.log(
                    level: report.healthy ? .notice : .warning, report.healthy ? "source healthy" : "source unhealthy",
                    metadata: ["source": "\(report.source)", "detail": "\(report.detail)"])
            }
            if handled == 0 {
                try writer.flushPending()
                hub.wait(timeoutNs: 50_000_000)
            }
        }
        while true {
            var batch: [RawInput] = []
            guard hub.drainRound({ batch.append($0) }) > 0 else { break }
            try writer.write(batch: batch)
        }
        try writer.finish()
        if hub.totalDrops > 0 {
            logger.warning(
                "hot path overflow while recording: inputs dropped", metadata: ["dropped": "\(hub.totalDrops)"])
        }
    }
}

/// Ends a service group after a fixed time (`picket record --duration`).
public struct StopAfterService: Service {
    let nanoseconds: Int64
    let clock: any PicketClock

    public init(seconds: Double, clock: any PicketClock = SystemClock()) {
        nanoseconds = Int64(seconds * 1e9)
        self.clock = clock
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await clock.sleep(forNs: nanoseconds)
        }
    }
}

/// `picket record`: drivers feeding the hot path, every input written to a
/// recording, until SIGTERM, SIGINT or the duration.
public enum Recorder {
    public struct Summary: Sendable {
        public var path: String
        public var inputs: Int
        public var bytes: Int
        public var drops: Int
    }

    public static func run(
        configuration: PicketConfiguration, path: String, drivers: [any InputDriver], duration: Double?,
        clock: UTCMapping, health: DriverHealthBoard?, logger: Logger, signals: ShutdownSignals
    ) async throws -> Summary {
        let writer = try RecordingWriter(path: path, configuration: configuration, startedUTC: clock.now())
        let hub = InputHub(lines: configuration.gpio.count, ports: configuration.serial.count)
        let recording = RecordingService(
            hub: hub, writer: writer, health: health, logger: logger, clock: clock, tick: { clock.refresh() })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: recording)]
        services += drivers.map { .init(service: DriverService(driver: $0, sink: hub, logger: logger)) }
        if let duration {
            services.append(
                .init(
                    service: StopAfterService(seconds: duration, clock: clock),
                    successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        await signals.attach(group)
        logger.info("recording", metadata: ["out": "\(path)", "box": "\(configuration.box)"])
        try await group.run()
        // The header is a line too; report inputs only.
        return Summary(path: path, inputs: writer.inputsWritten - 1, bytes: writer.bytesWritten, drops: hub.totalDrops)
    }
}
