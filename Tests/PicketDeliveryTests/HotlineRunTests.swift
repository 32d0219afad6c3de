import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

/// The landowner hotline through the real daemon: `picket run` with a
/// `hotline:` section, a ground sensor's detection on a pty, a text at the
/// gateway (PRODUCT.md section 7).
@Suite struct HotlineRunTests {
    @Test func picketRunTextsTheLandownerThroughTheGateway() async throws {
        let f = try Fixture()
        let pty = try PseudoTerminal()
        let receiver = try TestReceiver { _, _ in .init(status: 201, body: "{\"sid\":\"SM1\"}") }
        let credentials = f.dir.appendingPathComponent("hotline.cred").path
        try "AC123:s3cret\n".write(toFile: credentials, atomically: true, encoding: .utf8)
        chmod(credentials, 0o600)
        let (child, _) = try await IdleAndHealthTests.startBox(
            f, pty,
            yaml: """
                box: hot-01
                sector: swanton
                timezone: Europe/Berlin
                serial:
                  - {port: \(pty.slavePath), baud: 9600, protocol: nmea}
                sensors:
                  - {id: seis-7, kind: seismic, zone: north-fork, severity: high}
                  - {id: seis-8, kind: seismic, zone: south-gate, severity: high}
                hotline:
                  url: http://127.0.0.1:\(receiver.port)/2010-04-01/Accounts/AC123/Messages.json
                  from: "+18025550199"
                  credentials_file: \(credentials)
                  contact: "+18025550111"
                  subscribers:
                    - {name: North farm, phone: "+18025550100", zones: [north-fork], min_severity: high}
                    - {name: South farm, phone: "+18025550101", zones: [south-gate]}
                """)

        try pty.write(Array("$PGSD,seis-7,12,FOOT,64*05\r\n".utf8))
        try await eventually("a text at the gateway", timeout: .seconds(60)) { !receiver.requests.isEmpty }
        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST")
        #expect(request.uri == "/2010-04-01/Accounts/AC123/Messages.json")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.header("Authorization") == "Basic " + Data("AC123:s3cret".utf8).base64EncodedString())
        let form = HotlineDeliveryTests.form(request.text)
        #expect(Set(form.keys) == ["To", "From", "Body"], "\(request.text)")
        #expect(form["To"] == "+18025550100")
        #expect(form["From"] == "+18025550199")

        // The words the landowner reads: who, what, where, when on Berlin's clock, whom to call.
        let alert = try #require(try Store(path: f.db).alerts().first?.alert)
        let zoneFile = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        let berlin = LocalClock(
            timeZone: try #require(TimeZone(identifier: "Europe/Berlin")), names: ZoneNames(tzif: zoneFile))
        #expect(["CET", "CEST"].contains(berlin.abbreviation(alert.firstTs)))
        let body = try #require(form["Body"])
        #expect(
            body
                == "Picket alerts from sector swanton; reply STOP to stop. "
                + "Picket: someone on foot in north-fork, \(berlin.stamp(alert.firstTs)). Call +18025550111")
        #expect(body.count <= 160 && body.allSatisfy(\.isASCII))

        try await eventually("the text marked delivered") {
            try Store(path: f.db).deliveries(states: [.delivered]).map(\.destination) == ["sms:North farm"]
        }
        #expect(receiver.requests.count == 1, "only North farm watches north-fork")
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
