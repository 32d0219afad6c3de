/// Turns episode openings into alerts (PRODUCT.md section 5).
///
/// Fed every episode-opening event in time order. Three kinds of alert:
/// - `detection`: a sensor with a `severity` raises one alert per episode.
/// - `all_of`: an opening of a listed kind in the zone, when openings of every
///   listed kind lie within `within_s` (inclusive) of it.
/// - `sequence`: an opening of B when A's most recent opening came before it
///   within `within_s`; A or B may be `report`, the hotline's reports.
/// After a rule fires at T it is quiet (per zone for `all_of`) for openings
/// before T + `cooldown_s`; quiet openings still count for later firings.
public struct RuleEngine: Sendable {
    struct Opening: Sendable {
        var ts: Int64
        var event: Event
    }

    struct AllOfState: Sendable {
        var latestByKind: [SensorKind: Opening] = [:]
        var quietUntil = Int64.min
    }

    struct SequenceState: Sendable {
        var latestFirst: Opening?
        var quietUntil = Int64.min
    }

    private let rules: [RuleConfig]
    private let severities: [String: Severity]
    /// By rule index. Updated in place: a state copied out of the
    /// dictionary and stored back would copy its `latestByKind` every time.
    private var allOf: [[String: AllOfState]]
    private var sequences: [SequenceState]

    public init(configuration: PicketConfiguration) {
        rules = configuration.rules
        var severities: [String: Severity] = [:]
        for sensor in configuration.allSensors {
            if let severity = sensor.severity { severities[sensor.id] = severity }
        }
        self.severities = severities
        allOf = Array(repeating: [:], count: rules.count)
        sequences = Array(repeating: SequenceState(), count: rules.count)
    }

    /// Call with each event that opened an episode, in time order; returns the alerts it raises.
    public mutating func episodeOpened(_ event: Event) -> [Alert] {
        var alerts: [Alert] = []
        if let severity = severities[event.sensor] {
            alerts.append(
                Self.makeAlert(
                    rule: detectionRuleName, severity: severity, zone: event.zone, direction: nil, events: [event],
                    summary: Self.detectionSummary(event)))
        }
        for (index, rule) in rules.enumerated() {
            switch rule.condition {
            case .allOf(let kinds, let zone):
                guard kinds.contains(event.kind) else { continue }
                if let zone, event.zone != zone { continue }
                let zoneKey = event.zone ?? ""
                Self.allOfOpened(
                    event, rule: rule, kinds: kinds, zone: zone, state: &allOf[index][zoneKey, default: AllOfState()],
                    into: &alerts)
            case .sequence(let first, let second):
                Self.sequenceOpened(
                    event, rule: rule, first: first, second: second, state: &sequences[index], into: &alerts)
            }
        }
        return alerts
    }

    private static func allOfOpened(
        _ event: Event, rule: RuleConfig, kinds: [SensorKind], zone: String?, state: inout AllOfState,
        into alerts: inout [Alert]
    ) {
        state.latestByKind[event.kind] = Opening(ts: event.ts, event: event)
        if event.ts >= state.quietUntil {
            let members = kinds.compactMap { kind -> Event? in
                guard let opening = state.latestByKind[kind],
                    abs(event.ts &- opening.ts) <= rule.withinNs
                else { return nil }
                return opening.event
            }
            if members.count == kinds.count {
                state.quietUntil = event.ts &+ rule.cooldownNs
                let sorted = Self.chronological(members)
                alerts.append(
                    Self.makeAlert(
                        rule: rule.name, severity: rule.severity, zone: zone ?? event.zone,
                        direction: rule.direction, events: sorted,
                        summary: Self.allOfSummary(rule: rule.name, events: sorted, zone: zone ?? event.zone)))
            }
        }
    }

    private static func sequenceOpened(
        _ event: Event, rule: RuleConfig, first: String, second: String, state: inout SequenceState,
        into alerts: inout [Alert]
    ) {
        if Self.names(first, event) {
            state.latestFirst = Opening(ts: event.ts, event: event)
        } else if Self.names(second, event), event.ts >= state.quietUntil, let a = state.latestFirst,
            a.ts < event.ts, event.ts &- a.ts <= rule.withinNs
        {
            state.quietUntil = event.ts &+ rule.cooldownNs
            alerts.append(
                Self.makeAlert(
                    rule: rule.name, severity: rule.severity, zone: event.zone, direction: rule.direction,
                    events: [a.event, event],
                    summary: Self.sequenceSummary(rule: rule, first: a.event, second: event)))
        }
    }

    /// Whether a `sequence` member names the event's sensor. `report` names
    /// hotline reports (source `report`), never a radio sensor that calls
    /// itself so: nobody configured that one, and a rule cannot name it.
    static func names(_ member: String, _ event: Event) -> Bool {
        member == Report.sensor ? event.source == .report : event.sensor == member
    }

    private static func makeAlert(
        rule: String, severity: Severity, zone: String?, direction: String?, events: [Event], summary: String
    ) -> Alert {
        let first = events.lazy.map(\.ts).min() ?? 0
        let latest = events.max { $0.ts < $1.ts }
        let ids = events.map(\.id)
        let box = events.first?.box ?? ""
        return Alert(
            id: Identifier.alert(box: box, rule: rule, zone: zone, events: ids, ts: first), rule: rule,
            severity: severity,
            box: box, sector: events.first?.sector ?? "", zone: zone, firstTs: first, lastTs: latest?.ts ?? first,
            direction: direction, events: ids, position: latest?.position, summary: summary)
    }

    static func chronological(_ events: [Event]) -> [Event] {
        events.sorted { $0.ts != $1.ts ? $0.ts < $1.ts : $0.id < $1.id }
    }

    static func detectionSummary(_ e: Event) -> String {
        var text = "\(e.kind.rawValue) \(e.sensor)"
        if let c = e.detectionClass { text += " \(c)" }
        if let s = e.strength { text += " strength \(s)" }
        if let z = e.zone { text += " in \(z)" }
        if let image = e.imageRef { text += " image \(image)" }
        return text
    }

    static func allOfSummary(rule: String, events: [Event], zone: String?) -> String {
        let parts = events.map { "\($0.kind.rawValue) \($0.sensor)" }.joined(separator: " + ")
        let span = Self.seconds((events.last?.ts ?? 0) - (events.first?.ts ?? 0))
        return "\(rule): \(parts)\(zone.map { " in \($0)" } ?? "") within \(span) s"
    }

    static func sequenceSummary(rule: RuleConfig, first: Event, second: Event) -> String {
        let span = Self.seconds(second.ts - first.ts)
        let heading = rule.direction.map { ", heading \($0)" } ?? ""
        return "\(rule.name): \(first.sensor) then \(second.sensor) \(span) s apart\(heading)"
            + (second.zone.map { " in \($0)" } ?? "")
    }

    /// Seconds with one decimal, without Foundation.
    static func seconds(_ ns: Int64) -> String {
        let tenths = (ns + 50_000_000) / 100_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
