import Foundation
import PicketCore
import PicketSector
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `/feeds/alerts.geojson` and `/feeds/alerts.atom` over real HTTP, read
/// back with Foundation's own JSON and XML parsers (PRODUCT.md 7a).
@Suite struct SectorFeedTests {
    static let user = "alice"
    static let password = "feed-pw"
    static let hostile = "</summary><script>alert('x')</script> & \"q\" ]]> <!-- <![CDATA["

    /// A JSON alert with `summary` and an optional position.
    static func alertBody(_ id: String, summary: String, position: Position?) -> String {
        AlertJSON.object(
            Alert(
                id: id, rule: "pir-only", severity: .high, box: "ridge-01", sector: "test", zone: "north", firstTs: t0,
                lastTs: t0 + second, direction: "N->S", events: ["e1", "e2"], position: position, summary: summary))
    }

    func get(_ sector: SectorHarness, _ path: String) async throws -> SectorHarness.Answer {
        try await sector.get(path, user: Self.user, password: Self.password)
    }

    @Test func geoJSONIsAFeatureCollectionWithLonLat() async throws {
        let sector = try await SectorHarness(operators: [(Self.user, Self.password)])
        defer { Task { await sector.stop() } }
        let placed = Self.alertBody("geo-1", summary: "at the gate", position: Position(lat: 44.25, lon: -72.5))
        #expect(try await sector.post("/v1/alerts", box: "ridge-01", body: placed, key: "geo-1").status == 200)
        let unplaced = Self.alertBody("geo-2", summary: Self.hostile, position: nil)
        #expect(try await sector.post("/v1/alerts", box: "ridge-01", body: unplaced, key: "geo-2").status == 200)
        _ = try await sector.get("/v1/alerts/geo-1/ack", user: Self.user, password: Self.password, method: .POST)

        let answer = try await get(sector, "/feeds/alerts.geojson")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.header("Content-Type") == "application/geo+json")
        let collection = try jsonObject(answer.body)
        #expect(collection["type"] as? String == "FeatureCollection")
        let features = try #require(collection["features"] as? [[String: Any]])
        #expect(features.count == 2)
        let byID = Dictionary(
            uniqueKeysWithValues: features.map { (($0["properties"] as? [String: Any])?["id"] as? String ?? "", $0) })
        let one = try #require(byID["geo-1"])
        #expect(one["type"] as? String == "Feature")
        let geometry = try #require(one["geometry"] as? [String: Any])
        #expect(geometry["type"] as? String == "Point")
        // RFC 7946: longitude first.
        #expect(geometry["coordinates"] as? [Double] == [-72.5, 44.25])
        let properties = try #require(one["properties"] as? [String: Any])
        #expect(properties["box"] as? String == "ridge-01")
        #expect(properties["rule"] as? String == "pir-only")
        #expect(properties["severity"] as? String == "high")
        #expect(properties["zone"] as? String == "north")
        #expect(properties["first_ts"] as? String == UTCTime.format(t0))
        #expect(properties["last_ts"] as? String == UTCTime.format(t0 + second))
        #expect(properties["acknowledged_by"] as? String == Self.user)
        #expect((properties["acknowledged_ts"] as? String).flatMap { UTCTime.parse($0) } != nil)
        // Without a position: listed, with a null geometry.
        let two = try #require(byID["geo-2"])
        #expect(two["geometry"] is NSNull)
        #expect((two["properties"] as? [String: Any])?["summary"] as? String == Self.hostile)
        #expect((two["properties"] as? [String: Any])?["acknowledged_by"] is NSNull)

