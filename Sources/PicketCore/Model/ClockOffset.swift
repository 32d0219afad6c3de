/// How far the system clock is from GPS time (item "Clock sanity"): the
/// input's UTC time (the system clock live, `started_utc + t` in a replay)
/// minus the UTC time a GPS RMC sentence carried, measured at `ts`.
/// Positive: the system clock is ahead.
public struct ClockOffset: Sendable, Equatable {
    public var offsetNs: Int64
    /// When it was measured (the input's time).
    public var ts: Int64

    public init(offsetNs: Int64, ts: Int64) {
        self.offsetNs = offsetNs
        self.ts = ts
    }

    public var seconds: Double { Double(offsetNs) / 1e9 }

    /// The RMC's UTC time in nanoseconds, when it has a date and a time of day.
    public static func gpsTime(_ fix: GPSFix) -> Int64? {
        guard fix.sentence == "RMC", let seconds = fix.secondsOfDay, let day = fix.day, let month = fix.month,
            let year = fix.year, seconds >= 0, seconds < 86_401
        else { return nil }
        let days = UTCTime.days(fromCivil: Int64(year), Int64(month), Int64(day))
        return days * 86_400 * 1_000_000_000 + Int64((seconds * 1e9).rounded())
    }

    /// `system clock is 2.3 s ahead of GPS`
    public var sentence: String {
        let magnitude = abs(seconds)
        let figure = magnitude < 10 ? String(format1: magnitude) : String(Int(magnitude.rounded()))
        if offsetNs == 0 { return "system clock agrees with GPS" }
        return "system clock is \(figure) s \(offsetNs > 0 ? "ahead of" : "behind") GPS"
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
