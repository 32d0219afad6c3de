/// Names travel into logs, texts, CAP documents and terminals: one that
/// holds a newline could forge a log line, one with a right-to-left
/// override could show a technician another name than the one stored
/// (PRODUCT.md section 9). Every text value of a configuration is printable.
extension ConfigReader {
    /// Reports `text` when it holds a control character; true when it holds none.
    func printable(_ field: Field, _ text: String) -> Bool {
        guard let found = text.unicodeScalars.first(where: Self.isControl) else { return true }
        let code = String(found.value, radix: 16, uppercase: true)
        report(
            field,
            "must be printable text without control characters (newline, NUL, bell, DEL, bidi overrides); "
                + "found U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)")
        return false
    }

    /// C0 and C1 controls and DEL, the line and paragraph separators, and
    /// the bidirectional embeddings, overrides, isolates and marks.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
