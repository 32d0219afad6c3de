import Crypto
import Foundation
import PicketCore

/// The sector's alerts for other systems (PRODUCT.md 7a): a GeoJSON
/// FeatureCollection (RFC 7946) and an Atom feed (RFC 4287) whose entries
/// carry CAP 1.2 alerts.
///
/// Choices the standards leave open:
/// - GeoJSON: every alert is a Feature, also one without a position (a
///   `box.offline`, a box without GPS): its `geometry` is `null`, which RFC
///   7946 3.2 allows for an unlocated feature, so the feed lists the same
///   alerts as `GET /v1/alerts`. Coordinates are `[lon, lat]`; a position
///   off the globe counts as none.
/// - Atom: entry ids are `urn:uuid:` name-based (version 5) UUIDs of the
///   alert id, the feed's of the sector's name, so an id is the same in
///   every request and from every `picket sector` process. `published` is
///   when the sector received the alert, `updated` the later of that and its
///   acknowledgement.
/// - The entry's `content` is `type="application/cap+xml"` with the CAP
///   document inline (RFC 4287 4.1.3.3: XML content as child elements): a
///   box that posted CAP gives its own document (without its XML
///   declaration) when it is plain enough to embed, else, like for a JSON
///   alert, the sector writes CAP 1.2 from the stored fields with
///   `CAPDocument`. A JSON alert does not say whether it was a drill, so its
///   CAP says `Actual`.
public enum SectorFeeds {
    public static let atomNamespace = "http://www.w3.org/2005/Atom"

    // MARK: GeoJSON

    public static func geoJSON(_ alerts: [SectorAlertRecord]) -> String {
        var out = "{\"type\":\"FeatureCollection\",\"features\":["
        for (index, alert) in alerts.enumerated() {
            if index > 0 { out += "," }
            out += feature(alert)
        }
        return out + "]}\n"
    }

    static func feature(_ a: SectorAlertRecord) -> String {
        var properties = JSONWriter()
        properties.string("id", a.id)
        properties.string("source", a.source.rawValue)
        properties.string("box", a.box)
        properties.string("rule", a.rule)
        properties.string("severity", a.severity)
        properties.string("zone", a.zone)
        properties.time("first_ts", a.firstTs)
        properties.time("last_ts", a.lastTs)
        properties.time("received_ts", a.receivedTs)
        properties.string("summary", a.summary)
        properties.string("acknowledged_by", a.acknowledgedBy)
        properties.time("acknowledged_ts", a.acknowledgedTs)
        var w = JSONWriter()
        w.string("type", "Feature")
        w.string("id", a.id)
        if let position = position(a) {
            w.raw("geometry", "{\"type\":\"Point\",\"coordinates\":[\(position.lon),\(position.lat)]}")
        } else {
            w.raw("geometry", "null")
        }
        w.raw("properties", properties.finish())
        return w.finish()
    }

    /// The alert's position when it is one on the globe.
    static func position(_ a: SectorAlertRecord) -> Position? {
        guard let lat = a.lat, let lon = a.lon, lat.isFinite, lon.isFinite, abs(lat) <= 90, abs(lon) <= 180 else {
            return nil
        }
        return Position(lat: lat, lon: lon)
    }

    // MARK: Atom

    /// The feed; `now` is its `updated` when there are no alerts.
    public static func atom(_ alerts: [SectorAlertRecord], sector: String, now: Int64) -> String {
        let e = CAPDocument.escape
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<feed xmlns=\"\(atomNamespace)\">\n"
        out += "  <id>urn:uuid:\(uuid(name: "sector:" + sector))</id>\n"
        out += "  <title>\(e("Picket sector \(sector): alerts"))</title>\n"
        out += "  <updated>\(UTCTime.format(alerts.map(updated).max() ?? now))</updated>\n"
        out += "  <author><name>\(e("picket sector \(sector)"))</name></author>\n"
        out += "  <link rel=\"self\" href=\"/feeds/alerts.atom\"/>\n"
        out += "  <generator>picket</generator>\n"
        for alert in alerts { out += entry(alert, sector: sector) }
        return out + "</feed>\n"
    }

