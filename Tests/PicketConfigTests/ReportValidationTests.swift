import PicketConfig
import PicketCore
import Testing

/// The pseudo-sensor `report` (hotline reports, `picket report`): a
/// `sequence` rule may name it, and no configured sensor may take its name.
/// Sensors come from `sensorsPrefix`; the rule under test is on line 11.
@Suite struct ReportValidationTests {
    private func rules(_ entries: String...) -> String {
        sensorsPrefix + "rules:\n" + entries.map { "  - \($0)\n" }.joined()
    }

    @Test func sequenceMayNameReportFirstOrSecond() {
        let config = configuration(
            rules(
                "{name: reported, sequence: [report, seis-7], within_s: 600, severity: high}",
                "{name: confirmed, sequence: [pir-1, report], within_s: 60, direction: inbound, severity: medium}"))
        #expect(
            config?.rules.map(\.condition) == [
                .sequence(first: "report", second: "seis-7"), .sequence(first: "pir-1", second: "report"),
            ])
    }

    @Test func reportCannotFollowItself() {
        #expect(
            problems(rules("{name: twice, sequence: [report, report], within_s: 60, severity: low}")) == [
                "test.yaml:11: rules[0].sequence[1]: must differ from the first sensor; a sequence needs two different sensors"
            ])
    }

    @Test func aMisspelledReportIsSuggested() {
        #expect(
            problems(rules("{name: r, sequence: [reprot, seis-7], within_s: 60, severity: low}")) == [
                "test.yaml:11: rules[0].sequence[0]: no configured sensor has id reprot (did you mean report?)"
            ])
    }

    @Test func noConfiguredSensorMayBeCalledReport() {
        let yaml = """
            box: b
            sector: s
            gpio:
              - {chip: gpiochip0, line: 17, sensor: report, kind: pir, zone: north}
            sensors:
              - {id: report, kind: seismic, zone: north}
              - {id: seis-7, kind: seismic, zone: north}
            rules:
              - {name: r, sequence: [report, seis-7], within_s: 60, severity: low}

            """
        let reserved =
            "report is reserved for hotline reports (picket report, and sequence rules naming report); "
            + "choose another id"
        #expect(
            problems(yaml) == [
                "test.yaml:4: gpio[0].sensor: \(reserved)",
                "test.yaml:6: sensors[0].id: \(reserved)",
            ])
    }
}
