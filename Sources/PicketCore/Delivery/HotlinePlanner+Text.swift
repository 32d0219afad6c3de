import Foundation

/// The words of a text (PRODUCT.md section 7): what was seen in a
/// landowner's words, where, and when on their own clock, then the sector's
/// number; one SMS segment, in characters every gateway and handset shows
/// the same.
///
/// `Picket: someone on foot in north-fork, Sun 6 Dec 14:05 CET. Call +18025550111`
///
/// A segment holds 160 characters of the GSM 7-bit alphabet; one character
/// outside it turns the whole text into UCS-2, 70 characters a segment, and a
/// longer text arrives in parts, or not at all on an old handset in a field.
/// So a body holds only printable ASCII that is in GSM-7's basic table:
/// accents are folded (`Jérôme` becomes `Jerome`), the few ASCII characters
/// that cost two septets (`[ ] { } \ ^ ~ |`) and the backtick become their
/// nearest plain look-alikes, anything else is dropped, and line breaks
/// become spaces. What gives way to stay within 160, in order: a rule's
/// direction, the zone's name (cut with `...`), the sector's name in a first
/// text's introduction; the time and the contact number never do.
extension HotlinePlanner {
    /// Characters in one GSM-7 SMS segment.
    public static let maxTextLength = 160

    /// How a planner words its texts: the landowner's clock, what each alert
    /// saw, and the frame around the words (a first text's introduction, the
    /// sector's contact number).
    public struct Wording: Sendable {
        public var clock: LocalClock
        /// What each held alert saw, by alert id; `Sighting.motion` for any
        /// not listed (or from its rule's name).
        public var sightings: [String: Sighting]
        /// The sector named in a first text; nil for no introduction.
        public var introduce: String?
        public var contact: String?

        public init(
            clock: LocalClock, sightings: [String: Sighting] = [:], introduce: String? = nil, contact: String? = nil
        ) {
            self.clock = clock
            self.sightings = sightings
            self.introduce = introduce
            self.contact = contact
        }

        func sighting(_ alert: Alert) -> Sighting {
            sightings[alert.id] ?? Sighting.of(alert, events: [])
        }
    }

    /// `Picket alerts from sector swanton; reply STOP to stop. `, or without
    /// the sector's name (`nil`) when it does not fit.
    static func introduction(_ sector: String?) -> String {
        guard let sector, !sector.isEmpty else { return "Picket alerts; reply STOP to stop. " }
        return "Picket alerts from sector \(sector); reply STOP to stop. "
    }

    /// One alert's text: `Picket: a vehicle in north-fork heading northbound,
    /// Sun 6 Dec 14:05 CET.`, `URGENT Picket: ...` when it is critical.
    ///
    /// The time is the alert's `firstTs` on the landowner's clock: when the
    /// activity began.
    public static func text(for alert: Alert, wording: Wording, first: Bool = false) -> String {
        let head = (alert.severity == .critical ? "URGENT Picket: " : "Picket: ") + wording.sighting(alert).words
        let when = ", " + wording.clock.stamp(alert.firstTs) + "."
        let heading = alert.direction.map(gsm).flatMap { $0.isEmpty ? nil : " heading " + $0 }
        return fitted(
            first: first, sector: wording.introduce, contact: wording.contact, fixed: (head, when),
            place: place(alert).map { " in " + $0 }, extra: heading)
    }

