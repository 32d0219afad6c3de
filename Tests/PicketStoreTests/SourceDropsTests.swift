import Foundation
import PicketCore
import PicketStore
import Testing

/// `picket sensors` names each sensor's source and the inputs its ring dropped.
@Suite struct SourceDropsTests {
    @Test func eachSensorCarriesItsSourceAndRingDropsAcrossRuns() throws {
        let database = try TemporaryDatabase("picket-drops")
        let store = try Store(path: database.path)
        let t0: Int64 = 1_780_000_000_000_000_000
        let sensors = [SensorConfig(id: "pir-1", kind: .pir), SensorConfig(id: "seis-7", kind: .seismic)]
        for (run, drops) in [("live:1", 5), ("live:2", 7)] {
            try store.beginRun(id: run, mode: "live", startedTs: t0, input: nil, sensors: sensors)
            var batch = StoreBatch(counters: ["ring_drops.gpiochip0:17": drops, "ring_drops./dev/radio": 2])
            batch.sourceReports = [
                ("gpiochip0:17", ["pir-1"], true, "requested", t0),
                ("/dev/radio", [], false, "/dev/radio: no such device", t0),
            ]
            try store.write(batch, run: run, now: t0)
        }
        let health = Dictionary(uniqueKeysWithValues: try store.sensors().map { ($0.sensor, $0) })
        #expect(health["pir-1"]?.source == "gpiochip0:17")
        #expect(health["pir-1"]?.ringDrops == 12)
        #expect(health["pir-1"]?.driverHealthy == true)
        // A radio sensor is heard through the box's one serial port.
        #expect(health["seis-7"]?.source == "/dev/radio")
        #expect(health["seis-7"]?.ringDrops == 4)
        #expect(health["seis-7"]?.driverHealthy == false)
        #expect(health["seis-7"]?.driverDetail == "/dev/radio: no such device")
    }
}
