/// How many edges a line may deliver in a second before the driver gives it
/// back to the kernel for a while: a floating input or a chattering contact
/// makes thousands a second, which flood the line's ring, fill the store with
/// noise and can starve the hot path on a small board (a Pi Zero 2). No real
/// sensor Picket reads comes near it: a beam or a PIR changes a few times a
/// second at most.
public struct GPIOStormLimit: Sendable, Equatable {
    /// Edges allowed per line per second.
    public var edgesPerSecond: Int
    /// How long a stormy line stays released before it is requested again.
    public var releaseNs: Int64

    public init(edgesPerSecond: Int, releaseNs: Int64) {
        self.edgesPerSecond = max(1, edgesPerSecond)
        self.releaseNs = max(1, releaseNs)
    }

    /// 500 edges a second; released for 30 s.
    public static let `default` = GPIOStormLimit(edgesPerSecond: 500, releaseNs: 30_000_000_000)

    /// The unhealthy detail of a line released for a storm.
    func detail(subject: String, edges: Int) -> String {
        "\(subject): \(Self.grouped(edges)) edges in 1 s, more than \(Self.grouped(edgesPerSecond)): released for \(Self.duration(releaseNs)) (floating input? check the pull resistor)"
    }

    /// 12,345.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// "30 s", or "250 ms" below a whole second.
    static func duration(_ ns: Int64) -> String {
        ns % 1_000_000_000 == 0 ? "\(ns / 1_000_000_000) s" : "\(ns / 1_000_000) ms"
    }
}

/// Counts one line's edges in one-second windows against a `GPIOStormLimit`.
public struct GPIOStormMeter: Sendable, Equatable {
    public let limit: Int
    private var windowStart: Int64?
    private var count = 0

    public init(limit: Int) {
        self.limit = limit
    }

    /// Counts `edges` read at `now` (monotonic ns); returns the window's count
    /// once it is over the limit, else nil.
    public mutating func count(_ edges: Int, now: Int64) -> Int? {
        if let start = windowStart, now - start < 1_000_000_000 {
            count += edges
        } else {
            windowStart = now
            count = edges
        }
        return count > limit ? count : nil
    }

    /// Starts afresh (the line was requested again).
    public mutating func reset() {
        windowStart = nil
        count = 0
    }
}
