import Foundation
import PicketConfig
import PicketCore
import Testing

/// The configurations that ship in `Config/` must load, and must mean what
/// their comments say.
@Suite struct ShippedConfigurationTests {
    @Test func embeddedSimulatedKitIsByteIdenticalToTheFile() throws {
        let url = packageRoot.appendingPathComponent("Config/picket.simulate.yaml")
        let onDisk = try Data(contentsOf: url)
        #expect(onDisk == Data(DefaultConfiguration.yaml.utf8))
    }

    @Test func simulatedKitLoadsWithItsValuesAndDefaults() {
        let config = DefaultConfiguration.load()
        #expect(config.box == "sim-01")
        #expect(config.sector == "simulated")
        #expect(config.site == Position(lat: 44.9925, lon: -73.1098))
        #expect(config.storagePath == nil)
        #expect(config.retention == RetentionSettings())
        #expect(config.gpio.map(\.line) == [17, 22, 23, 24])
        #expect(config.gpio.allSatisfy { $0.chip == "gpiochip0" && $0.bias == .asIs })
        #expect(config.gpio.map(\.active) == [.high, .low, .low, .high])
        #expect(config.gpio.map(\.debounceMs) == [30, 10, 10, 50])
        #expect(
            config.gpio[0].sensor
                == SensorConfig(
                    id: "pir-1", kind: .pir, zone: "north-fork", holdoffMs: 5000, severity: .low,
                    position: Position(lat: 44.9931, lon: -73.1102), tags: ["trail": "north-fork"]))
        #expect(config.gpio[3].sensor.severity == .medium)
        #expect(
            config.serial == [
                SerialPortConfig(port: "/dev/ttyUSB0", baud: 9600, protocol: .nmea),
                SerialPortConfig(port: "/dev/ttyUSB1", baud: 4800, protocol: .nmea),
            ])
        #expect(config.sensors.map(\.id) == ["seis-7", "seis-8", "cam-1"])
        #expect(config.sensors.map(\.kind) == [.seismic, .seismic, .camera])
        #expect(config.sensors[0].severity == nil)
        #expect(config.sensors[2].tags == ["trail": "north-fork"])
        #expect(
            config.rules == [
                RuleConfig(
                    name: "crossing", severity: .high, condition: .allOf(kinds: [.pir, .seismic], zone: "north-fork"),
                    withinNs: 60_000_000_000),
                RuleConfig(
                    name: "ford-vehicle", severity: .critical,
                    condition: .allOf(kinds: [.magnetic, .seismic], zone: "river-ford"), withinNs: 30_000_000_000,
                    cooldownNs: 120_000_000_000),
                RuleConfig(
                    name: "northbound", severity: .medium, condition: .sequence(first: "beam-s", second: "beam-n"),
                    withinNs: 30_000_000_000, direction: "northbound"),
                RuleConfig(
                    name: "southbound", severity: .medium, condition: .sequence(first: "beam-n", second: "beam-s"),
                    withinNs: 30_000_000_000, direction: "southbound"),
            ])
        #expect(config.forward == nil)
        #expect(config.hotline == nil)
    }

    @Test func exampleLoadsWithEveryKey() throws {
        let path = packageRoot.appendingPathComponent("Config/picket.example.yaml").path
        let config = try ConfigLoader.load(path: path)
        #expect(config.box == "swanton-07")
        #expect(config.sector == "swanton")
        #expect(config.site == Position(lat: 44.9925, lon: -73.1098))
        #expect(config.storagePath == "/var/lib/picket/picket.db")
        #expect(config.retention == RetentionSettings(retainDays: 90, maxMB: 2048))
        #expect(
            config.gpio[0]
                == GPIOLineConfig(
                    chip: "gpiochip0", line: 17,
                    sensor: SensorConfig(
                        id: "pir-1", kind: .pir, zone: "north-fork", holdoffMs: 5000, severity: .low,
                        position: Position(lat: 44.9931, lon: -73.1102),
                        tags: ["trail": "north-fork", "mount": "post-3"]),
                    active: .high, debounceMs: 30, bias: .pullDown))
        #expect(
            config.gpio[1]
                == GPIOLineConfig(
                    chip: "gpiochip0", line: 22,
                    sensor: SensorConfig(id: "beam-s", kind: .beam, zone: "north-fork", holdoffMs: 2000),
                    active: .low, debounceMs: 10, bias: .pullUp))
        #expect(config.gpio.count == 3)
        #expect(
            config.serial == [
                SerialPortConfig(port: "/dev/picket-radio", baud: 9600, protocol: .nmea),
                SerialPortConfig(port: "/dev/picket-gps", baud: 4800, protocol: .nmea),
            ])
        #expect(
            config.sensors == [
                SensorConfig(
                    id: "seis-7", kind: .seismic, zone: "north-fork", holdoffMs: 10000, severity: .medium,
                    position: Position(lat: 44.9933, lon: -73.1105), tags: ["trail": "north-fork"]),
                SensorConfig(id: "cam-1", kind: .camera, zone: "north-fork", holdoffMs: 30000),
            ])
        #expect(
            config.rules == [
                RuleConfig(
                    name: "crossing", severity: .high, condition: .allOf(kinds: [.pir, .seismic], zone: "north-fork"),
                    withinNs: 60_000_000_000, cooldownNs: 120_000_000_000),
                RuleConfig(
                    name: "northbound", severity: .medium, condition: .sequence(first: "beam-s", second: "beam-n"),
                    withinNs: 30_000_000_000, direction: "northbound"),
            ])
        #expect(
            config.forward
                == ForwardConfig(
                    url: "https://sector.example/alerts", secretFile: "/run/credentials/picket.service/sector.key",
                    format: .json,
                    caFile: "/etc/picket/sector-ca.pem"))
        #expect(config.timeZone == "America/New_York")
        #expect(config.metricsListen == "127.0.0.1:9464")
        #expect(
            config.health
                == HealthMonitor.Settings(
                    heartbeatTimeoutNs: 900_000_000_000, batteryMinMv: 3300, gpsLostNs: 3_600_000_000_000,
                    diskMinFreeBytes: 200 << 20, clockMaxOffsetNs: 2_000_000_000))
        #expect(
            config.hotline
                == HotlineConfig(
                    url: "https://sms-gateway.example/Messages", from: "+18025550199",
                    credentialsFile: "/run/credentials/picket.service/hotline.cred",
                    subscribers: [
                        Subscriber(
                            name: "North farm", phone: "+18025550100", zones: ["north-fork"], minSeverity: .high,
                            quietHours: Subscriber.QuietHours(startMinute: 22 * 60, endMinute: 6 * 60), maxPerHour: 4)
                    ], caFile: "/etc/picket/gateway-ca.pem", contact: "+18025550111"))
    }

    /// The example names its ports the stable way, so it draws no warning;
    /// the simulated kit's ports are simulated (and `run --simulate` does
    /// not check them), so its enumeration-order names are harmless.
    @Test func theExampleUsesStablePortNames() throws {
        let path = packageRoot.appendingPathComponent("Config/picket.example.yaml").path
        #expect(ConfigWarnings.check(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path) == [])
        let simulated = ConfigWarnings.check(yaml: DefaultConfiguration.yaml, file: "picket.simulate.yaml")
        #expect(simulated.map(\.key) == ["serial[0].port", "serial[1].port"])
    }

    @Test func productSpecificationSampleLoadsOnceItsBeamsExist() {
        // PRODUCT.md section 9, plus the two beams its sequence rule names.
        let yaml = """
            box: swanton-07
            sector: swanton
            site: {lat: 44.9925, lon: -73.1098}
            storage: {path: /var/lib/picket/picket.db}
            gpio:
              - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: north-fork,
                 active: high, debounce_ms: 30, holdoff_ms: 5000, severity: low,
                 lat: 44.9931, lon: -73.1102, tags: {trail: north-fork}}
              - {chip: gpiochip0, line: 22, sensor: beam-s, kind: beam}
              - {chip: gpiochip0, line: 23, sensor: beam-n, kind: beam}
            serial:
              - {port: /dev/ttyUSB0, baud: 9600, protocol: nmea}
            sensors:          # sensors that report over serial
              - {id: seis-7, kind: seismic, zone: north-fork, holdoff_ms: 10000}
            rules:
              - {name: crossing, all_of: {kinds: [pir, seismic], zone: north-fork},
                 within_s: 60, severity: high}
              - {name: northbound, sequence: [beam-s, beam-n], within_s: 30,
                 direction: northbound, severity: medium}
            forward:
              url: https://sector.example/alerts
              secret_file: /etc/picket/sector.key
              format: json
            hotline:
              url: https://sms-gateway.example/Messages
              from: "+18025550199"
              credentials_file: /etc/picket/hotline.cred
              subscribers:
                - {name: North farm, phone: "+18025550100", zones: [north-fork],
                   min_severity: high, quiet_hours: "22:00-06:00", max_per_hour: 4}
            """
        let config = configuration(yaml)
        #expect(config?.allSensors.map(\.id) == ["pir-1", "beam-s", "beam-n", "seis-7"])
        #expect(config?.gpio[1].sensor.zone == nil)
        #expect(config?.hotline?.subscribers.first?.maxPerHour == 4)
    }
}
