/// An alert as an OASIS Common Alerting Protocol 1.2 document, for sector
/// endpoints configured with `format: cap` (PRODUCT.md section 6).
///
/// Elements come in the order CAP's schema sequences them, so a validating
/// receiver accepts the document. The choices CAP leaves to the sender:
/// - `identifier` is the alert's id, the same on every retry, like the
///   `Idempotency-Key`.
/// - `sender` is `picket@<box>.<sector>`: unique to the box that raised the
///   alert, as CAP asks, and readable by whoever triages it. CAP forbids
///   spaces, commas, `<` and `&` in both, so those become `-`.
/// - `scope` is `Restricted` with the restriction `sector <sector>`: the
///   alert is for the sector's own people, not the public; `Private` would
///   need a list of addresses that only the endpoint knows.
/// - `certainty` is `Observed` and `urgency` `Immediate`: a sensor saw it,
///   just now. `category` is `Security`.
/// - `status` is `Actual`, or `Exercise` for alerts of a run that watches
///   no real field (`picket run --simulate`, a replay): a receiver must never
///   mistake a drill for an intrusion.
/// - `sent` is the caller's choice: pass `lastTs` for a body that is the same
///   on every retry. Times have second precision and UTC is written with the
///   offset `-00:00`, as CAP 1.2 (3.3.2) asks; CAP forbids `Z` and fractional
///   seconds.
/// - `headline` is the summary, `onset` the alert's `firstTs`, `expires` one
///   hour after `sent` (`lifetimeNs`): someone crossing a fence line is news
///   for the next hour, and a receiver may take it off live displays after
///   that (it keeps the record). An alert that waited out a long outage in
///   the outbox arrives already expired, which is what it is by then.
/// - Parameters carry `box`, `sector`, `zone`, `direction` and `events`
///   (the event ids, space-separated, as CAP separates list items); an
///   `area` carries the alert's position as a circle of radius
///   `forward.cap_radius_m` (default 100 m; CAP counts in km), described by
///   the zone.
///
/// Text is escaped for XML, and characters XML 1.0 cannot carry at all (most
/// control characters) become U+FFFD.
public enum CAPDocument {
    public static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"
    /// How long after `sent` an alert `expires`: an hour.
    public static let lifetimeNs: Int64 = 3_600_000_000_000

    /// What the document says beyond the alert itself.
    public struct Settings: Sendable, Equatable {
        /// `status` `Exercise` instead of `Actual`: the alert comes from a
        /// simulated field kit or a replay.
        public var exercise: Bool
        /// The area circle's radius in metres (`forward.cap_radius_m`).
        public var radiusM: Int

        public init(exercise: Bool, radiusM: Int = ForwardConfig.defaultCAPRadiusM) {
            self.exercise = exercise
            self.radiusM = radiusM
        }
    }

    /// The whole document, with an XML declaration, indented by two spaces.
    public static func xml(for alert: Alert, sentNs: Int64, settings: Settings) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<alert xmlns=\"\(namespace)\">\n"
        func element(_ name: String, _ value: String, indent: Int) {
            out += String(repeating: "  ", count: indent) + "<\(name)>\(escape(value))</\(name)>\n"
        }
        element("identifier", token(alert.id), indent: 1)
        element("sender", sender(for: alert), indent: 1)
        element("sent", dateTime(sentNs), indent: 1)
        element("status", settings.exercise ? "Exercise" : "Actual", indent: 1)
        element("msgType", "Alert", indent: 1)
        element("scope", "Restricted", indent: 1)
        element("restriction", "sector \(alert.sector)", indent: 1)
        out += "  <info>\n"
        element("language", "en-US", indent: 2)
        element("category", "Security", indent: 2)
        element("event", alert.rule, indent: 2)
        element("urgency", "Immediate", indent: 2)
        element("severity", severity(alert.severity), indent: 2)
        element("certainty", "Observed", indent: 2)
        element("onset", dateTime(alert.firstTs), indent: 2)
        element("expires", dateTime(sentNs + lifetimeNs), indent: 2)
        if !alert.summary.isEmpty { element("headline", alert.summary, indent: 2) }
        var parameters = [("box", alert.box), ("sector", alert.sector)]
        if let zone = alert.zone { parameters.append(("zone", zone)) }
        if let direction = alert.direction { parameters.append(("direction", direction)) }
        if !alert.events.isEmpty { parameters.append(("events", alert.events.joined(separator: " "))) }
        for (name, value) in parameters {
            out += "    <parameter>\n"
            element("valueName", name, indent: 3)
            element("value", value, indent: 3)
            out += "    </parameter>\n"
        }
        if let position = alert.position, let circle = circle(position, radiusM: settings.radiusM) {
            out += "    <area>\n"
            element("areaDesc", alert.zone ?? "sector \(alert.sector)", indent: 3)
            element("circle", circle, indent: 3)
            out += "    </area>\n"
        }
        out += "  </info>\n"
        out += "</alert>\n"
        return out
    }

    /// `picket@<box>.<sector>`.
    public static func sender(for alert: Alert) -> String {
        "picket@\(token(alert.box)).\(token(alert.sector))"
    }

    /// CAP's severity for ours.
    public static func severity(_ severity: Severity) -> String {
        switch severity {
        case .low: "Minor"
        case .medium: "Moderate"
        case .high: "Severe"
        case .critical: "Extreme"
        }
    }

    /// `2026-06-05T03:12:01-00:00`: CAP's dateTime, whole seconds (rounded
    /// down), UTC written `-00:00` as CAP 1.2 section 3.3.2 requires.
    public static func dateTime(_ ns: Int64) -> String {
        String(UTCTime.format(ns).prefix(19)) + "-00:00"
    }

    /// `lat,lon radius` (the radius in km, as CAP counts) with up to six
    /// decimals (about 10 cm, a metre for the radius), never in exponent
    /// notation; nil for a position that is not on the globe.
    static func circle(_ position: Position, radiusM: Int) -> String? {
        guard position.lat.isFinite, position.lon.isFinite, abs(position.lat) <= 90, abs(position.lon) <= 180
        else { return nil }
        return "\(decimal(position.lat)),\(decimal(position.lon)) \(decimal(Double(radiusM) / 1000))"
    }

    static func decimal(_ value: Double) -> String {
        let micro = Int64((abs(value) * 1_000_000).rounded())
        var fraction = String(micro % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        let sign = value < 0 && micro != 0 ? "-" : ""
        return sign + String(micro / 1_000_000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// CAP's identifier and sender may hold no spaces, commas, `<` or `&`.
    static func token(_ text: String) -> String {
        String(text.map { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == "&" ? "-" : $0 })
    }

    /// Escapes the five XML specials; characters XML 1.0 forbids become U+FFFD.
    /// Public for the sector's Atom feed, which escapes the same way.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Kept as a reference, or a parser would turn it into a line feed.
            case "\r": out += "&#13;"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