        let limited = try jsonObject(try await get(sector, "/feeds/alerts.geojson?limit=1").body)
        #expect((limited["features"] as? [Any])?.count == 1)
        let later = try await get(sector, "/feeds/alerts.geojson?since=\(t0 / second + 3600)")
        #expect((try jsonObject(later.body)["features"] as? [Any])?.count == 0)
        #expect(try await get(sector, "/feeds/alerts.geojson?limit=0").status == 400)
        #expect(try await get(sector, "/feeds/alerts.geojson?since=yesterday").status == 400)
    }

    @Test func atomEntriesCarryCAPAndEscapeEverything() async throws {
        let sector = try await SectorHarness(operators: [(Self.user, Self.password)])
        defer { Task { await sector.stop() } }
        let json = Self.alertBody("atom-1", summary: Self.hostile, position: Position(lat: 44.1, lon: -72.4))
        #expect(try await sector.post("/v1/alerts", box: "ridge-01", body: json, key: "atom-1").status == 200)
        // A box posting CAP: its own document is in the entry.
        let capAlert = Alert(
            id: "atom-2", rule: "pir-and-seismic", severity: .critical, box: "ford-02", sector: "test", zone: "ford",
            firstTs: t0, lastTs: t0, direction: nil, events: ["e9"], position: nil, summary: "at the <ford> & co")
        let cap = CAPDocument.xml(for: capAlert, sentNs: t0, settings: .init(exercise: true))
        let posted = try await sector.post(
            "/v1/alerts", box: "ford-02", body: cap, key: "atom-2", contentType: "application/cap+xml")
        #expect(posted.status == 200, "\(posted.body)")
        // A box's CAP that would break the feed if copied as it is.
        let broken =
            "<alert xmlns=\"\(CAPDocument.namespace)\"><identifier>atom-3</identifier><headline>x</headline>"
            + "</content></entry><entry><!-- --></alert>"
        let brokenAnswer = try await sector.post(
            "/v1/alerts", box: "ford-02", body: broken, key: "atom-3", contentType: "application/cap+xml")
        #expect(brokenAnswer.status == 200, "\(brokenAnswer.body)")

        let answer = try await get(sector, "/feeds/alerts.atom")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.header("Content-Type")?.hasPrefix("application/atom+xml") == true)
        let feed = try FeedReader.read(answer.body)
        #expect(feed.rootName == "feed")
        #expect(feed.rootNamespace == SectorFeeds.atomNamespace)
        #expect(feed.feedID?.hasPrefix("urn:uuid:") == true)
        #expect(feed.feedUpdated.flatMap { UTCTime.parse($0) } != nil)
        #expect(!feed.elements.contains("script"), "\(answer.body)")
        #expect(feed.entries.count == 3, "\(answer.body)")
        for entry in feed.entries {
            let uuid = #"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#
            #expect(entry.id?.range(of: uuid, options: .regularExpression) != nil, "\(entry.id ?? "no id")")
            #expect(entry.title?.isEmpty == false)
            #expect(entry.updated.flatMap { UTCTime.parse($0) } != nil)
            #expect(entry.contentType == "application/cap+xml")
            #expect(entry.capNamespace == CAPDocument.namespace)
        }
        #expect(Set(feed.entries.compactMap(\.id)).count == 3)
        let byID = Dictionary(uniqueKeysWithValues: feed.entries.map { ($0.capIdentifier ?? "", $0) })
        #expect(Set(byID.keys) == ["atom-1", "atom-2", "atom-3"])
        let first = try #require(byID["atom-1"])
        #expect(first.summary == Self.hostile)
        #expect(first.capHeadline == Self.hostile)
        #expect(first.capStatus == "Actual")
        #expect(first.capSeverity == "Severe")
        #expect(first.capCircle == "44.1,-72.4 0.1")
        let own = try #require(byID["atom-2"])
        // The box's own document: its Exercise status and headline are kept.
        #expect(own.capStatus == "Exercise")
        #expect(own.capHeadline == "at the <ford> & co")
        #expect(own.capSeverity == "Extreme")
        #expect(answer.body.contains(String(cap.drop { $0 != "\n" }.dropFirst())))
        // The broken one was written anew by the sector.
        #expect(byID["atom-3"]?.capHeadline == "x")

        let limited = try FeedReader.read(try await get(sector, "/feeds/alerts.atom?limit=2").body)
        #expect(limited.entries.count == 2)
        let none = try FeedReader.read(try await get(sector, "/feeds/alerts.atom?since=\(t0 / second + 3600)").body)
        #expect(none.entries.isEmpty)
        #expect(none.feedUpdated.flatMap { UTCTime.parse($0) } != nil)
    }

    @Test func feedsNeedAnOperator() async throws {
        let sector = try await SectorHarness(operators: [(Self.user, Self.password)])
        defer { Task { await sector.stop() } }
        for path in ["/feeds/alerts.geojson", "/feeds/alerts.atom"] {
            let anonymous = try await sector.get(path)
            #expect(anonymous.status == 401, "\(path)")
            #expect(anonymous.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
            #expect(try await sector.get(path, user: Self.user, password: "wrong").status == 401, "\(path)")
            #expect(try await get(sector, path).status == 200, "\(path)")
        }
    }

    /// A document that `PlainXML` lets through unchanged is one XMLParser reads.
    @Test(arguments: [
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a>x &amp; &#60;</a></alert>", true),
        ("<?xml version=\"1.0\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a/></alert>\n", true),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a>x</b></alert>", false),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a>]]></a></alert>", false),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a>&foo;</a></alert>", false),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a>&#0;</a></alert>", false),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><!-- x --></alert>", false),
        ("<!DOCTYPE alert><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"></alert>", false),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"></alert><alert/>", false),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><a b=\"c\"/></alert>", false),
        ("<alert><a/></alert>", false),
    ])
    func onlyPlainCAPIsEmbedded(document: String, embeddable: Bool) throws {
        let embedded = SectorFeeds.embeddableCAP(document)
        #expect((embedded != nil) == embeddable)
        if let embedded { #expect(try FeedReader.read(embedded).rootName == "alert") }
    }
}