    /// The alert's zone in a text's characters; nil when none is left.
    static func place(_ alert: Alert) -> String? {
        alert.zone.map(gsm).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Several held alerts in one text, each in the same words as its own
    /// text, oldest first: `Picket: 3 alerts since Sat 5 Dec 22:14 EST:
    /// someone on foot north-fork 22:14, a vehicle south-gate 23:40, motion
    /// north-fork 05:58.` Those that do not fit are counted (`and 2 more.`);
    /// a time in another abbreviation than the first's (the night the clocks
    /// change) carries its own.
    public static func digest(_ alerts: [Alert], wording: Wording, first: Bool = false) -> String {
        let sorted = alerts.enumerated().sorted { ($0.element.firstTs, $0.offset) < ($1.element.firstTs, $1.offset) }
            .map(\.element)
        guard let earliest = sorted.first else { return "Picket: no alerts." }
        let clock = wording.clock
        let zoneName = clock.abbreviation(earliest.firstTs)
        let head =
            "Picket: \(sorted.count) alert\(sorted.count == 1 ? "" : "s") since \(clock.stamp(earliest.firstTs)): "
        func time(_ alert: Alert) -> String {
            let abbreviation = clock.abbreviation(alert.firstTs)
            return " " + clock.hhmm(alert.firstTs) + (abbreviation == zoneName ? "" : " " + abbreviation)
        }
        let items = sorted.map { wording.sighting($0).words + (place($0).map { " " + $0 } ?? "") + time($0) }
        func list(_ k: Int) -> String {
            items.prefix(k).joined(separator: ", ") + (k < items.count ? " and \(items.count - k) more." : ".")
        }
        for k in stride(from: items.count, to: 1, by: -1) {
            let text = framed(list(k), first: first, sector: wording.introduce, contact: wording.contact, head: head)
            if text.count <= maxTextLength { return text }
        }
        // One alert named, its zone cut to fit when it must.
        let rest = sorted.count > 1 ? " and \(sorted.count - 1) more." : "."
        return fitted(
            first: first, sector: wording.introduce, contact: wording.contact,
            fixed: (head + wording.sighting(earliest).words, time(earliest) + rest),
            place: place(earliest).map { " " + $0 }, extra: nil)
    }

    /// `intro + head + body + contact`.
    static func framed(_ body: String, first: Bool, sector: String?, contact: String?, head: String = "") -> String {
        (first ? introduction(sector.map(gsm)) : "") + head + body + (contact.map { " Call " + gsm($0) } ?? "")
    }

    /// `fixed.0 + place + extra + fixed.1`, framed, in at most 160
    /// characters: `extra` goes first, then `place` is cut, then the sector's
    /// name in the introduction; only then (names no one would choose) is
    /// the whole cut, still ending with the contact.
    static func fitted(
        first: Bool, sector: String?, contact: String?, fixed: (String, String), place: String?, extra: String?
    ) -> String {
        func compose(_ place: String?, _ extra: String?, _ sector: String?) -> String {
            framed(fixed.0 + (place ?? "") + (extra ?? "") + fixed.1, first: first, sector: sector, contact: contact)
        }
        let sector = sector.map(gsm)
        var text = compose(place, extra, sector)
        guard text.count > maxTextLength else { return text }
        text = compose(place, nil, sector)
        guard text.count > maxTextLength else { return text }
        var place = place
        if let whole = place {
            let keep = whole.count - (text.count - maxTextLength)
            // Below a few characters a cut name says nothing; the intro gives way first.
            place = keep >= 8 ? truncated(whole, to: keep) : truncated(whole, to: 8)
            text = compose(place, nil, sector)
            guard text.count > maxTextLength else { return text }
        }
        if first, let sector {
            let keep = sector.count - (text.count - maxTextLength)
            text = compose(place, nil, keep >= 4 ? truncated(sector, to: keep) : nil)
            guard text.count > maxTextLength else { return text }
        }
        let suffix = contact.map { " Call " + gsm($0) } ?? ""
        let body = compose(place, nil, first ? nil : sector)
        return truncated(String(body.dropLast(suffix.count)), to: maxTextLength - suffix.count) + suffix
    }

    /// `text` itself when it fits in `limit` characters, else its start and `...`.
    public static func truncated(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        guard limit > 3 else { return String(text.prefix(max(0, limit))) }
        var start = text.prefix(limit - 3)
        while start.last == " " { start.removeLast() }
        return start + "..."
    }

    /// `text` in the characters a body may hold (see the extension's comment),
    /// with runs of spaces collapsed and the ends trimmed.
    public static func gsm(_ text: String) -> String {
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
            default:
                // Another script's letter, an emoji: dropped, as a `?` would read as a question.
                guard scalar.properties.isWhitespace || scalar.value < 0x20 else { continue }
                c = " "
            }
            if c == " " && (out.isEmpty || out.last == " ") { continue }
            out.append(c)
        }
        while out.last == " " { out.removeLast() }
        return out
    }
}
