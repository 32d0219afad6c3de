import Foundation
import PicketCore
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// PRODUCT.md section 6: alerts as CAP 1.2 for `format: cap`, read back with
/// an XML parser so escaping and structure are checked the way a receiver
/// sees them.
@Suite("CAPDocument")
struct CAPDocumentTests {
    static let s: Int64 = 1_000_000_000
    static let ns = CAPDocument.namespace
    /// A live box's document with the default radius.
    static let live = CAPDocument.Settings(exercise: false)

    static func alert(
        severity: Severity = .high, sector: String = "swanton", zone: String? = "north-fork",
        direction: String? = "northbound", position: Position? = Position(lat: 44.9931, lon: -73.1102),
        summary: String = "crossing: pir pir-1 + seismic seis-7 in north-fork within 3.0 s"
    ) -> Alert {
        Alert(
            id: "0c1f9a52-77e3-8d41-9b0a-5e2f6c7d8e9f", rule: "crossing", severity: severity, box: "swanton-07",
            sector: sector, zone: zone, firstTs: 1_780_629_118_250_000_000, lastTs: 1_780_629_121_520_000_000,
            direction: direction, events: ["e-1", "e-2"], position: position, summary: summary)
    }

    static func parse(_ xml: String) throws -> XMLElement {
        let document = try XMLDocument(xmlString: xml, options: [])
        return try #require(document.rootElement())
    }

    /// The one child of `parent` named `name` in CAP's namespace.
    static func only(_ name: String, in parent: XMLElement) throws -> XMLElement {
        let found = parent.elements(forLocalName: name, uri: ns)
        #expect(found.count == 1, "\(name) appears \(found.count) times in <\(parent.name ?? "?")>")
        return try #require(found.first)
    }

    static func value(_ name: String, in parent: XMLElement) throws -> String? {
        try only(name, in: parent).stringValue
    }

    static func childNames(_ element: XMLElement) -> [String] {
        (element.children ?? []).compactMap { ($0 as? XMLElement)?.localName }
    }

    static func parameters(_ info: XMLElement) throws -> [String: String] {
        var out: [String: String] = [:]
        for parameter in info.elements(forLocalName: "parameter", uri: ns) {
            let name = try #require(try value("valueName", in: parameter))
            out[name] = try value("value", in: parameter)
        }
        return out
    }

    @Test("every required element is there once, with its value, in the schema's order")
    func requiredElements() throws {
        let root = try Self.parse(
            CAPDocument.xml(for: Self.alert(), sentNs: 1_780_629_125_999_999_999, settings: Self.live))
        #expect(root.localName == "alert")
        #expect(root.uri == "urn:oasis:names:tc:emergency:cap:1.2")
        #expect(
            Self.childNames(root) == [
                "identifier", "sender", "sent", "status", "msgType", "scope", "restriction", "info",
            ])
        #expect(try Self.value("identifier", in: root) == "0c1f9a52-77e3-8d41-9b0a-5e2f6c7d8e9f")
        #expect(try Self.value("sender", in: root) == "picket@swanton-07.swanton")
        #expect(try Self.value("sent", in: root) == "2026-06-05T03:12:05-00:00")
        #expect(try Self.value("status", in: root) == "Actual")
        #expect(try Self.value("msgType", in: root) == "Alert")
        #expect(try Self.value("scope", in: root) == "Restricted")
        #expect(try Self.value("restriction", in: root) == "sector swanton")

