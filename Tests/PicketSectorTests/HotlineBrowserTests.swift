import AsyncHTTPClient
import Foundation
import NIOCore
import PicketCore
import PicketSector
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fleet page's "Reports and texts" in headless chromium
/// (`Browser/hotline_section.py`, with the tools FleetPageBrowserTests needs).
@Suite struct HotlineBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Browser/hotline_section.py")

    @Test(.enabled(if: !FleetPageBrowserTests.skip, "PICKET_SKIP_BROWSER_TESTS=1"))
    func reportsAndTextsInChromium() async throws {
        let python = try await FleetPageBrowserTests.python()
        if let missing = FleetPageBrowserTests.missingTools(python: python) {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let dir = try temporaryDirectory("sector-hotline-browser")
        defer { try? FileManager.default.removeItem(at: dir) }
        let token = HotlineProcessTests.token
        let tokenFile = dir.appendingPathComponent("hotline.token").path
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        let database = dir.appendingPathComponent("sector.db").path
        let config = dir.appendingPathComponent("sector.yaml").path
        try """
        sector: browser
        listen: 127.0.0.1:0
        database: {path: \(database)}
        operators_file: \(dir.appendingPathComponent("operators").path)
        public_url: \(HotlineProcessTests.publicURL)
        hotline: {url: "https://sms.example/Messages", from: "+18025550199", auth_token_file: \(tokenFile)}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let added = try await SectorProcessTests.addOperator("alice", password: "pw", config: config)
        try #require(added.status == 0, "\(added.err)")
        let (process, base) = try await SectorProcessTests.startSector(
            config: config, log: dir.appendingPathComponent("sector.log"))
        let store = try SQLiteSectorStore(path: database)
        try await store.migrate()
        _ = try await store.addSubscriber(
            Subscriber(name: "Ann Ferris", phone: "+18025550101", zones: ["north-fork"]), at: SystemClock().wallNs())

        let sector = HotlineProcessTests.Sector(base: base)
        func text(_ body: String, from: String, sid: String) async throws {
            #expect(try await sector.text(body, sid: sid, from: from).status == 200)
        }
        let note = "2 people <b>walking</b> at north-fork"
        try await text(note, from: "+18025550101", sid: "SMb1")
        try await text("whose cows are these", from: "+447700900123", sid: "SMb2")
        try await text("STOP", from: "+447700900999", sid: "SMb3")

        let result = try await runProcess(
            URL(fileURLWithPath: try #require(python)),
            [Self.script.path, base, "alice", "pw", note, "+447700900123", "+447700900999"])
        #expect(
            result.status == 0,
            "hotline_section.py exited \(result.status):\n\(result.out)\n\(result.err)\n-- sector log:\n\(process.stderr)"
        )
        #expect(try await process.stop() == 0, "\(process.stderr)")
    }
}
