import Yams

/// Turns YAML nodes into checked values while collecting every problem.
///
/// A reader never stops at the first mistake: each conversion reports what
/// was wrong and returns nil, and the caller carries on with the next key.
/// It is a class because the many small builders that walk the document all
/// append to one problem list.
final class ConfigReader {
    let file: String
    /// Sentinels spliced into the text to get past duplicate keys; kept so
    /// that columns can be reported as the technician's file has them.
    var insertions: [DocumentComposer.Insertion] = []
    private(set) var problems: [ConfigProblem] = []

    init(file: String) {
        self.file = file
    }

    /// Problems in reading order, whole-file ones first, so the list reads
    /// top to bottom like the file does.
    var sortedProblems: [ConfigProblem] {
        problems.enumerated()
            .sorted { lhs, rhs in
                let left = (lhs.element.line ?? 0, lhs.element.column ?? 0, lhs.offset)
                let right = (rhs.element.line ?? 0, rhs.element.column ?? 0, rhs.offset)
                return left < right
            }
            .map(\.element)
    }

    // MARK: Reporting

    /// A file with no document, or a null one: said at line 1, its start.
    func reportEmptyDocument() {
        report(.document, line: 1, column: nil, "is empty; a configuration needs at least box and sector")
    }

    func report(_ path: ConfigPath, line: Int?, column: Int?, _ message: String) {
        problems.append(
            ConfigProblem(file: file, line: line, column: column, key: path.description, message: message))
    }

    func report(_ path: ConfigPath, at mark: Mark?, _ message: String) {
        guard let mark else {
            report(path, line: nil, column: nil, message)
            return
        }
        report(path, line: mark.line, column: originalColumn(line: mark.line, column: mark.column), message)
    }

    func report(_ field: Field, _ message: String) {
        report(field.path, at: field.node.mark, message)
    }

    /// Undoes the shift that duplicate-key sentinels cause on their line,
    /// newest first because each was placed in the text as it was then.
    private func originalColumn(line: Int, column: Int) -> Int {
        var column = column
        for insertion in insertions.reversed() where insertion.line == line && column > insertion.column {
            column -= insertion.length
        }
        return column
    }

    // MARK: Containers

    /// The field as a mapping whose keys are checked against `allowed`
    /// (nil allows any key, as `tags` does).
    func mapping(
        _ field: Field, _ expectation: String, allowed: [String]?, hints: [String: String] = [:]
    ) -> MappingReader? {
        guard case .mapping(let mapping) = field.node else {
            report(field, "\(expectation), not \(field.shapeDescription)")
            return nil
        }
        return MappingReader(mapping, path: field.path, allowed: allowed, hints: hints, reader: self)
    }

    /// The field's elements, each with its `[index]` path.
    func list(_ field: Field, _ expectation: String) -> [Field]? {
        guard case .sequence(let sequence) = field.node else {
            report(field, "\(expectation), not \(field.shapeDescription)")
            return nil
        }
        return sequence.enumerated().map { Field(path: field.path.index($0.offset), node: $0.element) }
    }

    // MARK: Scalars

    /// Any scalar's text as written. Numbers and booleans are accepted where
    /// text is expected (`zone: 7`, `from: +18025550199` unquoted) because
    /// the technician meant the characters, not the YAML type.
    func text(_ field: Field, _ expectation: String = "must be a non-empty string") -> String? {
        guard case .scalar(let scalar) = field.node else {
            report(field, "\(expectation), not \(field.shapeDescription)")
            return nil
        }
        guard !field.isNull, !scalar.string.isEmpty else {
            report(field, expectation)
            return nil
        }
        guard printable(field, scalar.string) else { return nil }
        return scalar.string
    }

    /// A decimal whole number at least `minimum`. YAML 1.1 would read `017`
    /// as octal and `1:30` as 90; a wiring table must mean what it shows,
    /// so only plain decimal digits are accepted.
    /// `maximum` keeps durations and sizes where nanoseconds and bytes still
    /// fit in 64 bits with room for the arithmetic on them.
    func wholeNumber(_ field: Field, minimum: Int, maximum: Int = .max, _ expectation: String) -> Int? {
        guard let text = numberText(field, expectation, valid: { Int($0) != nil }) else { return nil }
        guard let value = Int(text), value >= minimum else {
            report(field, expectation)
            return nil
        }
        guard value <= maximum else {
            report(field, "must be at most \(maximum)")
            return nil
        }
        return value
    }

    /// A finite decimal number, fractions and exponents allowed; `.inf` and
    /// `.nan` are refused because no time or position can be either.
    func number(_ field: Field, _ expectation: String) -> Double? {
        guard let text = numberText(field, expectation, valid: { Self.decimal($0) != nil }) else { return nil }
        guard let value = Self.decimal(text) else {
            report(field, expectation)
            return nil
        }
        return value
    }

    /// One of an enumeration's raw values; `allowed` narrows the cases a
    /// technician may write (`unknown` is not theirs to configure).
    func choice<Value: RawRepresentable & CaseIterable>(
        _ field: Field, _ type: Value.Type, allowed: [Value]? = nil
    ) -> Value? where Value.RawValue == String {
        let allowed = allowed ?? Array(Value.allCases)
        let expectation = "must be \(Self.alternatives(allowed.map(\.rawValue)))"
        guard let text = text(field, expectation) else { return nil }
        guard let value = Value(rawValue: text), allowed.contains(where: { $0.rawValue == text }) else {
            report(field, expectation)
            return nil
        }
        return value
    }

    /// Text limited to `[A-Za-z0-9._-]`, the characters that survive an
    /// NMEA field and a shell command line unchanged.
    func identifier(_ field: Field, _ expectation: String) -> String? {
        guard let text = text(field, expectation) else { return nil }
        guard Self.isIdentifier(text) else {
            report(field, expectation)
            return nil
        }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": true
                default: false
                }
            }
    }

    /// "high or low", "one of pir, seismic, beam": how a list of choices
    /// reads in a message.
    static func alternatives(_ names: [String]) -> String {
        switch names.count {
        case 0: "nothing"
        case 1: names[0]
        case 2: "\(names[0]) or \(names[1])"
        default: "one of " + names.joined(separator: ", ")
        }
    }

    /// The text of a scalar meant as a number. A quoted number is text in
    /// YAML; the message says to drop the quotes rather than just "wrong".
    private func numberText(_ field: Field, _ expectation: String, valid: (String) -> Bool) -> String? {
        guard case .scalar(let scalar) = field.node else {
            report(field, "\(expectation), not \(field.shapeDescription)")
            return nil
        }
        if scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            report(field, valid(scalar.string) ? "\(expectation) (remove the quotes)" : expectation)
            return nil
        }
        return scalar.string
    }

    private static func decimal(_ text: String) -> Double? {
        let digits = text.unicodeScalars.filter { ("0"..."9").contains($0) }
        let allowed = text.unicodeScalars.allSatisfy { "0123456789+-.eE".unicodeScalars.contains($0) }
        guard allowed, !digits.isEmpty, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
