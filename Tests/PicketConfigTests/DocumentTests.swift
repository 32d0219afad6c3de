import PicketConfig
import PicketCore
import Testing

/// Problems with the file as a whole, and the keys every file needs.
@Suite struct DocumentTests {
    @Test(arguments: ["", "# only a comment\n", "---\n", "~\n"])
    func emptyDocumentIsOneProblem(yaml: String) {
        #expect(problems(yaml) == ["test.yaml:1: (document): is empty; a configuration needs at least box and sector"])
    }

    @Test(arguments: [
        (
            "- box\n- sector\n",
            "test.yaml:1: (document): must be a mapping of keys such as box: and sector:, not a list"
        ),
        ("swanton-07\n", "test.yaml:1: (document): must be a mapping of keys such as box: and sector:, not text"),
    ])
    func documentThatIsNotAMappingIsOneProblem(yaml: String, expected: String) {
        #expect(problems(yaml) == [expected])
    }

    @Test func syntaxErrorHasTheLine() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17
            serial: []
            """
        #expect(
            problems(yaml) == [
                "test.yaml:5: (document): invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping that started on line 4)"
            ])
    }

    @Test func badIndentationHasTheLine() {
        #expect(
            problems("box: b\n  sector: s\n")
                == ["test.yaml:2: (document): invalid YAML: mapping values are not allowed in this context"])
    }

    @Test func secondDocumentIsRefused() {
        #expect(
            problems("box: b\nsector: s\n---\nbox: c\n") == [
                "test.yaml:3: (document): invalid YAML: the file holds more than one document; remove the second --- and what follows"
            ])
    }

    @Test func boxAndSectorAreRequired() {
        #expect(
            problems("site: {lat: 1, lon: 2}\n") == [
                "test.yaml:1: box: is required, e.g. box: swanton-07",
                "test.yaml:1: sector: is required, e.g. sector: swanton",
            ])
    }

    @Test func boxAndSectorMustNotBeEmpty() {
        #expect(
            problems("box: \"\"\nsector:\n") == [
                "test.yaml:1: box: must be a non-empty string",
                "test.yaml:2: sector: is required, e.g. sector: swanton",
            ])
    }

    @Test func unknownTopLevelKeyIsReportedWithASuggestion() {
        #expect(
            problems("box: b\nsector: s\nsensor: []\nalarms: []\n") == [
                "test.yaml:3: sensor: unknown key (did you mean sensors?)",
                "test.yaml:4: alarms: unknown key (expected one of box, sector, site, storage, gpio, serial, sensors, rules, forward, hotline, timezone, metrics, health)",
            ])
    }

    @Test func mergeKeysAreRefusedRatherThanIgnored() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - &pir {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir}
              - <<: *pir
                line: 18
                sensor: pir-2
            """
        #expect(
            problems(yaml) == [
                "test.yaml:5: gpio[1].<<: YAML merge keys are not supported; write the keys out in full",
                "test.yaml:5: gpio[1].chip: is required, e.g. chip: gpiochip0",
                "test.yaml:5: gpio[1].kind: is required, e.g. kind: pir",
            ])
    }

    @Test func duplicateKeyIsReportedAtTheSecondOccurrence() {
        #expect(
            problems("box: b\nsector: s\nbox: c\n") == [
                "test.yaml:3: box: duplicate key (first on line 1); keep only one"
            ])
    }

    @Test func duplicateKeysDoNotHideOtherProblems() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17, line: 18, sensor: pir-1, kind: pir, kind: pir, bias: up}
              - chip: gpiochip0
                line: 20
                sensor: pir-2
                kind: pir
                "kind": beam
                kind: seismic
            serial: {}
            """
        let found = problems(yaml)
        #expect(
            found == [
                "test.yaml:4: gpio[0].line: duplicate key (first on line 4); keep only one",
                "test.yaml:4: gpio[0].kind: duplicate key (first on line 4); keep only one",
                "test.yaml:4: gpio[0].bias: must be one of as-is, disabled, pull-up, pull-down",
                "test.yaml:9: gpio[1].kind: duplicate key (first on line 8); keep only one",
                "test.yaml:10: gpio[1].kind: duplicate key (first on line 8); keep only one",
                "test.yaml:11: serial: must be a list of serial ports, not a mapping",
            ])
    }

    @Test func columnsAreThoseOfTheFileEvenAfterADuplicateKey() throws {
        do throws(ConfigError) {
            _ = try ConfigLoader.parse(
                yaml: "box: b\nsector: s\nsite: {lat: 1, lat: 2, lon: 500}\n", file: "test.yaml")
            Issue.record("expected problems")
        } catch {
            let columns = error.problems.map { "\($0.key)@\($0.line ?? 0):\($0.column ?? 0)" }
            #expect(columns == ["site.lat@3:16", "site.lon@3:29"])
        }
    }

    @Test func problemWithoutALineOmitsIt() {
        let problem = ConfigProblem(file: "picket.yaml", key: "box", message: "is required, e.g. box: swanton-07")
        #expect(problem.description == "picket.yaml: box: is required, e.g. box: swanton-07")
        let located = ConfigProblem(file: "picket.yaml", line: 3, column: 5, key: "gpio[0].line", message: "m")
        #expect(located.description == "picket.yaml:3: gpio[0].line: m")
    }

    @Test func everyProblemInAFileIsReportedInFileOrder() {
        let yaml = """
            sector: s
            site: [44.99, -73.10]
            gpio:
              - {chip: gpiochip0, line: -1, sensor: pir 1, kind: radar, debounce: 30}
            serial:
              - {port: /dev/ttyUSB0, baud: 9601}
            rules:
              - {name: crossing, within_s: 0, severity: urgent, all_of: {kinds: [beam]}}
            forward: {url: sector.example}
            """
        #expect(
            problems(yaml) == [
                "test.yaml:1: box: is required, e.g. box: swanton-07",
                "test.yaml:2: site: must be a mapping such as {lat: 44.9925, lon: -73.1098}, not a list",
                "test.yaml:4: gpio[0].line: must be a whole number >= 0 (the line's offset on its chip)",
                "test.yaml:4: gpio[0].sensor: must use only letters, digits, '.', '_' and '-' (sensor ids travel in NMEA fields)",
                "test.yaml:4: gpio[0].kind: must be one of pir, seismic, magnetic, beam, camera",
                "test.yaml:4: gpio[0].debounce: unknown key (did you mean debounce_ms?)",
                "test.yaml:6: serial[0].baud: must be a standard baud rate: 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600",
                "test.yaml:8: rules[0].within_s: must be a number of seconds > 0",
                "test.yaml:8: rules[0].severity: must be one of low, medium, high, critical",
                "test.yaml:8: rules[0].all_of.kinds[0]: no configured sensor has kind beam; add one or remove the kind",
                "test.yaml:9: forward.secret_file: is required, e.g. secret_file: /etc/picket/sector.key",
                "test.yaml:9: forward.url: must be an http:// or https:// URL, e.g. https://sector.example/alerts",
            ])
    }

    @Test func configErrorDescriptionHasOneProblemPerLine() {
        let error = ConfigError(problems: [
            ConfigProblem(file: "a.yaml", line: 1, key: "box", message: "one"),
            ConfigProblem(file: "a.yaml", line: 2, key: "sector", message: "two"),
        ])
        #expect(error.description == "a.yaml:1: box: one\na.yaml:2: sector: two")
    }
}
