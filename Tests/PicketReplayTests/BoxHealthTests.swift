import Foundation
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import Testing

/// What `/healthz` and `picket_sensor_up` say about the inputs.
@Suite struct BoxHealthTests {
    @Test func everyUnhealthyOrSilentInputIsNamedAndItsSensorsAreDown() throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let configuration = PicketConfiguration(
            box: "health-box", sector: "test",
            gpio: [
                GPIOLineConfig(chip: "gpiochip0", line: 17, sensor: SensorConfig(id: "pir-1", kind: .pir)),
                GPIOLineConfig(chip: "gpiochip0", line: 22, sensor: SensorConfig(id: "beam-s", kind: .beam)),
            ],
            serial: [SerialPortConfig(port: "/dev/picket-radio")],
            sensors: [SensorConfig(id: "seis-7", kind: .seismic)])
        let store = try Store(path: dir.appendingPathComponent("picket.db").path)
        let pipeline = Pipeline(
            configuration: configuration, hub: InputHub(lines: 2, ports: 1), store: store, runID: "live:test",
            logger: Support.logger, mode: .replay)
        let processing = ProcessingService(pipeline: pipeline, logger: Support.logger)
        let board = DriverHealthBoard()
        board.expect(["gpiochip0:17", "gpiochip0:22", "/dev/picket-radio"])
        board.report(
            DriverStatus(
                source: "gpiochip0:17", sensors: ["pir-1"], healthy: false,
                detail: "gpiochip0 line 17: no such GPIO chip", ts: 0))
        board.report(DriverStatus(source: "/dev/picket-radio", sensors: [], healthy: true, detail: "open", ts: 0))
        let health = BoxHealth(configuration: configuration, processing: processing, board: board)
        let problems = health.problems
        #expect(problems.contains("input gpiochip0:17 (pir-1): gpiochip0 line 17: no such GPIO chip"))
        #expect(problems.contains("input gpiochip0:22 (beam-s): its driver has not reported yet"))
        #expect(!problems.contains { $0.contains("/dev/picket-radio") })
        // Not started: the hot path has not turned, so nothing is up.
        #expect(problems.first?.hasPrefix("starting") == true)
        #expect(health.sensorsUp() == ["pir-1": false, "beam-s": false, "seis-7": false])
    }

    @Test func theSimulatedKitExpectsNoInputs() throws {
        let board = DriverHealthBoard()
        board.expect([])
        #expect(board.current().isEmpty)
        board.report(DriverStatus(source: "x", sensors: [], healthy: false, detail: "gone", ts: 0))
        #expect(board.current().map(\.source) == ["x"])
    }
}
