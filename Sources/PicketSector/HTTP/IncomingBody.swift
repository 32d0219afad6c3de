import Foundation
import PicketCore

/// A body that cannot be stored, and why (answered 400, PRODUCT.md 7a).
public struct MalformedBody: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Reads the alerts and statuses boxes post: JSON as `AlertJSON` writes it,
/// or CAP 1.2 as `CAPDocument` writes it. What the sector needs is taken
/// from the body; the body itself is kept as posted.
public enum IncomingBody {
    /// The longest id taken as an `Idempotency-Key`.
    static let maximumIDLength = 200

    /// An alert from `box`. `key` is the `Idempotency-Key` header; when
    /// both it and the body carry an id they must agree.
    public static func alert(
        _ body: [UInt8], contentType: String?, box: String, key: String?, receivedTs: Int64, clockOffsetS: Int64 = 0
    ) throws(MalformedBody) -> IncomingAlert {
        guard let text = String(validating: body, as: UTF8.self) else { throw MalformedBody("the body is not UTF-8") }
        // PostgreSQL's text holds no NUL: refused here, the same on both stores, rather than failing the store.
        guard !body.contains(0) else { throw MalformedBody("the body contains a NUL byte") }
        let trimmed = text.drop { $0.isWhitespace }
        let isXML = (contentType?.lowercased().contains("xml") ?? false) || trimmed.hasPrefix("<")
        var alert =
            isXML
            ? try capAlert(text, box: box, receivedTs: receivedTs)
            : try jsonAlert(text, box: box, receivedTs: receivedTs)
        alert.clockOffsetS = clockOffsetS
        if let key {
            try checkID(key, what: "the Idempotency-Key header")
            if !alert.id.isEmpty, alert.id != key {
                throw MalformedBody("the Idempotency-Key \(key) is not the body's id \(alert.id)")
            }
            alert.id = key
        }
        guard !alert.id.isEmpty else {
            throw MalformedBody("no Idempotency-Key header and no id in the body: the alert cannot be stored once")
        }
        return alert
    }