    static func updated(_ a: SectorAlertRecord) -> Int64 {
        max(a.receivedTs, a.acknowledgedTs ?? a.receivedTs)
    }

    static func entry(_ a: SectorAlertRecord, sector: String) -> String {
        let e = CAPDocument.escape
        var out = "  <entry>\n"
        out += "    <id>urn:uuid:\(uuid(name: "alert:" + a.id))</id>\n"
        out += "    <title>\(e(title(a)))</title>\n"
        out += "    <published>\(UTCTime.format(a.receivedTs))</published>\n"
        out += "    <updated>\(UTCTime.format(updated(a)))</updated>\n"
        if let severity = a.severity { out += "    <category term=\"\(e(severity))\" label=\"severity\"/>\n" }
        if let by = a.acknowledgedBy, let ts = a.acknowledgedTs {
            out += "    <summary>\(e("\(a.summary ?? title(a)) (acknowledged by \(by) at \(UTCTime.format(ts)))"))"
            out += "</summary>\n"
        } else {
            out += "    <summary>\(e(a.summary ?? title(a)))</summary>\n"
        }
        out += "    <content type=\"application/cap+xml\">\n"
        out += cap(a, sector: sector)
        out += "    </content>\n"
        return out + "  </entry>\n"
    }

    /// `high pir-only: ridge-01 north`.
    static func title(_ a: SectorAlertRecord) -> String {
        let severity = a.severity.map { "\($0) " } ?? ""
        let zone = a.zone.map { " \($0)" } ?? ""
        return "\(severity)\(a.rule ?? "alert"): \(a.box)\(zone)"
    }

    /// The CAP 1.2 document of the entry, without an XML declaration.
    static func cap(_ a: SectorAlertRecord, sector: String) -> String {
        if a.format == IncomingAlert.Format.cap.rawValue, let own = PlainXML.embeddable(a.body) {
            return own + "\n"
        }
        let alert = Self.alert(a, sector: sector)
        let xml = CAPDocument.xml(for: alert, sentNs: alert.lastTs, settings: .init(exercise: false))
        return String(xml.drop { $0 != "\n" }.dropFirst())
    }

    /// The record as PicketCore's `Alert`, for `CAPDocument`: direction,
    /// events and the box's sector from a JSON body when it has them.
    static func alert(_ a: SectorAlertRecord, sector: String) -> Alert {
        var direction: String?
        var events: [String] = []
        var boxSector = sector
        if a.format == IncomingAlert.Format.json.rawValue,
            let object = try? JSONSerialization.jsonObject(with: Data(a.body.utf8)) as? [String: Any]
        {
            direction = object["direction"] as? String
            events = (object["events"] as? [Any])?.compactMap { $0 as? String } ?? []
            boxSector = (object["sector"] as? String) ?? sector
        }
        let last = a.lastTs ?? a.firstTs ?? a.receivedTs
        return Alert(
            id: a.id, rule: a.rule ?? "alert", severity: a.severity.flatMap(Severity.init(rawValue:)) ?? .medium,
            box: a.box, sector: boxSector, zone: a.zone, firstTs: a.firstTs ?? last, lastTs: last,
            direction: direction, events: events, position: position(a), summary: a.summary ?? "")
    }

    /// A box's CAP document as the feed embeds it (no XML declaration), or
    /// nil when the sector writes the entry's CAP itself.
    public static func embeddableCAP(_ document: String) -> String? {
        PlainXML.embeddable(document)
    }

