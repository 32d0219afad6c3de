import Foundation
import PicketConfig
import PicketSector
import PicketTestSupport
import Testing

/// The sector's `hotline` and `timezone` keys, and the gateway's
/// credentials read at start with the box's secret-file code.
@Suite struct SectorHotlineConfigurationTests {
    @Test func timezoneIsOptionalAndChecked() throws {
        #expect(try SectorConfigurationLoader.parse(yaml: "sector: s\n", file: "s.yaml").timeZone == "UTC")
        let set = try SectorConfigurationLoader.parse(yaml: "sector: s\ntimezone: America/New_York\n", file: "s.yaml")
        #expect(set.timeZone == "America/New_York")
        let error = try #require(throws: ConfigError.self) {
            try SectorConfigurationLoader.parse(yaml: "sector: s\ntimezone: Mars/Olympus\n", file: "s.yaml")
        }
        #expect(error.description.contains("s.yaml:2: timezone: must be an IANA time zone name"), "\(error)")
    }

    static func configuration(credentials: String?) throws -> SectorConfiguration {
        try SectorConfigurationLoader.parse(
            yaml: """
                sector: s
                hotline:
                  url: https://sms.example/Messages
                  from: "+18025550100"
                \(credentials.map { "  credentials_file: \($0)" } ?? "")
                  contact: "+18025550199"
                  auth_token_file: /etc/picket/hotline.token
                public_url: https://sector.example.org
                """, file: "s.yaml")
    }

    @Test func gatewayCredentialsAreReadAtStartAndCheckedLikeTheBoxs() throws {
        let dir = try temporaryDirectory("sector-gateway")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try SectorGateway.load(Self.configuration(credentials: nil)) == nil)
        let missing = dir.appendingPathComponent("missing.cred").path
        let absent = try #require(throws: BoxKeys.LoadError.self) {
            try SectorGateway.load(Self.configuration(credentials: missing))
        }
        #expect(absent.description.hasPrefix("s.yaml:5: hotline.credentials_file: \(missing): "), "\(absent)")
        let file = dir.appendingPathComponent("hotline.cred").path
        try "AC1:s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let loose = try #require(throws: BoxKeys.LoadError.self) {
            try SectorGateway.load(Self.configuration(credentials: file))
        }
        #expect(
            loose.description.hasPrefix("s.yaml:5: hotline.credentials_file: \(file): is readable by every user"),
            "\(loose)")
        chmod(file, 0o600)
        try "no-colon\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let malformed = try #require(throws: BoxKeys.LoadError.self) {
            try SectorGateway.load(Self.configuration(credentials: file))
        }
        #expect(malformed.description.contains("must hold user:password"), "\(malformed)")
        try "AC1:s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let gateway = try #require(try SectorGateway.load(Self.configuration(credentials: file)))
        #expect(gateway.user == "AC1")
        #expect(gateway.password == "s3cret")
        #expect(gateway.hotline.url == "https://sms.example/Messages")
        #expect(gateway.hotline.contact == "+18025550199")
    }
}

/// `picket sector` as a process with a gateway's credentials it cannot use.
@Suite struct SectorHotlineStartTests {
    @Test func aLooseCredentialsFileStopsTheStartNamingItsLine() async throws {
        let dir = try temporaryDirectory("sector-hotline-start")
        defer { try? FileManager.default.removeItem(at: dir) }
        let credentials = dir.appendingPathComponent("hotline.cred").path
        try "AC1:s3cret\n".write(toFile: credentials, atomically: true, encoding: .utf8)
        chmod(credentials, 0o644)
        let token = dir.appendingPathComponent("hotline.token").path
        try "token\n".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o600)
        let config = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: s
        listen: 127.0.0.1:0
        database: {path: \(dir.appendingPathComponent("sector.db").path)}
        hotline:
          url: https://sms.example/Messages
          from: "+18025550100"
          credentials_file: \(credentials)
          auth_token_file: \(token)
        public_url: https://sector.example.org
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try await runProcess(SectorProcessTests.binary, ["sector", "--config", config])
        #expect(run.status == 78, "\(run.err)")
        #expect(
            run.err.contains("\(config):7: hotline.credentials_file: \(credentials): is readable by every user"),
            "\(run.err)")
    }
}
