import PicketConfig
import PicketCore
import Testing

/// One test per rule for `rules`. Sensors come from `sensorsPrefix` (zone
/// north: pir-1, beam-s, beam-n, seis-7; zone ford: seis-8); the rule
/// under test is on line 11.
@Suite struct RuleValidationTests {
    private func rules(_ entries: String...) -> String {
        sensorsPrefix + "rules:\n" + entries.map { "  - \($0)\n" }.joined()
    }

    @Test func allOfRuleIsRead() {
        let config = configuration(
            rules("{name: crossing, all_of: {kinds: [pir, seismic], zone: north}, within_s: 60, severity: high}"))
        #expect(
            config?.rules == [
                RuleConfig(
                    name: "crossing", severity: .high, condition: .allOf(kinds: [.pir, .seismic], zone: "north"),
                    withinNs: 60_000_000_000, cooldownNs: 60_000_000_000, direction: nil)
            ])
    }

    @Test func allOfWithoutAZoneWatchesEveryZone() {
        let config = configuration(rules("{name: any, all_of: {kinds: [seismic]}, within_s: 5, severity: low}"))
        #expect(config?.rules.first?.condition == .allOf(kinds: [.seismic], zone: nil))
    }

    @Test func sequenceRuleIsReadWithFractionalSecondsAndDirection() {
        let config = configuration(
            rules(
                "{name: northbound, sequence: [beam-s, beam-n], within_s: 2.5, cooldown_s: 0.001, direction: northbound, severity: medium}"
            ))
        #expect(
            config?.rules == [
                RuleConfig(
                    name: "northbound", severity: .medium, condition: .sequence(first: "beam-s", second: "beam-n"),
                    withinNs: 2_500_000_000, cooldownNs: 1_000_000, direction: "northbound")
            ])
    }

    @Test func nameAndSeverityAndWithinAreRequired() {
        #expect(
            problems(rules("{all_of: {kinds: [pir]}}")) == [
                "test.yaml:11: rules[0].name: is required, e.g. name: crossing",
                "test.yaml:11: rules[0].severity: is required, e.g. severity: high",
                "test.yaml:11: rules[0].within_s: is required, e.g. within_s: 60",
            ])
    }

    @Test func nameMustUseIdCharacters() {
        #expect(
            problems(rules("{name: 'river crossing', all_of: {kinds: [pir]}, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].name: must use only letters, digits, '.', '_' and '-', like sensor ids"
            ])
    }

    @Test func detectionIsAReservedName() {
        #expect(
            problems(rules("{name: detection, all_of: {kinds: [pir]}, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].name: detection is reserved for the alerts of sensors with a severity; choose another name"
            ])
    }

    @Test func namesAreUnique() {
        #expect(
            problems(
                rules(
                    "{name: crossing, all_of: {kinds: [pir]}, within_s: 5, severity: low}",
                    "{name: crossing, sequence: [beam-s, beam-n], within_s: 5, severity: low}")) == [
                    "test.yaml:12: rules[1].name: crossing is already the name of rules[0] (line 11); rule names must be unique"
                ])
    }

    @Test func severityMustBeKnown() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir]}, within_s: 5, severity: severe}"))
                == ["test.yaml:11: rules[0].severity: must be one of low, medium, high, critical"])
    }

    @Test func needsAllOfOrSequence() {
        #expect(
            problems(rules("{name: r, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0]: needs exactly one of all_of or sequence, e.g. all_of: {kinds: [pir, seismic]} or sequence: [beam-s, beam-n]"
            ])
    }

    @Test func emptyAllOfIsNotEnough() {
        #expect(
            problems(rules("{name: r, all_of: , within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].all_of: must not be empty, e.g. all_of: {kinds: [pir, seismic]} or sequence: [beam-s, beam-n]"
            ])
    }

    @Test func allOfAndSequenceAreExclusive() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir]}, sequence: [beam-s, beam-n], within_s: 5, severity: low}"))
                == ["test.yaml:11: rules[0]: has both all_of and sequence; keep exactly one"])
    }

    @Test func allOfMustBeAMappingWithKinds() {
        #expect(
            problems(rules("{name: r, all_of: [pir, seismic], within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].all_of: must be a mapping such as {kinds: [pir, seismic], zone: north-fork}, not a list"
            ])
        #expect(
            problems(rules("{name: r, all_of: {zone: north}, within_s: 5, severity: low}"))
                == ["test.yaml:11: rules[0].all_of.kinds: is required, e.g. kinds: [pir, seismic]"])
    }

    @Test func allOfKindsMustBeANonEmptyList() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: []}, within_s: 5, severity: low}"))
                == ["test.yaml:11: rules[0].all_of.kinds: must list at least one sensor kind, e.g. [pir, seismic]"])
        #expect(
            problems(rules("{name: r, all_of: {kinds: pir}, within_s: 5, severity: low}"))
                == [
                    "test.yaml:11: rules[0].all_of.kinds: must be a list of sensor kinds such as [pir, seismic], not text"
                ])
    }

    @Test func allOfKindsMustBeValidKinds() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir, radar, unknown]}, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].all_of.kinds[1]: must be one of pir, seismic, magnetic, beam, camera",
                "test.yaml:11: rules[0].all_of.kinds[2]: unknown is reserved for radio sensors missing from the configuration; use one of pir, seismic, magnetic, beam, camera",
            ])
    }

    @Test func allOfKindsMustBeConfigured() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir, camera]}, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].all_of.kinds[1]: no configured sensor has kind camera; add one or remove the kind"
            ])
    }

    @Test func allOfKindsMustNotRepeat() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir, seismic, pir]}, within_s: 5, severity: low}"))
                == ["test.yaml:11: rules[0].all_of.kinds[2]: pir is listed twice; list each kind once"])
    }

    @Test func allOfZoneMustBeASensorsZone() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir], zone: nrth}, within_s: 5, severity: low}"))
                == ["test.yaml:11: rules[0].all_of.zone: no configured sensor is in zone nrth (did you mean north?)"])
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir], zone: south-gate}, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].all_of.zone: no configured sensor is in zone south-gate (configured zones: north, ford)"
            ])
    }

    @Test func allOfKindsMustHaveASensorInTheZone() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [seismic, beam], zone: ford}, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].all_of.kinds[1]: no beam sensor is in zone ford; add one there or remove the kind"
            ])
    }

    @Test func sequenceMustNameTwoSensors() {
        #expect(
            problems(rules("{name: r, sequence: [beam-s, beam-n, pir-1], within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].sequence: must be a list of two sensor ids, first then second, e.g. [beam-s, beam-n]; this one lists 3"
            ])
        #expect(
            problems(rules("{name: r, sequence: beam-s, within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].sequence: must be a list of two sensor ids, first then second, e.g. [beam-s, beam-n], not text"
            ])
    }

    @Test func sequenceSensorsMustBeConfigured() {
        #expect(
            problems(rules("{name: r, sequence: [beam-x, gate-2], within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].sequence[0]: no configured sensor has id beam-x (did you mean beam-s?)",
                "test.yaml:11: rules[0].sequence[1]: no configured sensor has id gate-2",
            ])
    }

    @Test func sequenceSensorsMustDiffer() {
        #expect(
            problems(rules("{name: r, sequence: [beam-s, beam-s], within_s: 5, severity: low}")) == [
                "test.yaml:11: rules[0].sequence[1]: must differ from the first sensor; a sequence needs two different sensors"
            ])
    }

    @Test(arguments: [
        ("0", "must be a number of seconds > 0"),
        ("-3", "must be a number of seconds > 0"),
        ("soon", "must be a number of seconds > 0"),
        (".nan", "must be a number of seconds > 0"),
        ("1e-12", "must be a number of seconds > 0"),
        ("'60'", "must be a number of seconds > 0 (remove the quotes)"),
        ("1e10", "must be at most 9000000000 seconds"),
    ])
    func withinMustBePositiveSeconds(value: String, message: String) {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir]}, within_s: \(value), severity: low}"))
                == ["test.yaml:11: rules[0].within_s: \(message)"])
    }

    @Test func cooldownMayBeZeroButNotNegative() {
        let config = configuration(
            rules("{name: r, all_of: {kinds: [pir]}, within_s: 5, cooldown_s: 0, severity: low}"))
        #expect(config?.rules.first?.cooldownNs == 0)
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir]}, within_s: 5, cooldown_s: -1, severity: low}"))
                == ["test.yaml:11: rules[0].cooldown_s: must be a number of seconds >= 0"])
    }

    @Test func unknownRuleKeyIsReported() {
        #expect(
            problems(rules("{name: r, all_of: {kinds: [pir], zones: [north]}, within: 5, within_s: 5, severity: low}"))
                == [
                    "test.yaml:11: rules[0].all_of.zones: unknown key (did you mean zone?)",
                    "test.yaml:11: rules[0].within: unknown key (did you mean within_s?)",
                ])
    }

    @Test func ruleWithAnUnreadableSensorStillFindsIt() {
        // pir-9's bad debounce is one problem; the rule naming it is fine.
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17, sensor: pir-9, kind: pir, debounce_ms: x}
              - {chip: gpiochip0, line: 18, sensor: pir-8, kind: pir}
            rules:
              - {name: r, sequence: [pir-9, pir-8], within_s: 5, severity: low}
            """
        #expect(problems(yaml) == ["test.yaml:4: gpio[0].debounce_ms: must be a whole number of milliseconds >= 0"])
    }
}
