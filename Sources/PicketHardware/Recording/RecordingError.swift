/// A problem with a recording, naming the file and line.
public struct RecordingProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line number; nil for problems with the file as a whole.
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// Why a recording could not be read.
public enum RecordingError: Error, Sendable, CustomStringConvertible {
    /// The file does not exist or cannot be opened (exit 66).
    case missing(file: String, reason: String)
    /// Reading failed midway (exit 74).
    case io(file: String, reason: String)
    /// Bad lines (exit 65): the first ones found, in file order.
    case invalid([RecordingProblem], more: Int)

    public var description: String {
        switch self {
        case .missing(let file, let reason): "\(file): cannot open recording: \(reason)"
        case .io(let file, let reason): "\(file): read error: \(reason)"
        case .invalid(let problems, let more):
            problems.map(\.description).joined(separator: "\n")
                + (more > 0 ? "\n... and \(more) more bad line\(more == 1 ? "" : "s")" : "")
        }
    }
}
