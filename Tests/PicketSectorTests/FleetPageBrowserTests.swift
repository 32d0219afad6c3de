import Foundation
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fleet page in a real browser: a `picket sector` process, and
/// `Browser/fleet_page.py` driving headless chromium through chromedriver
/// with Selenium (Debian: chromium, chromium-driver, python3-selenium).
/// Without them the test fails saying what to install, unless
/// `PICKET_SKIP_BROWSER_TESTS=1` says to skip it.
@Suite struct FleetPageBrowserTests {
    static let skip = ProcessInfo.processInfo.environment["PICKET_SKIP_BROWSER_TESTS"] == "1"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Browser/fleet_page.py")

    static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The first Python that imports selenium: Debian's (where
    /// python3-selenium installs it) before the one on PATH (which may be a
    /// pyenv or venv without it).
    static func python() async throws -> String? {
        for candidate in ["/usr/bin/python3", onPath("python3")].compactMap({ $0 })
        where FileManager.default.isExecutableFile(atPath: candidate) {
            if try await runProcess(URL(fileURLWithPath: candidate), ["-c", "import selenium"]).status == 0 {
                return candidate
            }
        }
        return nil
    }

    /// What is missing to run the browser test, as one message, or nil.
    static func missingTools(python: String?) -> String? {
        var missing: [String] = []
        if onPath("chromium") == nil && onPath("chromium-browser") == nil { missing.append("chromium") }
        if onPath("chromedriver") == nil { missing.append("chromium-driver (chromedriver)") }
        if python == nil { missing.append("python3-selenium (no python3 that can import selenium)") }
        guard !missing.isEmpty else { return nil }
        return "the browser test needs \(missing.joined(separator: ", ")): "
            + "apt-get install -y chromium chromium-driver python3-selenium "
            + "(or set PICKET_SKIP_BROWSER_TESTS=1 to skip it)"
    }

    @Test(.enabled(if: !skip, "PICKET_SKIP_BROWSER_TESTS=1"))
    func fleetPageInChromium() async throws {
        let python = try await Self.python()
        if let missing = Self.missingTools(python: python) {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let dir = try temporaryDirectory("sector-browser")
        defer { try? FileManager.default.removeItem(at: dir) }
        var entries = ""
        for box in ["ridge-01", "quiet-03"] {
            let key = dir.appendingPathComponent("\(box).key").path
            try "secret-of-\(box)-\(UUID().uuidString)".write(toFile: key, atomically: true, encoding: .utf8)
            chmod(key, 0o600)
            entries += "  - {box: \(box), secret_file: \(key)}\n"
        }
        let operators = dir.appendingPathComponent("operators").path
        let config = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: browser
        listen: 127.0.0.1:0
        database: {path: \(dir.appendingPathComponent("sector.db").path)}
        operators_file: \(operators)
        offline_after_s: 4
        boxes:
        \(entries)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let added = try await SectorProcessTests.addOperator("alice", password: "s3cret pass", config: config)
        try #require(added.status == 0, "picket sector operators add: \(added.err)")

        let (sector, base) = try await SectorProcessTests.startSector(
            config: config, log: dir.appendingPathComponent("sector.log"))

        let result = try await runProcess(
            URL(fileURLWithPath: try #require(python)),
            [
                Self.script.path, base, "alice", "s3cret pass", "ridge-01",
                dir.appendingPathComponent("ridge-01.key").path, "quiet-03",
                dir.appendingPathComponent("quiet-03.key").path,
            ])
        #expect(
            result.status == 0,
            "fleet_page.py exited \(result.status):\n\(result.out)\n\(result.err)\n-- sector log:\n\(sector.stderr)")
        #expect(try await sector.stop() == 0, "\(sector.stderr)")
    }
}
