import Foundation
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// One termios driver under test with everything it reports into: the
/// bytes it hands over, its health reports, its log.
struct SerialDriverHarness {
    /// Fast enough that reconnect tests take milliseconds, slow enough to show backoff.
    static let fastRetry = RetryPolicy(initialNs: 20_000_000, maximumNs: 200_000_000)

    let sink = CollectingSink()
    let health = HealthLog()
    let log = CapturedLog()
    let mapping = UTCMapping()
    /// How often the drivers it makes log a repeated failure, unless told otherwise.
    let logIntervalNs: Int64

    init(logIntervalNs: Int64 = 30_000_000_000) {
        self.logIntervalNs = logIntervalNs
    }

    func driver(
        _ path: String, portIndex: Int = 0, baud: Int = 9600, retry: RetryPolicy = fastRetry,
        stableAfterNs: Int64 = 60_000_000_000, logIntervalNs: Int64? = nil
    ) -> TermiosSerialDriver {
        TermiosSerialDriver(
            portIndex: portIndex, config: SerialPortConfig(port: path, baud: baud), mapping: mapping,
            health: health.board, logger: log.logger, retry: retry, stableAfterNs: stableAfterNs,
            logIntervalNs: logIntervalNs ?? self.logIntervalNs)
    }

    /// Starts `driver` into the sink; the caller cancels the task.
    func start(_ driver: TermiosSerialDriver) -> Task<Void, any Error> {
        let sink = sink
        return Task { try await driver.run(into: sink) }
    }

    var healthyCount: Int { health.statuses.count { $0.healthy } }

    /// Runs `driver` while `body` runs, then cancels it and waits for it to return.
    func running<R>(_ driver: TermiosSerialDriver, _ body: () async throws -> R) async throws -> R {
        let task = start(driver)
        do {
            let result = try await body()
            #expect(sink.edges.isEmpty, "a serial driver offered a GPIO edge")
            task.cancel()
            try await task.value
            return result
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
    }

    /// Waits until the newest status is healthy and there are `count` healthy ones.
    func waitHealthy(count: Int = 1) async throws {
        try await eventually("\(count) healthy report(s)") {
            let statuses = health.statuses
            return statuses.last?.healthy == true && statuses.count { $0.healthy } >= count
        }
    }
}
