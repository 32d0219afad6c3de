import PicketConfig
import PicketCore
import Testing

/// One test per rule for `serial` ports and the radio `sensors` they
/// relay, and for `site` and `storage`. The entry under test is on line 4.
@Suite struct SerialAndSensorValidationTests {
    private func section(_ name: String, _ entry: String) -> String {
        "box: b\nsector: s\n\(name):\n  - \(entry)\n"
    }

    @Test func serialDefaultsApply() {
        #expect(
            configuration(section("serial", "{port: /dev/ttyUSB0}"))?.serial == [
                SerialPortConfig(port: "/dev/ttyUSB0", baud: 9600, protocol: .nmea)
            ])
    }

    @Test func serialPortIsRequired() {
        #expect(
            problems(section("serial", "{baud: 9600}"))
                == ["test.yaml:4: serial[0].port: is required, e.g. port: /dev/ttyUSB0"])
        #expect(
            problems(section("serial", "{port: ''}"))
                == ["test.yaml:4: serial[0].port: must be a non-empty device path, e.g. /dev/ttyUSB0"])
    }

    @Test(arguments: [1200, 4800, 9600, 115_200, 921_600])
    func standardBaudRatesAreAccepted(rate: Int) {
        #expect(configuration(section("serial", "{port: /dev/ttyS0, baud: \(rate)}"))?.serial.first?.baud == rate)
    }

    @Test(arguments: ["0", "9601", "300", "1000000", "fast"])
    func baudMustBeAStandardRate(value: String) {
        #expect(
            problems(section("serial", "{port: /dev/ttyS0, baud: \(value)}")) == [
                "test.yaml:4: serial[0].baud: must be a standard baud rate: 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600"
            ])
    }

    @Test func protocolMustBeNMEA() {
        #expect(
            problems(section("serial", "{port: /dev/ttyS0, protocol: ubx}"))
                == ["test.yaml:4: serial[0].protocol: must be nmea"])
    }

    @Test func serialPortUsedTwiceNamesBothPlaces() {
        let yaml =
            "box: b\nsector: s\nserial:\n  - {port: /dev/ttyS0}\n  - {port: /dev/ttyS1}\n  - {port: /dev/ttyS0}\n"
        #expect(
            problems(yaml) == [
                "test.yaml:6: serial[2].port: /dev/ttyS0 is already configured by serial[0] (line 4); list each port once"
            ])
    }

    @Test func radioSensorDefaultsApply() {
        #expect(
            configuration(section("sensors", "{id: seis-7, kind: seismic}"))?.sensors == [
                SensorConfig(
                    id: "seis-7", kind: .seismic, zone: nil, holdoffMs: 0, severity: nil, position: nil, tags: [:])
            ])
    }

    @Test func radioSensorValuesAreRead() {
        let entry =
            "{id: seis-7, kind: seismic, zone: north, holdoff_ms: 10000, severity: high, lat: 45, lon: -73, tags: {a: b}}"
        #expect(
            configuration(section("sensors", entry))?.sensors == [
                SensorConfig(
                    id: "seis-7", kind: .seismic, zone: "north", holdoffMs: 10000, severity: .high,
                    position: Position(lat: 45, lon: -73), tags: ["a": "b"])
            ])
    }

    @Test func radioSensorIdAndKindAreRequired() {
        #expect(
            problems(section("sensors", "{zone: north}")) == [
                "test.yaml:4: sensors[0].id: is required, e.g. id: seis-7",
                "test.yaml:4: sensors[0].kind: is required, e.g. kind: seismic",
            ])
    }

    @Test func radioSensorRejectsGPIOOnlyKeys() {
        #expect(
            problems(section("sensors", "{id: seis-7, kind: seismic, debounce_ms: 30, active: low, sensor: x}")) == [
                "test.yaml:4: sensors[0].debounce_ms: unknown key (debounce_ms applies only to gpio entries)",
                "test.yaml:4: sensors[0].active: unknown key (active applies only to gpio entries)",
                "test.yaml:4: sensors[0].sensor: unknown key (radio sensors are named with id:)",
            ])
    }

    @Test func radioSensorChecksSharedKeys() {
        #expect(
            problems(section("sensors", "{id: seis-7, kind: unknown, holdoff_ms: 1.5, severity: none, lon: 500}")) == [
                "test.yaml:4: sensors[0].kind: unknown is reserved for radio sensors missing from the configuration; use one of pir, seismic, magnetic, beam, camera",
                "test.yaml:4: sensors[0].holdoff_ms: must be a whole number of milliseconds >= 0",
                "test.yaml:4: sensors[0].severity: must be one of low, medium, high, critical",
                "test.yaml:4: sensors[0].lon: must be a longitude in degrees between -180 and 180",
                "test.yaml:4: sensors[0].lat: is required when lon is given; give both or neither",
            ])
    }

    @Test func sensorIdsAreUniqueAcrossGPIOAndRadio() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17, sensor: seis-7, kind: pir}
            sensors:
              - {id: seis-7, kind: seismic}
            """
        #expect(
            problems(yaml) == [
                "test.yaml:6: sensors[0].id: seis-7 is already the id of gpio[0].sensor (line 4); sensor ids must be unique"
            ])
    }

    @Test func siteNeedsLatAndLonInRange() {
        #expect(
            problems("box: b\nsector: s\nsite: {lat: 95}\n") == [
                "test.yaml:3: site.lon: is required, e.g. lon: -73.1098",
                "test.yaml:3: site.lat: must be a latitude in degrees between -90 and 90",
            ])
    }

    @Test func storageHoldsAPath() {
        #expect(configuration("box: b\nsector: s\nstorage: {path: /tmp/p.db}\n")?.storagePath == "/tmp/p.db")
        #expect(
            problems("box: b\nsector: s\nstorage: {file: /tmp/p.db}\n") == [
                "test.yaml:3: storage.file: unknown key (expected one of path, retain_days, max_mb)"
            ])
        #expect(
            problems("box: b\nsector: s\nstorage: /tmp/p.db\n") == [
                "test.yaml:3: storage: must be a mapping such as {path: /var/lib/picket/picket.db}, not text"
            ])
    }
}