/// What the tests read from an Atom feed of CAP alerts, with namespaces.
final class FeedReader: NSObject, XMLParserDelegate {
    struct Entry {
        var id: String?
        var title: String?
        var updated: String?
        var summary: String?
        var contentType: String?
        var capNamespace: String?
        var capIdentifier: String?
        var capHeadline: String?
        var capStatus: String?
        var capSeverity: String?
        var capCircle: String?
    }

    var rootName: String?
    var rootNamespace: String?
    var feedID: String?
    var feedUpdated: String?
    var entries: [Entry] = []
    var elements: Set<String> = []
    private var path: [(namespace: String?, name: String)] = []
    private var text = ""

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ xml: String) throws -> FeedReader {
        let reader = FeedReader()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.shouldProcessNamespaces = true
        parser.delegate = reader
        guard parser.parse() else {
            throw Malformed(description: "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?")\n\(xml)")
        }
        return reader
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if rootName == nil {
            rootName = elementName
            rootNamespace = namespaceURI
        }
        elements.insert(elementName)
        path.append((namespaceURI, elementName))
        text = ""
        if namespaceURI == SectorFeeds.atomNamespace, elementName == "entry" { entries.append(Entry()) }
        if namespaceURI == SectorFeeds.atomNamespace, elementName == "content" {
            entries[entries.count - 1].contentType = attributes["type"]
        }
        if namespaceURI == CAPDocument.namespace, elementName == "alert", !entries.isEmpty {
            entries[entries.count - 1].capNamespace = namespaceURI
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
    ) {
        let value = text
        text = ""
        path.removeLast()
        let parent = path.last?.name
        if namespaceURI == SectorFeeds.atomNamespace {
            if parent == "feed", elementName == "id" { feedID = value }
            if parent == "feed", elementName == "updated" { feedUpdated = value }
            guard parent == "entry", !entries.isEmpty else { return }
            switch elementName {
            case "id": entries[entries.count - 1].id = value
            case "title": entries[entries.count - 1].title = value
            case "updated": entries[entries.count - 1].updated = value
            case "summary": entries[entries.count - 1].summary = value
            default: break
            }
        } else if namespaceURI == CAPDocument.namespace, !entries.isEmpty {
            switch elementName {
            case "identifier": entries[entries.count - 1].capIdentifier = value
            case "headline": entries[entries.count - 1].capHeadline = value
            case "status": entries[entries.count - 1].capStatus = value
            case "severity": entries[entries.count - 1].capSeverity = value
            case "circle": entries[entries.count - 1].capCircle = value
            default: break
            }
        }
    }
}