        let info = try Self.only("info", in: root)
        #expect(
            Self.childNames(info) == [
                "language", "category", "event", "urgency", "severity", "certainty", "onset", "expires", "headline",
                "parameter", "parameter", "parameter", "parameter", "parameter", "area",
            ])
        #expect(try Self.value("category", in: info) == "Security")
        #expect(try Self.value("event", in: info) == "crossing")
        #expect(try Self.value("urgency", in: info) == "Immediate")
        #expect(try Self.value("severity", in: info) == "Severe")
        #expect(try Self.value("certainty", in: info) == "Observed")
        #expect(try Self.value("onset", in: info) == "2026-06-05T03:11:58-00:00")
        // An hour after `sent`.
        #expect(try Self.value("expires", in: info) == "2026-06-05T04:12:05-00:00")
        #expect(
            try Self.value("headline", in: info) == "crossing: pir pir-1 + seismic seis-7 in north-fork within 3.0 s")
        #expect(
            try Self.parameters(info) == [
                "box": "swanton-07", "sector": "swanton", "zone": "north-fork", "direction": "northbound",
                "events": "e-1 e-2",
            ])
        let area = try Self.only("area", in: info)
        #expect(Self.childNames(area) == ["areaDesc", "circle"])
        #expect(try Self.value("areaDesc", in: area) == "north-fork")
        #expect(try Self.value("circle", in: area) == "44.9931,-73.1102 0.1")
    }

    static let severities: [(Severity, String)] = [
        (.low, "Minor"), (.medium, "Moderate"), (.high, "Severe"), (.critical, "Extreme"),
    ]

    @Test("severities map to CAP's", arguments: severities)
    func severity(ours: Severity, cap: String) throws {
        #expect(CAPDocument.severity(ours) == cap)
        let root = try Self.parse(CAPDocument.xml(for: Self.alert(severity: ours), sentNs: 0, settings: Self.live))
        #expect(try Self.value("severity", in: try Self.only("info", in: root)) == cap)
    }

    @Test("text is escaped: the parser reads back exactly what went in")
    func escaping() throws {
        let summary = #"pir <&>"' seis & co"#
        let xml = CAPDocument.xml(
            for: Self.alert(sector: "north & south", summary: summary), sentNs: 0, settings: Self.live)
        #expect(xml.contains("<headline>pir &lt;&amp;&gt;&quot;&apos; seis &amp; co</headline>"))
        let root = try Self.parse(xml)
        let info = try Self.only("info", in: root)
        #expect(try Self.value("headline", in: info) == summary)
        #expect(try Self.value("restriction", in: root) == "sector north & south")
        #expect(try Self.parameters(info)["sector"] == "north & south")
        // CAP allows no spaces or `&` in a sender.
        #expect(try Self.value("sender", in: root) == "picket@swanton-07.north---south")
    }

    @Test("characters XML cannot carry become U+FFFD; the document still parses")
    func controlCharacters() throws {
        let xml = CAPDocument.xml(for: Self.alert(summary: "a\u{1}b\u{1B}c\td\re"), sentNs: 0, settings: Self.live)
        let info = try Self.only("info", in: try Self.parse(xml))
        #expect(try Self.value("headline", in: info) == "a\u{FFFD}b\u{FFFD}c\td\re")
    }

    static let times: [(Int64, String)] = [
        (1_780_629_121_520_000_000, "2026-06-05T03:12:01-00:00"),
        (1_780_629_121_000_000_000, "2026-06-05T03:12:01-00:00"),
        (1_780_629_121_999_999_999, "2026-06-05T03:12:01-00:00"),
        (0, "1970-01-01T00:00:00-00:00"),
        (-1, "1969-12-31T23:59:59-00:00"),
    ]

    /// CAP 1.2, 3.3.2: UTC is `-00:00`; `Z` and `+00:00` are not CAP.
    @Test("times are whole seconds with UTC as -00:00, never Z or +00:00", arguments: times)
    func dateTime(ns: Int64, text: String) {
        #expect(CAPDocument.dateTime(ns) == text)
        #expect(!text.contains("Z") && !text.contains(".") && !text.contains("+"))
    }

    @Test("a drill says Exercise, a live box Actual")
    func status() throws {
        let drill = try Self.parse(
            CAPDocument.xml(for: Self.alert(), sentNs: 0, settings: CAPDocument.Settings(exercise: true)))
        #expect(try Self.value("status", in: drill) == "Exercise")
        let live = try Self.parse(CAPDocument.xml(for: Self.alert(), sentNs: 0, settings: Self.live))
        #expect(try Self.value("status", in: live) == "Actual")
    }

    static let radii: [(Int, String)] = [(100, "0.1"), (1, "0.001"), (250, "0.25"), (1500, "1.5"), (50_000, "50")]

    @Test("the circle's radius is cap_radius_m in km, never 0", arguments: radii)
    func radius(metres: Int, km: String) throws {
        let settings = CAPDocument.Settings(exercise: false, radiusM: metres)
        let info = try Self.only(
            "info", in: try Self.parse(CAPDocument.xml(for: Self.alert(), sentNs: 0, settings: settings)))
        #expect(try Self.value("circle", in: try Self.only("area", in: info)) == "44.9931,-73.1102 \(km)")
    }

    @Test("zone, direction, area and headline are left out when the alert has none")
    func optionalElements() throws {
        let alert = Self.alert(zone: nil, direction: nil, position: nil, summary: "")
        let info = try Self.only(
            "info", in: try Self.parse(CAPDocument.xml(for: alert, sentNs: 0, settings: Self.live)))
        #expect(info.elements(forLocalName: "area", uri: Self.ns).isEmpty)
        #expect(info.elements(forLocalName: "headline", uri: Self.ns).isEmpty)
        #expect(try Self.parameters(info) == ["box": "swanton-07", "sector": "swanton", "events": "e-1 e-2"])
    }

    static let circles: [(Position, String?)] = [
        (Position(lat: 0.00001, lon: -0.0000001), "0.00001,0 0.1"),
        (Position(lat: -90, lon: 180), "-90,180 0.1"),
        (Position(lat: 12.3456789, lon: -0.5), "12.345679,-0.5 0.1"),
        (Position(lat: 91, lon: 0), nil),
        (Position(lat: .nan, lon: 0), nil),
    ]

    @Test("circles are plain decimals; a position off the globe gets no area", arguments: circles)
    func circle(position: Position, circle: String?) throws {
        let alert = Self.alert(zone: nil, position: position)
        let info = try Self.only(
            "info", in: try Self.parse(CAPDocument.xml(for: alert, sentNs: 0, settings: Self.live)))
        let area = info.elements(forLocalName: "area", uri: Self.ns).first
        #expect(try area.flatMap { try Self.value("circle", in: $0) } == circle)
        if let area { #expect(try Self.value("areaDesc", in: area) == "sector swanton") }
    }
}
