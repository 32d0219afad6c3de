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
/// - `sent` is the caller's choice: pass `lastTs` for a body that is the same
///   on every retry. Times have second precision and an explicit `+00:00`;
///   CAP forbids `Z` and fractional seconds.
/// - `headline` is the summary, `onset` the alert's `firstTs`; parameters
///   carry `box`, `sector`, `zone`, `direction` and `events` (the event ids,
///   space-separated, as CAP separates list items); an `area` carries the
///   alert's position as a circle of radius 0 km, described by the zone.
///
/// Text is escaped for XML, and characters XML 1.0 cannot carry at all (most
/// control characters) become U+FFFD.
public enum CAPDocument {
    public static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    /// The whole document, with an XML declaration, indented by two spaces.
    public static func xml(for alert: Alert, sentNs: Int64) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<alert xmlns=\"\(namespace)\">\n"
        func element(_ name: String, _ value: String, indent: Int) {
            out += String(repeating: "  ", count: indent) + "<\(name)>\(escape(value))</\(name)>\n"
        }
        element("identifier", token(alert.id), indent: 1)
        element("sender", sender(for: alert), indent: 1)
        element("sent", dateTime(sentNs), indent: 1)
        element("status", "Actual", indent: 1)
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
        if let position = alert.position, let circle = circle(position) {
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

    /// `2026-06-05T03:12:01+00:00`: CAP's dateTime, whole seconds (rounded
    /// down) with an explicit offset.
    public static func dateTime(_ ns: Int64) -> String {
        String(UTCTime.format(ns).prefix(19)) + "+00:00"
    }

    /// `lat,lon 0` with up to six decimals (about 10 cm), never in exponent
    /// notation; nil for a position that is not on the globe.
    static func circle(_ position: Position) -> String? {
        guard position.lat.isFinite, position.lon.isFinite, abs(position.lat) <= 90, abs(position.lon) <= 180
        else { return nil }
        return "\(decimal(position.lat)),\(decimal(position.lon)) 0"
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
    static func escape(_ text: String) -> String {
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
