import PicketCore
import Testing

/// PRODUCT.md section 5: `detection`, `all_of` and `sequence` alerts, cooldown,
/// and what an alert carries.
@Suite("RuleEngine")
struct RuleEngineTests {
    static let s: Int64 = 1_000_000_000
    /// Some UTC instant, so times are not accidentally zero.
    static let t0: Int64 = 1_780_629_120 * s

    static let north = Position(lat: 44.9931, lon: -73.1102)
    static let south = Position(lat: 44.9900, lon: -73.1000)

    static let sensors: [SensorConfig] = [
        SensorConfig(id: "pir-1", kind: .pir, zone: "north-fork", severity: .low, position: north),
        SensorConfig(id: "pir-2", kind: .pir, zone: "south-field"),
        SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork", severity: .critical),
        SensorConfig(id: "seis-8", kind: .seismic, zone: "south-field"),
        SensorConfig(id: "mag-1", kind: .magnetic, zone: "north-fork"),
        SensorConfig(id: "beam-s", kind: .beam, zone: "gate"),
        SensorConfig(id: "beam-n", kind: .beam, zone: "gate-north"),
    ]

    static func configuration(_ rules: [RuleConfig]) -> PicketConfiguration {
        PicketConfiguration(box: "swanton-07", sector: "swanton", sensors: sensors, rules: rules)
    }

    /// An episode-opening event of `sensor` at `t0 + offset`.
    static func opening(_ sensor: String, at offset: Int64, position: Position? = nil) -> Event {
        let config = sensors.first { $0.id == sensor }!
        let ts = t0 + offset
        let id = Identifier.event(
            box: "swanton-07", sensor: sensor, source: .serial, state: .active, ts: ts, ordinal: 0)
        return Event(
            id: id, box: "swanton-07", sector: "swanton", sensor: sensor, kind: config.kind, zone: config.zone,
            source: .serial, state: .active, ts: ts, episode: id, position: position ?? config.position)
    }

    /// Feeds openings in order; returns every alert of rule `rule` (all rules when nil).
    static func feed(_ engine: inout RuleEngine, _ events: [Event], rule: String? = nil) -> [Alert] {
        events.flatMap { engine.episodeOpened($0) }.filter { rule == nil || $0.rule == rule }
    }

    static let crossing = RuleConfig(
        name: "crossing", severity: .high, condition: .allOf(kinds: [.pir, .seismic], zone: "north-fork"),
        withinNs: 60 * s)

    // MARK: detection

    @Test("detection: one alert per new episode with the sensor's severity and rule \"detection\"")
    func detection() throws {
        var engine = RuleEngine(configuration: Self.configuration([]))
        let e = Self.opening("seis-7", at: 3 * Self.s, position: Self.south)
        let alerts = engine.episodeOpened(e)
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.rule == "detection")
        #expect(alert.rule == detectionRuleName)
        #expect(alert.severity == .critical)
        #expect(alert.events == [e.id])
        #expect(alert.firstTs == e.ts)
        #expect(alert.lastTs == e.ts)
        #expect(alert.zone == "north-fork")
        #expect(alert.box == "swanton-07")
        #expect(alert.sector == "swanton")
        #expect(alert.direction == nil)
        #expect(alert.position == Self.south)
        #expect(!alert.summary.isEmpty)
        #expect(!alert.summary.contains("\n"))

