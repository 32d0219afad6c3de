/// What the processing stage counted, cumulative since it started.
public struct ProcessorCounters: Sendable, Equatable {
    public var edges = 0
    public var serialChunks = 0
    public var serialBytes = 0
    public var serialGaps = 0
    public var framing = FramerCounters()
    /// Valid frames whose fields were not acceptable (bad seq, class, ...).
    public var invalidSentences = 0
    /// Valid frames Picket does not use (GSV, GSA, proprietary sentences...).
    public var ignoredSentences = 0
    public var fixes = 0
    public var statuses = 0
    public var events = 0
    public var episodes = 0
    /// Hotline reports taken into episodes and rules (also counted in `events`).
    public var reports = 0
    /// Per sensor id.
    public var duplicates: [String: Int] = [:]
    public var lost: [String: Int] = [:]
    public var glitches: [String: Int] = [:]
    /// Sentences naming sensors that the configuration does not list, per id.
    public var unknownSensorSentences: [String: Int] = [:]
    public var alertsByRule: [String: Int] = [:]
    /// Stored events per sensor and state (for the metrics).
    public var eventsBySensor: [EventKey: Int] = [:]

    public struct EventKey: Hashable, Sendable {
        public var sensor: String
        public var state: EventState
    }

    public init() {}

    public var inputs: Int { edges + serialChunks }
    public var alerts: Int { alertsByRule.values.reduce(0, +) }
    public var glitchTotal: Int { glitches.values.reduce(0, +) }
    public var duplicateTotal: Int { duplicates.values.reduce(0, +) }
    public var lostTotal: Int { lost.values.reduce(0, +) }
    public var unknownSensorTotal: Int { unknownSensorSentences.values.reduce(0, +) }
}
