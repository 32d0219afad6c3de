import PicketConfig
import PicketCore
import Testing

/// One test per rule for `gpio` entries. The entry under test is always on
/// line 4.
@Suite struct GPIOValidationTests {
    private func gpio(_ entry: String) -> String {
        "box: b\nsector: s\ngpio:\n  - \(entry)\n"
    }

    @Test func defaultsApply() {
        let config = configuration(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir}"))
        #expect(
            config?.gpio == [
                GPIOLineConfig(
                    chip: "gpiochip0", line: 17, sensor: SensorConfig(id: "pir-1", kind: .pir), active: .high,
                    debounceMs: 0, bias: .asIs)
            ])
    }

    @Test func chipLineSensorAndKindAreRequired() {
        #expect(
            problems(gpio("{zone: north}")) == [
                "test.yaml:4: gpio[0].chip: is required, e.g. chip: gpiochip0",
                "test.yaml:4: gpio[0].line: is required, e.g. line: 17",
                "test.yaml:4: gpio[0].sensor: is required, e.g. sensor: pir-1",
                "test.yaml:4: gpio[0].kind: is required, e.g. kind: pir",
            ])
    }

    @Test func entryMustBeAMapping() {
        #expect(
            problems(gpio("[gpiochip0, 17]")) == [
                "test.yaml:4: gpio[0]: must be a mapping such as {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir}, not a list"
            ])
    }

    @Test func chipMustBeNonEmpty() {
        #expect(
            problems(gpio("{chip: '', line: 17, sensor: pir-1, kind: pir}"))
                == ["test.yaml:4: gpio[0].chip: must be a non-empty string"])
    }

    @Test(arguments: ["-1", "17.5", "seventeen", "017x", "0x11"])
    func lineMustBeAWholeNumber(value: String) {
        #expect(
            problems(gpio("{chip: gpiochip0, line: \(value), sensor: pir-1, kind: pir}"))
                == ["test.yaml:4: gpio[0].line: must be a whole number >= 0 (the line's offset on its chip)"])
    }

    @Test func lineIsDecimalEvenWithALeadingZero() {
        // YAML 1.1 would read 017 as octal 15.
        #expect(configuration(gpio("{chip: gpiochip0, line: 017, sensor: pir-1, kind: pir}"))?.gpio[0].line == 17)
    }

    @Test(arguments: ["pir 1", "pir/1", "pir,1", "pír"])
    func sensorIdMustUseTheNMEASafeCharacters(id: String) {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: '\(id)', kind: pir}")) == [
                "test.yaml:4: gpio[0].sensor: must use only letters, digits, '.', '_' and '-' (sensor ids travel in NMEA fields)"
            ])
    }

    @Test func kindMustBeKnown() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: radar}"))
                == ["test.yaml:4: gpio[0].kind: must be one of pir, seismic, magnetic, beam, camera"])
    }

    @Test func kindUnknownIsReserved() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: unknown}")) == [
                "test.yaml:4: gpio[0].kind: unknown is reserved for radio sensors missing from the configuration; use one of pir, seismic, magnetic, beam, camera"
            ])
    }

    @Test func zoneMustBeNonEmpty() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: [a, b]}"))
                == ["test.yaml:4: gpio[0].zone: must be a non-empty string, not a list"])
    }

    @Test func activeMustBeHighOrLow() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, active: yes}"))
                == ["test.yaml:4: gpio[0].active: must be high or low"])
    }

    @Test(arguments: [
        ("-1", "must be a whole number of milliseconds >= 0"),
        ("2.5", "must be a whole number of milliseconds >= 0"),
        ("30ms", "must be a whole number of milliseconds >= 0"),
        ("'30'", "must be a whole number of milliseconds >= 0 (remove the quotes)"),
        ("[30]", "must be a whole number of milliseconds >= 0, not a list"),
        ("{ms: 30}", "must be a whole number of milliseconds >= 0, not a mapping"),
        // Past about 31 years the nanoseconds overflowed in the debouncer.
        ("1000000000001", "must be at most 1000000000000"),
        ("99999999999999999999", "must be a whole number of milliseconds >= 0"),
    ])
    func debounceMustBeWholeMilliseconds(value: String, message: String) {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, debounce_ms: \(value)}"))
                == ["test.yaml:4: gpio[0].debounce_ms: \(message)"])
    }

    @Test func holdoffMustBeWholeMilliseconds() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, holdoff_ms: -5}"))
                == ["test.yaml:4: gpio[0].holdoff_ms: must be a whole number of milliseconds >= 0"])
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, holdoff_ms: 10000000000000}"))
                == ["test.yaml:4: gpio[0].holdoff_ms: must be at most 1000000000000"])
        let longest = configuration(
            gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, holdoff_ms: 1000000000000}"))
        #expect(longest?.gpio.first?.sensor.holdoffMs == 1_000_000_000_000)
    }

    @Test func severityMustBeKnown() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, severity: urgent}"))
                == ["test.yaml:4: gpio[0].severity: must be one of low, medium, high, critical"])
    }

    @Test func biasMustBeKnown() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, bias: pullup}"))
                == ["test.yaml:4: gpio[0].bias: must be one of as-is, disabled, pull-up, pull-down"])
    }

    @Test(arguments: [
        ("lat: 44.99", "gpio[0].lon: is required when lat is given; give both or neither"),
        ("lon: -73.1", "gpio[0].lat: is required when lon is given; give both or neither"),
    ])
    func latAndLonComeTogether(given: String, message: String) {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, \(given)}"))
                == ["test.yaml:4: \(message)"])
    }

    @Test(arguments: [
        ("lat: 90.5, lon: 0", "gpio[0].lat: must be a latitude in degrees between -90 and 90"),
        ("lat: -91, lon: 0", "gpio[0].lat: must be a latitude in degrees between -90 and 90"),
        ("lat: 0, lon: 180.01", "gpio[0].lon: must be a longitude in degrees between -180 and 180"),
        ("lat: 0, lon: .inf", "gpio[0].lon: must be a longitude in degrees between -180 and 180"),
        ("lat: north, lon: 0", "gpio[0].lat: must be a latitude in degrees between -90 and 90"),
    ])
    func positionMustBeInRange(given: String, message: String) {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, \(given)}"))
                == ["test.yaml:4: \(message)"])
    }

    @Test func positionAtTheLimitsIsAccepted() {
        let config = configuration(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, lat: -90, lon: 180}"))
        #expect(config?.gpio[0].sensor.position == Position(lat: -90, lon: 180))
    }

    @Test func tagValuesAreStoredAsWritten() {
        let config = configuration(
            gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, tags: {post: 3, lit: yes, h: 1.50, t: x}}"))
        #expect(config?.gpio[0].sensor.tags == ["post": "3", "lit": "yes", "h": "1.50", "t": "x"])
    }

    @Test func tagsMustBeAMappingOfSingleValues() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, tags: [trail]}"))
                == ["test.yaml:4: gpio[0].tags: must be a mapping such as {trail: north-fork}, not a list"])
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, tags: {trail: [a, b], post: }}"))
                == [
                    "test.yaml:4: gpio[0].tags.trail: must be a single value such as north-fork, not a list",
                    "test.yaml:4: gpio[0].tags.post: must be a single value such as north-fork, not empty",
                ])
    }

    @Test func unknownKeyIsReportedWithASuggestion() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, debounce: 30, Zone: a, id: x}"))
                == [
                    "test.yaml:4: gpio[0].debounce: unknown key (did you mean debounce_ms?)",
                    "test.yaml:4: gpio[0].Zone: unknown key (did you mean zone?)",
                    "test.yaml:4: gpio[0].id: unknown key (a GPIO line names its sensor with sensor:)",
                ])
    }

    @Test func chipLineUsedTwiceNamesBothPlaces() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir}
              - {chip: gpiochip1, line: 17, sensor: pir-2, kind: pir}
              - chip: gpiochip0
                line: 17
                sensor: pir-3
                kind: pir
            """
        #expect(
            problems(yaml) == [
                "test.yaml:7: gpio[2].line: gpiochip0 line 17 is already used by gpio[0] (line 4); wire one sensor per line"
            ])
    }

    @Test func sensorIdUsedTwiceNamesBothPlaces() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir}
              - {chip: gpiochip0, line: 18, sensor: pir-1, kind: pir}
            """
        #expect(
            problems(yaml) == [
                "test.yaml:5: gpio[1].sensor: pir-1 is already the id of gpio[0].sensor (line 4); sensor ids must be unique"
            ])
    }

    @Test func pollMsIsReadAndDefaultsToEdgeEvents() {
        let line = "{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir"
        #expect(configuration(gpio(line + ", poll_ms: 20}"))?.gpio[0].pollMs == 20)
        #expect(configuration(gpio(line + ", poll_ms: 1}"))?.gpio[0].pollMs == 1)
        #expect(configuration(gpio(line + ", poll_ms: 10000}"))?.gpio[0].pollMs == 10000)
        #expect(configuration(gpio(line + "}"))?.gpio[0].pollMs == nil)
    }

    @Test(arguments: ["0", "-5", "2.5", "fast"])
    func pollMsMustBeAWholeNumberOfMilliseconds(value: String) {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, poll_ms: \(value)}")) == [
                "test.yaml:4: gpio[0].poll_ms: must be a whole number of milliseconds from 1 to 10000 (how often a line without interrupts is sampled)"
            ])
    }

    @Test func pollMsHasAnUpperBound() {
        #expect(
            problems(gpio("{chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, poll_ms: 10001}"))
                == ["test.yaml:4: gpio[0].poll_ms: must be at most 10000"])
    }

    @Test func pollMsBelongsToGPIOLinesOnly() {
        let yaml = "box: b\nsector: s\nsensors:\n  - {id: seis-7, kind: seismic, poll_ms: 20}\n"
        #expect(problems(yaml).count == 1)
        #expect(problems(yaml).first?.contains("poll_ms applies only to gpio entries") == true)
    }

    @Test func gpioMustBeAList() {
        #expect(
            problems("box: b\nsector: s\ngpio: {chip: gpiochip0}\n")
                == ["test.yaml:3: gpio: must be a list of GPIO lines, not a mapping"])
    }

    @Test func emptyGPIOSectionIsAllowed() {
        #expect(configuration("box: b\nsector: s\ngpio:\n")?.gpio == [])
    }
}
