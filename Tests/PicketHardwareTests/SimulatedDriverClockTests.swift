import PicketConfig
import PicketCore
import PicketHardware
import PicketTestSupport
import Testing

/// A driver runs on the clock it is given: the simulated field kit on a
/// `ManualClock` plays exactly as far as the test moves time, and stamps
/// its inputs with that clock's time, not the machine's.
@Suite struct SimulatedDriverClockTests {
    @Test func theKitPlaysAsFarAsTheInjectedClockMoves() async throws {
        let configuration = DefaultConfiguration.load()
        let clock = ManualClock()
        let start = clock.wallNs()
        let hub = InputHub(lines: configuration.gpio.count, ports: configuration.serial.count)
        let driver = SimulatedDriver(configuration: configuration, mapping: UTCMapping(source: clock))
        let task = Task { try await driver.run(into: hub) }
        defer { task.cancel() }

        var times: [Int64] = []
        // Two minutes of the kit, one wake-up at a time.
        while clock.wallNs() - start < 120_000_000_000 {
            try await eventually("the kit waiting for its next input") { clock.sleeperCount > 0 }
            hub.drainRound { times.append($0.t) }
            clock.advanceToNextDeadline()
        }
        try await eventually("the kit waiting again") { clock.sleeperCount > 0 }
        hub.drainRound { times.append($0.t) }
        task.cancel()

        #expect(times.count > 10, "the kit played: \(times.count) inputs")
        #expect(times.allSatisfy { $0 >= start && $0 <= clock.wallNs() }, "stamped with the injected clock's time")
        #expect(times.max()! - start > 60_000_000_000, "and as far as it was moved")
        #expect(hub.totalDrops == 0)
    }
}
