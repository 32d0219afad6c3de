import Foundation

/// The wall clock in a landowner's time zone, for quiet hours and the HH:MM in texts.
///
/// Between two offset changes (daylight saving time starting or ending) a
/// zone's offset is fixed, so its wall clock runs in step with UTC; the only
/// jumps are at the changes, which `TimeZone` reports. Working from the offset
/// and the next change, rather than adding days and hours to a local date,
/// keeps the hour skipped in March and the hour repeated in November exact:
/// there is no local time to round or to choose between, only instants.
enum LocalTime {
    static let secondsPerDay: Int64 = 86_400

    /// Whole seconds since the epoch at or before `ns`.
    static func seconds(_ ns: Int64) -> Int64 {
        let s = ns / UTCTime.nanosPerSecond
        return ns % UTCTime.nanosPerSecond < 0 ? s - 1 : s
    }

    /// Seconds after local midnight at `ns`.
    static func secondOfDay(_ ns: Int64, _ timeZone: TimeZone) -> Int64 {
        floorMod(seconds(ns) + offset(ns, timeZone), secondsPerDay)
    }

    /// Minutes after local midnight at `ns`, as quiet hours count them.
    static func minuteOfDay(_ ns: Int64, _ timeZone: TimeZone) -> Int {
        Int(secondOfDay(ns, timeZone) / 60)
    }

    /// `03:12`: what the landowner's own clock showed.
    static func hhmm(_ ns: Int64, _ timeZone: TimeZone) -> String {
        let minute = minuteOfDay(ns, timeZone)
        return pad2(minute / 60) + ":" + pad2(minute % 60)
    }

    /// The zone's offset from UTC at `ns`, in seconds.
    static func offset(_ ns: Int64, _ timeZone: TimeZone) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: date(ns)))
    }

    /// The first offset change strictly after `ns`, or nil when the zone has
    /// none to come (UTC, or a time beyond what nanoseconds in an Int64 hold).
    static func nextChange(after ns: Int64, _ timeZone: TimeZone) -> Int64? {
        guard let change = timeZone.nextDaylightSavingTimeTransition(after: date(ns)) else { return nil }
        // Changes fall on whole seconds; rounding only sheds Double's noise.
        let s = change.timeIntervalSince1970.rounded()
        guard s < Double(Int64.max / UTCTime.nanosPerSecond) else { return nil }
        return Int64(s) * UTCTime.nanosPerSecond
    }

    /// Whole seconds are exact in a Double, and offsets only change on them.
    private static func date(_ ns: Int64) -> Date {
        Date(timeIntervalSince1970: Double(seconds(ns)))
    }

    static func floorMod(_ a: Int64, _ n: Int64) -> Int64 {
        let r = a % n
        return r < 0 ? r + n : r
    }

    private static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
