import PicketCore

/// Rules are read after every sensor so that each reference to a sensor,
/// a kind or a zone can be checked against what is really configured: a
/// rule that can never fire is a mistake the technician should hear about
/// before the box goes into the field, not after.
extension ConfigurationBuilder {
    static let ruleKeys = ["name", "severity", "all_of", "sequence", "within_s", "cooldown_s", "direction"]
    /// The rule name that `detection` alerts carry; a rule of that name
    /// would make the two indistinguishable downstream.
    static let reservedRuleName = "detection"
    /// Larger windows would overflow nanoseconds in an `Int64`.
    static let maximumSeconds = 9_000_000_000.0

    func rule(_ field: Field) -> RuleConfig? {
        guard
            let map = reader.mapping(
                field,
                "must be a mapping such as {name: crossing, all_of: {kinds: [pir, seismic]}, within_s: 60, severity: high}",
                allowed: Self.ruleKeys)
        else { return nil }
        let name = map.required("name", example: "crossing").flatMap { ruleName($0, rule: field) }
        let severity = map.required("severity", example: "high").flatMap { reader.choice($0, Severity.self) }
        let condition = condition(map)
        let withinNs = map.required("within_s", example: "60").flatMap { nanoseconds($0, allowZero: false) }
        let cooldownNs = map.optional("cooldown_s").flatMap { nanoseconds($0, allowZero: true) }
        let direction = map.optional("direction").flatMap { reader.text($0) }

        guard let name, let severity, let condition, let withinNs else { return nil }
        return RuleConfig(
            name: name, severity: severity, condition: condition, withinNs: withinNs, cooldownNs: cooldownNs,
            direction: direction)
    }

    private func ruleName(_ field: Field, rule: Field) -> String? {
        guard
            let name = reader.identifier(field, "must use only letters, digits, '.', '_' and '-', like sensor ids")
        else { return nil }
        guard name != Self.reservedRuleName else {
            reader.report(field, "detection is reserved for the alerts of sensors with a severity; choose another name")
            return nil
        }
        claimRuleName(name, by: field, rule: rule)
        return name
    }

    /// Exactly one of `all_of` and `sequence`; both are still checked when
    /// both are given so their own problems are not hidden.
    private func condition(_ map: MappingReader) -> RuleConfig.Condition? {
        let allOfField = map.optional("all_of")
        let sequenceField = map.optional("sequence")
        let allOf = allOfField.flatMap(allOf)
        let sequence = sequenceField.flatMap(sequence)
        switch (allOfField, sequenceField) {
        case (nil, nil):
            if let empty = map.entries.first(where: { $0.name == "all_of" || $0.name == "sequence" })?.field {
                reader.report(
                    empty, "must not be empty, e.g. all_of: {kinds: [pir, seismic]} or sequence: [beam-s, beam-n]")
            } else {
                reader.report(
                    map.path, at: map.mark,
                    "needs exactly one of all_of or sequence, e.g. all_of: {kinds: [pir, seismic]} or sequence: [beam-s, beam-n]"
                )
            }
            return nil
        case (.some, .some):
            reader.report(map.path, at: map.mark, "has both all_of and sequence; keep exactly one")
            return nil
        case (.some, nil):
            return allOf
        case (nil, .some):
            return sequence
        }
    }

    private func allOf(_ field: Field) -> RuleConfig.Condition? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {kinds: [pir, seismic], zone: north-fork}",
                allowed: ["kinds", "zone"])
        else { return nil }
        let zoneField = map.optional("zone")
        var zone = zoneField.flatMap { reader.text($0) }
        if let zoneField, let named = zone, !knownZones.contains(named) {
            reader.report(zoneField, "no configured sensor is in zone \(named)\(zoneHint(for: named))")
            zone = nil
        }
        let kindsExpectation = "must be a list of sensor kinds such as [pir, seismic]"
        guard let kindsField = map.required("kinds", example: "[pir, seismic]"),
            let items = reader.list(kindsField, kindsExpectation)
        else { return nil }
        guard !items.isEmpty else {
            reader.report(kindsField, "must list at least one sensor kind, e.g. [pir, seismic]")
            return nil
        }
        var kinds: [SensorKind] = []
        for item in items {
            guard let kind = sensorKind(item) else { continue }
            guard !kinds.contains(kind) else {
                reader.report(item, "\(kind.rawValue) is listed twice; list each kind once")
                continue
            }
            kinds.append(kind)
            if !declared.contains(where: { $0.kind == kind }) {
                reader.report(item, "no configured sensor has kind \(kind.rawValue); add one or remove the kind")
            } else if let zone, !declared.contains(where: { $0.kind == kind && $0.zone == zone }) {
                reader.report(
                    item, "no \(kind.rawValue) sensor is in zone \(zone); add one there or remove the kind")
            }
        }
        return .allOf(kinds: kinds, zone: zone)
    }

    /// Either member may be `report`, the hotline's reports (`picket
    /// report`): only a sequence can take them, since their kind is `unknown`.
    private func sequence(_ field: Field) -> RuleConfig.Condition? {
        let expectation = "must be a list of two sensor ids, first then second, e.g. [beam-s, beam-n]"
        guard let items = reader.list(field, expectation) else { return nil }
        guard items.count == 2 else {
            reader.report(field, "\(expectation); this one lists \(items.count)")
            return nil
        }
        let ids = items.map { item -> String? in
            guard let id = reader.text(item, "must be a sensor id") else { return nil }
            guard id == Report.sensor || declared.contains(where: { $0.id == id }) else {
                let suggestion = Spelling.closest(to: id, among: declared.map(\.id) + [Report.sensor])
                    .map { " (did you mean \($0)?)" }
                reader.report(item, "no configured sensor has id \(id)\(suggestion ?? "")")
                return nil
            }
            return id
        }
        guard let first = ids[0], let second = ids[1] else { return nil }
        guard first != second else {
            reader.report(items[1], "must differ from the first sensor; a sequence needs two different sensors")
            return nil
        }
        return .sequence(first: first, second: second)
    }

    /// Seconds as written (fractions allowed) to whole nanoseconds.
    private func nanoseconds(_ field: Field, allowZero: Bool) -> Int64? {
        let expectation = allowZero ? "must be a number of seconds >= 0" : "must be a number of seconds > 0"
        guard let seconds = reader.number(field, expectation) else { return nil }
        guard seconds <= Self.maximumSeconds else {
            reader.report(field, "must be at most \(Int64(Self.maximumSeconds)) seconds")
            return nil
        }
        let nanoseconds = Int64((seconds * 1e9).rounded())
        guard seconds >= 0, nanoseconds > 0 || allowZero else {
            reader.report(field, expectation)
            return nil
        }
        return nanoseconds
    }

    /// A likely spelling, or the zones there are, so the fix is one glance away.
    func zoneHint(for zone: String) -> String {
        let zones = knownZones
        if let suggestion = Spelling.closest(to: zone, among: zones) {
            return " (did you mean \(suggestion)?)"
        }
        if zones.isEmpty {
            return "; no sensor has a zone yet"
        }
        return " (configured zones: \(zones.joined(separator: ", ")))"
    }
}
