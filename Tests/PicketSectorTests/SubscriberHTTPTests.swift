import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

/// `GET`, `POST` and `DELETE /v1/subscribers` over real HTTP, and the
/// subscribers in the fleet page's view and page.
@Suite struct SubscriberHTTPTests {
    static let basic = "Basic " + Data("alice:pw one".utf8).base64EncodedString()

    static func send(
        _ sector: SectorHarness, _ method: HTTPMethod, _ path: String, json: String? = nil,
        headers: [(String, String)] = [("Authorization", basic)]
    ) async throws -> SectorHarness.Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(sector.port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        return try await sector.send(request)
    }

    static let north = """
        {"name": "North farm", "phone": "+18025550100", "zones": ["north-fork", "ridge-01:gate"],
         "min_severity": "medium", "quiet_hours": "22:00-06:30", "max_per_hour": 4}
        """

    @Test func addListRemoveWithBasicAuth() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        #expect(try await Self.send(sector, .GET, "/v1/subscribers", headers: []).status == 401)
        #expect(try await Self.send(sector, .POST, "/v1/subscribers", json: Self.north, headers: []).status == 401)
        #expect(try await sector.store.subscribers().isEmpty)

        let empty = try await Self.send(sector, .GET, "/v1/subscribers")
        #expect(empty.status == 200)
        #expect(empty.body == "{\"subscribers\":[]}\n")

        let added = try await Self.send(sector, .POST, "/v1/subscribers", json: Self.north)
        #expect(added.status == 201, "\(added.body)")
        let answer = try jsonObject(added.body)
        #expect((answer["warnings"] as? [String]) == [])
        #expect((answer["subscriber"] as? [String: Any])?["phone"] as? String == "+18025550100")

