import Foundation
import NIOSSL
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

@testable import PicketDelivery

/// HTTPS with a sector's own CA, and CAP 1.2 bodies, against real servers.
@Suite struct TLSAndCAPTests {
    /// A CA and a server certificate for 127.0.0.1 made by openssl in `dir`.
    static func makeCertificates(
        in dir: URL, altName: String = "IP:127.0.0.1"
    ) throws -> (ca: String, cert: String, key: String) {
        let ca = dir.appendingPathComponent("ca.pem").path
        let caKey = dir.appendingPathComponent("ca.key").path
        let cert = dir.appendingPathComponent("server.pem").path
        let key = dir.appendingPathComponent("server.key").path
        let csr = dir.appendingPathComponent("server.csr").path
        let ext = dir.appendingPathComponent("ext.cnf").path
        try "subjectAltName=\(altName)\nbasicConstraints=CA:FALSE\n".write(
            toFile: ext, atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + ec + ["-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=Picket Test CA"])
        try openssl(["req"] + ec + ["-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
        try openssl([
            "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2",
            "-extfile", ext,
        ])
        return (ca, cert, key)
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: ["openssl": arguments.joined(separator: " ")])
        }
    }

    static func tlsReceiver(_ certs: (ca: String, cert: String, key: String)) throws -> TestReceiver {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certs.cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certs.key, format: .pem)))
        return try TestReceiver(tls: try NIOSSLContext(configuration: configuration))
    }

    @Test func aSelfSignedSectorIsTrustedThroughItsCAFileOnly() async throws {
        let f = try Fixture()
        let certs = try Self.makeCertificates(in: f.dir)
        let receiver = try Self.tlsReceiver(certs)
        try f.seed([f.alert(1)])

        // Without the CA file the system's roots refuse the certificate:
        // nothing is sent, and each attempt ends at its one handshake (not
        // after the connect timeout, retrying the handshake meanwhile), with
        // the setting that fixes it and no path of the build machine.
        var settings = Fixture.fastSettings
        settings.connectTimeout = .seconds(20)
        // (Read while the sender runs: stopping it marks an attempt under
        // way "interrupted by shutdown".)
        var refused: Delivery?
        try await f.deliver(to: receiver, scheme: "https", settings: settings) {
            refused = try f.store().deliveries().first
            return (refused?.attempts ?? 0) >= 2 && refused?.state == .pending && refused?.lastResponse != nil
        }
        #expect(refused?.lastResponse == "certificate not trusted (set forward.ca_file)")
        #expect(receiver.requests.isEmpty)
        let attempts = try #require(try f.store().deliveries().first).attempts
        #expect(receiver.connections <= attempts, "\(receiver.connections) handshakes in \(attempts) attempts")

        try await f.deliver(to: receiver, scheme: "https", caFile: certs.ca) {
            try f.store().deliveries(states: [.delivered]).count == 1
        }
        #expect(receiver.requests.count == 1)
        #expect(receiver.requests.first?.header("Idempotency-Key") == f.alert(1).id)
    }

    /// A trusted CA's certificate for another host is refused too, and says so.
    @Test func aTrustedCertificateForAnotherHostIsRefused() async throws {
        let f = try Fixture()
        let certs = try Self.makeCertificates(in: f.dir, altName: "DNS:sector.example")
        let receiver = try Self.tlsReceiver(certs)
        try f.seed([f.alert(1)])
        var refused: Delivery?
        try await f.deliver(to: receiver, scheme: "https", caFile: certs.ca) {
            refused = try f.store().deliveries().first
            return (refused?.attempts ?? 0) >= 1 && refused?.state == .pending && refused?.lastResponse != nil
        }
        #expect(receiver.requests.isEmpty)
        let response = try #require(refused?.lastResponse)
        #expect(response.contains("certificate is for another host"), "\(response)")
        #expect(!response.contains(" at /"), "\(response)")
    }

    /// A CA file that did not sign the endpoint's certificate is named as such.
    @Test func aCAFileThatDidNotSignTheCertificateIsNamed() async throws {
        let f = try Fixture()
        let certs = try Self.makeCertificates(in: f.dir)
        let other = f.dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let stranger = try Self.makeCertificates(in: other)
        let receiver = try Self.tlsReceiver(certs)
        try f.seed([f.alert(1)])
        var refused: Delivery?
        try await f.deliver(to: receiver, scheme: "https", caFile: stranger.ca) {
            refused = try f.store().deliveries().first
            return (refused?.attempts ?? 0) >= 1 && refused?.state == .pending && refused?.lastResponse != nil
        }
        #expect(
            refused?.lastResponse
                == "certificate not trusted by forward.ca_file \(stranger.ca) (is it the CA that signed the endpoint's?)"
        )
        #expect(receiver.requests.isEmpty)
    }

    @Test func capBodiesAreSignedXML() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        try f.seed([f.alert(1, severity: .critical)])
        try await f.deliver(to: receiver, format: .cap) { try f.store().deliveries(states: [.delivered]).count == 1 }
        let request = try #require(receiver.requests.first)
        #expect(request.header("Content-Type") == "application/cap+xml; charset=utf-8")
        #expect(request.text.hasPrefix("<?xml"))
        #expect(request.text.contains("<identifier>\(f.alert(1).id)</identifier>"))
        #expect(request.text.contains("<severity>Extreme</severity>"))
        // A live box's alert: Actual, UTC as -00:00, expiring an hour after
        // it was sent, in a circle of the default 100 m (0.1 km).
        let sent = CAPDocument.dateTime(f.alert(1).lastTs)
        #expect(sent.hasSuffix("-00:00"))
        #expect(request.text.contains("<sent>\(sent)</sent>"))
        #expect(request.text.contains("<status>Actual</status>"))
        #expect(
            request.text.contains("<expires>\(CAPDocument.dateTime(f.alert(1).lastTs + 3_600_000_000_000))</expires>"))
        #expect(request.text.contains("<circle>44.99,-73.11 0.1</circle>"))
        #expect(!request.text.contains("+00:00"))
        let timestamp = try #require(request.header("X-Picket-Timestamp").flatMap { Int64($0) })
        #expect(
            request.header("X-Picket-Signature")
                == Signature.header(secret: Array(f.secret.utf8), timestamp: timestamp, body: request.body))
    }

    /// A simulated field kit's alerts are a drill: `Exercise`, never
    /// `Actual`; the circle's radius is `forward.cap_radius_m`.
    @Test func aSimulatedRunSendsExercisesInItsRadius() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver, format: .cap, exercise: true, capRadiusM: 250) {
            try f.store().deliveries(states: [.delivered]).count == 1
        }
        let request = try #require(receiver.requests.first)
        #expect(request.text.contains("<status>Exercise</status>"))
        #expect(!request.text.contains("Actual"))
        #expect(request.text.contains("<circle>44.99,-73.11 0.25</circle>"))
    }
}
