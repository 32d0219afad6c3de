import Foundation
import PicketConfig
import PicketSector
import PicketTestSupport
import Testing

/// `hotline.auth_token_file` and `public_url` (PRODUCT.md 7a): required with
/// a `hotline`, the token read at start like a box's secret.
@Suite struct HotlineConfigurationTests {
    @Test func aHotlineNeedsItsAuthTokenFileAndPublicURL() throws {
        let yaml = """
            sector: s
            hotline:
              url: https://sms.example/Messages
              from: "+18025550100"
            """
        let error = try #require(throws: ConfigError.self) {
            try SectorConfigurationLoader.parse(yaml: yaml, file: "s.yaml")
        }
        #expect(error.description.contains("hotline.auth_token_file: is required"), "\(error.description)")
        #expect(error.description.contains("s.yaml:3: hotline: needs public_url"), "\(error.description)")
    }

    @Test func theTokenIsReadAtStartAndAProblemNamesItsLine() throws {
        let dir = try temporaryDirectory("sector-hotline-config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let token = dir.appendingPathComponent("hotline.token").path
        try "gateway-token\n".write(toFile: token, atomically: true, encoding: .utf8)
        chmod(token, 0o644)
        let configuration = try SectorConfigurationLoader.parse(
            yaml: """
                sector: s
                public_url: https://sector.example/
                hotline:
                  url: https://sms.example/Messages
                  from: "+18025550100"
                  auth_token_file: \(token)
                  contact: "+18025550199"
                """, file: "s.yaml")
        let error = try #require(throws: BoxKeys.LoadError.self) { try HotlineWebhook(configuration: configuration) }
        #expect(
            error.description.hasPrefix("s.yaml:6: hotline.auth_token_file: \(token): is readable by every user"),
            "\(error.description)")
        chmod(token, 0o600)
        let webhook = try #require(try HotlineWebhook(configuration: configuration))
        #expect(webhook.url == "https://sector.example/v1/sms/inbound")
        #expect(webhook.contact == "+18025550199")
        #expect(try HotlineWebhook(configuration: SectorConfiguration(sector: "s")) == nil)
    }
}