        let listed = try await Self.send(sector, .GET, "/v1/subscribers")
        let list = try #require(try jsonObject(listed.body)["subscribers"] as? [[String: Any]])
        #expect(list.count == 1)
        let north = try #require(list.first)
        #expect(
            Set(north.keys)
                == ["name", "phone", "zones", "min_severity", "quiet_hours", "max_per_hour", "opted_out"])
        #expect(north["name"] as? String == "North farm")
        #expect(north["zones"] as? [String] == ["north-fork", "ridge-01:gate"])
        #expect(north["min_severity"] as? String == "medium")
        #expect(north["quiet_hours"] as? String == "22:00-06:30")
        #expect(north["max_per_hour"] as? Int == 4)
        #expect(north["opted_out"] as? Bool == false)

        // Defaults: low, no quiet hours, no cap, as null.
        let plain = try await Self.send(
            sector, .POST, "/v1/subscribers",
            json: #"{"name": "Ford", "phone": "+447700900123", "zones": ["ford"], "quiet_hours": null}"#)
        #expect(plain.status == 201, "\(plain.body)")
        let ford = try #require(try await sector.store.subscriber(phone: "+447700900123"))
        #expect(ford.subscriber.minSeverity == .low)
        #expect(ford.subscriber.quietHours == nil)
        #expect(ford.subscriber.maxPerHour == nil)
        let text = try await Self.send(sector, .GET, "/v1/subscribers")
        #expect(text.body.contains(#""quiet_hours":null,"max_per_hour":null"#), "\(text.body)")

        // The same phone again: 409, the first entry unchanged.
        let again = try await Self.send(
            sector, .POST, "/v1/subscribers",
            json: #"{"name": "Other", "phone": "+18025550100", "zones": ["south"]}"#)
        #expect(again.status == 409, "\(again.body)")
        #expect(again.body.contains("+18025550100"))
        #expect(try await sector.store.subscriber(phone: "+18025550100")?.subscriber.name == "North farm")

        // Opted out shows as such.
        #expect(try await sector.store.setOptedOut(phone: "+447700900123", true, keyword: "STOP", at: t0))
        let optedOut = try await Self.send(sector, .GET, "/v1/subscribers")
        #expect(optedOut.body.contains(#""phone":"+447700900123","#))
        #expect(optedOut.body.contains(#""opted_out":true"#), "\(optedOut.body)")

        // DELETE: the phone encoded as a browser's encodeURIComponent does, or as is.
        let removed = try await Self.send(sector, .DELETE, "/v1/subscribers/%2B18025550100")
        #expect(removed.status == 200, "\(removed.body)")
        #expect(try jsonObject(removed.body)["name"] as? String == "North farm")
        #expect(try await sector.store.subscriber(phone: "+18025550100") == nil)
        let gone = try await Self.send(sector, .DELETE, "/v1/subscribers/%2B18025550100")
        #expect(gone.status == 404, "\(gone.body)")
        #expect(gone.body.contains("+18025550100"))
        #expect(try await Self.send(sector, .DELETE, "/v1/subscribers/+447700900123").status == 200)
        #expect(try await Self.send(sector, .DELETE, "/v1/subscribers/5550100").status == 400)
        #expect(try await Self.send(sector, .DELETE, "/v1/subscribers/x", headers: []).status == 401)
        #expect(try await sector.store.subscribers().isEmpty)
    }

    /// Bodies with a bad value and the start of the message naming it.
    static let badBodies = [
        (#"{"name": "N", "phone": "8025550100", "zones": ["z"]}"#, "phone: \"8025550100\" must be an E.164"),
        (#"{"name": "N", "phone": "+1802555010012345", "zones": ["z"]}"#, "phone: "),
        (#"{"name": "N", "phone": 18025550100, "zones": ["z"]}"#, "phone: must be a string"),
        (#"{"name": " ", "phone": "+18025550100", "zones": ["z"]}"#, "name: "),
        (#"{"name": "a\u0007b", "phone": "+18025550100", "zones": ["z"]}"#, "name: "),
        (#"{"phone": "+18025550100", "zones": ["z"]}"#, "name: is missing"),
        (#"{"name": "N", "phone": "+18025550100", "zones": []}"#, "zones: must list at least one zone"),
        (#"{"name": "N", "phone": "+18025550100", "zones": "north"}"#, "zones: must be an array"),
        (#"{"name": "N", "phone": "+18025550100", "zones": ["bad box:gate"]}"#, "zones: \"bad box:gate\""),
        (#"{"name": "N", "phone": "+18025550100", "zones": ["a,b"]}"#, "zones: \"a,b\""),
        (
            #"{"name": "N", "phone": "+18025550100", "zones": ["z"], "min_severity": "urgent"}"#,
            "min_severity: \"urgent\" must be one of low, medium, high, critical"
        ),
        (
            #"{"name": "N", "phone": "+18025550100", "zones": ["z"], "quiet_hours": "22-06"}"#,
            "quiet_hours: \"22-06\" must be \"HH:MM-HH:MM\""
        ),
        (
            #"{"name": "N", "phone": "+18025550100", "zones": ["z"], "quiet_hours": "06:00-06:00"}"#,
            "quiet_hours: \"06:00-06:00\" must start and end at different times"
        ),
        (
            #"{"name": "N", "phone": "+18025550100", "zones": ["z"], "max_per_hour": 0}"#,
            "max_per_hour: 0 must be a whole number >= 1"
        ),
        (#"{"name": "N", "phone": "+18025550100", "zones": ["z"], "max_per_hour": 1.5}"#, "max_per_hour: must be"),
        (#"{"name": "N", "phone": "+18025550100", "zones": ["z"], "opted_out": false}"#, "opted_out: "),
        (#"{"name": "N", "phone": "+18025550100", "zones": ["z"], "quiet": "22:00-06:00"}"#, "quiet: "),
        (#"["N"]"#, "the body must be a JSON object"),
        ("not json", "the body must be a JSON object"),
    ]

    /// Each bad value: 400 naming the field, nothing stored. One sector for
    /// all (each operator check is a bcrypt; a sector each would crowd a
    /// small machine).
    @Test func badValuesAre400NamingTheField() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        for (body, expected) in Self.badBodies {
            let answer = try await Self.send(sector, .POST, "/v1/subscribers", json: body)
            #expect(answer.status == 400, "\(body): \(answer.body)")
            let message = try #require(try jsonObject(answer.body)["error"] as? String)
            #expect(message.hasPrefix(expected), "\(body): \(message)")
        }
        #expect(try await sector.store.subscribers().isEmpty)
    }

    @Test func anUnknownBoxIsAWarningNotARefusal() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        let answer = try await Self.send(
            sector, .POST, "/v1/subscribers",
            json: #"{"name": "N", "phone": "+18025550100", "zones": ["ridge-01:gate", "ridge-99:gate", "north"]}"#)
        #expect(answer.status == 201, "\(answer.body)")
        let warnings = try #require(try jsonObject(answer.body)["warnings"] as? [String])
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("box ridge-99 is not in the configuration's boxes") == true, "\(warnings)")
        #expect(
            try await sector.store.subscriber(phone: "+18025550100")?.subscriber.zones == [
                "ridge-01:gate", "ridge-99:gate", "north",
            ])
    }

    /// With the page's session: a change needs the CSRF header; the view
    /// the page renders carries the list; the page has the section.
    @Test func theSessionNeedsCSRFAndThePageShowsSubscribers() async throws {
        let sector = try await SectorHarness(operators: [("alice", "pw one")])
        defer { Task { await sector.stop() } }
        try await FleetPageHTTPTests.withClient { client in
            let login = try await FleetPageHTTPTests.send(
                client, sector.port, .POST, "/login", form: ["name": "alice", "password": "pw one"])
            let token = try #require(FleetPageHTTPTests.token(login))
            let page = try await FleetPageHTTPTests.send(client, sector.port, .GET, "/", cookie: token)
            let csrf = try #require(FleetPageHTTPTests.csrf(page.body))
            #expect(page.body.contains("<form id=\"subscriber-form\""))
            #expect(page.body.contains("<label for=\"subscriber-phone\">"))
            #expect(page.body.contains("<script src=\"/assets/subscribers.js\" defer></script>"))
            #expect(!page.body.contains("<script>"))
            let cookie = ("Cookie", "picket_session=\(token)")

            #expect(try await Self.send(sector, .GET, "/v1/subscribers", headers: [cookie]).status == 200)
            for extra in [[], [("X-Picket-CSRF", String(repeating: "0", count: 64))]] {
                let refused = try await Self.send(
                    sector, .POST, "/v1/subscribers", json: Self.north, headers: [cookie] + extra)
                #expect(refused.status == 403, "\(refused.body)")
            }
            #expect(try await sector.store.subscribers().isEmpty)
            let added = try await Self.send(
                sector, .POST, "/v1/subscribers", json: Self.north, headers: [cookie, ("X-Picket-CSRF", csrf)])
            #expect(added.status == 201, "\(added.body)")
            #expect(
                try await Self.send(sector, .DELETE, "/v1/subscribers/%2B18025550100", headers: [cookie]).status
                    == 403)
            #expect(try await sector.store.subscriber(phone: "+18025550100") != nil)

            var request = HTTPClientRequest(url: "http://127.0.0.1:\(sector.port)/v1/stream")
            request.headers.add(name: "Cookie", value: "picket_session=\(token)")
            let response = try await client.execute(request, timeout: .seconds(30))
            var text = ""
            var iterator = response.body.makeAsyncIterator()
            while !text.contains("\"subscribers\":"), let chunk = try await iterator.next() {
                text += String(buffer: chunk)
            }
            let data = try #require(text.split(separator: "\n").first { $0.hasPrefix("data: {") }).dropFirst(6)
            let view = try jsonObject(String(data))
            let subscribers = try #require(view["subscribers"] as? [[String: Any]])
            #expect(subscribers.map { $0["phone"] as? String } == ["+18025550100"])
            #expect(subscribers.first?["quiet_hours"] as? String == "22:00-06:30")

            // Removed with the header: the open stream shows the list without it.
            let removed = try await Self.send(
                sector, .DELETE, "/v1/subscribers/%2B18025550100", headers: [cookie, ("X-Picket-CSRF", csrf)])
            #expect(removed.status == 200, "\(removed.body)")
            var more = ""
            while !more.contains("\"subscribers\":[]"), let chunk = try await iterator.next() {
                more += String(buffer: chunk)
            }
            #expect(more.contains("\"subscribers\":[]"))

            let script = try await FleetPageHTTPTests.send(client, sector.port, .GET, "/assets/subscribers.js")
            #expect(script.status == 200)
            #expect(script.body.contains("X-Picket-CSRF"))
            #expect(!script.body.contains("innerHTML"))
            let css = try await FleetPageHTTPTests.send(client, sector.port, .GET, "/assets/subscribers.css")
            #expect(css.status == 200)
            #expect(css.header("Content-Type")?.hasPrefix("text/css") == true)
        }
    }
}
