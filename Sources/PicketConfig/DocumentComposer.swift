import Yams

/// Composes the YAML text into one node tree for the loader to walk, and
/// turns YAML-level failures into located problems.
///
/// Yams refuses a mapping with a duplicate key and stops there, which would
/// hide every other problem in the file. So on a duplicate the composer
/// splices a unique sentinel into the first occurrence's name and tries
/// again; `MappingReader` strips the sentinel, sees the key twice and reports
/// it alongside everything else.
enum DocumentComposer {
    /// Characters spliced into the text, remembered so reported columns
    /// match the file on disk.
    struct Insertion {
        let line: Int
        let column: Int
        let length: Int
    }

    /// `~` cannot start a YAML indicator and no Picket key contains it, so
    /// the renamed key stays a plain string that cannot clash with real keys.
    private static let sentinelPrefix = "~picket-duplicate-"
    /// A file with more duplicates than this is reported at the last one.
    private static let maximumRenames = 200

    /// The document's root node, or nil when the file is empty or is not
    /// YAML; in the latter case the problem is already reported.
    static func compose(_ yaml: String, reader: ConfigReader) -> Node? {
        var text = yaml
        for attempt in 0...maximumRenames {
            do {
                return try Yams.compose(yaml: text)
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let sentinel = "\(sentinelPrefix)\(attempt)~"
                guard attempt < maximumRenames, let key = duplicates.first,
                    let (edited, insertion) = insert(sentinel, before: key, at: context.mark, in: text)
                else {
                    let names = duplicates.joined(separator: ", ")
                    reader.report(.document, at: context.mark, "duplicate key \(names); keep only one")
                    return nil
                }
                text = edited
                reader.insertions.append(insertion)
            } catch let error as YamlError {
                reportSyntax(error, reader: reader)
                return nil
            } catch {
                reader.report(.document, line: nil, column: nil, "invalid YAML: \(error)")
                return nil
            }
        }
        return nil
    }

    /// The key as the technician wrote it, without any sentinel.
    static func originalKey(_ key: String) -> String {
        guard key.hasPrefix(sentinelPrefix) else { return key }
        let rest = key.dropFirst(sentinelPrefix.count)
        guard let end = rest.firstIndex(of: "~") else { return key }
        return String(rest[rest.index(after: end)...])
    }

    /// Puts `sentinel` in front of the key that starts at `mark`, inside its
    /// quotes if it has any. Gives up (nil) unless the text there is plainly
    /// the key, so an odd key never leads to a wrong edit.
    private static func insert(
        _ sentinel: String, before key: String, at mark: Mark, in text: String
    ) -> (String, Insertion)? {
        var scalars = Array(text.unicodeScalars)
        var line = 1
        var index = 0
        while line < mark.line, index < scalars.count {
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }
        guard line == mark.line else { return nil }
        var position = index + mark.column - 1
        var column = mark.column
        guard position < scalars.count else { return nil }
        if scalars[position] == "\"" || scalars[position] == "'" {
            position += 1
            column += 1
        }
        let keyScalars = Array(key.unicodeScalars)
        guard position + keyScalars.count <= scalars.count,
            Array(scalars[position..<position + keyScalars.count]) == keyScalars
        else { return nil }
        let inserted = Array(sentinel.unicodeScalars)
        scalars.insert(contentsOf: inserted, at: position)
        var edited = String.UnicodeScalarView()
        edited.append(contentsOf: scalars)
        return (String(edited), Insertion(line: mark.line, column: column, length: inserted.count))
    }

    /// libyaml's messages are terse but accurate; they are kept, with the
    /// line where the enclosing construct began when that differs.
    private static func reportSyntax(_ error: YamlError, reader: ConfigReader) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if problem == "but found another document" {
                message = "invalid YAML: the file holds more than one document; remove the second --- and what follows"
            } else if let context {
                let start = context.mark.line == mark.line ? "" : " that started on line \(context.mark.line)"
                message += " (\(context.text)\(start))"
            }
            reader.report(.document, at: mark, message)
        case .reader(let problem, let offset, _, let yaml):
            let location = offset.map { lineAndColumn(ofCharacterOffset: $0, in: yaml) }
            reader.report(.document, line: location?.line, column: location?.column, "invalid YAML: \(problem)")
        default:
            reader.report(.document, line: nil, column: nil, "invalid YAML: \(error)")
        }
    }

    private static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }
}
