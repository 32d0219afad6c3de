/// Every problem found in one configuration. The loader keeps going after
/// the first problem so that a technician on a slow link fixes the file in
/// one round trip instead of one round trip per mistake.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// In document order; problems about the whole file come first.
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    /// One problem per line, each in `file:line: key: message` form.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
