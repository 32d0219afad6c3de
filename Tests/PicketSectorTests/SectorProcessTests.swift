import AsyncHTTPClient
import Foundation
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `picket sector` as a process: the operators file, and boxes running
/// `picket run --simulate` delivering to it.
@Suite struct SectorProcessTests {
    /// The base URL (`http://127.0.0.1:PORT`) a `picket sector` logged in its
    /// `sector listening` line.
    static func base(of process: ChildProcess) throws -> String {
        let line = try #require(process.stderr.split(separator: "\n").first { $0.contains("sector listening") })
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("address=") })
        return "http://" + address.dropFirst("address=".count)
    }

    /// `picket sector --config config`, once it listens, and its base URL.
    static func startSector(config: String, log: URL) async throws -> (process: ChildProcess, base: String) {
        let process = try ChildProcess(binary, ["sector", "--config", config], log: log)
        try await process.waitForLog("sector listening")
        return (process, try base(of: process))
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("picket")
    }
    static let simulateConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Config/picket.simulate.yaml")

    /// `printf PASSWORD | picket sector operators add NAME --config CONFIG`.
    static func addOperator(_ name: String, password: String, config: String) async throws -> ProcessOutput {
        try await runProcess(
            URL(fileURLWithPath: "/bin/sh"),
            [
                "-c", "printf '%s\\n' \"$2\" | \"$0\" sector operators add \"$1\" --config \"$3\"", binary.path, name,
                password, config,
            ])
    }

    @Test func operatorsAddAppendsAPrivateLine() async throws {
        let dir = try temporaryDirectory("sector-operators")
        defer { try? FileManager.default.removeItem(at: dir) }
        let operators = dir.appendingPathComponent("operators").path
        let config = dir.appendingPathComponent("sector.yaml").path
        try "sector: test\noperators_file: \(operators)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let added = try await Self.addOperator("alice", password: "correct horse", config: config)
        #expect(added.status == 0, "\(added.err)")
        var info = stat()
        #expect(stat(operators, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let text = try String(contentsOfFile: operators, encoding: .utf8)
        #expect(text.hasPrefix("alice:$2"), "\(text)")
        #expect(!text.contains("correct horse"))
        let twice = try await Self.addOperator("alice", password: "other", config: config)
        #expect(twice.status == 65, "\(twice.err)")
        #expect(twice.err.contains("already"), "\(twice.err)")
        let colon = try await Self.addOperator("a:b", password: "x", config: config)
        #expect(colon.status == 64, "\(colon.err)")
        #expect(colon.err.contains(":"), "\(colon.err)")
        #expect(try String(contentsOfFile: operators, encoding: .utf8) == text)
        let bob = try await Self.addOperator("bob", password: "pw", config: config)
        #expect(bob.status == 0, "\(bob.err)")
        #expect(try String(contentsOfFile: operators, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func configurationErrorsExit78() async throws {
        let dir = try temporaryDirectory("sector-config-exit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("sector.yaml").path
        try "sector: test\nlisten: nowhere\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try await runProcess(Self.binary, ["sector", "--config", config])
        #expect(bad.status == 78)
        #expect(bad.err.contains("\(config):2: listen:"), "\(bad.err)")
        try "sector: test\ndatabase: {url: \"postgres://picket@db/sector?sslmode=allow\"}\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let postgres = try await runProcess(Self.binary, ["sector", "--config", config])
        #expect(postgres.status == 78)
        #expect(postgres.err.contains("\(config):2: database.url: sslmode allow is not supported"), "\(postgres.err)")
        let missing = try await runProcess(Self.binary, ["sector", "--config", dir.appendingPathComponent("no").path])
        #expect(missing.status == 66)
    }

    /// Three simulated boxes, each with its own key, deliver to one sector
    /// process; their alerts and statuses appear in `GET /v1/alerts` and
    /// `GET /v1/boxes`.
    @Test func simulatedBoxesDeliverToARealSector() async throws {
        let dir = try temporaryDirectory("sector-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let boxes = ["sim-a", "sim-b", "sim-c"]
        var entries = ""
        for box in boxes {
            let key = dir.appendingPathComponent("\(box).key").path
            try "secret-of-\(box)-\(UUID().uuidString)\n".write(toFile: key, atomically: true, encoding: .utf8)
            chmod(key, 0o600)
            entries += "  - {box: \(box), secret_file: \(key)}\n"
        }
        let operators = dir.appendingPathComponent("operators").path
        let sectorConfig = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: simulated
        listen: 127.0.0.1:0
        database: {path: \(dir.appendingPathComponent("sector.db").path)}
        operators_file: \(operators)
        boxes:
        \(entries)
        """.write(toFile: sectorConfig, atomically: true, encoding: .utf8)
        #expect(try await Self.addOperator("alice", password: "pw", config: sectorConfig).status == 0)
        let (sector, base) = try await Self.startSector(
            config: sectorConfig, log: dir.appendingPathComponent("sector.log"))

        let kit = try String(contentsOf: Self.simulateConfig, encoding: .utf8)
        var children: [ChildProcess] = []
        for box in boxes {
            let config = dir.appendingPathComponent("\(box).yaml").path
            let text =
                kit.replacingOccurrences(of: "box: sim-01", with: "box: \(box)")
                + "\nforward:\n  url: \(base)/v1/alerts\n  secret_file: \(dir.appendingPathComponent("\(box).key").path)\n"
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            children.append(
                try ChildProcess(
                    Self.binary,
                    ["run", "--simulate", "--config", config, "--db", dir.appendingPathComponent("\(box).db").path],
                    log: dir.appendingPathComponent("\(box).log")))
        }

        func get(_ path: String) async throws -> [[String: Any]] {
            var request = HTTPClientRequest(url: base + path)
            request.headers.add(name: "Authorization", value: "Basic " + Data("alice:pw".utf8).base64EncodedString())
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
            #expect(response.status.code == 200, "\(body)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let key = path.hasPrefix("/v1/boxes") ? "boxes" : "alerts"
            return try #require(object[key] as? [[String: Any]])
        }
        var seen: Set<String> = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        while seen != Set(boxes), clock.now < deadline {
            seen = Set(try await get("/v1/alerts").compactMap { $0["box"] as? String })
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(seen == Set(boxes), "\(sector.stderr)")
        let statuses = try await get("/v1/boxes").filter { !($0["status"] is NSNull) }.compactMap {
            $0["box"] as? String
        }
        #expect(Set(statuses) == Set(boxes))
        for child in children { #expect(try await child.stop() == 0, "\(child.stderr)") }
        // Every alert each box raised and delivered is at the sector once.
        let atSector = try await get("/v1/alerts?limit=10000")
        let ids = atSector.compactMap { $0["id"] as? String }
        #expect(ids.count == Set(ids).count)
        #expect(!sector.stderr.contains("refused"), "\(sector.stderr)")
        #expect(try await sector.stop() == 0, "\(sector.stderr)")
    }
}
