/// Why a configuration file could not be used. The two cases are kept apart
/// because the command line maps them to different sysexits codes: a file
/// that cannot be read is missing input (66), a file that can be read but is
/// wrong is a configuration error (78).
public enum ConfigLoadError: Error, Sendable, CustomStringConvertible {
    /// The file does not exist or cannot be read; `reason` says which.
    case missingFile(path: String, reason: String)
    /// The file was read; its problems carry the path as their `file`.
    case invalid(ConfigError)

    public var description: String {
        switch self {
        case .missingFile(let path, let reason):
            "\(path): cannot read the configuration: \(reason)"
        case .invalid(let error):
            error.description
        }
    }
}
