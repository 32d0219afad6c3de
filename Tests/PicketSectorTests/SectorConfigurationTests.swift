import Foundation
import PicketConfig
import PicketSector
import PicketTestSupport
import Testing

@Suite struct SectorConfigurationTests {
    @Test func defaultsAndEveryKey() throws {
        let minimal = try SectorConfigurationLoader.parse(yaml: "sector: north-ridge\n", file: "s.yaml")
        #expect(minimal.host == "127.0.0.1")
        #expect(minimal.port == 8080)
        #expect(minimal.offlineAfterS == 900)
        #expect(minimal.database == .sqlite(path: "/var/lib/picket/sector.db"))
        let full = try SectorConfigurationLoader.parse(
            yaml: """
                sector: north-ridge
                listen: "[::1]:9090"
                database: {path: /tmp/s.db}
                boxes:
                  - {box: ridge-01, secret_file: /etc/picket/boxes/ridge-01.key}
                  - box: ford-02
                    secret_file: /etc/picket/boxes/ford-02.key
                operators_file: /etc/picket/sector-operators
                offline_after_s: 600
                public_url: https://sector.example
                hotline:
                  url: https://sms.example/Messages
                  from: "+18025550100"
                  credentials_file: /etc/picket/hotline.cred
                  auth_token_file: /etc/picket/hotline.token
                  contact: "+18025550199"
                """, file: "s.yaml")
        #expect(full.host == "::1")
        #expect(full.port == 9090)
        #expect(full.boxes.map(\.box) == ["ridge-01", "ford-02"])
        #expect(full.boxes[1].secretFileLine == 7)
        #expect(full.offlineAfterS == 600)
        #expect(full.hotline?.contact == "+18025550199")
        #expect(full.publicURL == "https://sector.example")
    }

    @Test func theShippedExampleLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/sector.example.yaml").path
        let configuration = try SectorConfigurationLoader.load(path: path)
        #expect(configuration.sector == "north-ridge")
        #expect(configuration.boxes.count == 2)
        #expect(configuration.operatorsFile == "/etc/picket/sector-operators")
    }

    @Test func problemsNameFileLineAndKey() throws {
        let yaml = """
            sector: north ridge
            listen: localhost
            boxes:
              - {box: ridge-01, secret_file: /a}
              - {box: ridge-01, secret_file: /b}
              - {box: ford-02}
            offline_after_s: "900"
            colour: blue
            """
        let error = try #require(throws: ConfigError.self) {
            try SectorConfigurationLoader.parse(yaml: yaml, file: "s.yaml")
        }
        let text = error.description
        #expect(text.contains("s.yaml:1: sector:"), "\(text)")
        #expect(text.contains("s.yaml:2: listen: must be host:port"), "\(text)")
        #expect(text.contains("s.yaml:5: boxes[1]: box ridge-01 is listed twice (first on line 4)"), "\(text)")
        #expect(text.contains("boxes[2].secret_file: is required"), "\(text)")
        #expect(text.contains("s.yaml:7: offline_after_s:"), "\(text)")
        #expect(text.contains("s.yaml:8: colour: unknown key"), "\(text)")
    }

    @Test func aLooseSecretFileIsRefusedWithItsLine() throws {
        let dir = try temporaryDirectory("sector-config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = dir.appendingPathComponent("ridge.key").path
        try "s3cret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        chmod(secret, 0o644)
        let configuration = try SectorConfigurationLoader.parse(
            yaml: "sector: s\nboxes:\n  - box: ridge-01\n    secret_file: \(secret)\n", file: "s.yaml")
        let error = try #require(throws: BoxKeys.LoadError.self) { try BoxKeys(configuration: configuration) }
        #expect(error.description.hasPrefix("s.yaml:4: boxes[0].secret_file: \(secret): is readable by every user"))
        chmod(secret, 0o600)
        let keys = try BoxKeys(configuration: configuration)
        #expect(keys.knows("ridge-01"))
    }
}
