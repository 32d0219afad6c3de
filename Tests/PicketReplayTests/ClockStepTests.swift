import Foundation
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import Testing

@testable import PicketCLI

/// The wall clock stepped under a running pipeline: debounce, hold-offs and
/// rules keep running on the processing time, stored events carry the wall
/// clock's time, and events stored while the clock is not synchronised say so.
@Suite struct ClockStepTests {
    @Test func aStepBackKeepsDebounceAndRulesRightAndStoresTheNewTime() throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pir = SensorConfig(id: "pir-1", kind: .pir, zone: "north-fork", holdoffMs: 5000, severity: .low)
        let configuration = PicketConfiguration(
            box: "step-box", sector: "test",
            gpio: [GPIOLineConfig(chip: "gpiochip0", line: 17, sensor: pir, debounceMs: 30)])
        let clock = ManualClock()
        let mapping = UTCMapping(source: clock)
        let store = try Store(path: dir.appendingPathComponent("picket.db").path)
        try store.beginRun(
            id: "live:step", mode: "live", startedTs: clock.wallNs(), input: nil, sensors: configuration.allSensors)
        let hub = InputHub(lines: 1, ports: 0)
        var synced = true
        let pipeline = Pipeline(
            configuration: configuration, hub: hub, store: store, runID: "live:step", logger: Support.logger,
            mode: .live(.init(wallClockStep: { mapping.stepNs }, clockSynchronised: { synced })))

        /// What the processing loop does every 10 ms of the fake clock.
        func run(ms: Int64) throws {
            for _ in 0..<(ms / 10) {
                clock.advance(by: 10_000_000)
                pipeline.drain()
                pipeline.advance(to: mapping.now() - 20_000_000)
                try pipeline.collect(now: mapping.now(), force: true)
            }
        }
        /// A person walks by: the line goes high with contact bounce, then low.
        func walkBy() throws {
            for rising in [true, false, true] {
                hub.offerEdge(line: 0, rising: rising, t: mapping.utc(monotonic: clock.monotonicNs()))
                clock.advance(by: 2_000_000)
            }
            try run(ms: 500)
            hub.offerEdge(line: 0, rising: false, t: mapping.utc(monotonic: clock.monotonicNs()))
            try run(ms: 500)
        }

        try walkBy()
        let firstWall = clock.wallNs()
        try run(ms: 10_000)
        // `date -s` an hour back, seen at the next refresh; the clock is not synchronised now.
        clock.stepWall(by: -3_600_000_000_000)
        #expect(mapping.refresh() == -3_600_000_000_000)
        synced = false
        try walkBy()
        // Two quiet hours later, a third walk-by, the last one in wall time too.
        clock.advance(by: 2 * 3_600_000_000_000)
        try walkBy()
        try pipeline.finish(now: mapping.now())

        // In time order the second walk-by comes first: it is stored an hour earlier.
        let events = try store.events()
        let (second, first) = (Array(events.prefix(2)), Array(events.dropFirst(2).prefix(2)))
        // Each walk-by is one debounced activation and one release: the
        // bounce made no extra events, and the second walk-by was not frozen.
        #expect(events.map(\.state) == [.active, .inactive, .active, .inactive, .active, .inactive])
        #expect(first.map(\.clockSynced) == [nil, nil])
        #expect(second.map(\.clockSynced) == [false, false])
        let alerts = try store.alerts()
        #expect(alerts.count == 3, "a new episode after each hold-off, so a detection each")
        // Stored times are the wall clock's.
        #expect(first[0].ts <= firstWall && firstWall - first[0].ts < 2_000_000_000)
        #expect(second[0].ts < first[0].ts - 3_500_000_000_000)
        #expect(events[5].ts <= clock.wallNs() && clock.wallNs() - events[5].ts < 2_000_000_000)
        #expect(second[1].ts - second[0].ts > 400_000_000, "the release came half a second after the activation")
        #expect(EventsCommand.json(second[0]).contains("\"clock_synced\":false"))
        #expect(!EventsCommand.json(first[0]).contains("clock_synced"))
        // `picket sensors` says the sensor's last event came with an unsynchronised clock.
        let health = try #require(try store.sensors().first { $0.sensor == "pir-1" })
        #expect(health.lastEventClockSynced == false)
        #expect(SensorsCommand.json(health).contains("\"clock_synced\":false"))
    }
}
