import Foundation
import PicketCore
import PicketDelivery
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `run` refuses before it opens hardware, `check-config` refuses too:
/// both go through `DeliveryService.validateSecrets`.
@Suite struct StartCheckTests {
    let dir: URL

    init() throws { dir = try temporaryDirectory("picket-start-check") }

    func file(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    func problem(_ path: String, credentialSources: String = Secrets.credentialSources) -> String? {
        do {
            _ = try Secrets.read(path, key: "forward.secret_file", credentialSources: credentialSources)
            return nil
        } catch { return error.description }
    }

    @Test func unusableSecretFilesAreRefusedNamingFileKeyAndReason() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try file("empty.key", "")
        #expect(problem(empty) == "\(empty) (forward.secret_file): is empty; write the secret into it (one line)")
        let blank = try file("blank.key", " \n\n")
        #expect(problem(blank)?.contains("is empty") == true)
        let loose = try file("loose.key", "s3cret\n", mode: 0o644)
        #expect(problem(loose)?.contains("is readable by every user") == true)
        #expect(problem(dir.appendingPathComponent("none.key").path)?.contains("No such file") == true)
        #expect(
            problem(dir.path)
                == "\(dir.path) (forward.secret_file): is a directory; name the file that holds the secret")
        let fifo = dir.appendingPathComponent("fifo.key").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // Refused without waiting for a writer.
        #expect(problem(fifo)?.contains("is a FIFO (named pipe)") == true)
        let big = try file("big.key", String(repeating: "a", count: 64 * 1024 + 1))
        #expect(problem(big)?.contains("more than the 64 KiB a secret may") == true)
        let exactly = try file("max.key", String(repeating: "a", count: 64 * 1024))
        #expect(problem(exactly) == nil)
        let twoLines = try file("two.key", "first\nsecond\n")
        #expect(problem(twoLines)?.contains("has more than one line") == true)
        let good = try file("good.key", "correct horse\n")
        #expect(try Secrets.read(good, key: "forward.secret_file") == Array("correct horse".utf8))
    }

    /// install.sh creates empty root-only placeholders in /etc/picket that
    /// the unit hands over at /run/credentials/picket.service/: outside the
    /// service, the placeholder is what is checked, and it is empty.
    @Test func theInstalledPlaceholderBehindLoadCredentialIsEmpty() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let configured = "/run/credentials/picket.service/sector.key"
        try #require(!FileManager.default.fileExists(atPath: configured))
        let placeholder = try file("sector.key", "")
        #expect(
            problem(configured, credentialSources: dir.path)
                == "\(placeholder) (forward.secret_file): is empty; write the secret into it (one line) "
                + "(handed over as \(configured) by LoadCredential=)")
        _ = try file("sector.key", "s3cret\n")
        #expect(problem(configured, credentialSources: dir.path) == nil)
        try FileManager.default.removeItem(atPath: placeholder)
        #expect(problem(configured, credentialSources: dir.path)?.contains("does not exist, nor does") == true)
    }

    @Test func credentialsAndCAFilesAreCheckedWithTheSecrets() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = try file("sector.key", "s3cret\n")
        var configuration = PicketConfiguration(box: "b", sector: "s")
        configuration.forward = ForwardConfig(
            url: "https://s.example/a", secretFile: secret, caFile: dir.appendingPathComponent("ca.pem").path)
        func refusal() -> String? {
            do {
                try DeliveryService.validateSecrets(configuration)
                return nil
            } catch { return error.description }
        }
        #expect(refusal()?.contains("(forward.ca_file): cannot read: No such file") == true)
        configuration.forward?.caFile = try file("ca.pem", "-----BEGIN CERTIFICATE-----\n")
        #expect(refusal() == nil)
        let credentials = try file("hotline.cred", "AC123:tok\nsecond\n")
        configuration.hotline = HotlineConfig(
            url: "https://g.example/M", from: "+18025550199", credentialsFile: credentials, subscribers: [],
            caFile: dir.path)
        #expect(refusal()?.contains("(hotline.credentials_file): has more than one line") == true)
        _ = try file("hotline.cred", "AC123:tok\n")
        #expect(
            refusal()
                == "\(dir.path) (hotline.ca_file): is not a regular file; name the PEM file of the CA certificates to trust"
        )
    }

    /// The shipped example with install.sh's empty placeholders: check-config
    /// refuses it (exit 78) as run would, and says the file is empty; with
    /// real secrets it passes.
    @Test func checkConfigRefusesTheExampleWithEmptyPlaceholders() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let example = try String(
            contentsOf: root.appendingPathComponent("Config/picket.example.yaml"), encoding: .utf8)
        let yaml = example.replacingOccurrences(of: "/run/credentials/picket.service/", with: dir.path + "/")
            .replacingOccurrences(of: "/etc/picket/", with: dir.path + "/")
        let config = try file("picket.yaml", yaml)
        let key = try file("sector.key", "")
        let cred = try file("hotline.cred", "")
        _ = try file("sector-ca.pem", "-----BEGIN CERTIFICATE-----\n")
        _ = try file("gateway-ca.pem", "-----BEGIN CERTIFICATE-----\n")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("picket")
        let refused = try await runProcess(binary, ["check-config", config])
        #expect(refused.status == 78)
        #expect(refused.err.contains("\(key) (forward.secret_file): is empty"), "\(refused.err)")
        // run refuses the same, before it opens any hardware.
        let run = try await runProcess(
            binary, ["run", "--config", config, "--db", dir.appendingPathComponent("p.db").path])
        #expect(run.status == 78)
        #expect(run.err.contains("\(key) (forward.secret_file): is empty"), "\(run.err)")
        _ = try file("sector.key", "s3cret\n")
        let noCredentials = try await runProcess(binary, ["check-config", config])
        #expect(noCredentials.status == 78)
        #expect(noCredentials.err.contains("\(cred) (hotline.credentials_file): is empty"), "\(noCredentials.err)")
        _ = try file("hotline.cred", "AC123:tok\n")
        let good = try await runProcess(binary, ["check-config", config])
        #expect(good.status == 0, "\(good.err)")
        _ = try file("hotline.cred", "AC123:tok\n", mode: 0o604)
        let loose = try await runProcess(binary, ["check-config", config])
        #expect(loose.status == 78)
        #expect(loose.err.contains("\(cred) (hotline.credentials_file): is readable by every user"))
    }
}
