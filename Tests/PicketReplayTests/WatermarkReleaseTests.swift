import Foundation
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import PicketTestSupport
import Testing

/// Live, the hot path releases an event as soon as every source's watermark
/// has passed its time, not after the fixed hold: here the clock (a
/// `ManualClock`) never moves, so only the watermarks can release anything.
@Suite struct WatermarkReleaseTests {
    static let t0: Int64 = 1_780_000_000_000_000_000
    static let ms: Int64 = 1_000_000

    /// A live pipeline on two serial ports, its processing service running
    /// on a clock that stands still at `t0`.
    final class Rig: @unchecked Sendable {
        let dir: URL
        let hub = InputHub(lines: 0, ports: 2)
        let pipeline: Pipeline
        let processing: ProcessingService
        let reader: Store
        var task: Task<Void, any Error>?

        init() throws {
            dir = try Support.temporaryDirectory()
            let configuration = PicketConfiguration(
                box: "mark-box", sector: "test",
                serial: [SerialPortConfig(port: "/dev/radio-a"), SerialPortConfig(port: "/dev/radio-b")],
                sensors: [
                    SensorConfig(id: "seis-a", kind: .seismic, zone: "north", severity: .low),
                    SensorConfig(id: "seis-b", kind: .seismic, zone: "south", severity: .low),
                ])
            let path = dir.appendingPathComponent("picket.db").path
            let store = try Store(path: path)
            try store.beginRun(
                id: "live:test", mode: "live", startedTs: WatermarkReleaseTests.t0, input: nil,
                sensors: configuration.allSensors)
            pipeline = Pipeline(
                configuration: configuration, hub: hub, store: store, runID: "live:test", logger: Support.logger,
                mode: .live(.init()))
            processing = ProcessingService(
                pipeline: pipeline, logger: Support.logger, clock: ManualClock(wallNs: WatermarkReleaseTests.t0))
            reader = try Store(path: path)
        }

        func start() {
            let processing = processing
            task = Task { try await processing.run() }
        }

        /// Stops the service (it drains, releases and commits what is left).
        func stop() async throws {
            task?.cancel()
            try await task?.value
        }

        func offer(_ sensor: String, seq: Int, port: Int, at t: Int64) {
            detectionFrame(sensor, seq: seq).withUnsafeBytes { _ = hub.offerSerial(port: port, t: t, bytes: $0) }
        }

        /// The stored events' sensors, in the order they were stored.
        func stored() throws -> [String] {
            let s = try reader.database.statement("SELECT sensor FROM events ORDER BY seq")
            defer { s.reset() }
            var sensors: [String] = []
            while try s.step() { sensors.append(s.string(0)) }
            return sensors
        }
    }

    @Test func anEventIsReleasedAndStoredOnceEverySourceSaysItDeliveredEverythingBefore() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        rig.start()
        // 1 ms old, with the 250 ms hold still to run: only watermarks release it.
        rig.offer("seis-a", seq: 1, port: 0, at: Self.t0 - 1 * Self.ms)
        rig.hub.waiting(.port(0), lagNs: 0)
        rig.hub.waiting(.port(1), lagNs: 0)
        try await eventually("the event is stored without the clock moving") { try rig.stored() == ["seis-a"] }
        try await rig.stop()
    }

    @Test func aSourceStillReadingHoldsBackWhatItMayPrecede() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        rig.start()
        // Port b has delivered everything up to 5 ms ago and is reading more:
        // port a's event of 3 ms ago waits for it.
        rig.hub.delivered(.port(1), through: Self.t0 - 5 * Self.ms)
        rig.offer("seis-a", seq: 1, port: 0, at: Self.t0 - 3 * Self.ms)
        rig.hub.waiting(.port(0), lagNs: 0)
        try await eventually("port a's input drained") { rig.hub.depth == 0 }
        // Many turns of the hot path (it looks again every few ms while an event waits).
        try await Task.sleep(for: .milliseconds(300))
        #expect(try rig.stored().isEmpty)
        #expect(rig.processing.events.load(ordering: .relaxed) == 0)
        // What port b was reading is older than port a's event: it goes first.
        rig.offer("seis-b", seq: 1, port: 1, at: Self.t0 - 4 * Self.ms)
        rig.hub.waiting(.port(1), lagNs: 0)
        try await eventually("both events stored") { try rig.stored().count == 2 }
        #expect(try rig.stored() == ["seis-b", "seis-a"])
        try await rig.stop()
    }

    @Test func aSourceThatSaysNothingKeepsTheHold() async throws {
        let rig = try Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        rig.start()
        // Port b's driver never said anything (a driver without watermarks).
        rig.offer("seis-a", seq: 1, port: 0, at: Self.t0 - 1 * Self.ms)
        rig.hub.waiting(.port(0), lagNs: 0)
        try await eventually("port a's input drained") { rig.hub.depth == 0 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try rig.stored().isEmpty)
        // Stopping releases and stores it all the same.
        try await rig.stop()
        #expect(try rig.stored() == ["seis-a"])
    }
}
