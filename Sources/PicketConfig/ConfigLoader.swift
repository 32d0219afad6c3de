import Foundation
import PicketCore

/// Reads a YAML configuration and validates all of it before anything
/// starts, because a box in the field that starts half-configured fails
/// silently where nobody is watching.
public enum ConfigLoader {
    /// Reads and validates the file at `path`. A file that cannot be read is
    /// `missingFile` (sysexits 66); one that can be read but is wrong is
    /// `invalid` (sysexits 78), with every problem it has.
    public static func load(path: String) throws(ConfigLoadError) -> PicketConfiguration {
        let yaml = try read(path: path)
        do throws(ConfigError) {
            return try parse(yaml: yaml, file: path)
        } catch {
            throw .invalid(error)
        }
    }

    /// Validates YAML text. `file` is only a label, so the embedded simulated
    /// kit and test fixtures get exactly the messages a file on disk would.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> PicketConfiguration {
        let reader = ConfigReader(file: file)
        guard let root = DocumentComposer.compose(yaml, reader: reader) else {
            if reader.problems.isEmpty { reader.reportEmptyDocument() }
            throw ConfigError(problems: reader.sortedProblems)
        }
        let configuration = ConfigurationBuilder(reader: reader).build(root)
        guard let configuration, reader.problems.isEmpty else {
            if reader.problems.isEmpty {
                reader.report(.document, line: nil, column: nil, "could not be read as a configuration")
            }
            throw ConfigError(problems: reader.sortedProblems)
        }
        return configuration
    }

    /// The file's text. Distinguishes the reasons a technician can act on:
    /// a wrong path, a directory, permissions, or a file that is not text.
    private static func read(path: String) throws(ConfigLoadError) -> String {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw .missingFile(path: path, reason: "is a directory, not a file")
        }
        guard files.isReadableFile(atPath: path), let data = files.contents(atPath: path) else {
            throw .missingFile(path: path, reason: "permission denied")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let (line, column) = firstInvalidUTF8(in: Array(data))
            let problem = ConfigProblem(
                file: path, line: line, column: column, key: ConfigPath.document.description,
                message: "is not UTF-8 text (the first byte that is not is at column \(column))")
            throw .invalid(ConfigError(problems: [problem]))
        }
        return text
    }

    /// Where the first byte that is not UTF-8 is (1-based line, and column
    /// in bytes), found with the standard library's UTF-8 decoder.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> (line: Int, column: Int) {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var line = 1
        var column = 1
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += UTF8.width(scalar)
            }
        }
        return (line, column)
    }
}
