import Logging
import PicketHardware
import ServiceLifecycle

/// Runs one input driver until graceful shutdown.
public struct DriverService: Service {
    let driver: any InputDriver
    let sink: any InputSink
    let logger: Logger

    /// Called as the driver starts (counts drivers for READY=1).
    let onStart: @Sendable () -> Void

    public init(
        driver: any InputDriver, sink: any InputSink, logger: Logger, onStart: @escaping @Sendable () -> Void = {}
    ) {
        self.driver = driver
        self.sink = sink
        self.logger = logger
        self.onStart = onStart
    }

    public func run() async throws {
        logger.info("driver started", metadata: ["driver": "\(driver.name)"])
        onStart()
        // Re-offer GPIO edges a full ring held back. Only the producer of the
        // GPIO lines may (each ring has one producer), so a serial driver does not.
        defer { if driver is any GPIOEdgeSource { sink.flush() } }
        try await cancelWhenGracefulShutdown {
            try await driver.run(into: sink)
        }
        logger.info("driver stopped", metadata: ["driver": "\(driver.name)"])
    }
}