        let second = Self.opening("seis-7", at: 4 * Self.s)
        #expect(engine.episodeOpened(second).map(\.events) == [[second.id]])
    }

    @Test("detection: a sensor without severity raises nothing")
    func noSeverityNoDetection() {
        var engine = RuleEngine(configuration: Self.configuration([]))
        #expect(engine.episodeOpened(Self.opening("pir-2", at: 0)).isEmpty)
        #expect(engine.episodeOpened(Self.opening("mag-1", at: 0)).isEmpty)
    }

    // MARK: all_of

    @Test("all_of fires at exactly within_s (inclusive)")
    func allOfInclusiveWindow() throws {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let pir = Self.opening("pir-1", at: 0)
        let seis = Self.opening("seis-7", at: 60 * Self.s)
        let alerts = Self.feed(&engine, [pir, seis], rule: "crossing")
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.severity == .high)
        #expect(alert.events == [pir.id, seis.id])
        #expect(alert.firstTs == pir.ts)
        #expect(alert.lastTs == seis.ts)
        #expect(alert.zone == "north-fork")
        #expect(alert.direction == nil)
    }

    @Test("all_of does not fire at within_s + 1 ns")
    func allOfOutsideWindow() {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let alerts = Self.feed(
            &engine, [Self.opening("pir-1", at: 0), Self.opening("seis-7", at: 60 * Self.s + 1)], rule: "crossing")
        #expect(alerts.isEmpty)
    }

    @Test("all_of needs every listed kind; one kind twice is not enough")
    func allOfNeedsEveryKind() {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let alerts = Self.feed(
            &engine, [Self.opening("pir-1", at: 0), Self.opening("pir-1", at: 10 * Self.s)], rule: "crossing")
        #expect(alerts.isEmpty)
    }

    @Test("all_of counts only openings in its zone")
    func allOfZoneOnly() {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        // seis-8 is seismic but in south-field; pir-2 is a PIR in south-field.
        let alerts = Self.feed(
            &engine,
            [
                Self.opening("pir-1", at: 0), Self.opening("seis-8", at: 1 * Self.s),
                Self.opening("pir-2", at: 2 * Self.s),
            ],
            rule: "crossing")
        #expect(alerts.isEmpty)
    }

    @Test("all_of: an opening of an unlisted kind does not fire the rule")
    func allOfUnlistedKind() {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let alerts = Self.feed(
            &engine,
            [Self.opening("pir-1", at: 0), Self.opening("mag-1", at: 1 * Self.s)], rule: "crossing")
        #expect(alerts.isEmpty)
    }

    @Test("all_of: its events are the most recent episode-opening event of each kind")
    func allOfMostRecent() throws {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let early = Self.opening("pir-1", at: 0)
        let late = Self.opening("pir-1", at: 10 * Self.s)
        let seis = Self.opening("seis-7", at: 20 * Self.s)
        let alert = try #require(Self.feed(&engine, [early, late, seis], rule: "crossing").first)
        #expect(alert.events == [late.id, seis.id])
        #expect(alert.firstTs == late.ts)
        #expect(alert.lastTs == seis.ts)
    }

    @Test("all_of with simultaneous openings fires once")
    func allOfSimultaneous() {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let pir = Self.opening("pir-1", at: 5 * Self.s)
        let seis = Self.opening("seis-7", at: 5 * Self.s)
        let alerts = Self.feed(&engine, [pir, seis], rule: "crossing")
        #expect(alerts.count == 1)
        #expect(Set(alerts.first?.events ?? []) == [pir.id, seis.id])
        #expect(alerts.first?.firstTs == pir.ts)
        #expect(alerts.first?.lastTs == pir.ts)
    }

    @Test("all_of: cooldown defaults to within_s; an opening at T + within_s fires again")
    func allOfDefaultCooldown() {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let fired = Self.feed(&engine, [Self.opening("pir-1", at: 0), Self.opening("seis-7", at: 10 * Self.s)])
        #expect(fired.filter { $0.rule == "crossing" }.count == 1)
        // T = 10 s. Quiet for openings before 70 s.
        let quiet = Self.feed(&engine, [Self.opening("pir-1", at: 70 * Self.s - 1)], rule: "crossing")
        #expect(quiet.isEmpty)
        let again = Self.feed(&engine, [Self.opening("seis-7", at: 70 * Self.s)], rule: "crossing")
        #expect(again.count == 1)
        #expect(again.first?.firstTs == Self.t0 + 70 * Self.s - 1)
        #expect(again.first?.lastTs == Self.t0 + 70 * Self.s)
    }

    @Test("all_of: explicit cooldown_s")
    func allOfExplicitCooldown() {
        var rule = Self.crossing
        rule.cooldownNs = 5 * Self.s
        var engine = RuleEngine(configuration: Self.configuration([rule]))
        let a = Self.feed(
            &engine, [Self.opening("pir-1", at: 0), Self.opening("seis-7", at: 1 * Self.s)], rule: "crossing")
        #expect(a.count == 1)
        // T = 1 s: quiet before 6 s.
        let b = Self.feed(&engine, [Self.opening("pir-1", at: 6 * Self.s - 1)], rule: "crossing")
        #expect(b.isEmpty)
        let c = Self.feed(&engine, [Self.opening("seis-7", at: 6 * Self.s)], rule: "crossing")
        #expect(c.count == 1)
    }

    @Test("cooldown_s defaults to within_s")
    func cooldownDefault() {
        let rule = RuleConfig(name: "x", severity: .low, condition: .sequence(first: "a", second: "b"), withinNs: 7)
        #expect(rule.cooldownNs == 7)
        let explicit = RuleConfig(
            name: "x", severity: .low, condition: .sequence(first: "a", second: "b"), withinNs: 7, cooldownNs: 0)
        #expect(explicit.cooldownNs == 0)
    }

    @Test("all_of: openings during the cooldown still count for later firings")
    func allOfQuietOpeningsCount() throws {
        let rule = RuleConfig(
            name: "crossing", severity: .high, condition: .allOf(kinds: [.pir, .seismic], zone: "north-fork"),
            withinNs: 10 * Self.s)
        var engine = RuleEngine(configuration: Self.configuration([rule]))
        let first = Self.feed(
            &engine, [Self.opening("pir-1", at: 0), Self.opening("seis-7", at: 1 * Self.s)], rule: "crossing")
        #expect(first.count == 1)
        // T = 1 s, quiet until 11 s. This PIR opening is quiet but remembered.
        let quietPIR = Self.opening("pir-1", at: 5 * Self.s)
        #expect(Self.feed(&engine, [quietPIR], rule: "crossing").isEmpty)
        let seis = Self.opening("seis-7", at: 12 * Self.s)
        let second = try #require(Self.feed(&engine, [seis], rule: "crossing").first)
        #expect(second.events == [quietPIR.id, seis.id])
    }

    @Test("a zone-less all_of is evaluated per zone, with a cooldown per zone")
    func allOfPerZone() throws {
        let rule = RuleConfig(
            name: "anywhere", severity: .medium, condition: .allOf(kinds: [.pir, .seismic], zone: nil),
            withinNs: 30 * Self.s)
        var engine = RuleEngine(configuration: Self.configuration([rule]))
        // A PIR in north-fork and a seismic in south-field do not make a pair.
        #expect(
            Self.feed(
                &engine, [Self.opening("pir-1", at: 0), Self.opening("seis-8", at: 1 * Self.s)], rule: "anywhere"
            )
            .isEmpty)
        let north = try #require(Self.feed(&engine, [Self.opening("seis-7", at: 2 * Self.s)], rule: "anywhere").first)
        #expect(north.zone == "north-fork")
        // south-field is not in north-fork's cooldown.
        let south = try #require(Self.feed(&engine, [Self.opening("pir-2", at: 3 * Self.s)], rule: "anywhere").first)
        #expect(south.zone == "south-field")
        #expect(south.events == [Self.opening("seis-8", at: 1 * Self.s).id, Self.opening("pir-2", at: 3 * Self.s).id])
        // Both zones are now quiet until 32 s and 33 s respectively.
        #expect(Self.feed(&engine, [Self.opening("pir-1", at: 31 * Self.s)], rule: "anywhere").isEmpty)
        #expect(Self.feed(&engine, [Self.opening("seis-8", at: 32 * Self.s)], rule: "anywhere").isEmpty)
        #expect(Self.feed(&engine, [Self.opening("seis-7", at: 32 * Self.s)], rule: "anywhere").count == 1)
        #expect(Self.feed(&engine, [Self.opening("seis-8", at: 33 * Self.s)], rule: "anywhere").count == 1)
    }

    @Test("an alert's zone is the rule's zone")
    func ruleZoneWins() throws {
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing]))
        let alert = try #require(
            Self.feed(&engine, [Self.opening("pir-1", at: 0), Self.opening("seis-7", at: 1)], rule: "crossing").first)
        #expect(alert.zone == "north-fork")
        #expect(alert.position == Self.north || alert.position == nil)
    }

    // MARK: sequence

    static let northbound = RuleConfig(
        name: "northbound", severity: .medium, condition: .sequence(first: "beam-s", second: "beam-n"),
        withinNs: 30 * Self.s, direction: "northbound")

    @Test("sequence: A then B within within_s fires, carrying direction")
    func sequenceFires() throws {
        var engine = RuleEngine(configuration: Self.configuration([Self.northbound]))
        let a = Self.opening("beam-s", at: 0, position: Self.south)
        let b = Self.opening("beam-n", at: 12 * Self.s, position: Self.north)
        let alerts = Self.feed(&engine, [a, b], rule: "northbound")
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.direction == "northbound")
        #expect(alert.severity == .medium)
        #expect(alert.events == [a.id, b.id])
        #expect(alert.firstTs == a.ts)
        #expect(alert.lastTs == b.ts)
        // The rule has no zone: the latest event's.
        #expect(alert.zone == "gate-north")
        #expect(alert.position == Self.north)
        #expect(!alert.summary.contains("\n"))
    }

    @Test("sequence: within_s is inclusive", arguments: [(30 * s, true), (30 * s + 1, false), (1, true)])
    func sequenceWindow(gap: Int64, fires: Bool) {
        var engine = RuleEngine(configuration: Self.configuration([Self.northbound]))
        let alerts = Self.feed(
            &engine, [Self.opening("beam-s", at: 0), Self.opening("beam-n", at: gap)], rule: "northbound")
        #expect(alerts.count == (fires ? 1 : 0))
    }

    @Test("sequence: B then A does not fire")
    func sequenceReversed() {
        var engine = RuleEngine(configuration: Self.configuration([Self.northbound]))
        let alerts = Self.feed(
            &engine, [Self.opening("beam-n", at: 0), Self.opening("beam-s", at: 1 * Self.s)], rule: "northbound")
        #expect(alerts.isEmpty)
    }

    @Test("sequence: simultaneous openings do not fire, in either order")
    func sequenceSimultaneous() {
        var engine = RuleEngine(configuration: Self.configuration([Self.northbound]))
        #expect(
            Self.feed(&engine, [Self.opening("beam-s", at: 0), Self.opening("beam-n", at: 0)], rule: "northbound")
                .isEmpty)
        var other = RuleEngine(configuration: Self.configuration([Self.northbound]))
        #expect(
            Self.feed(&other, [Self.opening("beam-n", at: 0), Self.opening("beam-s", at: 0)], rule: "northbound")
                .isEmpty)
    }

    @Test("sequence: A's MOST RECENT opening is the one carried")
    func sequenceMostRecentA() throws {
        var engine = RuleEngine(configuration: Self.configuration([Self.northbound]))
        let a1 = Self.opening("beam-s", at: 0)
        let a2 = Self.opening("beam-s", at: 5 * Self.s)
        let b = Self.opening("beam-n", at: 6 * Self.s)
        let alert = try #require(Self.feed(&engine, [a1, a2, b], rule: "northbound").first)
        #expect(alert.events == [a2.id, b.id])
        #expect(alert.firstTs == a2.ts)
    }

    @Test("sequence: cooldown defaults to within_s; openings of A during it still count")
    func sequenceCooldown() throws {
        var engine = RuleEngine(configuration: Self.configuration([Self.northbound]))
        #expect(
            Self.feed(
                &engine, [Self.opening("beam-s", at: 0), Self.opening("beam-n", at: 1 * Self.s)], rule: "northbound"
            )
            .count == 1)
        // T = 1 s, quiet before 31 s.
        let quietA = Self.opening("beam-s", at: 10 * Self.s)
        #expect(Self.feed(&engine, [quietA, Self.opening("beam-n", at: 31 * Self.s - 1)], rule: "northbound").isEmpty)
        let b = Self.opening("beam-n", at: 31 * Self.s)
        let alert = try #require(Self.feed(&engine, [b], rule: "northbound").first)
        #expect(alert.events == [quietA.id, b.id])
    }

    @Test("sequence: explicit cooldown_s")
    func sequenceExplicitCooldown() {
        var rule = Self.northbound
        rule.cooldownNs = 2 * Self.s
        var engine = RuleEngine(configuration: Self.configuration([rule]))
        let alerts = Self.feed(
            &engine,
            [
                Self.opening("beam-s", at: 0),
                Self.opening("beam-n", at: 1 * Self.s),  // fires, quiet before 3 s
                Self.opening("beam-n", at: 3 * Self.s - 1),  // quiet
                Self.opening("beam-n", at: 3 * Self.s),  // fires, A at 0 is 3 s before
            ], rule: "northbound")
        #expect(alerts.map(\.lastTs) == [Self.t0 + 1 * Self.s, Self.t0 + 3 * Self.s])
    }

    // MARK: ids and combinations

    @Test("alert ids are deterministic and follow Identifier.alert")
    func deterministicIDs() {
        let inputs = [
            Self.opening("pir-1", at: 0), Self.opening("seis-7", at: 1 * Self.s),
            Self.opening("beam-s", at: 2 * Self.s), Self.opening("beam-n", at: 3 * Self.s),
        ]
        var one = RuleEngine(configuration: Self.configuration([Self.crossing, Self.northbound]))
        var two = RuleEngine(configuration: Self.configuration([Self.crossing, Self.northbound]))
        let first = Self.feed(&one, inputs)
        let second = Self.feed(&two, inputs)
        #expect(first == second)
        // detection pir-1, detection seis-7, crossing, northbound
        #expect(first.map(\.rule) == ["detection", "detection", "crossing", "northbound"])
        #expect(Set(first.map(\.id)).count == 4)
        for alert in first {
            #expect(
                alert.id
                    == Identifier.alert(
                        box: "swanton-07", rule: alert.rule, zone: alert.zone, events: alert.events, ts: alert.firstTs))
        }
    }

    @Test("several rules and a detection can fire from one opening")
    func severalAlertsFromOneOpening() {
        let rule2 = RuleConfig(
            name: "pir-seis-mag", severity: .critical,
            condition: .allOf(kinds: [.pir, .seismic, .magnetic], zone: "north-fork"), withinNs: 60 * Self.s)
        var engine = RuleEngine(configuration: Self.configuration([Self.crossing, rule2]))
        _ = Self.feed(&engine, [Self.opening("pir-1", at: 0), Self.opening("mag-1", at: 1 * Self.s)])
        let alerts = engine.episodeOpened(Self.opening("seis-7", at: 2 * Self.s))
        #expect(alerts.map(\.rule) == ["detection", "crossing", "pir-seis-mag"])
        #expect(alerts.last?.events.count == 3)
        #expect(alerts.last?.firstTs == Self.t0)
        #expect(alerts.last?.lastTs == Self.t0 + 2 * Self.s)
    }
}
