import PicketCore
import Testing

/// Hotline reports in the processor and the rules: a report is its own
/// episode, takes part only in `sequence` rules that name `report`, and a
/// late one goes through in arrival order.
@Suite("Reports")
struct ReportTests {
    typealias Harness = ProcessorTests.Harness
    static let s = ProcessorTests.s
    static let t0 = ProcessorTests.t0

    static func report(at ts: Int64, zone: String = "north-fork", note: String? = "two people at the gate") -> Event {
        Report.event(
            box: "swanton-07", sector: "swanton", zone: zone, detectionClass: .foot, note: note, ts: ts,
            position: ProcessorTests.site)
    }

    static func sequence(_ first: String, _ second: String, within seconds: Int64 = 60) -> RuleConfig {
        RuleConfig(
            name: "\(first)-then-\(second)", severity: .high, condition: .sequence(first: first, second: second),
            withinNs: seconds * s, direction: "inbound")
    }

    @Test("a report is an active event of the pseudo-sensor report, kind unknown, its own episode")
    func reportEvent() {
        let e = Self.report(at: Self.t0)
        #expect(e.sensor == "report")
        #expect(e.kind == .unknown)
        #expect(e.source == .report)
        #expect(e.state == .active)
        #expect(e.episode == e.id)
        #expect(e.detectionClass == "FOOT")
        #expect(e.note == "two people at the gate")
        #expect(e.zone == "north-fork")
    }

    @Test("report ids are deterministic and differ with the zone, the time and the note")
    func identifiers() {
        let id = Self.report(at: Self.t0).id
        #expect(Self.report(at: Self.t0).id == id)
        #expect(Self.report(at: Self.t0 + 1).id != id)
        #expect(Self.report(at: Self.t0, zone: "gate").id != id)
        #expect(Self.report(at: Self.t0, note: "a deer").id != id)
        #expect(Self.report(at: Self.t0, note: nil).id != id)
    }

    @Test("sequence [report, seis-7]: a report, then a seismic episode within the window, fires")
    func reportThenSensor() throws {
        var h = Harness(ProcessorTests.configuration(rules: [Self.sequence("report", "seis-7")]))
        let report = Self.report(at: Self.t0 + 1 * Self.s)
        h.advance(to: Self.t0)
        h.processor.report(report)
        h.sentence("PGSD,seis-7,1,FOOT,40", at: Self.t0 + 5 * Self.s)
        h.finish()
        #expect(h.events.map(\.sensor) == ["report", "seis-7"])
        let alert = try #require(h.alerts.first)
        #expect(h.alerts.count == 1)
        #expect(alert.rule == "report-then-seis-7")
        #expect(alert.events == [report.id, h.events[1].id])
        #expect(alert.direction == "inbound")
        #expect(alert.firstTs == report.ts)
        #expect(alert.zone == "north-fork")
        #expect(h.processor.counters.reports == 1)
        #expect(h.processor.counters.episodes == 2)
    }

    @Test("sequence [seis-7, report]: a seismic episode, then a report, fires; one outside the window does not")
    func sensorThenReport() throws {
        var h = Harness(ProcessorTests.configuration(rules: [Self.sequence("seis-7", "report", within: 30)]))
        h.sentence("PGSD,seis-7,1,FOOT,40", at: Self.t0)
        h.processor.report(Self.report(at: Self.t0 + 20 * Self.s))
        h.advance(to: Self.t0 + 25 * Self.s)
        #expect(h.alerts.map(\.rule) == ["seis-7-then-report"])
        // The cooldown (30 s) is over, but seis-7 opened 70 s before: outside the window.
        h.processor.report(Self.report(at: Self.t0 + 70 * Self.s))
        h.finish()
        #expect(h.alerts.count == 1)
    }

    @Test("reports arrive before the events they precede: the reorder stage puts them in time order")
    func reportWaitsInTheReorderStage() {
        var h = Harness(ProcessorTests.configuration(rules: [Self.sequence("report", "seis-7")]))
        h.sentence("PGSD,seis-7,1,FOOT,40", at: Self.t0 + 1 * Self.s)
        // Known only after the detection, but older than it, and not yet released.
        h.processor.report(Self.report(at: Self.t0 + 1 * Self.s - 500 * ProcessorTests.ms))
        h.finish()
        #expect(h.events.map(\.sensor) == ["report", "seis-7"])
        #expect(h.alerts.count == 1)
    }

    @Test("a report older than what was released goes through in arrival order, as its own episode")
    func lateReportInArrivalOrder() {
        var h = Harness(ProcessorTests.configuration(rules: [Self.sequence("report", "seis-7")]))
        h.processor.report(Self.report(at: Self.t0 + 10 * Self.s, note: "first"))
        h.sentence("PGSD,seis-7,1,FOOT,40", at: Self.t0 + 20 * Self.s)
        h.advance(to: Self.t0 + 30 * Self.s)
        #expect(h.alerts.count == 1)
        // Entered while no daemon ran: older than everything released.
        let late = Self.report(at: Self.t0 + 5 * Self.s, note: "late")
        h.processor.report(late)
        h.advance(to: Self.t0 + 31 * Self.s)
        #expect(h.events.last == late)
        #expect(h.processor.counters.episodes == 3)
        h.finish()
        #expect(h.alerts.count == 1)
    }

    @Test("a report raises no detection alert and no all_of; a radio sensor called report is not one")
    func onlySequencesTakeReports() {
        var h = Harness(
            ProcessorTests.configuration(rules: [
                RuleConfig(
                    name: "crossing", severity: .high, condition: .allOf(kinds: [.pir, .seismic], zone: nil),
                    withinNs: 60 * Self.s),
                Self.sequence("report", "seis-7"),
            ]))
        // An unconfigured radio sensor that calls itself "report" is stored as unknown, not as a report.
        h.sentence("PGSD,report,1,FOOT,40", at: Self.t0)
        h.sentence("PGSD,seis-7,1,FOOT,40", at: Self.t0 + 1 * Self.s)
        h.processor.report(Self.report(at: Self.t0 + 2 * Self.s))
        h.finish()
        #expect(h.events.map(\.source) == [.serial, .serial, .report])
        #expect(h.alerts.isEmpty)
    }
}
