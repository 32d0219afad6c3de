import PicketCore

/// Names travel into logs, texts, CAP documents and terminals: one that
/// holds a newline could forge a log line, one with a right-to-left
/// override could show a technician another name than the one stored
/// (PRODUCT.md section 9). Every text value of a configuration is printable.
extension ConfigReader {
    /// Reports `text` when it holds a control character; true when it holds none.
    func printable(_ field: Field, _ text: String) -> Bool {
        guard let problem = Self.printableProblem(text) else { return true }
        report(field, problem)
        return false
    }

    /// What is wrong with `text` as a name: its first control character
    /// or bidi override; nil when it has none. Also the sector's check of
    /// names it takes outside a configuration (`SubscriberChecks`).
    static func printableProblem(_ text: String) -> String? {
        guard let found = text.unicodeScalars.first(where: \.isControlOrBidi) else { return nil }
        let code = String(found.value, radix: 16, uppercase: true)
        return "must be printable text without control characters (newline, NUL, bell, DEL, bidi overrides); "
            + "found U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)"
    }
}
