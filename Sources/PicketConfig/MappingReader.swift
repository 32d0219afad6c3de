import Yams

/// One YAML mapping, with its keys already checked: unknown keys, duplicate
/// keys and keys that are not plain names are reported as the reader is
/// made, so no section can forget to check them.
struct MappingReader {
    let path: ConfigPath
    /// Where the mapping starts; missing keys are reported here because
    /// they have no line of their own.
    let mark: Mark?
    /// First occurrence of each key, in document order.
    private(set) var entries: [(name: String, field: Field)] = []
    private let reader: ConfigReader

    /// - Parameters:
    ///   - allowed: the keys this mapping may hold; nil for free-form maps.
    ///   - hints: a better explanation than a spelling suggestion for keys
    ///     that belong elsewhere (`debounce_ms` outside `gpio`).
    init(
        _ mapping: Node.Mapping, path: ConfigPath, allowed: [String]?, hints: [String: String],
        reader: ConfigReader
    ) {
        self.path = path
        self.mark = mapping.mark
        self.reader = reader
        var firstLines: [String: Int?] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                reader.report(
                    path, at: key.mark, "keys must be plain names, not \(Field(path: path, node: key).shapeDescription)"
                )
                continue
            }
            let name = DocumentComposer.originalKey(scalar.string)
            let keyPath = path.key(name)
            if let firstLine = firstLines[name] {
                let first = firstLine.map { " (first on line \($0))" } ?? ""
                reader.report(keyPath, at: key.mark, "duplicate key\(first); keep only one")
                continue
            }
            firstLines[name] = key.mark?.line
            if let allowed, !allowed.contains(name) {
                reader.report(keyPath, at: key.mark, Self.unknownKeyMessage(name, allowed: allowed, hints: hints))
                continue
            }
            entries.append((name, Field(path: keyPath, node: value)))
        }
    }

    /// The key's value, or nil when it is absent or null.
    func optional(_ name: String) -> Field? {
        guard let field = entries.first(where: { $0.name == name })?.field, !field.isNull else { return nil }
        return field
    }

    /// Whether the key is written at all, even with an empty value.
    func contains(_ name: String) -> Bool {
        entries.contains { $0.name == name }
    }

    /// The key's value; when it is absent or null, reports it as required
    /// with an example line the technician can copy.
    func required(_ name: String, example: String) -> Field? {
        if let field = optional(name) { return field }
        let message = "is required, e.g. \(name): \(example)"
        if let present = entries.first(where: { $0.name == name })?.field {
            reader.report(present, message)
        } else if path == .document {
            // The document's own mark is its first key, which says nothing
            // about where a missing top-level key belongs: line 1, the
            // document's start, where top-level keys are read from.
            reader.report(path.key(name), line: 1, column: nil, message)
        } else {
            reader.report(path.key(name), at: mark, message)
        }
        return nil
    }

    private static func unknownKeyMessage(_ name: String, allowed: [String], hints: [String: String]) -> String {
        if let hint = hints[name] {
            return "unknown key (\(hint))"
        }
        if name == "<<" {
            // Yams composes nodes without applying merges, and a merge
            // that silently did nothing would be worse than this message.
            return "YAML merge keys are not supported; write the keys out in full"
        }
        if let suggestion = Spelling.closest(to: name, among: allowed) {
            return "unknown key (did you mean \(suggestion)?)"
        }
        return "unknown key (expected \(ConfigReader.alternatives(allowed)))"
    }
}
