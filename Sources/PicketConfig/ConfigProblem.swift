/// One thing wrong with a configuration file, located well enough that a
/// technician in the field can go straight to it: the file, the line (when
/// the YAML parser knew it) and the key path in the same spelling they typed.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file name as given to the loader (the path, or a label for embedded text).
    public var file: String
    /// 1-based line; nil when the problem concerns the file as a whole.
    public var line: Int?
    /// 1-based column, counted in Unicode scalars as libyaml counts them.
    public var column: Int?
    /// Where in the document, e.g. `gpio[2].debounce_ms`; `(document)` for the whole file.
    public var key: String
    /// What is wrong and how to fix it.
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    /// `file:line: key: message`, the shape compilers use, so editors and
    /// terminals can jump to the line.
    public var description: String {
        if let line {
            return "\(file):\(line): \(key): \(message)"
        }
        return "\(file): \(key): \(message)"
    }
}
