import PicketCore

/// The checks of a hotline subscriber's fields, one of each for the box's
/// `hotline.subscribers` (`ConfigurationBuilder`) and the sector's list
/// (`picket sector subscribers add`, `POST /v1/subscribers`). Each returns
/// the value or throws the expectation to show next to the key, flag or
/// JSON field it came from.
public enum SubscriberChecks {
    /// What a field must be; the caller says which field.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var expectation: String
        public init(_ expectation: String) { self.expectation = expectation }
        public var description: String { expectation }
    }

    /// A whole subscriber's problem: the field (`phone`, `zones`, ...) and what it must be.
    public struct FieldProblem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The field's name as in the configuration and the JSON (`quiet_hours`).
        public var field: String
        /// The value as given; nil when the field was missing or empty.
        public var value: String?
        public var problem: Problem
        public var description: String { "\(field)\(value.map { " \($0)" } ?? ""): \(problem.expectation)" }
    }

    public static let phoneExpectation = "must be an E.164 number: + then 2 to 15 digits, e.g. \"+18025550199\""
    public static let quietHoursExpectation = "must be \"HH:MM-HH:MM\" in 24-hour time, e.g. \"22:00-06:00\""
    public static let maxPerHourExpectation = "must be a whole number >= 1"
    public static let nameExpectation = "must be a non-empty name such as North farm"
    public static let sectorZoneExpectation =
        "must be a zone name such as north-fork or box:zone such as ridge-01:north-fork"
    public static var severityExpectation: String {
        "must be \(ConfigReader.alternatives(Severity.allCases.map(\.rawValue)))"
    }

    /// E.164 as the SMS gateway wants it: `+` then 2 to 15 digits.
    public static func phone(_ text: String) throws(Problem) -> String {
        let digits = text.dropFirst()
        guard text.first == "+", (2...15).contains(digits.count), digits.allSatisfy({ ("0"..."9").contains($0) })
        else { throw Problem(phoneExpectation) }
        return text
    }

    /// `HH:MM-HH:MM` in 24-hour time; a start after the end wraps midnight.
    public static func quietHours(_ text: String) throws(Problem) -> Subscriber.QuietHours {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minuteOfDay(parts[0]), let end = minuteOfDay(parts[1]) else {
            throw Problem(quietHoursExpectation)
        }
        guard start != end else { throw Problem("must start and end at different times, e.g. \"22:00-06:00\"") }
        return Subscriber.QuietHours(startMinute: start, endMinute: end)
    }

    /// Quiet hours as `quietHours` reads them: `22:00-06:00`.
    public static func text(_ quietHours: Subscriber.QuietHours) -> String {
        func clock(_ minute: Int) -> String {
            let h = minute / 60
            let m = minute % 60
            return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
        }
        return clock(quietHours.startMinute) + "-" + clock(quietHours.endMinute)
    }

    private static func minuteOfDay(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), hour < 24, minute < 60
        else { return nil }
        return hour * 60 + minute
    }

    public static func severity(_ text: String) throws(Problem) -> Severity {
        guard let severity = Severity(rawValue: text) else { throw Problem(severityExpectation) }
        return severity
    }

    public static let maxPerHourMinimum = 1

    public static func maxPerHour(_ value: Int) throws(Problem) -> Int {
        guard value >= maxPerHourMinimum else { throw Problem(maxPerHourExpectation) }
        return value
    }

    /// A subscriber's name: printable, not blank.
    public static func name(_ text: String) throws(Problem) -> String {
        guard !text.allSatisfy(\.isWhitespace) else { throw Problem(nameExpectation) }
        if let problem = ConfigReader.printableProblem(text) { throw Problem(problem) }
        return text
    }

    /// A zone of a subscriber at the sector: a zone name (in every box) or
    /// `box:zone` (in one box), the box an identifier as in `boxes`. Names
    /// are printable like a sensor's `zone`, without a comma (the flag's
    /// separator) or blanks around them.
    public static func sectorZone(_ text: String) throws(Problem) -> String {
        if let problem = ConfigReader.printableProblem(text) { throw Problem(problem) }
        guard !text.isEmpty, !text.contains(","), text.trimmingWhitespace == text else {
            throw Problem(sectorZoneExpectation)
        }
        if let colon = text.firstIndex(of: ":") {
            let box = String(text[..<colon])
            let zone = text[text.index(after: colon)...]
            guard ConfigReader.isIdentifier(box), !zone.isEmpty, zone.trimmingWhitespace == String(zone) else {
                throw Problem(sectorZoneExpectation + "; the box part may use only letters, digits, '.', '_' and '-'")
            }
        }
        return text
    }

    /// The box a `box:zone` names; nil for a plain zone name.
    public static func box(ofSectorZone zone: String) -> String? {
        zone.firstIndex(of: ":").map { String(zone[..<$0]) }
    }

    /// A subscriber at the sector from its fields as written (flags or
    /// JSON), checked in the order of the fields; the first problem names
    /// its field.
    public static func sectorSubscriber(
        name: String, phone: String, zones: [String], minSeverity: String?, quietHours: String?, maxPerHour: Int?
    ) throws(FieldProblem) -> Subscriber {
        func check<T>(_ field: String, _ value: String, _ body: () throws(Problem) -> T) throws(FieldProblem) -> T {
            do {
                return try body()
            } catch {
                throw FieldProblem(field: field, value: value, problem: error)
            }
        }
        let checkedName = try check("name", name) { () throws(Problem) -> String in try Self.name(name) }
        let checkedPhone = try check("phone", phone) { () throws(Problem) -> String in try Self.phone(phone) }
        guard !zones.isEmpty else {
            throw FieldProblem(
                field: "zones", value: nil, problem: Problem("must list at least one zone, e.g. north-fork"))
        }
        var checkedZones: [String] = []
        for zone in zones {
            let checked = try check("zones", zone) { () throws(Problem) -> String in try sectorZone(zone) }
            if !checkedZones.contains(checked) { checkedZones.append(checked) }
        }
        var severity = Severity.low
        if let minSeverity {
            severity = try check("min_severity", minSeverity) { () throws(Problem) -> Severity in
                try Self.severity(minSeverity)
            }
        }
        var quiet: Subscriber.QuietHours?
        if let quietHours {
            quiet = try check("quiet_hours", quietHours) { () throws(Problem) -> Subscriber.QuietHours in
                try Self.quietHours(quietHours)
            }
        }
        var cap: Int?
        if let maxPerHour {
            cap = try check("max_per_hour", String(maxPerHour)) { () throws(Problem) -> Int in
                try Self.maxPerHour(maxPerHour)
            }
        }
        return Subscriber(
            name: checkedName, phone: checkedPhone, zones: checkedZones, minSeverity: severity, quietHours: quiet,
            maxPerHour: cap)
    }
}

extension StringProtocol {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
