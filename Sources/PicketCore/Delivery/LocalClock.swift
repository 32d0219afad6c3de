import Foundation

/// The landowner's wall clock as a text names it: `Sun 6 Dec 14:05 CET`
/// (PRODUCT.md section 7: the local date and time with the zone's
/// abbreviation, from `timezone`).
///
/// The abbreviation comes from the tz database file of the zone
/// (`ZoneNames`) when the caller read one; one that is not plain letters
/// (`+04`, `GMT+1`, or no file) is written as the offset instead
/// (`UTC+04:00`, `UTC-03:30`), and a zero offset without a name as `UTC`.
/// Everything is ASCII and English, whatever the system's locale.
public struct LocalClock: Sendable {
    public let timeZone: TimeZone
    let names: ZoneNames?

    public init(timeZone: TimeZone, names: ZoneNames? = nil) {
        self.timeZone = timeZone
        self.names = names
    }

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun 6 Dec 14:05 CET`: weekday, day, month, time and zone at `ns`.
    public func stamp(_ ns: Int64) -> String {
        "\(date(ns)) \(hhmm(ns)) \(abbreviation(ns))"
    }

    /// `Sun 6 Dec`: the local date at `ns`.
    public func date(_ ns: Int64) -> String {
        let days = Self.floorDiv(LocalTime.seconds(ns) + LocalTime.offset(ns, timeZone), LocalTime.secondsPerDay)
        let (_, month, day) = Self.civil(days)
        // 1970-01-01, day 0, was a Thursday.
        return "\(Self.weekdays[Int(LocalTime.floorMod(days + 4, 7))]) \(day) \(Self.months[month - 1])"
    }

    /// `14:05`: the local time of day at `ns`.
    public func hhmm(_ ns: Int64) -> String { LocalTime.hhmm(ns, timeZone) }

    /// `CET`, `EDT`, `UTC`, or the offset as `UTC+05:30`.
    public func abbreviation(_ ns: Int64) -> String {
        let offset = Int(LocalTime.offset(ns, timeZone))
        let date = Date(timeIntervalSince1970: Double(LocalTime.seconds(ns)))
        if let name = names?.name(at: LocalTime.seconds(ns), offset: offset), Self.isPlain(name) {
            return name
        }
        // Foundation's own name where it has one (not `GMT` for every zero offset).
        if let name = timeZone.abbreviation(for: date), Self.isPlain(name), name != "GMT" { return name }
        return Self.numeric(offset)
    }

    /// `UTC`, `UTC+01:00`, `UTC-03:30`.
    static func numeric(_ offset: Int) -> String {
        guard offset != 0 else { return "UTC" }
        let minutes = abs(offset) / 60
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "UTC\(offset < 0 ? "-" : "+")\(pad(minutes / 60)):\(pad(minutes % 60))"
    }

    /// Two to six ASCII letters: a name a landowner reads, not an offset.
    static func isPlain(_ name: String) -> Bool {
        (2...6).contains(name.count)
            && name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) }
    }

    static func floorDiv(_ a: Int64, _ n: Int64) -> Int64 {
        let q = a / n
        return a % n < 0 ? q - 1 : q
    }

    /// Year, month (1-12) and day of the proleptic Gregorian date `days`
    /// after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(_ days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
