import Foundation

/// Quiet hours read on the landowner's wall clock (PRODUCT.md section 7).
///
/// A time is quiet when the local clock shows a minute in `[start, end)`,
/// wrapping midnight when `start > end`. That is the whole definition, so on
/// the night clocks go back a period that ends inside the repeated hour is
/// quiet twice (the clock shows those minutes twice), and a period that ends
/// inside the skipped hour in March ends when the clock jumps past it.
/// `start == end` (which the configuration refuses) is never quiet rather
/// than always.
extension Subscriber.QuietHours {
    /// Whether the local clock in `timeZone` shows a quiet minute at `ns`.
    public func contains(_ ns: Int64, in timeZone: TimeZone) -> Bool {
        guard startMinute != endMinute else { return false }
        let minute = LocalTime.minuteOfDay(ns, timeZone)
        if startMinute < endMinute {
            return minute >= startMinute && minute < endMinute
        }
        return minute >= startMinute || minute < endMinute
    }

    /// The first instant at or after `ns` that is not quiet: `ns` itself when
    /// it is not quiet, else the end of the quiet period it falls in.
    ///
    /// Between offset changes the local clock runs in step with UTC, so within
    /// one such stretch the period ends exactly when the clock reaches `end`;
    /// if an offset change comes first, the search goes on from the change.
    /// A quiet period is shorter than a day and no zone changes its offset
    /// more than twice a day, so a handful of stretches always suffices.
    public func end(after ns: Int64, in timeZone: TimeZone) -> Int64 {
        var t = ns
        for _ in 0..<8 {
            guard contains(t, in: timeZone) else { return t }
            let change = LocalTime.nextChange(after: t, timeZone) ?? .max
            let wait = LocalTime.floorMod(
                Int64(endMinute) * 60 - LocalTime.secondOfDay(t, timeZone), LocalTime.secondsPerDay)
            let (end, overflow) = (LocalTime.seconds(t) + wait).multipliedReportingOverflow(
                by: UTCTime.nanosPerSecond)
            if overflow { return .max }
            if end < change { return end }
            t = change
        }
        return t
    }
}