    private static func checkID(_ id: String, what: String) throws(MalformedBody) {
        guard !id.isEmpty, id.utf8.count <= maximumIDLength,
            id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "/" })
        else {
            throw MalformedBody(
                "\(what) must be 1 to \(maximumIDLength) printable ASCII characters without spaces or '/'")
        }
    }

    private static func object(_ text: String) throws(MalformedBody) -> [String: Any] {
        guard let data = text.data(using: .utf8),
            let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { throw MalformedBody("the body is not JSON (nor CAP XML)") }
        guard let object = value as? [String: Any] else { throw MalformedBody("the body is JSON but not an object") }
        return object
    }

    private static func string(_ object: [String: Any], _ key: String) throws(MalformedBody) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw MalformedBody("\(key) must be a string or null") }
        guard !text.unicodeScalars.contains("\u{0}") else { throw MalformedBody("\(key) contains a NUL character") }
        return text
    }

    private static func number(_ object: [String: Any], _ key: String) throws(MalformedBody) -> Double? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !(value is Bool), number.doubleValue.isFinite else {
            throw MalformedBody("\(key) must be a number or null")
        }
        return number.doubleValue
    }

    private static func time(_ object: [String: Any], _ key: String) throws(MalformedBody) -> Int64? {
        if let ns = object["\(key)_ns"] as? NSNumber, !(object["\(key)_ns"] is Bool) { return ns.int64Value }
        guard let text = try string(object, key) else { return nil }
        guard let ns = UTCTime.parse(text) else { throw MalformedBody("\(key) is not an RFC 3339 time: \(text)") }
        return ns
    }

    static func jsonAlert(_ text: String, box: String, receivedTs: Int64) throws(MalformedBody) -> IncomingAlert {
        let o = try object(text)
        if let bodyBox = try string(o, "box"), bodyBox != box {
            throw MalformedBody("the body's box \(bodyBox) is not X-Picket-Box \(box)")
        }
        let id = try string(o, "id") ?? ""
        if !id.isEmpty { try checkID(id, what: "id") }
        var lat = try number(o, "lat")
        var lon = try number(o, "lon")
        if lat == nil, let position = o["position"] as? [String: Any] {
            lat = try number(position, "lat")
            lon = try number(position, "lon")
        }
        var events: [String] = []
        if let value = o["events"], !(value is NSNull) {
            guard let list = value as? [Any], let ids = list as? [String],
                ids.allSatisfy({ !$0.unicodeScalars.contains("\u{0}") })
            else {
                throw MalformedBody("events must be a list of event ids (strings without NUL)")
            }
            events = ids
        }
        return IncomingAlert(
            id: id, box: box, format: .json, sector: try string(o, "sector"), rule: try string(o, "rule"),
            severity: try string(o, "severity"), zone: try string(o, "zone"), firstTs: try time(o, "first_ts"),
            lastTs: try time(o, "last_ts"), direction: try string(o, "direction"), events: events, lat: lat,
            lon: lon, summary: try string(o, "summary"), receivedTs: receivedTs, body: text)
    }

    /// CAP 1.2 as boxes write it, read without an XML library (the release
    /// binary links no libxml2): the first occurrence of each element the
    /// sector needs, XML entities decoded. The root must be CAP's `alert`.
    static func capAlert(_ text: String, box: String, receivedTs: Int64) throws(MalformedBody) -> IncomingAlert {
        guard text.contains("<alert"), text.contains(CAPXML.namespace) else {
            throw MalformedBody("the body is XML but not a CAP 1.2 alert (xmlns \(CAPXML.namespace))")
        }
        guard let identifier = CAPXML.element("identifier", in: text), !identifier.isEmpty else {
            throw MalformedBody("the CAP alert has no identifier")
        }
        try checkID(identifier, what: "the CAP identifier")
        var parameters: [String: String] = [:]
        for block in CAPXML.elements("parameter", in: text) {
            if let name = CAPXML.element("valueName", in: block), let value = CAPXML.element("value", in: block) {
                parameters[name] = parameters[name] ?? value
            }
        }
        if let bodyBox = parameters["box"], bodyBox != box {
            throw MalformedBody("the CAP parameter box \(bodyBox) is not X-Picket-Box \(box)")
        }
        func time(_ name: String) throws(MalformedBody) -> Int64? {
            guard let value = CAPXML.element(name, in: text) else { return nil }
            guard let ns = CAPXML.dateTime(value) else {
                throw MalformedBody("the CAP \(name) is not a CAP dateTime: \(value)")
            }
            return ns
        }
        var lat: Double?
        var lon: Double?
        if let circle = CAPXML.element("circle", in: text) {
            let point = circle.split(separator: " ").first?.split(separator: ",") ?? []
            if point.count == 2, let la = Double(point[0]), let lo = Double(point[1]) {
                lat = la
                lon = lo
            }
        }
        let onset = try time("onset")
        let sent = try time("sent")
        return IncomingAlert(
            id: identifier, box: box, format: .cap, sector: parameters["sector"],
            rule: CAPXML.element("event", in: text),
            severity: CAPXML.element("severity", in: text).map(CAPXML.severity),
            zone: parameters["zone"] ?? CAPXML.element("areaDesc", in: text), firstTs: onset ?? sent,
            lastTs: sent ?? onset, direction: parameters["direction"],
            events: parameters["events"].map { $0.split(separator: " ").map(String.init) } ?? [], lat: lat, lon: lon,
            summary: CAPXML.element("headline", in: text), receivedTs: receivedTs, body: text)
    }

    /// A status document as the sector uses it, read once.
    public struct Status: Sendable, Equatable {
        /// The document as posted.
        public var text: String
        /// Its own `ts`.
        public var boxTs: Int64?
        /// `reports_taken` (entries that are not strings are left out).
        public var reportsTaken: [String]
        /// The `zone`s of its `sensors`, each once, sorted, empty ones left out.
        public var zones: [String]
    }

    /// A status document; the box must be the sender.
    public static func status(_ body: [UInt8], box: String) throws(MalformedBody) -> Status {
        guard let text = String(validating: body, as: UTF8.self) else { throw MalformedBody("the body is not UTF-8") }
        // PostgreSQL's text holds no NUL: refused here, the same on both stores, rather than failing the store.
        guard !body.contains(0) else { throw MalformedBody("the body contains a NUL byte") }
        let o = try object(text)
        if let type = try string(o, "type"), type != "status" {
            throw MalformedBody("type is \(type), not status (alerts go to /v1/alerts)")
        }
        if let bodyBox = try string(o, "box"), bodyBox != box {
            throw MalformedBody("the body's box \(bodyBox) is not X-Picket-Box \(box)")
        }
        let taken = (o["reports_taken"] as? [Any])?.compactMap { $0 as? String } ?? []
        let sensors = (o["sensors"] as? [Any])?.compactMap { $0 as? [String: Any] } ?? []
        let zones = Set(sensors.compactMap { $0["zone"] as? String }.filter { !$0.isEmpty }).sorted()
        return Status(text: text, boxTs: try time(o, "ts"), reportsTaken: taken, zones: zones)
    }
}

/// The little of XML that reading a box's CAP document takes.
enum CAPXML {
    static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    /// The text of the first `<name>...</name>` (no attributes, as CAP's
    /// elements have none), entities decoded; nil when absent.
    static func element(_ name: String, in text: String) -> String? {
        elements(name, in: text).first.map(unescape)
    }

    /// The raw contents of every `<name>...</name>`, in order.
    static func elements(_ name: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest[open.upperBound...].range(of: "</\(name)>") {
            out.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        var out = text
        for (entity, value) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: value)
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// CAP's `2026-06-05T03:12:01-00:00` (any offset) as UTC nanoseconds.
    static func dateTime(_ text: String) -> Int64? {
        var value = text
        if value.hasSuffix("-00:00") { value = String(value.dropLast(6)) + "Z" }
        return UTCTime.parse(value)
    }

    /// Ours from CAP's (the inverse of `CAPDocument.severity`).
    static func severity(_ cap: String) -> String {
        switch cap {
        case "Minor": "low"
        case "Moderate": "medium"
        case "Severe": "high"
        case "Extreme": "critical"
        default: cap
        }
    }
}
