/// What a sensor is. `unknown` is the kind of a sensor that reported over the
/// radio but is not in the configuration: its sentences are stored, never lost.
public enum SensorKind: String, Sendable, CaseIterable, Codable, Comparable {
    case pir, seismic, magnetic, beam, camera, unknown

    public static func < (lhs: SensorKind, rhs: SensorKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Alert severities, ordered so that `critical > high > medium > low`.
public enum Severity: String, Sendable, CaseIterable, Codable, Comparable {
    case low, medium, high, critical

    /// low 0 ... critical 3, for ordering in SQL.
    public var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// Where an event came from.
public enum EventSource: String, Sendable, CaseIterable, Codable {
    case gpio, serial, report
}

/// A debounced flip, or a detection (always `active`).
public enum EventState: String, Sendable, CaseIterable, Codable {
    case active, inactive
}

/// A position in decimal degrees (WGS 84).
public struct Position: Sendable, Equatable, Hashable, Codable {
    public var lat: Double
    public var lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }
}
