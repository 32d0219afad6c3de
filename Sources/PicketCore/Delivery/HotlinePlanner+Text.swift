import Foundation

/// The words of a text: one SMS segment, in characters every gateway and
/// handset shows the same.
///
/// A segment holds 160 characters of the GSM 7-bit alphabet; one character
/// outside it turns the whole text into UCS-2, 70 characters a segment, and a
/// longer text arrives in parts, or not at all on an old handset in a field.
/// So a body holds only printable ASCII that is in GSM-7's basic table:
/// accents are folded (`Jérôme` becomes `Jerome`), the few ASCII characters
/// that cost two septets (`[ ] { } \ ^ ~ |`) and the backtick become their
/// nearest plain look-alikes, anything else becomes `?`, and line breaks
/// become spaces. Whatever has to give to stay within 160 is cut at the end
/// with `...`: the summary of a text, the zone list of a digest.
extension HotlinePlanner {
    /// Characters in one GSM-7 SMS segment.
    public static let maxTextLength = 160

    /// `Picket HIGH: crossing in north-fork at 03:12. pir pir-1 + seismic seis-7`
    ///
    /// The time is the alert's `firstTs` on the landowner's clock: when the
    /// activity began. A summary that starts with the rule's name (as `all_of`
    /// and `sequence` summaries do) loses that prefix, which the text already
    /// says.
    public static func text(for alert: Alert, timeZone: TimeZone) -> String {
        var head = "Picket \(alert.severity.rawValue.uppercased()): \(alert.rule)"
        if let zone = alert.zone { head += " in \(zone)" }
        head += " at \(LocalTime.hhmm(alert.firstTs, timeZone))."
        var summary = Substring(alert.summary)
        if summary.hasPrefix(alert.rule + ":") { summary = summary.dropFirst(alert.rule.count + 1) }
        return fit(gsm(head), gsm(String(summary)))
    }

    /// `Picket digest: 5 alerts in north-fork, south-gate 22:14-05:58 (2 high, 3 medium). Latest: crossing 05:58.`
    ///
    /// Zones are listed in the order they first appear and times are the
    /// alerts' `firstTs` on the landowner's clock, from the earliest to the
    /// latest; severities are counted most severe first. When the zones do not
    /// fit, they are counted instead (`in 7 zones`).
    public static func digest(_ alerts: [Alert], timeZone: TimeZone) -> String {
        let count = "\(alerts.count) alert\(alerts.count == 1 ? "" : "s")"
        var zones: [String] = []
        for zone in alerts.compactMap(\.zone) where !zones.contains(zone) { zones.append(zone) }
        let earliest = alerts.map(\.firstTs).min()
        let latest = alerts.enumerated().max { ($0.element.firstTs, $0.offset) < ($1.element.firstTs, $1.offset) }
        guard let earliest, let latest = latest?.element else { return "Picket digest: no alerts." }

        let from = LocalTime.hhmm(earliest, timeZone)
        let to = LocalTime.hhmm(latest.firstTs, timeZone)
        let span = from == to ? "at \(from)" : "\(from)-\(to)"
        let severities = Severity.allCases.reversed().compactMap { severity -> String? in
            let n = alerts.count { $0.severity == severity }
            return n == 0 ? nil : "\(n) \(severity.rawValue)"
        }
        let tail = " \(span) (\(severities.joined(separator: ", "))). Latest: \(gsm(latest.rule)) \(to)."
        var places = [""]
        if !zones.isEmpty {
            places = [" in " + zones.map(gsm).joined(separator: ", ")]
            if zones.count > 1 { places.append(" in \(zones.count) zones") }
        }
        for place in places {
            let text = "Picket digest: " + count + place + tail
            if text.count <= maxTextLength { return text }
        }
        return truncated("Picket digest: " + count + places[places.count - 1] + tail, to: maxTextLength)
    }

    /// `head` and `summary` joined by a space, the summary cut to fit; the
    /// head too when it alone is too long (a very long rule or zone name).
    static func fit(_ head: String, _ summary: String) -> String {
        guard !summary.isEmpty else { return truncated(head, to: maxTextLength) }
        let whole = head + " " + summary
        guard whole.count > maxTextLength else { return whole }
        let room = maxTextLength - head.count - 1
        // Below a few characters a cut summary says nothing; cut the whole instead.
        guard room >= 8 else { return truncated(whole, to: maxTextLength) }
        return head + " " + truncated(summary, to: room)
    }

    /// A planned text as it goes out: a subscriber's first text begins by
    /// saying who sends it and how to stop it, and every text ends with the
    /// sector's contact number where one is set (PRODUCT.md section 7). The
    /// body gives way when the whole would pass 160 characters.
    public static func framed(_ body: String, sector: String, first: Bool, contact: String?) -> String {
        let prefix = first ? gsm("Picket alerts from sector \(sector); reply STOP to stop.") + " " : ""
        let suffix = contact.map { " Call " + gsm($0) } ?? ""
        let room = maxTextLength - prefix.count - suffix.count
        return truncated(prefix + truncated(body, to: max(8, room)) + suffix, to: maxTextLength)
    }

    /// `text` itself when it fits in `limit` characters, else its start and `...`.
    static func truncated(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        var start = text.prefix(limit - 3)
        while start.last == " " { start.removeLast() }
        return start + "..."
    }

    /// `text` in the characters a body may hold (see the extension's comment),
    /// with runs of spaces collapsed and the ends trimmed.
    static func gsm(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        var out = ""
        out.reserveCapacity(folded.utf8.count)
        for scalar in folded.unicodeScalars {
            let c: Character
            switch scalar {
            case "[", "{": c = "("
            case "]", "}": c = ")"
            case "\\", "|": c = "/"
            case "^", "`": c = "'"
            case "~": c = "-"
            case "\u{2018}", "\u{2019}": c = "'"
            case "\u{201C}", "\u{201D}": c = "\""
            case "\u{2013}", "\u{2014}": c = "-"
            case " "..."\u{7E}": c = Character(scalar)
            default: c = scalar.properties.isWhitespace || scalar.value < 0x20 ? " " : "?"
            }
            if c == " " && (out.isEmpty || out.last == " ") { continue }
            out.append(c)
        }
        while out.last == " " { out.removeLast() }
        return out
    }
}
