import PicketCore

/// Names travel into logs, texts, CAP documents and terminals: one that
/// holds a newline could forge a log line, one with a right-to-left
/// override could show a technician another name than the one stored
/// (PRODUCT.md section 9). Every text value of a configuration is printable.
extension ConfigReader {
    /// Reports `text` when it holds a control character; true when it holds none.
    func printable(_ field: Field, _ text: String) -> Bool {
        guard let found = text.unicodeScalars.first(where: \.isControlOrBidi) else { return true }
        let code = String(found.value, radix: 16, uppercase: true)
        report(
            field,
            "must be printable text without control characters (newline, NUL, bell, DEL, bidi overrides); "
                + "found U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)")
        return false
    }
}