    /// A name-based UUID (version 5, SHA-1, RFC 9562 5.5) of `name` in
    /// Picket's own namespace.
    static func uuid(name: String) -> String {
        var hash = Insecure.SHA1()
        hash.update(data: namespace)
        hash.update(data: Array(name.utf8))
        var bytes = Array(hash.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }

    /// 6f1c2a8e-3b4d-5e6f-8a9b-0c1d2e3f4a5b: the namespace of Picket's feed ids.
    static let namespace: [UInt8] = [
        0x6F, 0x1C, 0x2A, 0x8E, 0x3B, 0x4D, 0x5E, 0x6F, 0x8A, 0x9B, 0x0C, 0x1D, 0x2E, 0x3F, 0x4A, 0x5B,
    ]
}

/// A strict reader that tells whether an XML document from a box can be
/// copied into the feed as it is: one root `alert` in CAP 1.2's namespace,
/// elements without prefixes or other attributes, text with only XML's
/// predefined and numeric character references, nothing else (no DOCTYPE,
/// comments, CDATA or processing instructions after the declaration).
/// CAPDocument's output passes; anything else is rewritten by the sector.
enum PlainXML {
    /// The document without its XML declaration and surrounding whitespace,
    /// or nil.
    static func embeddable(_ document: String) -> String? {
        var text = Substring(document).drop { $0.isWhitespace }
        if text.hasPrefix("<?xml") {
            guard let end = text.range(of: "?>") else { return nil }
            text = text[end.upperBound...].drop { $0.isWhitespace }
        }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return wellFormed(Array(text.utf8)) ? String(text) : nil
    }

    static func wellFormed(_ bytes: [UInt8]) -> Bool {
        var stack: [ArraySlice<UInt8>] = []
        var closedRoot = false
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "<"):
                guard !closedRoot, let end = bytes[i...].firstIndex(of: UInt8(ascii: ">")) else { return false }
                var tag = bytes[(i + 1)..<end]
                i = end + 1
                if tag.first == UInt8(ascii: "/") {
                    guard let open = stack.popLast(), open.elementsEqual(tag.dropFirst()) else { return false }
                    closedRoot = stack.isEmpty
                    continue
                }
                let selfClosing = tag.last == UInt8(ascii: "/")
                if selfClosing { tag = tag.dropLast() }
                let name = tag.prefix { $0 != UInt8(ascii: " ") }
                guard isName(name) else { return false }
                let attributes = tag.dropFirst(name.count)
                if stack.isEmpty {
                    guard name.elementsEqual("alert".utf8),
                        attributes.elementsEqual(" xmlns=\"\(CAPXML.namespace)\"".utf8), !selfClosing
                    else { return false }
                } else if !attributes.isEmpty {
                    return false
                }
                if !selfClosing { stack.append(name) }
            case UInt8(ascii: "&"):
                guard !stack.isEmpty, let end = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
                    isReference(bytes[(i + 1)..<end])
                else { return false }
                i = end + 1
            default:
                if stack.isEmpty {
                    guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return false }
                } else {
                    guard byte >= 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return false }
                    // "]]>" may not appear in text; U+FFFE and U+FFFF are not XML characters.
                    if byte == UInt8(ascii: "]"), bytes[i...].starts(with: "]]>".utf8) { return false }
                    if byte == 0xEF, i + 2 < bytes.count, bytes[i + 1] == 0xBF, bytes[i + 2] >= 0xBE { return false }
                }
                i += 1
            }
        }
        return closedRoot && stack.isEmpty
    }

    static func isName(_ name: ArraySlice<UInt8>) -> Bool {
        guard let first = name.first, (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) else {
            return false
        }
        return name.allSatisfy {
            (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// `amp`, `lt`, `gt`, `quot`, `apos`, `#NNN` or `#xHHH` of an XML character.
    static func isReference(_ body: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: body, as: UTF8.self)
        if ["amp", "lt", "gt", "quot", "apos"].contains(text) { return true }
        guard text.hasPrefix("#") else { return false }
        let digits = text.dropFirst()
        let hex = digits.hasPrefix("x")
        guard digits.dropFirst(hex ? 1 : 0).allSatisfy({ hex ? $0.isHexDigit : ("0"..."9").contains($0) }) else {
            return false
        }
        let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
        guard let value, !digits.isEmpty else { return false }
        return value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }
}
